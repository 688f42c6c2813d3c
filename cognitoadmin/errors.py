"""Domain errors, declared once, and the only places that render them per protocol.

Services raise subclasses of `ServiceError` named after Cognito's exception shapes; the AWS-JSON
endpoint, the DRF API, the admin and the OAuth2 endpoints each render them in their own form.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class ServiceError(Exception):
    """A rule was broken. `aws_type` is the Cognito exception name, the same on every door.

    Every concrete subclass names its `aws_type`: a class that forgot it is refused when it is
    defined, rather than rendered one day as an error of no name. A base class shared by several
    errors says so with `abstract=True` and cannot be raised itself.
    """

    aws_type: ClassVar[str]
    _abstract: ClassVar[bool] = True
    # Cognito answers 400 for every client error and 500 for its internal ones.
    http_status: ClassVar[int] = 400
    # The management API uses HTTP's own vocabulary, and names the error `api_code` where its
    # paths say what Cognito's requests leave to a parameter (another pool's row is not found).
    api_status: ClassVar[int] = 400
    api_code: ClassVar[str | None] = None
    oauth_error: ClassVar[str | None] = None
    default_message: ClassVar[str] = ""

    def __init_subclass__(cls, *, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._abstract = abstract
        if not abstract and not isinstance(getattr(cls, "aws_type", None), str):
            raise TypeError(f"{cls.__qualname__} must name its aws_type (or be abstract=True).")

    def __init__(self, message: str = "", *, reason_code: str | None = None) -> None:
        if self._abstract:
            raise TypeError(f"{type(self).__qualname__} is abstract: raise one of its subclasses.")
        self.message = message or self.default_message or self.aws_type
        self.reason_code = reason_code
        super().__init__(self.message)


class InternalErrorException(ServiceError):
    aws_type = "InternalErrorException"
    http_status = 500
    api_status = 500
    oauth_error = "server_error"
    default_message = "Internal server error."


class InvalidParameterException(ServiceError):
    aws_type = "InvalidParameterException"
    oauth_error = "invalid_request"


class ResourceNotFoundException(ServiceError):
    aws_type = "ResourceNotFoundException"
    api_status = 404


class NotAuthorizedException(ServiceError):
    aws_type = "NotAuthorizedException"
    api_status = 403
    oauth_error = "invalid_grant"


class LimitExceededException(ServiceError):
    aws_type = "LimitExceededException"


class ConcurrentModificationException(ServiceError):
    aws_type = "ConcurrentModificationException"
    api_status = 409


class TooManyRequestsException(ServiceError):
    aws_type = "TooManyRequestsException"
    api_status = 429


class ResourceConflictException(ServiceError):
    aws_type = "ResourceConflictException"
    api_status = 409


class AccessDeniedException(ServiceError):
    """An operator (or a key's policy) does not allow the action: AWS's IAM refusal."""

    aws_type = "AccessDeniedException"
    api_status = 403


class RequestEntityTooLargeException(ServiceError):
    """A body beyond DATA_UPLOAD_MAX_MEMORY_SIZE: refused before it is read."""

    aws_type = "RequestEntityTooLargeException"
    http_status = 413
    api_status = 413
    default_message = "The request body is too large."


def _header_text(text: str) -> str:
    """`text` as a header can carry it: printable ASCII, anything else escaped."""
    escaped = text.encode("ascii", "backslashreplace").decode("ascii")
    return "".join(c if c.isprintable() else " " for c in escaped)


def request_id() -> str:
    return str(uuid.uuid4())


def aws_error_response(
    error: ServiceError, *, content_type: str, status: int | None = None
) -> HttpResponse:
    """The AWS error envelope: status, `x-amzn-ErrorType` and `__type` (clients read either).

    `status` replaces the protocol's own where the request was a plain HTTP read (a missing
    JWKS is a 404 to the verifiers that fetch it, not Cognito's 400).
    """
    body: dict[str, Any] = {"__type": error.aws_type, "message": error.message}
    if error.reason_code:
        body["reasonCode"] = error.reason_code
    response = JsonResponse(body, status=status or error.http_status, content_type=content_type)
    response["x-amzn-ErrorType"] = f"{error.aws_type}:"
    response["x-amzn-ErrorMessage"] = _header_text(error.message)
    return response


def oauth_error_response(error: ServiceError) -> JsonResponse:
    code = error.oauth_error or "invalid_request"
    status_code = 401 if code == "invalid_client" else error.http_status
    return JsonResponse({"error": code, "error_description": error.message}, status=status_code)


def as_service_error(exc: Exception) -> ServiceError:
    """Map any exception to the domain error a client should see; unexpected ones are logged."""
    if isinstance(exc, ServiceError):
        return exc
    if isinstance(exc, DjangoValidationError):
        return InvalidParameterException("; ".join(exc.messages))
    if isinstance(exc, RequestDataTooBig):
        return RequestEntityTooLargeException()
    logger.exception("Unexpected error", exc_info=exc)
    return InternalErrorException()


_DRF_CODES: dict[type[drf_exceptions.APIException], str] = {
    drf_exceptions.NotAuthenticated: "NotAuthorizedException",
    drf_exceptions.AuthenticationFailed: "NotAuthorizedException",
    drf_exceptions.PermissionDenied: "AccessDeniedException",
    drf_exceptions.NotFound: "ResourceNotFoundException",
    drf_exceptions.MethodNotAllowed: "MethodNotAllowedException",
    drf_exceptions.NotAcceptable: "NotAcceptableException",
    drf_exceptions.UnsupportedMediaType: "UnsupportedMediaTypeException",
    drf_exceptions.Throttled: "TooManyRequestsException",
    drf_exceptions.ParseError: "SerializationException",
    drf_exceptions.ValidationError: "InvalidParameterException",
}


class ServiceAuthenticationFailed(drf_exceptions.AuthenticationFailed):
    """A credential a service refused, on its way through DRF's 401 (and `WWW-Authenticate`),
    keeping the service's AWS name (`InvalidSignatureException`, ...) for the API's `code`."""

    def __init__(self, error: ServiceError) -> None:
        super().__init__(error.message)
        self.aws_type = error.aws_type


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            out.extend(_flatten(value, f"{prefix}.{name}" if prefix and name else name or prefix))
        return out
    if isinstance(detail, list):
        return [m for item in detail for m in _flatten(item, prefix)]
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def drf_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """One JSON shape for every API error: `{"code": <Cognito name>, "message": ...}`."""
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    if isinstance(exc, drf_exceptions.APIException):
        code = (
            exc.aws_type
            if isinstance(exc, ServiceAuthenticationFailed)
            else next(
                (name for cls, name in _DRF_CODES.items() if isinstance(exc, cls)),
                "InvalidParameterException",
            )
        )
        body: dict[str, Any] = {"code": code, "message": "; ".join(_flatten(exc.detail))}
        if isinstance(exc, drf_exceptions.ValidationError):
            body["fields"] = exc.detail
        response = Response(body, status=exc.status_code)
        if getattr(exc, "auth_header", None):
            response["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
        wait = getattr(exc, "wait", None)
        if isinstance(exc, drf_exceptions.Throttled) and wait is not None:
            response["Retry-After"] = str(int(wait))
        return response

    error = as_service_error(exc)
    return Response(
        {"code": error.api_code or error.aws_type, "message": error.message},
        status=error.api_status
        if error.http_status < status.HTTP_500_INTERNAL_SERVER_ERROR
        else 500,
    )
