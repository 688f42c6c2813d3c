from __future__ import annotations

import json
import logging

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

from cognitoadmin.errors import (
    InternalErrorException,
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
    ServiceAuthenticationFailed,
    ServiceError,
    as_service_error,
    aws_error_response,
    drf_exception_handler,
    oauth_error_response,
)

AMZ_JSON = "application/x-amz-json-1.1"


class InvalidClientError(ServiceError):
    aws_type = "NotAuthorizedException"
    oauth_error = "invalid_client"


def handle(exc: Exception) -> Response:
    response = drf_exception_handler(exc, {})
    assert response is not None
    return response


def test_an_error_class_must_name_its_aws_type() -> None:
    with pytest.raises(TypeError, match="NamelessError must name its aws_type"):

        class NamelessError(ServiceError):
            default_message = "Something went wrong."


def test_an_abstract_base_needs_no_type_but_cannot_be_raised() -> None:
    class _Family(ServiceError, abstract=True):
        api_status = 401

    class Member(_Family):
        aws_type = "MemberException"

    with pytest.raises(TypeError, match="abstract"):
        _Family("no name")
    with pytest.raises(TypeError, match="abstract"):
        ServiceError("no name")
    assert Member("named").aws_type == "MemberException"
    assert Member.api_status == 401


def test_an_error_without_a_message_uses_its_default_then_its_name() -> None:
    assert InternalErrorException().message == "Internal server error."
    assert InvalidParameterException().message == "InvalidParameterException"
    assert str(InvalidParameterException("Bad limit.")) == "Bad limit."


def test_the_aws_envelope_carries_the_name_in_body_and_headers() -> None:
    error = NotAuthorizedException("Incorrect username or password.", reason_code="X")

    response = aws_error_response(error, content_type=AMZ_JSON)

    assert response.status_code == 400
    assert response["Content-Type"] == AMZ_JSON
    assert response["x-amzn-ErrorType"] == "NotAuthorizedException:"
    assert response["x-amzn-ErrorMessage"] == "Incorrect username or password."
    assert json.loads(response.content) == {
        "__type": "NotAuthorizedException",
        "message": "Incorrect username or password.",
        "reasonCode": "X",
    }


def test_the_aws_envelope_uses_500_for_internal_errors_and_omits_an_absent_reason() -> None:
    response = aws_error_response(InternalErrorException(), content_type=AMZ_JSON)

    assert response.status_code == 500
    assert json.loads(response.content) == {
        "__type": "InternalErrorException",
        "message": "Internal server error.",
    }


def test_the_oauth_envelope_uses_the_oauth_code() -> None:
    response = oauth_error_response(NotAuthorizedException("Refresh token has expired."))

    assert response.status_code == 400
    assert json.loads(response.content) == {
        "error": "invalid_grant",
        "error_description": "Refresh token has expired.",
    }


def test_the_oauth_envelope_answers_401_for_invalid_client_and_defaults_to_invalid_request() -> (
    None
):
    assert oauth_error_response(InvalidClientError("Bad client")).status_code == 401
    fallback = oauth_error_response(ResourceNotFoundException("No such pool."))
    assert json.loads(fallback.content)["error"] == "invalid_request"


def test_service_errors_pass_through_unchanged() -> None:
    error = ResourceNotFoundException("User pool us-east-1_x does not exist.")

    assert as_service_error(error) is error


def test_django_validation_errors_become_invalid_parameter() -> None:
    error = as_service_error(DjangoValidationError(["Too long.", "Not an email."]))

    assert isinstance(error, InvalidParameterException)
    assert error.message == "Too long.; Not an email."


def test_unexpected_errors_are_logged_and_not_leaked(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="cognitoadmin.errors"):
        error = as_service_error(KeyError("database password is hunter2"))

    assert isinstance(error, InternalErrorException)
    assert "hunter2" not in error.message
    assert caplog.records[0].exc_info is not None


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (Http404("nope"), 404, "ResourceNotFoundException"),
        (DjangoPermissionDenied(), 403, "AccessDeniedException"),
        (drf_exceptions.NotAuthenticated(), 401, "NotAuthorizedException"),
        (drf_exceptions.MethodNotAllowed("PUT"), 405, "MethodNotAllowedException"),
        (drf_exceptions.ParseError(), 400, "SerializationException"),
        (drf_exceptions.APIException(), 500, "InvalidParameterException"),
    ],
)
def test_drf_errors_become_one_shape_with_a_cognito_name(
    exc: Exception, status: int, code: str
) -> None:
    response = handle(exc)

    assert response.status_code == status
    assert response.data["code"] == code
    assert isinstance(response.data["message"], str)


def test_drf_validation_errors_name_each_field_in_the_message_and_keep_the_details() -> None:
    detail: dict[str, list[str] | dict[str, list[str]]] = {
        "Limit": ["Must be at most 60."],
        "Filter": {"name": ["Unknown."]},
    }

    response = handle(drf_exceptions.ValidationError(detail))

    assert response.status_code == 400
    assert response.data["code"] == "InvalidParameterException"
    assert response.data["message"] == "Limit: Must be at most 60.; Filter.name: Unknown."
    assert response.data["fields"] == detail


def test_drf_authentication_challenge_and_throttle_wait_are_sent_as_headers() -> None:
    challenge = drf_exceptions.NotAuthenticated()
    challenge.auth_header = 'Basic realm="api"'  # type: ignore[attr-defined]

    assert handle(challenge)["WWW-Authenticate"] == 'Basic realm="api"'
    assert handle(drf_exceptions.Throttled(wait=12))["Retry-After"] == "12"


def test_service_errors_in_the_api_use_http_vocabulary() -> None:
    not_found = handle(ResourceNotFoundException("User does not exist."))
    internal = handle(RuntimeError("boom"))

    assert (not_found.status_code, not_found.data) == (
        404,
        {"code": "ResourceNotFoundException", "message": "User does not exist."},
    )
    assert (internal.status_code, internal.data["code"]) == (500, "InternalErrorException")


def test_a_refused_credential_keeps_its_aws_name_through_drf() -> None:
    class InvalidSignatureException(ServiceError):
        aws_type = "InvalidSignatureException"

    refusal = ServiceAuthenticationFailed(InvalidSignatureException("The signature is wrong."))
    refusal.auth_header = "AWS4-HMAC-SHA256"  # type: ignore[attr-defined]

    response = handle(refusal)

    assert (response.status_code, response.data) == (
        401,
        {"code": "InvalidSignatureException", "message": "The signature is wrong."},
    )
    assert response["WWW-Authenticate"] == "AWS4-HMAC-SHA256"


def test_the_api_may_name_an_error_otherwise_than_aws_does() -> None:
    class NoSuchThing(InvalidParameterException):
        api_status = 404
        api_code = "ResourceNotFoundException"

    response = handle(NoSuchThing("No such thing."))

    assert (response.status_code, response.data["code"]) == (404, "ResourceNotFoundException")
    assert aws_error_response(NoSuchThing(), content_type=AMZ_JSON)["x-amzn-ErrorType"] == (
        "InvalidParameterException:"
    )
