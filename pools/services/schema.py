"""A pool's attribute schema: the OIDC standard attributes and up to 50 custom ones.

Entries reach these functions already checked against botocore's `SchemaAttributeType` (member
types, name length and pattern, data-type enum); the rules here are the ones the model cannot say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pools.errors import InvalidParameterException, LimitExceededException
from pools.models import AttributeDataType, SchemaAttribute, UserPool

MAX_CUSTOM_ATTRIBUTES = 50
# Every attribute value, and so every String length constraint, is capped at 2048 characters.
MAX_STRING_LENGTH = 2048
# NumberAttributeConstraints are stored in 64-bit columns.
_MIN_NUMBER = -(2**63)
_MAX_NUMBER = 2**63 - 1


@dataclass(frozen=True)
class StandardAttribute:
    name: str
    data_type: str
    mutable: bool = True
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    min_value: int | None = None


def _text(name: str, min_length: int = 0, max_length: int = MAX_STRING_LENGTH) -> StandardAttribute:
    return StandardAttribute(
        name, AttributeDataType.STRING, min_length=min_length, max_length=max_length
    )


# As DescribeUserPool reports them, in its order.
STANDARD_ATTRIBUTES: tuple[StandardAttribute, ...] = (
    StandardAttribute(
        "sub", AttributeDataType.STRING, mutable=False, required=True, min_length=1, max_length=2048
    ),
    _text("name"),
    _text("given_name"),
    _text("family_name"),
    _text("middle_name"),
    _text("nickname"),
    _text("preferred_username"),
    _text("profile"),
    _text("picture"),
    _text("website"),
    _text("email"),
    StandardAttribute("email_verified", AttributeDataType.BOOLEAN),
    _text("gender"),
    _text("birthdate", min_length=10, max_length=10),
    _text("zoneinfo"),
    _text("locale"),
    _text("phone_number"),
    StandardAttribute("phone_number_verified", AttributeDataType.BOOLEAN),
    _text("address"),
    StandardAttribute("updated_at", AttributeDataType.NUMBER, min_value=0),
)
STANDARD_ATTRIBUTE_NAMES = frozenset(a.name for a in STANDARD_ATTRIBUTES)
_STANDARD_BY_NAME = {a.name: a for a in STANDARD_ATTRIBUTES}


def _bound(
    value: str | None, *, invalid: str, lowest: int, highest: int, too_high: str
) -> int | None:
    """The bound as an integer; `invalid` when it is not one or is below `lowest`."""
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        raise InvalidParameterException(invalid) from None
    if number < lowest:
        raise InvalidParameterException(invalid)
    if number > highest:
        raise InvalidParameterException(too_high)
    return number


def _apply_constraints(row: SchemaAttribute, entry: Mapping[str, Any]) -> None:
    """Set the length or value bounds `entry` gives for `row`'s data type; a bound it leaves out
    keeps the attribute's default. Bounds for another data type are ignored, as Cognito does.

    The messages are the ones moto reproduces for AWS (its test_create_user_pool_string_schema_*
    and *_number_schema_* tests). AWS sets no limit on number bounds; one beyond the 64 bits this
    server's columns hold is invalid here.
    """
    name = row.full_name
    if row.attribute_data_type == AttributeDataType.STRING:
        given = entry.get("StringAttributeConstraints")
        if given is None:
            return
        invalid = f"Invalid StringAttributeConstraints for schema attribute {name}"
        too_long = f"user.{name}: String attributes cannot have a length of more than 2048"
        low, high = (
            _bound(
                given.get(key),
                invalid=invalid,
                lowest=0,
                highest=MAX_STRING_LENGTH,
                too_high=too_long,
            )
            for key in ("MinLength", "MaxLength")
        )
        low = row.min_length if low is None else low
        high = row.max_length if high is None else high
        if low is not None and high is not None and low > high:
            raise InvalidParameterException(
                f"user.{name}: Max length cannot be less than min length."
            )
        row.min_length, row.max_length = low, high
    elif row.attribute_data_type == AttributeDataType.NUMBER:
        given = entry.get("NumberAttributeConstraints")
        if given is None:
            return
        invalid = f"Invalid NumberAttributeConstraints for schema attribute {name}"
        low, high = (
            _bound(
                given.get(key),
                invalid=invalid,
                lowest=_MIN_NUMBER,
                highest=_MAX_NUMBER,
                too_high=invalid,
            )
            for key in ("MinValue", "MaxValue")
        )
        low = row.min_value if low is None else low
        high = row.max_value if high is None else high
        if low is not None and high is not None and low > high:
            raise InvalidParameterException(
                f"user.{name}: Max value cannot be less than min value."
            )
        row.min_value, row.max_value = low, high


def _name_of(entry: Mapping[str, Any], index: int, path: str) -> str:
    name = entry.get("Name")
    if name is None:
        raise InvalidParameterException(
            f"1 validation error detected: Value null at '{path}.{index + 1}.member.name' "
            "failed to satisfy constraint: Member must not be null"
        )
    return str(name)


def _custom_row(entry: Mapping[str, Any], name: str) -> SchemaAttribute:
    data_type = entry.get("AttributeDataType")
    if data_type is None:
        raise InvalidParameterException(
            "Invalid AttributeDataType input, consider using the provided AttributeDataType enum."
        )
    if entry.get("Required", False):
        raise InvalidParameterException("Required custom attributes are not supported currently.")
    row = SchemaAttribute(
        name=name,
        is_custom=True,
        attribute_data_type=data_type,
        developer_only=entry.get("DeveloperOnlyAttribute", False),
        mutable=entry.get("Mutable", True),
        required=False,
    )
    _apply_constraints(row, entry)
    return row


def _standard_row(attribute: StandardAttribute, entry: Mapping[str, Any] | None) -> SchemaAttribute:
    row = SchemaAttribute(
        name=attribute.name,
        is_custom=False,
        attribute_data_type=attribute.data_type,
        developer_only=False,
        mutable=attribute.mutable,
        required=attribute.required,
        min_length=attribute.min_length,
        max_length=attribute.max_length,
        min_value=attribute.min_value,
    )
    if entry is None:
        return row
    data_type = entry.get("AttributeDataType")
    if (data_type is not None and data_type != attribute.data_type) or entry.get(
        "DeveloperOnlyAttribute", False
    ):
        raise InvalidParameterException(
            "You can not change AttributeDataType or set developerOnlyAttribute for standard "
            f"schema attribute {attribute.name}"
        )
    row.mutable = entry.get("Mutable", attribute.mutable)
    row.required = entry.get("Required", attribute.required)
    if attribute.name == "sub" and (row.mutable or not row.required):
        raise InvalidParameterException("The sub attribute is always required and immutable.")
    _apply_constraints(row, entry)
    return row


def _check_new_custom_names(rows: Sequence[SchemaAttribute], taken: set[str]) -> None:
    for row in rows:
        if row.name in taken:
            raise InvalidParameterException(
                f"custom:{row.name}: Existing attribute already has name {row.full_name}."
            )
        taken.add(row.name)


def schema_attributes_build(*, schema: Sequence[Mapping[str, Any]]) -> list[SchemaAttribute]:
    """CreateUserPool's rows, unsaved: every standard attribute (with the overrides `schema` gives
    for them) in Cognito's order, then the custom attributes in the order given."""
    overrides: dict[str, Mapping[str, Any]] = {}
    custom: list[SchemaAttribute] = []
    for index, entry in enumerate(schema):
        name = _name_of(entry, index, "schema")
        if name in STANDARD_ATTRIBUTE_NAMES:
            if name in overrides:
                raise InvalidParameterException(f"Duplicate schema attribute {name}.")
            overrides[name] = entry
        else:
            custom.append(_custom_row(entry, name))
    _check_new_custom_names(custom, set())
    standard = [_standard_row(a, overrides.get(a.name)) for a in STANDARD_ATTRIBUTES]
    return standard + custom


def custom_attributes_build(
    *, pool: UserPool, attributes: Sequence[Mapping[str, Any]]
) -> list[SchemaAttribute]:
    """AddCustomAttributes' rows, unsaved and attached to `pool`. Every entry is custom here, even
    one named like a standard attribute: AddCustomAttributes only ever adds `custom:` names."""
    rows = [
        _custom_row(entry, _name_of(entry, index, "customAttributes"))
        for index, entry in enumerate(attributes)
    ]
    existing = set(
        SchemaAttribute.objects.filter(pool=pool, is_custom=True).values_list("name", flat=True)
    )
    _check_new_custom_names(rows, set(existing))
    if len(existing) + len(rows) > MAX_CUSTOM_ATTRIBUTES:
        raise LimitExceededException(
            f"A user pool can have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes; "
            f"this one has {len(existing)}."
        )
    for row in rows:
        row.pool = pool
    return rows
