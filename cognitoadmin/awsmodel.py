"""Input validation driven by botocore's service models, answering as the AWS services do.

botocore validates only minimum lengths client-side; the server is where lengths, ranges,
patterns and enums are enforced. Messages follow AWS's form ("1 validation error detected:
Value ... at 'member' failed to satisfy constraint: ..."), so a client sees the member it got wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

import botocore.session
import regex
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from cognitoadmin.errors import InvalidParameterException, ServiceError


class SerializationException(ServiceError):
    aws_type = "SerializationException"


_INTEGER_BITS = {"integer": 32, "long": 64}


@cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


@cache
def _pattern(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern, regex.DOTALL)


def is_unsigned(operation: OperationModel) -> bool:
    """botocore sends an operation unsigned when its model says `authtype: none` / smithy noAuth."""
    return operation.auth_type == "none"


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 256 else f"'{value[:256]}...'"
    return f"'{value}'" if not isinstance(value, dict | list) else "'<value>'"


class _Validator:
    def __init__(self, relaxed_patterns: frozenset[str] = frozenset()) -> None:
        self.errors: list[str] = []
        self.relaxed_paths = frozenset(_camel(name) for name in relaxed_patterns)

    def fail(self, value: Any, path: str, constraint: str, *, sensitive: bool = False) -> None:
        # AWS never echoes a sensitive member (passwords, tokens, usernames) in an error.
        subject = "Value" if sensitive else f"Value {_describe(value)}"
        self.errors.append(f"{subject} at '{path}' failed to satisfy constraint: {constraint}")

    def check(self, shape: Shape, value: Any, path: str) -> Any:  # noqa: PLR0911, PLR0912, PLR0915
        kind = shape.type_name
        if shape.metadata.get("document"):
            # A document (CompleteWebAuthnRegistration's Credential) is any JSON value, kept
            # whole: the service reads its structure, which the model leaves open.
            return value
        if isinstance(shape, StructureShape):
            if not isinstance(value, dict):
                raise SerializationException(f"Expected an object at '{path or 'input'}'.")
            out: dict[str, Any] = {}
            for name in shape.required_members:
                if value.get(name) is None:
                    self.fail(None, self._join(path, name), "Member must not be null")
            for name, member in shape.members.items():
                if name in value and value[name] is not None:
                    out[name] = self.check(member, value[name], self._join(path, name))
            return out
        if isinstance(shape, ListShape):
            if not isinstance(value, list):
                raise SerializationException(f"Expected a list at '{path}'.")
            self._length(shape, value, path, "Member must have length")
            return [
                self.check(shape.member, v, f"{path}.{i + 1}.member") for i, v in enumerate(value)
            ]
        if isinstance(shape, MapShape):
            if not isinstance(value, dict):
                raise SerializationException(f"Expected a map at '{path}'.")
            self._length(shape, value, path, "Member must have length")
            # A null value is an entry left out, as a null member is (amazon-cognito-identity-js
            # sends `DEVICE_KEY: null` in ChallengeResponses when it has no device).
            return {
                self.check(shape.key, k, f"{path}.{k}.key"): self.check(
                    shape.value, v, f"{path}.{k}.value"
                )
                for k, v in value.items()
                if v is not None
            }
        if kind == "string":
            if not isinstance(value, str):
                raise SerializationException(f"Expected a string at '{path}'.")
            self._length(shape, value, path, "Member must have length")
            sensitive = bool(shape.metadata.get("sensitive"))
            enum = shape.metadata.get("enum")
            if enum and value not in enum:
                self.fail(
                    value,
                    path,
                    f"Member must satisfy enum value set: [{', '.join(enum)}]",
                    sensitive=sensitive,
                )
            pattern = shape.metadata.get("pattern")
            if (
                pattern
                and path not in self.relaxed_paths
                and not _pattern(pattern).fullmatch(value)
            ):
                self.fail(
                    value,
                    path,
                    f"Member must satisfy regular expression pattern: {pattern}",
                    sensitive=sensitive,
                )
            return value
        if kind in {"integer", "long"}:
            if isinstance(value, bool) or not isinstance(value, int):
                raise SerializationException(f"Expected an integer at '{path}'.")
            bits = _INTEGER_BITS[kind]
            if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
                # Smithy's integer is 32-bit and long 64-bit; AWS refuses a number beyond them
                # before any rule sees it, as we must before a database column does.
                raise SerializationException(f"Expected a {bits}-bit integer at '{path}'.")
            low, high = shape.metadata.get("min"), shape.metadata.get("max")
            if low is not None and value < low:
                self.fail(value, path, f"Member must have value greater than or equal to {low}")
            if high is not None and value > high:
                self.fail(value, path, f"Member must have value less than or equal to {high}")
            return value
        if kind == "boolean":
            if not isinstance(value, bool):
                raise SerializationException(f"Expected a boolean at '{path}'.")
            return value
        if kind in {"double", "float"}:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SerializationException(f"Expected a number at '{path}'.")
            return value
        if kind == "timestamp":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SerializationException(f"Expected epoch seconds at '{path}'.")
            try:
                return dt.datetime.fromtimestamp(value, tz=dt.UTC)
            except (OverflowError, OSError, ValueError):
                # NaN, or seconds beyond the years a datetime holds (1e300).
                raise SerializationException(
                    f"Expected epoch seconds within years 1 to 9999 at '{path}'."
                ) from None
        # blobs travel base64-encoded; handlers decode the few that exist.
        if kind == "blob" and not isinstance(value, str):
            raise SerializationException(f"Expected a base64 string at '{path}'.")
        return value

    def _length(self, shape: Shape, value: Any, path: str, label: str) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        sensitive = bool(shape.metadata.get("sensitive"))
        if low is not None and len(value) < low:
            self.fail(value, path, f"{label} greater than or equal to {low}", sensitive=sensitive)
        if high is not None and len(value) > high:
            self.fail(value, path, f"{label} less than or equal to {high}", sensitive=sensitive)

    @staticmethod
    def _join(path: str, name: str) -> str:
        return f"{path}.{_camel(name)}" if path else _camel(name)


def validate_input(
    operation: OperationModel, params: Any, *, relaxed_patterns: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Check `params` against the operation's input shape; return them with members typed.

    Unknown members are dropped (newer SDKs send fields older models don't know).
    `relaxed_patterns` names top-level members whose model pattern Cognito itself does not
    enforce; the service checks them instead.
    """
    shape = operation.input_shape
    if shape is None:
        return {}
    validator = _Validator(relaxed_patterns)
    checked: dict[str, Any] = validator.check(shape, params, "")
    if validator.errors:
        count = len(validator.errors)
        noun = "error" if count == 1 else "errors"
        raise InvalidParameterException(
            f"{count} validation {noun} detected: " + "; ".join(validator.errors)
        )
    return checked


# The operation whose whole input the AWS endpoint has checked, while it serves that call.
_checked_call: ContextVar[tuple[str, str] | None] = ContextVar("checked_call", default=None)


@contextmanager
def input_checked(service: str, operation: str) -> Iterator[None]:
    """While the endpoint serves a call whose input `validate_input` has checked, the services
    it calls do not check the same operation's members a second time (`model_validate`)."""
    token = _checked_call.set((service, operation))
    try:
        yield
    finally:
        _checked_call.reset(token)


def model_validate(
    operation: str, params: Mapping[str, Any], *, service: str = "cognito-idp"
) -> dict[str, Any]:
    """`params` checked against the input shape of `service`'s `operation`, as a service checks
    what any door hands it (the API, the admin, a task): it returns them with members typed.
    A member whose value is None is one left out, as JSON's null is on the wire.

    Outside the AWS endpoint a member of the wrong JSON type is one more bad parameter
    (InvalidParameterException); the endpoint parses JSON itself and has answered
    SerializationException before any service runs. Within an endpoint call of the same
    operation the members were checked already, and are returned as they are.
    """
    if _checked_call.get() == (service, operation):
        return {name: value for name, value in params.items() if value is not None}
    try:
        return validate_input(service_model(service).operation_model(operation), params)
    except SerializationException as exc:
        raise InvalidParameterException(exc.message) from None


class OutputShapeError(Exception):
    """A handler's result does not fit its operation's output shape: our bug, not the caller's."""


class _OutputChecker:
    """Checks a result against an output shape the way a typed SDK would read it."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def check(self, shape: Shape, value: Any, path: str) -> None:  # noqa: PLR0911, PLR0912
        if shape.metadata.get("document"):
            return  # any JSON value (StartWebAuthnRegistration's CredentialCreationOptions)
        if isinstance(shape, StructureShape):
            if not isinstance(value, dict):
                self._wrong(value, path, "an object")
                return
            for name in shape.required_members:
                if name not in value:
                    self.errors.append(f"{self._join(path, name)}: required member is missing")
            for name, member_value in value.items():
                member = shape.members.get(name)
                if member is None:
                    self.errors.append(f"{self._join(path, name)}: not a member of {shape.name}")
                elif member_value is None:
                    # JSON null is not what AWS sends: absent members are left out.
                    self.errors.append(f"{self._join(path, name)}: null (leave it out instead)")
                else:
                    self.check(member, member_value, self._join(path, name))
            return
        if isinstance(shape, ListShape):
            if not isinstance(value, list | tuple):
                self._wrong(value, path, "a list")
                return
            for index, item in enumerate(value):
                self.check(shape.member, item, f"{path}[{index}]")
            return
        if isinstance(shape, MapShape):
            if not isinstance(value, dict):
                self._wrong(value, path, "a map")
                return
            for key, item in value.items():
                self.check(shape.key, key, f"{path}(key {key!r})")
                self.check(shape.value, item, f"{path}[{key!r}]")
            return
        kind = shape.type_name
        if kind in {"string", "blob"}:  # blobs travel base64-encoded, as strings
            if not isinstance(value, str):
                self._wrong(value, path, "a string")
                return
            enum = shape.metadata.get("enum")
            if enum and value not in enum:
                self.errors.append(f"{path}: {value!r} is not one of {shape.name} {enum}")
        elif kind in {"integer", "long"}:
            if isinstance(value, bool) or not isinstance(value, int):
                self._wrong(value, path, "an integer")
        elif kind == "boolean":
            if not isinstance(value, bool):
                self._wrong(value, path, "a boolean")
        elif kind in {"double", "float"}:
            if isinstance(value, bool) or not isinstance(value, int | float):
                self._wrong(value, path, "a number")
        elif kind == "timestamp":
            # The endpoint turns aware datetimes into epoch seconds; a naive one has no epoch.
            if not isinstance(value, dt.datetime) or value.tzinfo is None:
                self._wrong(value, path, "an aware datetime")
        else:
            self.errors.append(f"{path}: shape type {kind!r} is not checked here")

    def _wrong(self, value: Any, path: str, expected: str) -> None:
        self.errors.append(f"{path or 'result'}: {type(value).__name__} where {expected} belongs")

    @staticmethod
    def _join(path: str, name: str) -> str:
        return f"{path}.{name}" if path else name


def validate_output(operation: OperationModel, result: Any) -> None:
    """Raise `OutputShapeError` unless `result` uses only the output shape's members, with their
    types and enum values, and every member the shape requires.

    Run on every result when `COGNITOADMIN_AWS_CHECK_OUTPUT` is on (the tests): botocore would
    silently drop a misnamed member, so without this a handler's typo goes unseen.
    """
    shape = operation.output_shape
    checker = _OutputChecker()
    if shape is None:
        if result != {}:
            checker.errors.append("the operation returns nothing, so the result must be {}")
    else:
        checker.check(shape, result, "")
    if checker.errors:
        raise OutputShapeError(f"{operation.name} output: " + "; ".join(checker.errors))
