"""The AWS Query endpoint (IAM, STS): form fields in, XML out.

botocore's `query` protocol posts `Action`, `Version` and the input flattened into form fields
(`Tags.member.1.Key=...`), and reads XML wrapped in `<{Action}Response>`. This door reads the
fields back into the nested input the operation's shape describes and serves the call with
`awsjson.operation_run`: the same registry, guard, input check, authorization, limiters and output
check as the JSON 1.1 door; only the wire differs. Errors travel with the code and status that
botocore's model gives the error's shape, or with the Query protocol's common codes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import unquote_to_bytes

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date

from cognitoadmin.awsjson import REGISTRY, AwsCall, Operation, operation_run
from cognitoadmin.awsmodel import SerializationException, service_model
from cognitoadmin.errors import (
    InvalidParameterException,
    ServiceError,
    as_service_error,
    request_id,
)
from cognitoadmin.requestguard import MESSAGE as NUL_MESSAGE

CONTENT_TYPE = "text/xml"
PROTOCOL = "query"
# AWS answers faults met before it knows the operation (InvalidAction) in this namespace.
FAULT_NAMESPACE = "http://webservices.amazon.com/AWSFault/2005-15-09"
# What AWS names the version of a request that sends none.
NO_VERSION = "NO_VERSION_SPECIFIED"
# Django's own cap on form fields (DATA_UPLOAD_MAX_NUMBER_FIELDS); no IAM or STS input needs
# near as many.
MAX_FIELDS = 1000
# The deepest IAM or STS field name has 7 parts (AcquireRole's
# `ReplacementValues.entry.1.value.Values.member.1`); the limit also bounds the reading's recursion.
MAX_NAME_PARTS = 16

# A list position: 1, 2, 3, ... without leading zeros, and never beyond what MAX_FIELDS allows.
_INDEX = re.compile(rf"[1-9][0-9]{{0,{len(str(MAX_FIELDS)) - 1}}}")
_INTEGER = re.compile(r"-?[0-9]{1,19}")
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_CREDENTIAL = re.compile(r"Credential=([^,\s]*)")
# Characters XML 1.0 cannot carry, not even as references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# Errors the services raise under names the Query protocol spells otherwise.
_COMMON_CODES: dict[str, tuple[str, int]] = {
    "InvalidParameterException": ("ValidationError", 400),
    "SerializationException": ("ValidationError", 400),
    "AccessDeniedException": ("AccessDenied", 403),
    "UnrecognizedClientException": ("InvalidClientTokenId", 403),
    "InvalidSignatureException": ("SignatureDoesNotMatch", 403),
    "IncompleteSignatureException": ("IncompleteSignature", 400),
    "MissingAuthenticationTokenException": ("MissingAuthenticationToken", 403),
    "ExpiredTokenException": ("ExpiredToken", 400),
    "InternalErrorException": ("InternalFailure", 500),
    "TooManyRequestsException": ("Throttling", 400),
}


class InvalidActionException(ServiceError):
    aws_type = "InvalidAction"


class InvalidQueryParameterException(ServiceError):
    """The body is no form AWS could read: AWS's code for a malformed query string."""

    aws_type = "InvalidQueryParameter"


def _quoted(text: str) -> str:
    # Error messages name what was sent, never more of it than a reader needs.
    return f"'{text}'" if len(text) <= 64 else f"'{text[:64]}...'"


def _decode(raw: bytes) -> str:
    if _BAD_ESCAPE.search(raw):
        raise InvalidQueryParameterException(
            "The request body holds a '%' that starts no percent-encoding."
        )
    try:
        text = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidQueryParameterException("The request body is not UTF-8 text.") from None
    if "\x00" in text:
        # Valid in a form, but no text a database column holds (PostgreSQL refuses it).
        raise InvalidParameterException(NUL_MESSAGE)
    return text


def form_fields(body: bytes) -> dict[str, str]:
    """The fields of a form-encoded body, decoded strictly (percent-encoding, UTF-8, no NUL).

    A name sent twice keeps its first value, as AWS reads it.
    """
    pairs = [pair for pair in body.split(b"&") if pair]
    if len(pairs) > MAX_FIELDS:
        raise InvalidQueryParameterException(
            f"The request has {len(pairs)} parameters; at most {MAX_FIELDS} are allowed."
        )
    fields: dict[str, str] = {}
    for pair in pairs:
        name, _, value = pair.partition(b"=")
        fields.setdefault(_decode(name), _decode(value))
    return fields


def _scope_service(request: HttpRequest) -> str | None:
    """The service the request's SigV4 credential scope names, unverified (the guard checks)."""
    match = _CREDENTIAL.search(request.headers.get("Authorization", ""))
    scope = match.group(1).split("/") if match else []
    return scope[3] if len(scope) == 5 else None


def _resolve(request: HttpRequest, fields: Mapping[str, str]) -> Operation:
    action = fields.get("Action", "")
    version = fields.get("Version")
    found = [
        op
        for op in REGISTRY.values()
        if op.name == action and service_model(op.service).protocol == PROTOCOL
    ]
    if len(found) > 1:
        # Services that share an Action name: the one the request is signed for is meant; an
        # unsigned request names it by its API version.
        scope = _scope_service(request)
        found = [
            op
            for op in found
            if (op.service == scope if scope else service_model(op.service).api_version == version)
        ]
    if len(found) != 1 or service_model(found[0].service).api_version != version:
        raise InvalidActionException(
            f"Could not find operation {action} for version "
            f"{NO_VERSION if version is None else version}"
        )
    return found[0]


@dataclass
class _Field:
    """One part of the field names, as a tree: `Tags.member.1.Key` is four levels down."""

    value: str | None = None
    parts: dict[str, _Field] = field(default_factory=dict)


def _tree(fields: Mapping[str, str]) -> _Field:
    root = _Field()
    for name, value in fields.items():
        if name.count(".") >= MAX_NAME_PARTS:
            raise InvalidQueryParameterException(
                f"Parameter {_quoted(name)} has more than {MAX_NAME_PARTS} parts."
            )
        node = root
        for part in name.split("."):
            node = node.parts.setdefault(part, _Field())
        node.value = value
    return root


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _member_name(shape: Shape, name: str) -> str:
    """The name a structure member travels under (botocore's, both ways)."""
    if isinstance(shape, ListShape) and shape.serialization.get("flattened"):
        item_name: str | None = shape.member.serialization.get("name")
        if item_name:
            return item_name
    serialized: str = shape.serialization.get("name", name)
    return serialized


def _numbered(holder: _Field, prefix: str) -> list[_Field]:
    """The members of a list (or entries of a map) in order; their numbers must run 1..n."""
    items: dict[int, _Field] = {}
    for part, item in holder.parts.items():
        if not _INDEX.fullmatch(part):
            raise InvalidQueryParameterException(
                f"Members of '{prefix}' are numbered 1, 2, 3, ...: {_quoted(part)} is not one."
            )
        items[int(part)] = item
    if max(items) != len(items):
        missing = min(set(range(1, len(items) + 1)) - items.keys())
        raise InvalidQueryParameterException(
            f"Members of '{prefix}' are numbered from 1 without gaps: '{prefix}.{missing}' "
            "is missing."
        )
    return [items[index] for index in range(1, len(items) + 1)]


def _collection(node: _Field, holder: _Field | None, name: str, kind: str) -> _Field | None:
    """Where the members of a list or map are, or None if it is absent; raises for a scalar."""
    if holder is not None and holder.parts:
        return holder
    if node.value is None or node.value == "":
        return None
    raise SerializationException(f"Expected a {kind} at '{name}'.")


def _read(shape: Shape, node: _Field, name: str) -> Any:
    """What `node` holds as a value of `shape` (None: nothing); `name` is its field name."""
    if isinstance(shape, StructureShape):
        if not node.parts:
            if node.value is None:
                return None
            raise SerializationException(f"Expected a structure at '{name}'.")
        out: dict[str, Any] = {}
        for member_name, member in shape.members.items():
            wire_name = _member_name(member, member_name)
            child = node.parts.get(wire_name)
            if child is not None:
                value = _read(member, child, _join(name, wire_name))
                if value is not None:
                    out[member_name] = value
        return out
    if isinstance(shape, ListShape):
        flattened = shape.serialization.get("flattened")
        item_name = "" if flattened else shape.member.serialization.get("name", "member")
        prefix = _join(name, item_name) if item_name else name
        items = _collection(node, node if flattened else node.parts.get(item_name), name, "list")
        if items is None:
            # botocore sends an empty list as `Name=`.
            return [] if node.value == "" else None
        return [
            _read(shape.member, item, f"{prefix}.{index}")
            for index, item in enumerate(_numbered(items, prefix), 1)
        ]
    if isinstance(shape, MapShape):
        return _read_map(shape, node, name)
    return _scalar(shape, node.value, name)


def _read_map(shape: MapShape, node: _Field, name: str) -> dict[str, Any] | None:
    flattened = shape.serialization.get("flattened")
    prefix = name if flattened else _join(name, "entry")
    entries = _collection(node, node if flattened else node.parts.get("entry"), name, "map")
    if entries is None:
        return {} if node.value == "" else None
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    out: dict[str, Any] = {}
    for index, entry in enumerate(_numbered(entries, prefix), 1):
        where = f"{prefix}.{index}"
        key_node, value_node = entry.parts.get(key_name), entry.parts.get(value_name)
        key = _read(shape.key, key_node, f"{where}.{key_name}") if key_node else None
        if not isinstance(key, str) or value_node is None:
            raise SerializationException(
                f"Expected '{where}.{key_name}' and '{where}.{value_name}'."
            )
        # As with a field sent twice, the first entry of a key counts.
        out.setdefault(key, _read(shape.value, value_node, f"{where}.{value_name}"))
    return out


def _scalar(shape: Shape, text: str | None, name: str) -> Any:
    if text is None:
        return None
    kind = shape.type_name
    if kind in {"integer", "long"}:
        if not _INTEGER.fullmatch(text):
            raise SerializationException(f"Expected an integer at '{name}'.")
        return int(text)
    if kind == "boolean":
        if text not in {"true", "false"}:
            raise SerializationException(f"Expected true or false at '{name}'.")
        return text == "true"
    if kind in {"double", "float"}:
        number = float(text) if _DECIMAL.fullmatch(text) else math.nan
        if not math.isfinite(number):
            raise SerializationException(f"Expected a finite number at '{name}'.")
        return number
    if kind == "timestamp":
        return _epoch_seconds(text, name)
    # Strings; and blobs, which stay base64 text as on the JSON door.
    return text


def _epoch_seconds(text: str, name: str) -> float:
    """An ISO 8601 time as epoch seconds, the form `validate_input` takes (the JSON door's)."""
    try:
        moment = dt.datetime.fromisoformat(text)
        # A time without its offset names no instant; one out of datetime's range none either.
        seconds = moment.astimezone(dt.UTC).timestamp() if moment.tzinfo else None
    except (ValueError, OverflowError):
        seconds = None
    if seconds is None:
        raise SerializationException(f"Expected an ISO 8601 timestamp with its offset at '{name}'.")
    return seconds


def form_input(operation: OperationModel, fields: Mapping[str, str]) -> dict[str, Any]:
    """The input `fields` carry for `operation`, nested as its input shape says, for
    `validate_input`. Fields the shape does not name are left out."""
    shape = operation.input_shape
    if shape is None:
        return {}
    params: dict[str, Any] = _read(shape, _tree(fields), "") or {}
    return params


def _text(value: str) -> str:
    # A carriage return is escaped, since XML parsers turn a literal one into a line feed.
    escaped = _NOT_XML.sub("\ufffd", value)
    return (
        escaped.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\r", "&#13;")
    )


def _element(name: str, content: str) -> str:
    return f"<{name}>{content}</{name}>"


def _timestamp(moment: dt.datetime) -> str:
    utc = moment.astimezone(dt.UTC)
    if utc.microsecond:
        return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"
    return f"{utc:%Y-%m-%dT%H:%M:%SZ}"


def _entries(shape: MapShape, value: Mapping[str, Any]) -> list[str]:
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    return [
        _element(key_name, _xml(shape.key, key)) + _element(value_name, _xml(shape.value, item))
        for key, item in value.items()
    ]


def _member_xml(shape: Shape, name: str, value: Any) -> str:
    wire_name = _member_name(shape, name)
    if shape.serialization.get("flattened"):
        if isinstance(shape, ListShape):
            return "".join(_element(wire_name, _xml(shape.member, item)) for item in value)
        if isinstance(shape, MapShape):
            return "".join(_element(wire_name, entry) for entry in _entries(shape, value))
    return _element(wire_name, _xml(shape, value))


def _xml(shape: Shape, value: Any) -> str:
    """The content of the element that carries `value`."""
    if isinstance(shape, StructureShape):
        return "".join(
            _member_xml(member, name, value[name])
            for name, member in shape.members.items()
            if value.get(name) is not None
        )
    if isinstance(shape, ListShape):
        item_name = shape.member.serialization.get("name", "member")
        return "".join(_element(item_name, _xml(shape.member, item)) for item in value)
    if isinstance(shape, MapShape):
        return "".join(_element("entry", entry) for entry in _entries(shape, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return _timestamp(value)
    return _text(str(value))


def result_xml(operation: OperationModel, result: Mapping[str, Any], *, rid: str) -> str:
    """The document AWS answers `operation` with: the result in the output shape's wrapper,
    then the request id."""
    shape = operation.output_shape
    content = ""
    if shape is not None:
        content = _xml(shape, result)
        wrapper = shape.serialization.get("resultWrapper")
        if wrapper:
            content = _element(wrapper, content)
    root = f"{operation.name}Response"
    metadata = _element("ResponseMetadata", _element("RequestId", _text(rid)))
    namespace = _text(operation.metadata["xmlNamespace"])
    return f'<{root} xmlns="{namespace}">{content}{metadata}</{root}>'


@cache
def _modelled_codes(service: str) -> dict[str, tuple[str, int | None]]:
    """Each error shape of `service`, by its name and by its wire code: code and status."""
    by_code: dict[str, tuple[str, int | None]] = {}
    by_name: dict[str, tuple[str, int | None]] = {}
    for shape in service_model(service).error_shapes:
        wire = shape.metadata.get("error", {})
        code: str = wire.get("code", shape.name)
        by_name[shape.name] = by_code[code] = (code, wire.get("httpStatusCode"))
    return by_code | by_name


def error_wire(error: ServiceError, *, service: str | None) -> tuple[str, int]:
    """The code and HTTP status `error` travels with on `service`'s Query wire (None: a fault
    met before the service is known)."""
    modelled = _modelled_codes(service).get(error.aws_type) if service else None
    if modelled is not None:
        code, status = modelled
        return code, status or error.http_status
    return _COMMON_CODES.get(error.aws_type, (error.aws_type, error.http_status))


def error_xml(error: ServiceError, *, service: str | None, rid: str) -> tuple[str, int]:
    """The ErrorResponse document for `error`, and its HTTP status."""
    code, status = error_wire(error, service=service)
    namespace = service_model(service).metadata["xmlNamespace"] if service else FAULT_NAMESPACE
    detail = (
        _element("Type", "Receiver" if status >= 500 else "Sender")
        + _element("Code", _text(code))
        + _element("Message", _text(error.message))
    )
    document = (
        f'<ErrorResponse xmlns="{_text(namespace)}">'
        f"{_element('Error', detail)}{_element('RequestId', _text(rid))}</ErrorResponse>"
    )
    return document, status


def _respond(document: str, *, status: int, rid: str) -> HttpResponse:
    response = HttpResponse(document.encode("utf-8"), status=status, content_type=CONTENT_TYPE)
    response["x-amzn-RequestId"] = rid
    response["Date"] = http_date()
    return response


def dispatch(request: HttpRequest) -> HttpResponse:
    """Serve one AWS Query call (a form POST with Action and Version)."""
    rid = request_id()
    service: str | None = None
    try:
        fields = form_fields(request.body)
        op = _resolve(request, fields)
        service = op.service
        call = AwsCall(http=request, service=op.service, operation=op.name, request_id=rid)
        result = operation_run(op, call, lambda: form_input(op.model, fields))
        document = result_xml(op.model, result, rid=rid)
    except Exception as exc:  # every failure is rendered in AWS's envelope
        document, status = error_xml(as_service_error(exc), service=service, rid=rid)
        return _respond(document, status=status, rid=rid)
    return _respond(document, status=200, rid=rid)
