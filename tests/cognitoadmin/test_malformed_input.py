"""Bodies that break parsers, through a live server, on both JSON doors: lone surrogates, integers
beyond Python's digit limit, deep nesting, NaN, bodies over the upload limit. Each answers in the
door's own error shape (AWS `__type`, the API's `code`), never a 500, and changes nothing. The
API also answers JSON on paths that do not resolve, whatever the method, CSRF included."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests
from django.conf import settings

from identities.models import AccessKey
from pools.models import AppClient, AuthSession, PoolUser, UserPool
from tests.builders import make_app_client, make_user, make_user_pool
from tests.cognitoadmin.test_awsjson import JSON_11, PREFIX, assert_aws_error, post, signed_post

pytestmark = pytest.mark.django_db(transaction=True)

LONE_SURROGATE = b'"\\ud800"'
# One past Python's int conversion limit (sys.get_int_max_str_digits()).
HUGE_INTEGER = b"1" * 4301
DEEP = b"[" * 1000 + b"]" * 1000


def _state() -> dict[str, list[dict[str, Any]]]:
    return {
        model.__name__: [dict(row) for row in model.objects.order_by("pk").values()]
        for model in (UserPool, PoolUser, AppClient, AuthSession)
    }


@pytest.fixture
def client(aws_url: str) -> AppClient:
    pool = make_user_pool()
    make_user(pool=pool, username="alice", password="Passw0rd!")
    return make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])


def _unsigned(aws_url: str, operation: str, body: bytes) -> requests.Response:
    headers = {"Content-Type": JSON_11, "X-Amz-Target": f"{PREFIX}.{operation}"}
    return post(aws_url, body, headers)


def _initiate_auth(client: AppClient, username: bytes) -> bytes:
    return (
        b'{"ClientId": "' + client.client_id.encode() + b'", "AuthFlow": "USER_PASSWORD_AUTH", '
        b'"AuthParameters": {"USERNAME": ' + username + b', "PASSWORD": "x"}}'
    )


# --- the AWS endpoint -------------------------------------------------------------------------


def test_a_lone_surrogate_is_a_validation_error_with_a_header_that_encodes(
    aws_url: str, client: AppClient
) -> None:
    before = _state()

    response = _unsigned(aws_url, "InitiateAuth", _initiate_auth(client, LONE_SURROGATE))

    message = assert_aws_error(response, "InvalidParameterException")
    assert "not valid Unicode" in message
    assert response.headers["x-amzn-ErrorMessage"].isascii()
    assert _state() == before


def test_a_lone_surrogate_in_a_key_is_refused_too(aws_url: str, client: AppClient) -> None:
    body = (
        b'{"ClientId": "' + client.client_id.encode() + b'", "AuthFlow": "USER_PASSWORD_AUTH", '
        b'"AuthParameters": {"\\udfff": "x"}}'
    )
    assert_aws_error(_unsigned(aws_url, "InitiateAuth", body), "InvalidParameterException")


@pytest.mark.parametrize(
    "body",
    [
        b'{"UserPoolId": "us-east-1_x", "Limit": ' + HUGE_INTEGER + b"}",
        DEEP,
        b'{"UserPoolId": ' + b"[" * 40 + b"]" * 40 + b"}",
        b'{"UserPoolId": "us-east-1_x", "Limit": NaN}',
        b'{"UserPoolId": "us-east-1_x", "Limit": Infinity}',
        b"\xff\xfe not utf-8",
    ],
    ids=["huge-integer", "nested-1000", "nested-40", "nan", "infinity", "not-utf-8"],
)
def test_bodies_that_break_parsers_are_serialization_errors(
    aws_url: str, operator_key: tuple[AccessKey, str], body: bytes
) -> None:
    make_user_pool()
    before = _state()

    response = signed_post(aws_url, operator_key, "ListUsers", body)

    assert_aws_error(response, "SerializationException")
    assert _state() == before


def test_a_body_over_the_upload_limit_is_413_in_aws_form(
    aws_url: str, operator_key: tuple[AccessKey, str]
) -> None:
    padding = b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    body = b'{"PoolName": "' + padding + b'"}'
    before = _state()

    response = signed_post(aws_url, operator_key, "CreateUserPool", body)

    assert_aws_error(response, "RequestEntityTooLargeException", status=413)
    assert _state() == before


def test_input_echoed_into_the_error_header_is_escaped(aws_url: str, client: AppClient) -> None:
    body = (
        b'{"ClientId": "' + client.client_id.encode() + b'", '
        b'"AuthFlow": "A\\r\\nX-Injected: yes \\u00e9\\u4e2d"}'
    )

    response = _unsigned(aws_url, "InitiateAuth", body)

    assert_aws_error(response, "InvalidParameterException")
    header = response.headers["x-amzn-ErrorMessage"]
    assert "X-Injected" not in response.headers
    assert header.isascii()
    assert "\n" not in header


# --- the management API -----------------------------------------------------------------------


def _basic(key: tuple[AccessKey, str]) -> dict[str, str]:
    access_key, secret = key
    token = base64.b64encode(f"{access_key.access_key_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Content-Type": "application/json"}


def _api_error(response: requests.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    message: str = body["message"]
    return message


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"name": ' + LONE_SURROGATE + b"}", "InvalidParameterException"),
        (b'{"name": "p", "password_policy": {"minimum_length": ' + HUGE_INTEGER + b"}}", None),
        (DEEP, None),
        (b'{"name": "p", "password_policy": {"minimum_length": NaN}}', None),
    ],
    ids=["surrogate", "huge-integer", "nested-1000", "nan"],
)
def test_the_api_refuses_bodies_that_break_parsers(
    aws_url: str, operator_key: tuple[AccessKey, str], body: bytes, code: str | None
) -> None:
    before = _state()

    response = requests.post(
        f"{aws_url}/api/v1/pools/", data=body, headers=_basic(operator_key), timeout=30
    )

    _api_error(response, 400, code or "SerializationException")
    assert _state() == before


def test_the_api_answers_413_for_a_body_over_the_upload_limit(
    aws_url: str, operator_key: tuple[AccessKey, str]
) -> None:
    body = b'{"name": "' + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'"}'

    response = requests.post(
        f"{aws_url}/api/v1/pools/", data=body, headers=_basic(operator_key), timeout=30
    )

    _api_error(response, 413, "RequestEntityTooLargeException")
    assert not UserPool.objects.exists()


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_an_unresolved_api_path_answers_json_whatever_the_method_without_csrf(
    aws_url: str, method: str
) -> None:
    # A browser session's request without a CSRF token: the 404 must still be JSON.
    session = requests.Session()
    session.cookies.set("sessionid", "not-a-session")
    response = session.request(method, f"{aws_url}/api/v1/no-such-thing/", data="{}", timeout=30)

    _api_error(response, 404, "ResourceNotFoundException")


def test_the_api_answers_json_for_405_and_415(
    aws_url: str, operator_key: tuple[AccessKey, str]
) -> None:
    headers = _basic(operator_key)

    not_allowed = requests.delete(f"{aws_url}/api/v1/pools/", headers=headers, timeout=30)
    unsupported = requests.post(
        f"{aws_url}/api/v1/pools/",
        data="name: p",
        headers={**headers, "Content-Type": "application/yaml"},
        timeout=30,
    )

    _api_error(not_allowed, 405, "MethodNotAllowedException")
    _api_error(unsupported, 415, "UnsupportedMediaTypeException")
    assert not UserPool.objects.exists()


# --- NUL, which PostgreSQL cannot hold ------------------------------------------------------


def test_a_nul_in_a_json_string_is_refused_by_both_doors(
    aws_url: str, client: AppClient, operator_key: tuple[AccessKey, str]
) -> None:
    before = _state()

    aws = _unsigned(aws_url, "InitiateAuth", _initiate_auth(client, b'"ali\\u0000ce"'))
    api = requests.post(
        f"{aws_url}/api/v1/pools/",
        data=b'{"name": "p\\u0000"}',
        headers=_basic(operator_key),
        timeout=30,
    )

    assert "NUL" in assert_aws_error(aws, "InvalidParameterException")
    _api_error(api, 400, "InvalidParameterException")
    assert _state() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/pools/us-east-1_x%00y/",
        "/api/v1/pools/?cursor=%00",
        "/api/v1/pools/?limit=1&%00=1",
    ],
)
def test_a_nul_in_an_api_path_or_query_is_a_json_400(
    aws_url: str, operator_key: tuple[AccessKey, str], path: str
) -> None:
    response = requests.get(f"{aws_url}{path}", headers=_basic(operator_key), timeout=30)

    _api_error(response, 400, "InvalidParameterException")


def test_a_nul_in_an_admin_query_is_a_400(aws_url: str) -> None:
    # The hosted pages answer NUL with their own page (tests/pools/test_confirm_user.py).
    response = requests.get(
        f"{aws_url}/admin/pools/pooluser/?q=%00", timeout=30, allow_redirects=False
    )

    assert response.status_code == 400
    assert "NUL" in response.text


def test_a_nul_in_a_form_is_a_400(aws_url: str) -> None:
    response = requests.post(
        f"{aws_url}/admin/login/", data={"username": "a\x00", "password": "x"}, timeout=30
    )

    assert response.status_code == 400
