"""AdminListUserAuthEvents, boto3 against a live server: Cognito's AuthEventType shape, newest
first, MaxResults and NextToken, the add-on rule and the errors; and the hosted /login's
sign-in, recorded with the browser's address."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pools.models import AppClient, AuthEvent, AuthEventResponse, AuthEventType, PoolUser, UserPool
from pools.services.auth_events import auth_event_record
from pools.services.pools import user_pool_update
from tests.builders import make_app_client, make_user, make_user_pool
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.pools.hosted_fixtures import CALLBACK, Browser, plain_http, redirected_to, web_app
from tests.pools.oauth_fixtures import PASSWORD, live_pool, url

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["live_pool", "plain_http", "url"]

PROTECTED: dict[str, Any] = {
    "UserPoolTier": "PLUS",
    "UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"},
}


@pytest.fixture
def pool(aws_url: str) -> UserPool:
    return make_user_pool(**PROTECTED)


@pytest.fixture
def app(pool: UserPool) -> AppClient:
    return make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])


@pytest.fixture
def alice(pool: UserPool) -> PoolUser:
    return make_user(pool=pool, username="alice", password=PASSWORD, email="alice@example.com")


def _sign_in(idp_public: Any, app: AppClient, password: str = PASSWORD) -> None:
    idp_public.initiate_auth(
        ClientId=app.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": password},
    )


def _error(error: pytest.ExceptionInfo[ClientError]) -> str:
    code: str = error.value.response["Error"]["Code"]
    return code


def _listed(idp: Any, user: PoolUser, **extra: Any) -> dict[str, Any]:
    answer: dict[str, Any] = idp.admin_list_user_auth_events(
        UserPoolId=user.pool.pool_id, Username=user.username, **extra
    )
    return answer


def _record(user: PoolUser, count: int) -> None:
    for _ in range(count):
        auth_event_record(
            pool=user.pool,
            client_id="c1",
            user=user,
            username=user.username,
            event_type=AuthEventType.RESEND_CODE,
            response=AuthEventResponse.PASS,
        )


def test_events_come_newest_first_in_cognitos_shape(
    idp: Any, idp_public: Any, app: AppClient, alice: PoolUser
) -> None:
    with pytest.raises(ClientError):
        _sign_in(idp_public, app, password="wrong-Passw0rd!")
    _sign_in(idp_public, app)

    answer = _listed(idp, alice)

    passed, failed = answer["AuthEvents"]
    assert "NextToken" not in answer
    assert (passed["EventType"], passed["EventResponse"]) == ("SignIn", "Pass")
    assert (failed["EventType"], failed["EventResponse"]) == ("SignIn", "Fail")
    assert passed["ChallengeResponses"] == [
        {"ChallengeName": "Password", "ChallengeResponse": "Success"}
    ]
    assert failed["ChallengeResponses"] == [
        {"ChallengeName": "Password", "ChallengeResponse": "Failure"}
    ]
    assert passed["EventRisk"] == {
        "RiskDecision": "NoRisk",
        "CompromisedCredentialsDetected": False,
    }
    assert passed["EventContextData"] == {"IpAddress": "127.0.0.1"}
    assert isinstance(passed["CreationDate"], dt.datetime)
    assert passed["CreationDate"] >= failed["CreationDate"]
    stored = {str(event.event_id) for event in AuthEvent.objects.filter(user=alice)}
    assert {passed["EventId"], failed["EventId"]} == stored


def test_max_results_and_next_token_page_through_every_event_once(
    idp: Any, alice: PoolUser
) -> None:
    _record(alice, 5)
    newest_first = [
        str(e.event_id) for e in AuthEvent.objects.filter(user=alice).order_by("-created", "-id")
    ]

    seen: list[str] = []
    answer = _listed(idp, alice, MaxResults=2)
    pages = 1
    while True:
        assert len(answer["AuthEvents"]) <= 2
        seen += [event["EventId"] for event in answer["AuthEvents"]]
        if "NextToken" not in answer:
            break
        answer = _listed(idp, alice, MaxResults=2, NextToken=answer["NextToken"])
        pages += 1

    assert seen == newest_first
    assert pages == 3


@pytest.mark.parametrize("max_results", [None, 0])
def test_no_max_results_or_zero_is_cognitos_sixty(
    idp: Any, alice: PoolUser, max_results: int | None
) -> None:
    _record(alice, 61)
    extra = {} if max_results is None else {"MaxResults": max_results}

    first = _listed(idp, alice, **extra)

    assert len(first["AuthEvents"]) == 60
    rest = _listed(idp, alice, NextToken=first["NextToken"], **extra)
    assert len(rest["AuthEvents"]) == 1
    assert "NextToken" not in rest


def test_a_forged_or_another_users_token_is_refused_and_changes_nothing(
    idp: Any, pool: UserPool, alice: PoolUser
) -> None:
    bob = make_user(pool=pool, username="bob", password=PASSWORD)
    _record(alice, 3)
    _record(bob, 3)
    bobs_token = _listed(idp, bob, MaxResults=1)["NextToken"]
    before = snapshot()
    events_before = list(AuthEvent.objects.order_by("pk").values())

    for token in ("forged", bobs_token, bobs_token[:-2] + "xx"):
        with pytest.raises(ClientError) as error:
            _listed(idp, alice, MaxResults=1, NextToken=token)
        assert _error(error) == "InvalidParameterException"

    assert snapshot() == before
    assert list(AuthEvent.objects.order_by("pk").values()) == events_before


def test_more_than_sixty_is_refused(idp_unchecked: Any, alice: PoolUser) -> None:
    with pytest.raises(ClientError) as error:
        _listed(idp_unchecked, alice, MaxResults=61)
    assert _error(error) == "InvalidParameterException"


def test_without_threat_protection_the_add_on_is_not_enabled_but_events_are_kept(
    idp: Any, idp_public: Any, app: AppClient, alice: PoolUser
) -> None:
    user_pool_update(pool=alice.pool, settings={"UserPoolAddOns": {"AdvancedSecurityMode": "OFF"}})
    _sign_in(idp_public, app)

    with pytest.raises(ClientError) as error:
        _listed(idp, alice)

    assert _error(error) == "UserPoolAddOnNotEnabledException"
    assert AuthEvent.objects.filter(user=alice).count() == 1


def test_another_pools_user_is_not_found_and_an_unknown_pool_is_no_resource(
    idp: Any, alice: PoolUser
) -> None:
    other = make_user_pool(**PROTECTED)
    with pytest.raises(ClientError) as error:
        idp.admin_list_user_auth_events(UserPoolId=other.pool_id, Username="alice")
    assert _error(error) == "UserNotFoundException"

    with pytest.raises(ClientError) as error:
        idp.admin_list_user_auth_events(UserPoolId="us-east-1_NoSuchPool", Username="alice")
    assert _error(error) == "ResourceNotFoundException"


@pytest.mark.usefixtures("plain_http")
def test_the_hosted_login_records_the_sign_in_with_the_browsers_address(
    url: str, live_pool: UserPool
) -> None:
    web = web_app(live_pool)
    alice = make_user(pool=live_pool, username="alice", password=PASSWORD)

    landed = Browser(url).sign_in(
        f"/oauth2/authorize?response_type=code&client_id={web.client_id}"
        f"&redirect_uri={CALLBACK}&state=st-1"
    )

    assert redirected_to(landed)[0] == CALLBACK
    [event] = AuthEvent.objects.filter(user=alice)
    assert (event.event_type, event.event_response) == ("SignIn", "Pass")
    assert (event.ip_address, event.client_id) == ("127.0.0.1", web.client_id)
