from __future__ import annotations

from typing import Any

import pytest

from pools.errors import InvalidParameterException
from pools.models import SchemaAttribute, UserPool
from pools.selectors.pools import schema_attribute_definitions, user_pool_csv_header
from pools.services.pools import user_pool_add_custom_attributes, user_pool_create
from pools.services.schema import STANDARD_ATTRIBUTES
from pools.shapes.pools import schema_attribute_shape
from tests.builders import make_user_pool

pytestmark = pytest.mark.django_db

STANDARD_ORDER = [
    "sub",
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
]


def _described(pool: UserPool) -> dict[str, dict[str, Any]]:
    return {
        shape["Name"]: shape
        for shape in map(schema_attribute_shape, schema_attribute_definitions(pool=pool))
    }


def test_a_new_pool_has_every_standard_attribute_in_cognitos_order(pool: UserPool) -> None:
    names = [a.full_name for a in schema_attribute_definitions(pool=pool)]

    assert names == STANDARD_ORDER == [a.name for a in STANDARD_ATTRIBUTES]


def test_standard_attributes_are_described_as_cognito_describes_them(pool: UserPool) -> None:
    described = _described(pool)

    assert described["sub"] == {
        "Name": "sub",
        "AttributeDataType": "String",
        "DeveloperOnlyAttribute": False,
        "Mutable": False,
        "Required": True,
        "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "2048"},
    }
    assert described["email"] == {
        "Name": "email",
        "AttributeDataType": "String",
        "DeveloperOnlyAttribute": False,
        "Mutable": True,
        "Required": False,
        "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"},
    }
    assert described["email_verified"] == {
        "Name": "email_verified",
        "AttributeDataType": "Boolean",
        "DeveloperOnlyAttribute": False,
        "Mutable": True,
        "Required": False,
    }
    assert described["phone_number_verified"]["AttributeDataType"] == "Boolean"
    assert described["updated_at"] == {
        "Name": "updated_at",
        "AttributeDataType": "Number",
        "DeveloperOnlyAttribute": False,
        "Mutable": True,
        "Required": False,
        "NumberAttributeConstraints": {"MinValue": "0"},
    }
    assert described["birthdate"]["StringAttributeConstraints"] == {
        "MinLength": "10",
        "MaxLength": "10",
    }
    assert described["address"]["StringAttributeConstraints"] == {
        "MinLength": "0",
        "MaxLength": "2048",
    }


def test_schema_sets_required_and_mutability_of_standard_attributes() -> None:
    pool = make_user_pool(
        Schema=[
            {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": False},
            {"Name": "name", "Required": True},
            {"Name": "family_name", "StringAttributeConstraints": {"MaxLength": "64"}},
        ]
    )

    described = _described(pool)
    assert (described["email"]["Required"], described["email"]["Mutable"]) == (True, False)
    assert described["name"]["Required"] is True
    assert described["family_name"]["StringAttributeConstraints"] == {
        "MinLength": "0",
        "MaxLength": "64",
    }
    assert described["given_name"]["Required"] is False
    assert len(described) == 20


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"Name": "email", "AttributeDataType": "Number"}, "can not change AttributeDataType"),
        ({"Name": "email", "DeveloperOnlyAttribute": True}, "developerOnlyAttribute"),
        ({"Name": "sub", "Mutable": True}, "always required and immutable"),
        ({"Name": "sub", "Required": False}, "always required and immutable"),
        (
            {"Name": "email", "StringAttributeConstraints": {"MaxLength": "4096"}},
            "user.email: String attributes cannot have a length of more than 2048",
        ),
        (
            {"Name": "birthdate", "StringAttributeConstraints": {"MinLength": "11"}},
            "user.birthdate: Max length cannot be less than min length.",
        ),
    ],
)
def test_standard_attributes_keep_their_type_and_limits(
    entry: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(InvalidParameterException, match=fragment):
        user_pool_create(name="p", settings={"Schema": [entry]})

    assert not UserPool.objects.exists()
    assert not SchemaAttribute.objects.exists()


def test_custom_attributes_are_created_with_their_constraints() -> None:
    pool = make_user_pool(
        Schema=[
            {
                "Name": "tenant",
                "AttributeDataType": "String",
                "Mutable": False,
                "StringAttributeConstraints": {"MinLength": "3", "MaxLength": "32"},
            },
            {
                "Name": "level",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "-5", "MaxValue": "10"},
            },
            {"Name": "plain", "AttributeDataType": "String"},
            {"Name": "count", "AttributeDataType": "Number"},
            {"Name": "joined", "AttributeDataType": "DateTime"},
            {"Name": "vip", "AttributeDataType": "Boolean", "DeveloperOnlyAttribute": True},
        ]
    )

    described = _described(pool)
    assert described["custom:tenant"] == {
        "Name": "custom:tenant",
        "AttributeDataType": "String",
        "DeveloperOnlyAttribute": False,
        "Mutable": False,
        "Required": False,
        "StringAttributeConstraints": {"MinLength": "3", "MaxLength": "32"},
    }
    assert described["custom:level"]["NumberAttributeConstraints"] == {
        "MinValue": "-5",
        "MaxValue": "10",
    }
    assert described["custom:plain"]["StringAttributeConstraints"] == {}
    assert described["custom:plain"]["Mutable"] is True
    assert described["custom:count"]["NumberAttributeConstraints"] == {}
    assert "StringAttributeConstraints" not in described["custom:joined"]
    assert "NumberAttributeConstraints" not in described["custom:joined"]
    assert described["dev:custom:vip"]["DeveloperOnlyAttribute"] is True
    level = SchemaAttribute.objects.get(pool=pool, name="level")
    assert (level.min_value, level.max_value, level.is_custom) == (-5, 10, True)


def test_constraints_for_another_data_type_are_ignored() -> None:
    pool = make_user_pool(
        Schema=[
            {
                "Name": "score",
                "AttributeDataType": "Number",
                "StringAttributeConstraints": {"MaxLength": "5"},
            }
        ]
    )

    score = SchemaAttribute.objects.get(pool=pool, name="score")
    assert (score.min_length, score.max_length) == (None, None)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        # Quoted from real AWS answers: boto/boto3#2317, aws/aws-cdk#8585, aws/aws-cdk#14175.
        (
            {"Name": "tier", "AttributeDataType": "String", "Required": True},
            "Required custom attributes are not supported currently.",
        ),
        (
            {"Name": "tier"},
            "Invalid AttributeDataType input, consider using the provided AttributeDataType enum.",
        ),
        (
            {"Name": "phone_number_verified", "AttributeDataType": "String"},
            "1 validation error detected: Value 'phone_number_verified' at 'schema.1.member.name' "
            "failed to satisfy constraint: Member must have length less than or equal to 20",
        ),
        # As moto reproduces them (test_create_user_pool_string_schema_max_length_over_2048,
        # *_min_bigger_than_max, *_number_schema_min_bigger_than_max).
        (
            {
                "Name": "t",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MaxLength": "2049"},
            },
            "user.custom:t: String attributes cannot have a length of more than 2048",
        ),
        (
            {
                "Name": "t",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "10", "MaxLength": "5"},
            },
            "user.custom:t: Max length cannot be less than min length.",
        ),
        (
            {
                "Name": "n",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "10", "MaxValue": "1"},
            },
            "user.custom:n: Max value cannot be less than min value.",
        ),
        (
            {
                "Name": "n",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MaxValue": "ten"},
            },
            "Invalid NumberAttributeConstraints for schema attribute custom:n",
        ),
    ],
)
def test_schema_errors_are_in_aws_words(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterException) as error:
        user_pool_create(name="p", settings={"Schema": [entry]})

    assert error.value.message == message
    assert not UserPool.objects.exists()


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"Name": "tier", "AttributeDataType": "String", "Required": True}, "not supported"),
        ({"Name": "tier"}, "Invalid AttributeDataType input"),
        ({"Name": "tier", "AttributeDataType": "Text"}, "enum value set"),
        ({"AttributeDataType": "String"}, "schema.1.member.name"),
        ({"Name": "x" * 21, "AttributeDataType": "String"}, "less than or equal to 20"),
        ({"Name": "has space", "AttributeDataType": "String"}, "regular expression pattern"),
        ({"Name": "t", "AttributeDataType": "String", "Mutable": "no"}, "Expected a boolean"),
        (
            {
                "Name": "t",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "10", "MaxLength": "5"},
            },
            "user.custom:t: Max length cannot be less than min length.",
        ),
        (
            {
                "Name": "t",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MaxLength": "2049"},
            },
            "user.custom:t: String attributes cannot have a length of more than 2048",
        ),
        (
            {
                "Name": "t",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "-1"},
            },
            "Invalid StringAttributeConstraints for schema attribute custom:t",
        ),
        (
            {
                "Name": "t",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "two"},
            },
            "Invalid StringAttributeConstraints for schema attribute custom:t",
        ),
        (
            {
                "Name": "n",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "10", "MaxValue": "1"},
            },
            "user.custom:n: Max value cannot be less than min value.",
        ),
        (
            {
                "Name": "n",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MaxValue": "1.5"},
            },
            "Invalid NumberAttributeConstraints for schema attribute custom:n",
        ),
        (
            {
                "Name": "n",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MaxValue": str(2**63)},
            },
            "Invalid NumberAttributeConstraints for schema attribute custom:n",
        ),
    ],
)
def test_custom_attribute_rules(entry: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidParameterException, match=fragment):
        user_pool_create(name="p", settings={"Schema": [entry]})

    assert not UserPool.objects.exists()
    assert not SchemaAttribute.objects.exists()


@pytest.mark.parametrize(
    "schema",
    [
        [
            {"Name": "dup", "AttributeDataType": "String"},
            {"Name": "dup", "AttributeDataType": "Number"},
        ],
        [
            {"Name": "dup", "AttributeDataType": "String"},
            {"Name": "dup", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
        ],
        [{"Name": "email", "Required": True}, {"Name": "email", "Mutable": False}],
    ],
)
def test_schema_names_each_attribute_once(schema: list[dict[str, Any]]) -> None:
    with pytest.raises(InvalidParameterException, match=r"dup|Duplicate"):
        user_pool_create(name="p", settings={"Schema": schema})

    assert not UserPool.objects.exists()


def test_schema_takes_one_to_fifty_entries() -> None:
    too_many = [{"Name": f"c{i}", "AttributeDataType": "String"} for i in range(51)]

    with pytest.raises(InvalidParameterException, match="less than or equal to 50"):
        user_pool_create(name="p", settings={"Schema": too_many})
    with pytest.raises(InvalidParameterException, match="greater than or equal to 1"):
        user_pool_create(name="p", settings={"Schema": []})

    assert not UserPool.objects.exists()


def test_add_custom_attributes_treats_every_name_as_custom(pool: UserPool) -> None:
    user_pool_add_custom_attributes(
        pool=pool, attributes=[{"Name": "email", "AttributeDataType": "String"}]
    )

    described = _described(pool)
    assert described["custom:email"]["Required"] is False
    assert described["email"]["Mutable"] is True


def test_add_custom_attributes_applies_the_custom_rules(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match="Required custom attributes"):
        user_pool_add_custom_attributes(
            pool=pool, attributes=[{"Name": "x", "AttributeDataType": "String", "Required": True}]
        )

    assert SchemaAttribute.objects.filter(pool=pool).count() == 20


def test_definitions_list_standard_then_custom_attributes(pool: UserPool) -> None:
    user_pool_add_custom_attributes(
        pool=pool,
        attributes=[
            {"Name": "b", "AttributeDataType": "String"},
            {"Name": "a", "AttributeDataType": "String"},
        ],
    )

    names = [a.full_name for a in schema_attribute_definitions(pool=pool)]
    assert names == [*STANDARD_ORDER, "custom:b", "custom:a"]


def test_definitions_belong_to_their_own_pool(pool: UserPool) -> None:
    other = make_user_pool(name="other", Schema=[{"Name": "x", "AttributeDataType": "String"}])

    assert "custom:x" not in [a.full_name for a in schema_attribute_definitions(pool=pool)]
    assert "custom:x" in [a.full_name for a in schema_attribute_definitions(pool=other)]


def test_csv_header_lists_importable_attributes_then_mfa_and_username() -> None:
    pool = make_user_pool(
        Schema=[{"Name": "tier", "AttributeDataType": "String"}, {"Name": "sub", "Required": True}]
    )
    user_pool_add_custom_attributes(
        pool=pool,
        attributes=[
            {"Name": "secret", "AttributeDataType": "Number", "DeveloperOnlyAttribute": True}
        ],
    )

    header = user_pool_csv_header(pool=pool)

    assert header == [
        *STANDARD_ORDER[1:],
        "custom:tier",
        "dev:custom:secret",
        "cognito:mfa_enabled",
        "cognito:username",
    ]
