"""User attributes checked against the pool's schema (SchemaAttribute rows), as Cognito checks them.

`attributes_validate` turns `{"email": "...", "custom:tier": "..."}` into values ready to apply:
keyed by PoolUser column for standard attributes and by full name for custom ones (stored in the
`custom_attributes` JSON column). An empty value means "remove the attribute", as in Cognito.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import regex
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import CharField

from pools.errors import InvalidParameterException, NotAuthorizedException
from pools.models import (
    STANDARD_ATTRIBUTE_COLUMNS,
    AttributeDataType,
    PoolUser,
    SchemaAttribute,
    UserPool,
)
from pools.selectors.pools import schema_attributes

ATTRIBUTE_VALUE_MAX_LENGTH = 2048
VERIFIED_FLAGS = {"email_verified": "email", "phone_number_verified": "phone_number"}
# Cognito accepts only `+<country code><number>`, digits only.
_PHONE = regex.compile(r"\+[0-9]+")
_SCHEMA_ERROR = "Attributes did not conform to the schema: "


def is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def is_phone_number(value: str) -> bool:
    return _PHONE.fullmatch(value) is not None


def _schema_error(name: str, reason: str) -> InvalidParameterException:
    return InvalidParameterException(f"{_SCHEMA_ERROR}{name}: {reason}")


def _immutable_error(name: str) -> InvalidParameterException:
    return InvalidParameterException(
        f"user.{name}: Attribute cannot be updated. (changing an immutable attribute)"
    )


def _column_max_length(column: str) -> int | None:
    field = PoolUser._meta.get_field(column)
    return field.max_length if isinstance(field, CharField) else None


def _typed_value(row: SchemaAttribute, name: str, value: str) -> str:  # noqa: PLR0912
    """`value` checked against the row's type and constraints; returns the value to store."""
    if name == "email" and not is_email(value):
        raise InvalidParameterException("Invalid email address format.")
    if name == "phone_number" and not is_phone_number(value):
        raise InvalidParameterException("Invalid phone number format.")
    data_type = row.attribute_data_type
    if data_type == AttributeDataType.NUMBER:
        try:
            number = int(value)
        except ValueError:
            raise _schema_error(name, "Number must be an integer") from None
        if row.min_value is not None and number < row.min_value:
            raise _schema_error(name, f"Number must be no less than {row.min_value}")
        if row.max_value is not None and number > row.max_value:
            raise _schema_error(name, f"Number must be no greater than {row.max_value}")
    elif data_type == AttributeDataType.BOOLEAN:
        if value.lower() not in {"true", "false"}:
            raise _schema_error(name, "Boolean must be true or false")
        value = value.lower()
    elif data_type == AttributeDataType.DATETIME:
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            raise _schema_error(name, "DateTime must be an ISO 8601 date and time") from None
    else:
        if row.min_length is not None and len(value) < row.min_length:
            raise _schema_error(name, f"String must be no shorter than {row.min_length} characters")
        if row.max_length is not None and len(value) > row.max_length:
            raise _schema_error(name, f"String must be no longer than {row.max_length} characters")
    column = STANDARD_ATTRIBUTE_COLUMNS.get(name)
    limit = _column_max_length(column) if column else None
    if limit is not None and len(value) > limit:
        raise _schema_error(name, f"String must be no longer than {limit} characters")
    return value


def _checked(
    *,
    schema: Mapping[str, SchemaAttribute],
    name: str,
    value: str,
    index: int,
    creating: bool,
    admin: bool,
) -> tuple[str, Any]:
    """One attribute checked; returns the column (or custom name) and the value to store there."""
    if len(value) > ATTRIBUTE_VALUE_MAX_LENGTH:
        raise InvalidParameterException(
            "1 validation error detected: Value at "
            f"'userAttributes.{index}.member.value' failed to satisfy constraint: "
            f"Member must have length less than or equal to {ATTRIBUTE_VALUE_MAX_LENGTH}"
        )
    if name == "sub":
        raise _immutable_error(name)
    if name in VERIFIED_FLAGS:
        if not admin:
            raise NotAuthorizedException("A client attempted to write unauthorized attribute")
        if value.lower() not in {"true", "false", ""}:
            raise _schema_error(name, "Value must be true or false")
        return name, None if value == "" else value.lower() == "true"
    row = schema.get(name)
    if row is None:
        if creating:
            raise InvalidParameterException(
                f"{_SCHEMA_ERROR}Type for attribute {{{name}}} could not be determined"
            )
        raise InvalidParameterException(f"user.{name}: Attribute does not exist in the schema.")
    if row.developer_only and not admin:
        raise NotAuthorizedException("A client attempted to write unauthorized attribute")
    if not creating and not row.mutable:
        raise _immutable_error(name)
    column = STANDARD_ATTRIBUTE_COLUMNS.get(name)
    if value == "":
        if not creating and row.required:
            raise _schema_error(name, "The attribute is required")
        return (column, "") if column else (name, None)
    return column or name, _typed_value(row, name, value)


def attributes_validate(
    *,
    pool: UserPool,
    attributes: Mapping[str, str],
    creating: bool,
    admin: bool,
    check_required: bool = True,
) -> dict[str, Any]:
    """Check attributes for a new user (`creating`) or an update; return values to apply.

    `admin` callers (Admin* operations, the management API) may set `email_verified`,
    `phone_number_verified` and developer-only attributes. `check_required` applies at creation
    only; AdminCreateUser turns it off, since Cognito lets administrators skip required attributes.
    """
    schema = schema_attributes(pool=pool)
    values: dict[str, Any] = dict(
        _checked(schema=schema, name=name, value=value, index=index, creating=creating, admin=admin)
        for index, (name, value) in enumerate(attributes.items(), start=1)
    )
    if creating and check_required:
        missing = [
            row.full_name
            for row in schema.values()
            if row.required and row.full_name != "sub" and not attributes.get(row.full_name)
        ]
        if missing:
            raise InvalidParameterException(
                _SCHEMA_ERROR + " ".join(f"{n}: The attribute is required" for n in missing)
            )
    return values


def attributes_known_check(*, pool: UserPool, names: Sequence[str]) -> None:
    """A deletion names every attribute the schema lacks, each on its own line, in the words moto
    reproduces for AdminDeleteUserAttributes (test_admin_delete_user_attributes_non_existing_
    attribute), and deletes none of the others."""
    schema = schema_attributes(pool=pool)
    unknown = [n for n in dict.fromkeys(names) if n not in schema and n not in VERIFIED_FLAGS]
    if unknown:
        raise InvalidParameterException(
            "Invalid user attributes: "
            + "".join(f"user.{name}: Attribute does not exist in the schema.\n" for name in unknown)
        )


def attributes_apply(*, user: PoolUser, values: Mapping[str, Any]) -> list[str]:
    """Set `values` from `attributes_validate` on `user`, unsaved; returns the changed fields."""
    fields: list[str] = []
    for key, value in values.items():
        if key in STANDARD_ATTRIBUTE_COLUMNS.values():
            setattr(user, key, value)
            fields.append(key)
        elif value is None:
            user.custom_attributes.pop(key, None)
        else:
            user.custom_attributes[key] = value
    if any(key not in STANDARD_ATTRIBUTE_COLUMNS.values() for key in values):
        fields.append("custom_attributes")
    return fields
