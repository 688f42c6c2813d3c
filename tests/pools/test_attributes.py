from __future__ import annotations

from typing import Any

import pytest

from pools.errors import InvalidParameterException, NotAuthorizedException
from pools.models import PoolUser, UserPool
from pools.services.attributes import attributes_apply, attributes_validate
from tests.builders import make_user_pool

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema_pool(db: None) -> UserPool:
    return make_user_pool(
        Schema=[
            {"Name": "name", "Required": True},
            {"Name": "family_name", "Required": True},
            {"Name": "given_name", "Mutable": False},
            {
                "Name": "tier",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "2", "MaxLength": "5"},
            },
            {
                "Name": "age",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "18", "MaxValue": "130"},
            },
            {"Name": "vip", "AttributeDataType": "Boolean"},
            {"Name": "joined", "AttributeDataType": "DateTime"},
            {"Name": "badge", "AttributeDataType": "String", "Mutable": False},
            {"Name": "secret", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
        ]
    )


def _create(pool: UserPool, attributes: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"admin": True, "check_required": False, **kwargs}
    return attributes_validate(pool=pool, attributes=attributes, creating=True, **options)


def _update(pool: UserPool, attributes: dict[str, str], *, admin: bool = True) -> dict[str, Any]:
    return attributes_validate(pool=pool, attributes=attributes, creating=False, admin=admin)


def test_values_are_keyed_by_column_or_custom_name(schema_pool: UserPool) -> None:
    values = _create(
        schema_pool,
        {
            "email": "jo@example.com",
            "email_verified": "TRUE",
            "updated_at": "1700000000",
            "custom:tier": "gold",
            "custom:vip": "False",
            "dev:custom:secret": "s",
        },
    )
    assert values == {
        "email": "jo@example.com",
        "email_verified": True,
        "attr_updated_at": "1700000000",
        "custom:tier": "gold",
        "custom:vip": "false",
        "dev:custom:secret": "s",
    }


def test_empty_values_mean_removal(schema_pool: UserPool) -> None:
    values = _update(schema_pool, {"email": "", "phone_number_verified": "", "custom:tier": ""})
    assert values == {"email": "", "phone_number_verified": None, "custom:tier": None}


def test_unknown_custom_attribute_at_creation_is_cognitos_type_error(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException) as error:
        _create(pool, {"custom:nope": "x"})
    assert error.value.message == (
        "Attributes did not conform to the schema: Type for attribute {custom:nope} could not be "
        "determined"
    )


def test_unknown_attribute_in_an_update_does_not_exist(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException) as error:
        _update(pool, {"shoe_size": "9"})
    assert error.value.message == "user.shoe_size: Attribute does not exist in the schema."


def test_custom_prefix_is_required_for_custom_attributes(schema_pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match="could not be determined"):
        _create(schema_pool, {"tier": "gold"})


def test_values_longer_than_2048_characters_are_refused(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException) as error:
        _create(pool, {"name": "a", "address": "x" * 2049})
    assert error.value.message == (
        "1 validation error detected: Value at 'userAttributes.2.member.value' failed to satisfy "
        "constraint: Member must have length less than or equal to 2048"
    )


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@b.com", "a b@c.com"])
def test_email_format(pool: UserPool, email: str) -> None:
    with pytest.raises(InvalidParameterException) as error:
        _create(pool, {"email": email})
    assert error.value.message == "Invalid email address format."


@pytest.mark.parametrize("phone", ["5551212", "+1-555-1212", "+", "+1 555", "++15551212"])
def test_phone_number_format(pool: UserPool, phone: str) -> None:
    with pytest.raises(InvalidParameterException) as error:
        _create(pool, {"phone_number": phone})
    assert error.value.message == "Invalid phone number format."


def test_phone_number_in_cognitos_format_is_accepted(pool: UserPool) -> None:
    assert _create(pool, {"phone_number": "+14325551212"}) == {"phone_number": "+14325551212"}


def test_verified_flags_must_be_booleans(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match="email_verified: Value must be true"):
        _create(pool, {"email_verified": "yes"})


def test_only_administrators_may_set_verified_flags(pool: UserPool) -> None:
    with pytest.raises(NotAuthorizedException, match="unauthorized attribute"):
        _update(pool, {"email_verified": "true"}, admin=False)


def test_developer_only_attributes_are_for_administrators(schema_pool: UserPool) -> None:
    with pytest.raises(NotAuthorizedException, match="unauthorized attribute"):
        _update(schema_pool, {"dev:custom:secret": "x"}, admin=False)
    assert _update(schema_pool, {"dev:custom:secret": "x"}) == {"dev:custom:secret": "x"}


def test_sub_can_never_be_written(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException) as error:
        _create(pool, {"sub": "00000000-0000-0000-0000-000000000000"})
    assert error.value.message == (
        "user.sub: Attribute cannot be updated. (changing an immutable attribute)"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("g", "custom:tier: String must be no shorter than 2 characters"),
        ("platinum", "custom:tier: String must be no longer than 5 characters"),
    ],
)
def test_string_length_constraints(schema_pool: UserPool, value: str, message: str) -> None:
    with pytest.raises(InvalidParameterException) as error:
        _create(schema_pool, {"custom:tier": value})
    assert error.value.message == f"Attributes did not conform to the schema: {message}"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("old", "custom:age: Number must be an integer"),
        ("17", "custom:age: Number must be no less than 18"),
        ("131", "custom:age: Number must be no greater than 130"),
    ],
)
def test_number_type_and_range(schema_pool: UserPool, value: str, message: str) -> None:
    with pytest.raises(InvalidParameterException) as error:
        _create(schema_pool, {"custom:age": value})
    assert error.value.message == f"Attributes did not conform to the schema: {message}"


def test_number_within_range_is_accepted(schema_pool: UserPool) -> None:
    assert _create(schema_pool, {"custom:age": "42"}) == {"custom:age": "42"}


def test_boolean_custom_attribute(schema_pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match="custom:vip: Boolean must be true"):
        _create(schema_pool, {"custom:vip": "1"})


def test_datetime_custom_attribute(schema_pool: UserPool) -> None:
    assert _create(schema_pool, {"custom:joined": "2024-05-01T10:00:00+00:00"}) == {
        "custom:joined": "2024-05-01T10:00:00+00:00"
    }
    with pytest.raises(InvalidParameterException, match="custom:joined: DateTime must be"):
        _create(schema_pool, {"custom:joined": "last tuesday"})


def test_standard_updated_at_is_a_non_negative_number(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match="updated_at: Number must be an integer"):
        _create(pool, {"updated_at": "yesterday"})
    with pytest.raises(
        InvalidParameterException, match="updated_at: Number must be no less than 0"
    ):
        _create(pool, {"updated_at": "-1"})


def test_birthdate_has_cognitos_fixed_length(pool: UserPool) -> None:
    assert _create(pool, {"birthdate": "1990-01-31"}) == {"birthdate": "1990-01-31"}
    with pytest.raises(InvalidParameterException, match="birthdate: String must be no longer"):
        _create(pool, {"birthdate": "1990-01-31T00"})


def test_immutable_attributes_are_written_only_at_creation(schema_pool: UserPool) -> None:
    assert _create(schema_pool, {"custom:badge": "b1", "given_name": "Jo"}) == {
        "custom:badge": "b1",
        "given_name": "Jo",
    }
    for name in ("custom:badge", "given_name"):
        with pytest.raises(InvalidParameterException) as error:
            _update(schema_pool, {name: "other"})
        assert error.value.message == (
            f"user.{name}: Attribute cannot be updated. (changing an immutable attribute)"
        )


def test_required_attributes_are_listed_when_missing_at_creation(schema_pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException) as error:
        _create(schema_pool, {"name": "Jo", "family_name": ""}, check_required=True)
    assert error.value.message == (
        "Attributes did not conform to the schema: family_name: The attribute is required"
    )
    with pytest.raises(InvalidParameterException) as error:
        _create(schema_pool, {}, check_required=True)
    assert error.value.message == (
        "Attributes did not conform to the schema: name: The attribute is required "
        "family_name: The attribute is required"
    )


def test_administrators_may_skip_required_attributes_at_creation(schema_pool: UserPool) -> None:
    assert _create(schema_pool, {"email": "jo@example.com"}) == {"email": "jo@example.com"}


def test_required_attributes_cannot_be_removed(schema_pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException) as error:
        _update(schema_pool, {"name": ""})
    assert error.value.message == (
        "Attributes did not conform to the schema: name: The attribute is required"
    )


def test_apply_sets_columns_and_custom_values(user: PoolUser) -> None:
    user.custom_attributes = {"custom:old": "1", "custom:keep": "2"}
    fields = attributes_apply(
        user=user,
        values={"name": "Jo", "email_verified": False, "custom:old": None, "custom:new": "3"},
    )
    assert fields == ["name", "email_verified", "custom_attributes"]
    assert user.name == "Jo"
    assert user.email_verified is False
    assert user.custom_attributes == {"custom:keep": "2", "custom:new": "3"}


def test_apply_leaves_custom_attributes_alone_when_none_change(user: PoolUser) -> None:
    assert attributes_apply(user=user, values={"name": "Jo"}) == ["name"]
