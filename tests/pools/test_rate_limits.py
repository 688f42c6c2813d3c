"""Request rates on the unsigned operations that send messages or check secrets: per client
address and per user, counted in the cache, refused with Cognito's TooManyRequestsException."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client, RequestFactory
from pytest_django import Settings

from cognitoadmin.awsjson import REGISTRY
from cognitoadmin.ratelimits import client_ip
from pools.models import AppClient, PoolUser, UserPool
from pools.services.limits import RATE_EXCEEDED_MESSAGE, RATE_LIMITED_OPERATIONS
from pools.services.tokens import tokens_issue
from tests.builders import make_app_client, make_user
from tests.conftest import Clock

pytestmark = pytest.mark.django_db

PREFIX = "AWSCognitoIdentityProviderService"
JSON_11 = "application/x-amz-json-1.1"
PASSWORD = "Passw0rd!"
THROTTLED = (400, {"__type": "TooManyRequestsException", "message": RATE_EXCEEDED_MESSAGE})


@pytest.fixture(autouse=True)
def counters(clock: Clock) -> None:
    """A still clock and no counts left by other tests (the test cache is one process's)."""
    cache.clear()


def limits(settings: Settings, *, per_ip: int = 0, per_user: int = 0, window: int = 60) -> None:
    settings.COGNITOADMIN_RATE_LIMIT_PER_IP = per_ip
    settings.COGNITOADMIN_RATE_LIMIT_PER_USER = per_user
    settings.COGNITOADMIN_RATE_LIMIT_WINDOW = window


def aws(
    operation: str, body: dict[str, Any], *, ip: str = "192.0.2.1", **headers: str
) -> tuple[int, dict[str, Any]]:
    response = Client(REMOTE_ADDR=ip).post(
        "/",
        data=json.dumps(body),
        content_type=JSON_11,
        headers={"X-Amz-Target": f"{PREFIX}.{operation}", **headers},
    )
    answer: dict[str, Any] = json.loads(response.content) if response.content else {}
    return response.status_code, answer


@pytest.fixture
def client(pool: UserPool) -> AppClient:
    return make_app_client(
        pool=pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )


def bodies(client: AppClient, user: PoolUser, username: str = "alice") -> dict[str, dict[str, Any]]:
    """A request to each limited operation for `username` (all valid input)."""
    access = tokens_issue(user=user, client=client)["AccessToken"]
    named = {"ClientId": client.client_id, "Username": username}
    return {
        "SignUp": {**named, "Password": PASSWORD},
        "ConfirmSignUp": {**named, "ConfirmationCode": "123456"},
        "ResendConfirmationCode": named,
        "ForgotPassword": named,
        "ConfirmForgotPassword": {**named, "ConfirmationCode": "123456", "Password": PASSWORD},
        "InitiateAuth": {
            "ClientId": client.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": username, "PASSWORD": "Wr0ng-password"},
        },
        "RespondToAuthChallenge": {
            "ClientId": client.client_id,
            "ChallengeName": "SMS_MFA",
            "Session": "s" * 40,
            "ChallengeResponses": {"USERNAME": username, "SMS_MFA_CODE": "123456"},
        },
        "ChangePassword": {
            "AccessToken": access,
            "PreviousPassword": "Wr0ng-password",
            "ProposedPassword": PASSWORD,
        },
        "UpdateUserAttributes": {
            "AccessToken": access,
            "UserAttributes": [{"Name": "email", "Value": "alice@example.org"}],
        },
        "GetUserAttributeVerificationCode": {"AccessToken": access, "AttributeName": "email"},
        "VerifyUserAttribute": {"AccessToken": access, "AttributeName": "email", "Code": "123456"},
        "AssociateSoftwareToken": {"AccessToken": access},
        "VerifySoftwareToken": {"AccessToken": access, "UserCode": "123456"},
    }


def test_the_limited_operations_are_unsigned_operations_of_the_endpoint() -> None:
    for name in RATE_LIMITED_OPERATIONS:
        assert not REGISTRY[("cognito-idp", name)].signed, name


def test_the_production_defaults_limit_by_address_and_by_user() -> None:
    from cognitoadmin import settings as production  # noqa: PLC0415

    assert (
        production.COGNITOADMIN_RATE_LIMIT_PER_IP,
        production.COGNITOADMIN_RATE_LIMIT_PER_USER,
        production.COGNITOADMIN_RATE_LIMIT_WINDOW,
        production.COGNITOADMIN_TRUSTED_PROXY_COUNT,
    ) == (120, 20, 60, 0)


@pytest.mark.parametrize("operation", sorted(RATE_LIMITED_OPERATIONS))
def test_each_operation_is_refused_past_the_limit_of_an_address(
    settings: Settings, client: AppClient, user: PoolUser, operation: str
) -> None:
    limits(settings, per_ip=3)
    body = bodies(client, user)[operation]
    answers = [aws(operation, body) for _ in range(3)]
    assert THROTTLED not in answers

    assert aws(operation, body) == THROTTLED
    assert aws(operation, body, ip="192.0.2.2") != THROTTLED


@pytest.mark.parametrize("operation", sorted(RATE_LIMITED_OPERATIONS))
def test_each_operation_is_refused_past_the_limit_of_a_user_from_any_address(
    settings: Settings, client: AppClient, user: PoolUser, pool: UserPool, operation: str
) -> None:
    limits(settings, per_user=2)
    body = bodies(client, user)[operation]
    for n in range(2):
        assert aws(operation, body, ip=f"198.51.100.{n}") != THROTTLED

    assert aws(operation, body, ip="198.51.100.9") == THROTTLED
    bob = make_user(pool=pool, username="bob", password=PASSWORD, email="bob@example.com")
    assert aws(operation, bodies(client, bob, "bob")[operation]) != THROTTLED


def test_a_refused_request_does_nothing(
    settings: Settings, client: AppClient, user: PoolUser
) -> None:
    limits(settings, per_ip=1)
    body = {"ClientId": client.client_id, "Username": "alice"}
    assert aws("ForgotPassword", body)[0] == 200
    sent = len(mail.outbox)
    stored = PoolUser.objects.get(pk=user.pk)

    assert aws("ForgotPassword", body) == THROTTLED
    assert aws("SignUp", {**body, "Username": "mallory", "Password": PASSWORD})[0] == 200
    assert aws("SignUp", {**body, "Username": "trudy", "Password": PASSWORD}) == THROTTLED

    assert len(mail.outbox) == sent
    assert PoolUser.objects.get(pk=user.pk).updated_at == stored.updated_at
    assert not PoolUser.objects.filter(username="trudy").exists()


def test_the_limit_slides_with_the_window(
    settings: Settings, clock: Clock, client: AppClient, user: PoolUser
) -> None:
    limits(settings, per_ip=2, window=60)
    body = bodies(client, user)["InitiateAuth"]
    clock.advance(seconds=50)
    for _ in range(2):
        assert aws("InitiateAuth", body) != THROTTLED
    clock.advance(seconds=20)  # a fixed minute would start afresh here
    assert aws("InitiateAuth", body) == THROTTLED

    clock.advance(seconds=120)
    assert aws("InitiateAuth", body) != THROTTLED


def test_refused_requests_count_so_a_caller_who_keeps_trying_stays_refused(
    settings: Settings, clock: Clock, client: AppClient, user: PoolUser
) -> None:
    limits(settings, per_user=2, window=60)
    body = bodies(client, user)["ConfirmSignUp"]
    for _ in range(10):
        aws("ConfirmSignUp", body)
    clock.advance(seconds=90)  # half of the last window's ten still weigh
    assert aws("ConfirmSignUp", body) == THROTTLED


def test_zero_turns_each_limit_off(settings: Settings, client: AppClient, user: PoolUser) -> None:
    limits(settings, per_ip=0, per_user=0)
    body = bodies(client, user)["InitiateAuth"]
    assert THROTTLED not in [aws("InitiateAuth", body) for _ in range(30)]


def test_operations_and_signed_calls_not_listed_are_not_counted(
    settings: Settings, client: AppClient, user: PoolUser
) -> None:
    limits(settings, per_ip=1, per_user=1)
    access = tokens_issue(user=user, client=client)["AccessToken"]
    assert THROTTLED not in [aws("GetUser", {"AccessToken": access}) for _ in range(5)]


def test_the_counts_are_per_operation(
    settings: Settings, client: AppClient, user: PoolUser
) -> None:
    limits(settings, per_ip=1)
    named = {"ClientId": client.client_id, "Username": "alice"}
    assert aws("ForgotPassword", named) != THROTTLED
    assert aws("ResendConfirmationCode", named) != THROTTLED
    assert aws("ForgotPassword", named) == THROTTLED


def test_a_user_is_counted_by_name_whatever_its_case(
    settings: Settings, client: AppClient, user: PoolUser
) -> None:
    limits(settings, per_user=1)
    named = {"ClientId": client.client_id, "Username": "alice"}
    assert aws("ForgotPassword", named) != THROTTLED
    assert aws("ForgotPassword", {**named, "Username": "ALICE"}, ip="192.0.2.7") == THROTTLED


def test_forged_access_tokens_are_counted_for_the_sub_they_claim(
    settings: Settings, client: AppClient, user: PoolUser
) -> None:
    limits(settings, per_user=1)
    access = tokens_issue(user=user, client=client)["AccessToken"]
    header, claims, _signature = access.split(".")
    forged = f"{header}.{claims}.AAAA"
    body = {"AttributeName": "email"}
    assert aws("GetUserAttributeVerificationCode", {"AccessToken": forged, **body})[1] == {
        "__type": "NotAuthorizedException",
        "message": "Invalid Access Token",
    }
    assert aws("GetUserAttributeVerificationCode", {"AccessToken": access, **body}) == THROTTLED
    assert aws("GetUserAttributeVerificationCode", {"AccessToken": "not-a-jwt", **body}) != (
        THROTTLED
    )


# --- the client's address ----------------------------------------------------------------------


def _address(settings: Settings, proxies: int, remote: str, forwarded: str | None) -> str:
    settings.COGNITOADMIN_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().post("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(request)


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "198.51.100.1", "203.0.113.5"),
        (0, "203.0.113.5", None, "203.0.113.5"),
        (1, "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (1, "10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        (2, "10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (1, "10.0.0.2", None, "10.0.0.2"),
        (2, "10.0.0.2", "198.51.100.1", "10.0.0.2"),
        (1, "10.0.0.2", "not an address", "not an address"),
        (0, "2001:db8:1:2:3:4:5:6", None, "2001:db8:1:2::/64"),
        (0, "::ffff:192.0.2.1", None, "192.0.2.1"),
    ],
)
def test_the_client_address_trusts_x_forwarded_for_only_from_configured_proxies(
    settings: Settings, proxies: int, remote: str, forwarded: str | None, expected: str
) -> None:
    assert _address(settings, proxies, remote, forwarded) == expected


def test_without_trusted_proxies_a_forged_x_forwarded_for_buys_no_allowance(
    settings: Settings, client: AppClient, user: PoolUser
) -> None:
    limits(settings, per_ip=1)
    body = bodies(client, user)["ForgotPassword"]
    assert aws("ForgotPassword", body) != THROTTLED
    assert aws("ForgotPassword", body, **{"X-Forwarded-For": "198.51.100.77"}) == THROTTLED


def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(
    settings: Settings, client: AppClient, user: PoolUser
) -> None:
    limits(settings, per_ip=1)
    settings.COGNITOADMIN_TRUSTED_PROXY_COUNT = 1
    body = bodies(client, user)["ForgotPassword"]
    proxy = "10.0.0.2"
    assert aws("ForgotPassword", body, ip=proxy, **{"X-Forwarded-For": "198.51.100.1"}) != (
        THROTTLED
    )
    assert aws("ForgotPassword", body, ip=proxy, **{"X-Forwarded-For": "198.51.100.1"}) == (
        THROTTLED
    )
    assert aws("ForgotPassword", body, ip=proxy, **{"X-Forwarded-For": "198.51.100.2"}) != (
        THROTTLED
    )


def test_ipv6_clients_are_counted_by_their_64(
    settings: Settings, client: AppClient, user: PoolUser
) -> None:
    limits(settings, per_ip=1)
    body = bodies(client, user)["SignUp"]
    assert aws("SignUp", body, ip="2001:db8:0:1::1") != THROTTLED
    assert aws("SignUp", {**body, "Username": "x"}, ip="2001:db8:0:1::ffff") == THROTTLED
    assert aws("SignUp", {**body, "Username": "y"}, ip="2001:db8:0:2::1") != THROTTLED


# --- through boto3 ------------------------------------------------------------------------------


def test_boto3_reads_the_refusal_as_cognitos_throttling(
    settings: Settings, idp_public: Any, client: AppClient, user: PoolUser
) -> None:
    limits(settings, per_user=2)
    for _ in range(2):
        idp_public.forgot_password(ClientId=client.client_id, Username="alice")
    with pytest.raises(idp_public.exceptions.TooManyRequestsException) as refused:
        idp_public.forgot_password(ClientId=client.client_id, Username="alice")
    assert refused.value.response["Error"]["Message"] == RATE_EXCEEDED_MESSAGE
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
