"""The AWS JSON 1.1 endpoint: one view, one registry of operations, one error envelope.

Each app's `aws.py` registers handlers with `@operation("Name", service=...)`; a signed operation
declares there the Django permission its IAM action (`<service>:<Name>`) needs and the resource it
acts on. The view finds the handler from `X-Amz-Target`, has the registered `Guard` authenticate
the operations botocore signs, checks the body against botocore's input shape, asks
`cognitoadmin.authorization` whether the caller may, and renders results and `ServiceError`s the
way AWS does. This module knows no app: the app that keeps the credentials registers the guard.
`operation_run` is what every AWS door shares; the Query door (`awsquery`) serves IAM and STS
through it, from the same registry.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.model import OperationModel
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date

from cognitoadmin.authorization import ACCOUNT, Caller, action_declare, authorize
from cognitoadmin.awsmodel import (
    input_checked,
    is_unsigned,
    service_model,
    validate_input,
    validate_output,
)
from cognitoadmin.errors import ServiceError, as_service_error, aws_error_response, request_id
from cognitoadmin.jsonbody import json_body_load
from cognitoadmin.ratelimits import client_ip
from cognitoadmin.regions import in_region

CONTENT_TYPE = "application/x-amz-json-1.1"

# X-Amz-Target prefix -> botocore service name (also the SigV4 service name).
TARGET_PREFIXES = {
    "AWSCognitoIdentityProviderService": "cognito-idp",
    "AWSCognitoIdentityService": "cognito-identity",
}


class UnknownOperationException(ServiceError):
    aws_type = "UnknownOperationException"
    default_message = "Unknown operation."


class Guard(Protocol):
    """Lets signed calls in: says who signed a request, or raises the AWS error for it."""

    def authenticate(self, request: HttpRequest, *, service: str) -> Caller: ...


_guards: list[Guard] = []


def guard_register(guard: Guard) -> None:
    """Install the guard of signed operations (once, from the app that keeps the credentials)."""
    if _guards:
        raise RuntimeError("A guard is registered already.")
    _guards.append(guard)


def _guard() -> Guard:
    if not _guards:
        # Fail closed: without a guard no signed operation runs.
        raise RuntimeError("No guard is registered for signed AWS operations.")
    return _guards[0]


@dataclass
class AwsCall:
    """What a handler knows about the call besides its validated input."""

    http: HttpRequest
    service: str
    operation: str
    request_id: str
    # Who signed the call, as the guard tells it; None for unsigned operations.
    caller: Caller | None = None

    @property
    def client_ip(self) -> str:
        """The caller's address (behind COGNITOADMIN_TRUSTED_PROXY_COUNT proxies, theirs)."""
        return client_ip(self.http)


Handler = Callable[[AwsCall, dict[str, Any]], dict[str, Any]]
# The ARN a call acts on, from its checked input; or one string for every call (`ACCOUNT`).
Resource = str | Callable[[Mapping[str, Any]], str]
# Runs before every handler with its checked input, and raises to refuse the call (rate limits).
Limiter = Callable[[AwsCall, dict[str, Any]], None]
_limiters: list[Limiter] = []


def limiter_register(limiter: Limiter) -> None:
    """Install a check that every call passes before its handler runs (from the app that
    keeps the limits)."""
    _limiters.append(limiter)


@dataclass(frozen=True)
class Operation:
    service: str
    name: str
    handler: Handler
    model: OperationModel = field(repr=False)
    relaxed_patterns: frozenset[str] = frozenset()
    # Signed operations only: the IAM action and what it acts on.
    action: str | None = None
    resource: Resource | None = None

    @property
    def signed(self) -> bool:
        return not is_unsigned(self.model)

    def resource_of(self, params: Mapping[str, Any]) -> str:
        if callable(self.resource):
            return self.resource(params)
        return self.resource or ACCOUNT


REGISTRY: dict[tuple[str, str], Operation] = {}


def operation(
    name: str,
    *,
    service: str = "cognito-idp",
    permission: str | None = None,
    resource: Resource | None = None,
    relaxed_patterns: Iterable[str] = (),
) -> Callable[[Handler], Handler]:
    """Register `handler` for `service`'s operation `name`; botocore's model must know it.

    A signed operation declares the Django `permission` an operator needs for its IAM action and
    the `resource` it acts on; an unsigned one (authorised by its own tokens) declares neither.
    `relaxed_patterns`: top-level input members whose model pattern the real service does not
    enforce (e.g. CreateUserPoolDomain's Domain, a full host name for a custom domain).
    """
    model = service_model(service).operation_model(name)
    relaxed = frozenset(relaxed_patterns)
    unknown = relaxed - set(model.input_shape.members if model.input_shape else ())
    if unknown:
        raise RuntimeError(f"{service}.{name} has no members {sorted(unknown)} to relax.")
    signed = not is_unsigned(model)
    if signed != (permission is not None) or signed != (resource is not None):
        raise RuntimeError(
            f"{service}.{name} is {'signed' if signed else 'unsigned'}: a signed operation "
            "declares its permission and resource, an unsigned one neither."
        )

    def register(handler: Handler) -> Handler:
        key = (service, name)
        if key in REGISTRY:
            raise RuntimeError(f"{service}.{name} is registered twice.")
        action = action_declare(f"{service}:{name}", permission=permission) if permission else None
        REGISTRY[key] = Operation(
            service=service,
            name=name,
            handler=handler,
            model=model,
            relaxed_patterns=relaxed,
            action=action.name if action else None,
            resource=resource,
        )
        return handler

    return register


def _encode(value: Any) -> Any:
    # JSON 1.1 timestamps are epoch seconds as numbers (botocore and Amplify both expect that),
    # to the millisecond as AWS sends them.
    if isinstance(value, dt.datetime):
        return round(value.timestamp(), 3)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _respond(body: bytes, *, status: int, rid: str) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPE)
    response["x-amzn-RequestId"] = rid
    response["Date"] = http_date()
    return response


def _resolve(request: HttpRequest) -> Operation:
    target = request.headers.get("X-Amz-Target", "")
    prefix, _, name = target.partition(".")
    service = TARGET_PREFIXES.get(prefix)
    found = REGISTRY.get((service, name)) if service else None
    if found is None:
        raise UnknownOperationException(
            f"Operation {target} is not supported." if target else "Missing X-Amz-Target header."
        )
    return found


def _parse_body(request: HttpRequest) -> Any:
    raw = request.body
    if not raw.strip():
        return {}
    return json_body_load(raw)


def operation_run(op: Operation, call: AwsCall, read_input: Callable[[], Any]) -> dict[str, Any]:
    """Serve `call` of `op` as every protocol door does, and return the handler's result.

    The guard authenticates a signed operation first; only then is its input read
    (`read_input`, the door's own parsing) and checked against botocore's model, so a request
    that is not let in is refused as such, whatever its body. Then the caller is authorized,
    the limiters run, the handler runs, and its result is checked when
    COGNITOADMIN_AWS_CHECK_OUTPUT is on. Raises whatever refused the call, for the door to render.
    """
    caller = _guard().authenticate(call.http, service=op.service) if op.signed else None
    with in_region(caller.region if caller is not None else None):
        params = validate_input(op.model, read_input(), relaxed_patterns=op.relaxed_patterns)
        if caller is not None:
            # Registration gave every signed operation its action; none means no way in.
            authorize(caller, action=op.action or "", resource=op.resource_of(params))
        call.caller = caller
        for limit in _limiters:
            limit(call, params)
        with input_checked(op.service, op.name):
            result = op.handler(call, params)
    if settings.COGNITOADMIN_AWS_CHECK_OUTPUT:
        # Raises a plain exception: a 500 InternalErrorException, its reason logged.
        validate_output(op.model, result)
    return result


def dispatch(request: HttpRequest) -> HttpResponse:
    """Serve one AWS JSON 1.1 call (POST with X-Amz-Target)."""
    rid = request_id()
    try:
        op = _resolve(request)
        call = AwsCall(http=request, service=op.service, operation=op.name, request_id=rid)
        result = operation_run(op, call, lambda: _parse_body(request))
    except Exception as exc:  # every failure is rendered in AWS's envelope
        error = as_service_error(exc)
        response = aws_error_response(error, content_type=CONTENT_TYPE)
        response["x-amzn-RequestId"] = rid
        response["Date"] = http_date()
        return response
    return _respond(json.dumps(result, default=_encode).encode("utf-8"), status=200, rid=rid)
