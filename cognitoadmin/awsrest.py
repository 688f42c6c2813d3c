"""The AWS REST-JSON endpoint (Cognito Sync): routes by method and path, JSON bodies.

botocore's `rest-json` protocol puts an operation's input members where its model says: in the
path (`location: uri`), the query string, headers, or the JSON body; and reads the output the
same way back. This door finds the operation from the request's method and path against each
registered operation's `http.requestUri`, binds the members into the one flat input the JSON door
would hand over, and serves the call with `awsjson.operation_run`: the same registry, guard,
input check, authorization, limiters and output check. Errors travel with the HTTP status that
botocore's model gives the error's shape, the code in `x-amzn-ErrorType`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlsplit

from botocore.model import ListShape, MapShape, OperationModel, Shape
from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from cognitoadmin import views
from cognitoadmin.awsjson import (
    REGISTRY,
    AwsCall,
    Operation,
    UnknownOperationException,
    operation_run,
)
from cognitoadmin.awsmodel import SerializationException, service_model
from cognitoadmin.errors import (
    InvalidParameterException,
    ServiceError,
    as_service_error,
    aws_error_response,
    request_id,
)
from cognitoadmin.jsonbody import json_body_load
from cognitoadmin.requestguard import MESSAGE as NUL_MESSAGE

CONTENT_TYPE = "application/json"
PROTOCOL = "rest-json"
# The botocore rest-json services this server answers for; their paths are routed here.
SERVICES = ("cognito-sync",)
CORS_METHODS = "GET, POST, PUT, DELETE, OPTIONS"

_LABEL = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_INTEGER = re.compile(r"-?[0-9]{1,19}")
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
# What Smithy's integer and long hold: a larger number would fail only later, in the database.
_INTEGER_BITS = {"byte": 7, "short": 15, "integer": 31, "long": 63}
# What an error message repeats of a path the client sent.
_ECHO = 200


class NoRouteException(UnknownOperationException):
    http_status = 404


class MethodNotAllowedException(UnknownOperationException):
    http_status = 405


@dataclass(frozen=True)
class _Route:
    pattern: re.Pattern[str]
    # The labels of the path, in the pattern's group order (group 1 is labels[0]).
    labels: tuple[str, ...]
    # `?name` or `?name=value` in the requestUri: query parameters the request must carry.
    fixed_query: tuple[tuple[str, str | None], ...]
    literal_segments: int


@cache
def _route(service: str, name: str) -> _Route:
    uri: str = service_model(service).operation_model(name).http["requestUri"]
    path, _, query = uri.partition("?")
    parts: list[str] = []
    labels: list[str] = []
    position = 0
    for label in _LABEL.finditer(path):
        parts.append(re.escape(path[position : label.start()]))
        # Segments are matched still percent-encoded, so an encoded '/' stays in its segment.
        parts.append("(.+)" if label.group(2) else "([^/]+)")
        labels.append(label.group(1))
        position = label.end()
    parts.append(re.escape(path[position:]))
    fixed = tuple(
        (key, value if sep else None)
        for key, sep, value in (item.partition("=") for item in query.split("&") if item)
    )
    literal = sum(1 for segment in path.split("/") if segment and "{" not in segment)
    return _Route(re.compile("".join(parts)), tuple(labels), fixed, literal)


def url_pattern() -> str:
    """The paths of the served services, by the first segments of their operations' paths
    (`^(?:identitypools)(?:/|$)`), so that no other route of the site is taken."""
    prefixes = {
        model.operation_model(name).http["requestUri"].partition("?")[0].split("/")[1]
        for model in map(service_model, SERVICES)
        for name in model.operation_names
    }
    return rf"^(?:{'|'.join(map(re.escape, sorted(prefixes)))})(?:/|$)"


def raw_path(request: HttpRequest) -> str:
    """The path as the client sent it, still percent-encoded, where the server tells it: what
    routes match and what SigV4 signed."""
    raw_uri = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")  # gunicorn, uWSGI
    if raw_uri:
        path: str = raw_uri.split("?", 1)[0]
        return path if path.startswith("/") else urlsplit(raw_uri).path
    scope = getattr(request, "scope", None)  # ASGI
    if isinstance(scope, dict) and scope.get("raw_path"):
        raw: bytes = scope["raw_path"]
        return raw.decode("latin-1")
    # A WSGI server decoded the path already: encode it again the way AWS SDKs put it on the
    # wire, every byte but the unreserved ones and '/'. A label's '%2F' (botocore encodes '/'
    # in every label but a greedy one) is a '/' by now, so that path matches no route (404)
    # where it would have failed the label's pattern (400). Nothing else is lost.
    return quote(request.path, safe="/~")


def _decode(text: str, where: str) -> str:
    if _BAD_ESCAPE.search(text):
        raise SerializationException(f"{where} holds a '%' that starts no percent-encoding.")
    try:
        decoded = unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        raise SerializationException(f"{where} is not UTF-8 text.") from None
    if "\x00" in decoded:
        # Valid in a URL, but no text a database column holds (PostgreSQL refuses it).
        raise InvalidParameterException(NUL_MESSAGE)
    return decoded


def _query(request: HttpRequest) -> dict[str, list[str]]:
    """The query string's parameters, decoded strictly, each with its values in order."""
    params: dict[str, list[str]] = {}
    for pair in request.META.get("QUERY_STRING", "").split("&"):
        if pair:
            name, _, value = pair.replace("+", " ").partition("=")
            where = "The query string"
            params.setdefault(_decode(name, where), []).append(_decode(value, where))
    return params


def _resolve(
    request: HttpRequest, query: Mapping[str, list[str]]
) -> tuple[Operation, dict[str, str]]:
    """The operation the request's method and path name, and its path labels (encoded)."""
    path = raw_path(request)
    matches: list[tuple[int, int, Operation, dict[str, str]]] = []
    for op in REGISTRY.values():
        if service_model(op.service).protocol != PROTOCOL:
            continue
        route = _route(op.service, op.name)
        found = route.pattern.fullmatch(path)
        if found is None or not all(
            key in query and (value is None or value in query[key])
            for key, value in route.fixed_query
        ):
            continue
        labels = dict(zip(route.labels, found.groups(), strict=True))
        matches.append((route.literal_segments, len(route.fixed_query), op, labels))
    if not matches:
        raise NoRouteException(f"No operation is served at {_echo(path)}.")
    allowed = [match for match in matches if match[2].model.http["method"] == request.method]
    if not allowed:
        methods = sorted({match[2].model.http["method"] for match in matches})
        raise MethodNotAllowedException(
            f"{request.method} is not served at {_echo(path)} (only {', '.join(methods)})."
        )
    # The most specific route wins: `/pools/{Id}/events` over `/pools/{Id}/{Name}`.
    _, _, op, labels = max(allowed, key=lambda match: (match[0], match[1]))
    return op, labels


def _echo(path: str) -> str:
    return f"'{path}'" if len(path) <= _ECHO else f"'{path[:_ECHO]}...'"


def _integer(shape: Shape, text: str, where: str) -> int:
    bits = _INTEGER_BITS[shape.type_name]
    value = int(text) if _INTEGER.fullmatch(text) else None
    if value is None or not -(2**bits) <= value < 2**bits:
        raise SerializationException(f"Expected an integer at '{where}', not {_echo(text)}.")
    return value


def _timestamp(shape: Shape, text: str, where: str, *, header: bool) -> float:
    # botocore's defaults: HTTP dates in headers, ISO 8601 in the query string.
    form = shape.serialization.get("timestampFormat") or ("rfc822" if header else "iso8601")
    seconds: float | None = None
    try:
        if form == "unixTimestamp":
            seconds = float(text) if _DECIMAL.fullmatch(text) else None
            if seconds is not None:
                # `validate_input` makes a datetime of it, which must exist.
                dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        elif form == "rfc822":
            seconds = parsedate_to_datetime(text).timestamp()
        else:
            moment = dt.datetime.fromisoformat(text)
            seconds = moment.timestamp() if moment.tzinfo else None
    except (TypeError, ValueError, OverflowError, OSError):
        seconds = None
    if seconds is None:
        raise SerializationException(f"Expected a timestamp ({form}) at '{where}'.")
    return seconds


def _scalar(shape: Shape, text: str, where: str, *, header: bool = False) -> Any:
    """`text` read as a value of `shape`, in the form `validate_input` takes (the JSON door's)."""
    kind = shape.type_name
    if kind in _INTEGER_BITS:
        return _integer(shape, text, where)
    if kind == "boolean":
        if text not in {"true", "false"}:
            raise SerializationException(f"Expected true or false at '{where}'.")
        return text == "true"
    if kind in {"double", "float"}:
        number = float(text) if _DECIMAL.fullmatch(text) else math.nan
        if not math.isfinite(number):
            raise SerializationException(f"Expected a finite number at '{where}'.")
        return number
    if kind == "timestamp":
        return _timestamp(shape, text, where, header=header)
    return text


def _from_query(shape: Shape, values: list[str], where: str) -> Any:
    if isinstance(shape, ListShape):
        return [_scalar(shape.member, value, where) for value in values]
    # A name sent twice keeps its first value, as the Query door reads a form.
    return _scalar(shape, values[0], where)


def rest_input(
    op: Operation,
    request: HttpRequest,
    *,
    labels: Mapping[str, str],
    query: Mapping[str, list[str]],
    body: Any,
) -> dict[str, Any]:
    """The flat input a handler takes: each member from where the model puts it on the wire.

    `labels` are the path's labels still percent-encoded, `query` the decoded query string,
    `body` the parsed JSON body. Members the body carries that belong elsewhere are not read
    from it (botocore never sends them there).
    """
    shape = op.model.input_shape
    if shape is None:
        return {}
    if not isinstance(body, dict):
        raise SerializationException("The request body must be a JSON object.")
    claimed = {
        member.serialization.get("name", name)
        for name, member in shape.members.items()
        if member.serialization.get("location") == "querystring"
    }
    params: dict[str, Any] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location is None:
            if name in body:
                params[name] = body[name]
        elif location == "uri" and wire in labels:
            params[name] = _scalar(member, _decode(labels[wire], f"The path's {wire}"), wire)
        elif location == "querystring" and isinstance(member, MapShape):
            # A map in the query string takes every parameter no other member names.
            params[name] = {
                key: _from_query(member.value, values, key)
                for key, values in query.items()
                if key not in claimed
            }
        elif location == "querystring" and wire in query:
            params[name] = _from_query(member, query[wire], wire)
        elif location == "header" and wire in request.headers:
            params[name] = _scalar(member, request.headers[wire], wire, header=True)
    return params


def _body(request: HttpRequest) -> Any:
    raw = request.body
    return json_body_load(raw) if raw.strip() else {}


def _encode(value: Any) -> Any:
    # rest-json bodies carry timestamps as epoch seconds to the millisecond, as JSON 1.1 does.
    if isinstance(value, dt.datetime):
        return round(value.timestamp(), 3)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return http_date(value.timestamp())
    return str(value)


def result_response(model: OperationModel, result: Mapping[str, Any], *, rid: str) -> HttpResponse:
    """The answer AWS sends with `result`: body members as JSON, header members as headers,
    the status from the `statusCode` member or the operation's `responseCode`."""
    status: int = model.http.get("responseCode", 200)
    body: dict[str, Any] = {}
    headers: dict[str, str] = {}
    members = model.output_shape.members if model.output_shape else {}
    for name, value in result.items():
        serialization = members[name].serialization if name in members else {}
        location = serialization.get("location")
        if location == "header":
            headers[serialization.get("name", name)] = _header_value(value)
        elif location == "statusCode":
            status = int(value)
        else:
            body[name] = value
    response = _respond(json.dumps(body, default=_encode).encode("utf-8"), status=status, rid=rid)
    for header, value in headers.items():
        response[header] = value
    return response


@cache
def _modelled_statuses(service: str) -> dict[str, int]:
    """The HTTP status of each error shape of `service` that its model gives one."""
    return {
        shape.name: shape.metadata["error"]["httpStatusCode"]
        for shape in service_model(service).error_shapes
        if "httpStatusCode" in shape.metadata.get("error", {})
    }


def error_response(error: ServiceError, *, service: str | None, rid: str) -> HttpResponse:
    """`error` as a rest-json service sends it: botocore takes the code from `x-amzn-ErrorType`,
    the message from the body's `message`; the status is the model's for the error's shape."""
    status = _modelled_statuses(service).get(error.aws_type) if service else None
    response = aws_error_response(
        error, content_type=CONTENT_TYPE, status=status or error.http_status
    )
    response["x-amzn-RequestId"] = rid
    response["Date"] = http_date()
    return response


def _respond(body: bytes, *, status: int, rid: str) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPE)
    response["x-amzn-RequestId"] = rid
    response["Date"] = http_date()
    return response


def dispatch(request: HttpRequest) -> HttpResponse:
    """Serve one AWS rest-json call, found by its method and path."""
    rid = request_id()
    service: str | None = None
    try:
        query = _query(request)
        op, labels = _resolve(request, query)
        service = op.service
        call = AwsCall(http=request, service=op.service, operation=op.name, request_id=rid)
        result = operation_run(
            op,
            call,
            lambda: rest_input(op, request, labels=labels, query=query, body=_body(request)),
        )
        return result_response(op.model, result, rid=rid)
    except Exception as exc:  # every failure is rendered in AWS's envelope
        return error_response(as_service_error(exc), service=service, rid=rid)


@csrf_exempt
def endpoint(request: HttpRequest) -> HttpResponse:
    """The paths of the rest-json services: preflights answered, everything else dispatched
    (a method no route serves is a 405 in the services' own error form)."""
    if request.method == "OPTIONS":
        return views.cors(request, HttpResponse(status=204), methods=CORS_METHODS)
    return views.cors(request, dispatch(request), methods=CORS_METHODS)
