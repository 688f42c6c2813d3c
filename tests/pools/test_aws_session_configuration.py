"""AWS endpoint, boto3 against a live server: the session configuration of user pools
(Get/SetUserPoolSessionConfiguration) and app clients (Get/SetUserPoolClientSessionConfiguration),
and what it enforces: at most TokenSession.MaxPerUser token sessions per user, the least recently
used evicted, and the hosted session's silent reuse bounded by the client's MaxValidityMinutes."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pools.models import AppClient, PoolUser, UserPool
from tests.builders import make_app_client, make_user, make_user_pool
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.conftest import Clock
from tests.pools.hosted_fixtures import CALLBACK, Browser, plain_http, web_app
from tests.pools.oauth_fixtures import PASSWORD, alice, live_pool, public, url

__all__ = ["alice", "live_pool", "plain_http", "public", "url"]

README = Path(__file__).resolve().parents[2] / "README.md"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_http")]


def _refused(error: pytest.ExceptionInfo[ClientError], code: str) -> str:
    assert error.value.response["Error"]["Code"] == code, error.value.response
    message: str = error.value.response["Error"]["Message"]
    return message


def _track(idp: Any, pool: UserPool, tracking: str = "ENABLED", max_per_user: int = 20) -> None:
    idp.set_user_pool_session_configuration(
        UserPoolId=pool.pool_id,
        UserSessionTracking=tracking,
        TokenSession={"MaxPerUser": max_per_user},
    )


def _sso(idp: Any, client: AppClient, minutes: int) -> None:
    idp.set_user_pool_client_session_configuration(
        UserPoolId=client.pool.pool_id,
        ClientId=client.client_id,
        SSOSession={"MaxValidityMinutes": minutes},
    )


# --- the configuration ---------------------------------------------------------------------


def test_a_pool_never_configured_answers_the_documented_defaults(idp: Any, pool: UserPool) -> None:
    client = make_app_client(pool=pool)

    answer = idp.get_user_pool_session_configuration(UserPoolId=pool.pool_id)
    client_answer = idp.get_user_pool_client_session_configuration(
        UserPoolId=pool.pool_id, ClientId=client.client_id
    )

    answer.pop("ResponseMetadata")
    client_answer.pop("ResponseMetadata")
    assert answer == {
        "UserPoolId": pool.pool_id,
        "UserSessionTracking": "DISABLED",
        "TokenSession": {"MaxPerUser": 20},
    }
    assert client_answer == {
        "UserPoolId": pool.pool_id,
        "ClientId": client.client_id,
        "SSOSession": {"MaxValidityMinutes": 60},
    }


def test_set_replaces_the_pool_configuration_and_get_reads_it_back(
    idp: Any, pool: UserPool
) -> None:
    answer = idp.set_user_pool_session_configuration(
        UserPoolId=pool.pool_id, UserSessionTracking="ENABLED", TokenSession={"MaxPerUser": 3}
    )
    answer.pop("ResponseMetadata")

    assert answer == {
        "UserPoolId": pool.pool_id,
        "UserSessionTracking": "ENABLED",
        "TokenSession": {"MaxPerUser": 3},
    }
    read = idp.get_user_pool_session_configuration(UserPoolId=pool.pool_id)
    read.pop("ResponseMetadata")
    assert read == answer
    _track(idp, pool, "DISABLED", 100)
    read = idp.get_user_pool_session_configuration(UserPoolId=pool.pool_id)
    assert (read["UserSessionTracking"], read["TokenSession"]) == ("DISABLED", {"MaxPerUser": 100})


def test_set_configures_one_client_and_leaves_its_siblings_at_the_default(
    idp: Any, pool: UserPool
) -> None:
    client, sibling = make_app_client(pool=pool), make_app_client(pool=pool)
    _track(idp, pool)

    answer = idp.set_user_pool_client_session_configuration(
        UserPoolId=pool.pool_id, ClientId=client.client_id, SSOSession={"MaxValidityMinutes": 0}
    )

    answer.pop("ResponseMetadata")
    assert answer == {
        "UserPoolId": pool.pool_id,
        "ClientId": client.client_id,
        "SSOSession": {"MaxValidityMinutes": 0},
    }
    for each, minutes in ((client, 0), (sibling, 60)):
        read = idp.get_user_pool_client_session_configuration(
            UserPoolId=pool.pool_id, ClientId=each.client_id
        )
        assert read["SSOSession"] == {"MaxValidityMinutes": minutes}
    _sso(idp, client, 129600)
    read = idp.get_user_pool_client_session_configuration(
        UserPoolId=pool.pool_id, ClientId=client.client_id
    )
    assert read["SSOSession"] == {"MaxValidityMinutes": 129600}


def test_turning_tracking_off_keeps_the_client_configuration_dormant(
    idp: Any, pool: UserPool
) -> None:
    client = make_app_client(pool=pool)
    _track(idp, pool)
    _sso(idp, client, 15)

    _track(idp, pool, "DISABLED")
    _track(idp, pool, "ENABLED")

    read = idp.get_user_pool_client_session_configuration(
        UserPoolId=pool.pool_id, ClientId=client.client_id
    )
    assert read["SSOSession"] == {"MaxValidityMinutes": 15}


@pytest.mark.parametrize(
    "members",
    [
        {"UserSessionTracking": "ENABLED", "TokenSession": {"MaxPerUser": 0}},
        {"UserSessionTracking": "ENABLED", "TokenSession": {"MaxPerUser": 101}},
        {"UserSessionTracking": "ENABLED", "TokenSession": {"MaxPerUser": 10**30}},
        {"UserSessionTracking": "ENABLED", "TokenSession": {"MaxPerUser": "5"}},
        {"UserSessionTracking": "ENABLED", "TokenSession": {}},
        {"UserSessionTracking": "ENABLED"},
        {"TokenSession": {"MaxPerUser": 5}},
        {"UserSessionTracking": "ON", "TokenSession": {"MaxPerUser": 5}},
        {"UserSessionTracking": ["ENABLED"], "TokenSession": {"MaxPerUser": 5}},
    ],
)
def test_bad_pool_configurations_are_refused_and_change_nothing(
    idp_unchecked: Any, pool: UserPool, members: dict[str, Any]
) -> None:
    before = snapshot()

    with pytest.raises(ClientError) as error:
        idp_unchecked.set_user_pool_session_configuration(UserPoolId=pool.pool_id, **members)

    assert error.value.response["Error"]["Code"] in {
        "InvalidParameterException",
        "SerializationException",
    }
    assert snapshot() == before


@pytest.mark.parametrize(
    "sso",
    [
        {"MaxValidityMinutes": -1},
        {"MaxValidityMinutes": 129601},
        {"MaxValidityMinutes": 10**30},
        {"MaxValidityMinutes": 1.5},
        {"MaxValidityMinutes": None},
        {},
    ],
)
def test_bad_client_configurations_are_refused_and_change_nothing(
    idp: Any, idp_unchecked: Any, pool: UserPool, sso: Any
) -> None:
    client = make_app_client(pool=pool)
    _track(idp, pool)
    before = snapshot()

    with pytest.raises(ClientError) as error:
        idp_unchecked.set_user_pool_client_session_configuration(
            UserPoolId=pool.pool_id, ClientId=client.client_id, SSOSession=sso
        )

    assert error.value.response["Error"]["Code"] in {
        "InvalidParameterException",
        "SerializationException",
    }
    assert snapshot() == before


def test_a_client_is_configured_only_while_its_pool_tracks_sessions(
    idp: Any, pool: UserPool
) -> None:
    client = make_app_client(pool=pool)
    before = snapshot()

    with pytest.raises(ClientError) as error:
        _sso(idp, client, 5)

    assert "Session tracking must be enabled" in _refused(error, "InvalidParameterException")
    assert snapshot() == before


def test_the_lite_tier_refuses_both_sets_and_changes_nothing(idp: Any, db: None) -> None:
    lite = make_user_pool(name="lite", UserPoolTier="LITE")
    client = make_app_client(pool=lite)
    before = snapshot()

    with pytest.raises(ClientError) as error:
        _track(idp, lite)
    _refused(error, "FeatureUnavailableInTierException")
    with pytest.raises(ClientError) as error:
        _sso(idp, client, 5)
    _refused(error, "FeatureUnavailableInTierException")

    assert snapshot() == before
    read = idp.get_user_pool_session_configuration(UserPoolId=lite.pool_id)
    assert read["UserSessionTracking"] == "DISABLED"


def test_unknown_pools_and_clients_and_another_pools_client_are_not_found(
    idp: Any, pool: UserPool
) -> None:
    _track(idp, pool)
    other = make_user_pool(name="other")
    _track(idp, other)
    stranger = make_app_client(pool=other)
    before = snapshot()
    missing_pool = "us-east-1_missing00"

    calls: list[Callable[[], object]] = [
        lambda: idp.get_user_pool_session_configuration(UserPoolId=missing_pool),
        lambda: _track(idp, UserPool(pool_id=missing_pool)),
        lambda: idp.get_user_pool_client_session_configuration(
            UserPoolId=pool.pool_id, ClientId="nosuchclient"
        ),
        lambda: idp.get_user_pool_client_session_configuration(
            UserPoolId=pool.pool_id, ClientId=stranger.client_id
        ),
        lambda: idp.set_user_pool_client_session_configuration(
            UserPoolId=pool.pool_id,
            ClientId=stranger.client_id,
            SSOSession={"MaxValidityMinutes": 1},
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as error:
            call()
        _refused(error, "ResourceNotFoundException")

    assert snapshot() == before


# --- token sessions --------------------------------------------------------------------------


def _sign_in(idp_public: Any, client: AppClient) -> dict[str, str]:
    result: dict[str, str] = idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return result


def _refresh(idp_public: Any, client: AppClient, tokens: dict[str, str]) -> None:
    idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )


def _alive(idp_public: Any, client: AppClient, tokens: dict[str, str]) -> bool:
    """Whether the sign-in still works: its access token for GetUser and its refresh token.
    Both answer the same, as one revocation ends both."""
    answers = []
    for call in (
        lambda: idp_public.get_user(AccessToken=tokens["AccessToken"]),
        lambda: _refresh(idp_public, client, tokens),
    ):
        try:
            call()
        except ClientError as error:
            assert error.response["Error"]["Code"] == "NotAuthorizedException", error.response
            answers.append(False)
        else:
            answers.append(True)
    assert answers[0] == answers[1], answers
    return answers[0]


def test_a_sign_in_beyond_max_per_user_evicts_the_oldest_session(
    idp: Any, idp_public: Any, live_pool: UserPool, public: AppClient, alice: PoolUser
) -> None:
    _track(idp, live_pool, max_per_user=2)
    first = _sign_in(idp_public, public)
    second = _sign_in(idp_public, public)

    third = _sign_in(idp_public, public)

    assert not _alive(idp_public, public, first)
    assert _alive(idp_public, public, second)
    assert _alive(idp_public, public, third)


def test_the_least_recently_used_session_is_the_one_evicted(
    idp: Any, idp_public: Any, live_pool: UserPool, public: AppClient, alice: PoolUser
) -> None:
    _track(idp, live_pool, max_per_user=2)
    first = _sign_in(idp_public, public)
    second = _sign_in(idp_public, public)
    _refresh(idp_public, public, first)

    third = _sign_in(idp_public, public)

    assert not _alive(idp_public, public, second)
    assert _alive(idp_public, public, first)
    assert _alive(idp_public, public, third)


def test_sessions_of_every_client_count_and_other_users_are_untouched(
    idp: Any, idp_public: Any, live_pool: UserPool, public: AppClient, alice: PoolUser
) -> None:
    other_client = make_app_client(
        pool=live_pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )
    make_user(pool=live_pool, username="bob", password=PASSWORD)
    _track(idp, live_pool, max_per_user=1)
    bob = idp_public.initiate_auth(
        ClientId=public.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bob", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    first = _sign_in(idp_public, public)

    second = _sign_in(idp_public, other_client)

    assert not _alive(idp_public, public, first)
    assert _alive(idp_public, other_client, second)
    assert _alive(idp_public, public, bob)


def test_lowering_the_limit_evicts_only_at_the_next_sign_in(
    idp: Any, idp_public: Any, live_pool: UserPool, public: AppClient, alice: PoolUser
) -> None:
    _track(idp, live_pool, max_per_user=3)
    sessions = [_sign_in(idp_public, public) for _ in range(3)]

    _track(idp, live_pool, max_per_user=1)

    assert all(_alive(idp_public, public, each) for each in sessions)
    newest = _sign_in(idp_public, public)
    assert not any(_alive(idp_public, public, each) for each in sessions)
    assert _alive(idp_public, public, newest)


def test_without_tracking_the_limit_is_not_enforced(
    idp: Any, idp_public: Any, live_pool: UserPool, public: AppClient, alice: PoolUser
) -> None:
    _track(idp, live_pool, "DISABLED", max_per_user=1)

    sessions = [_sign_in(idp_public, public) for _ in range(3)]

    assert all(_alive(idp_public, public, each) for each in sessions)


# --- the hosted session's silent reuse --------------------------------------------------------


def _authorize(client: AppClient) -> str:
    return (
        f"/oauth2/authorize?response_type=code&client_id={client.client_id}&redirect_uri={CALLBACK}"
    )


def _silent(browser: Browser, client: AppClient) -> bool:
    """Whether /oauth2/authorize sends the browser straight back to the app (with a code)."""
    location = browser.get(_authorize(client)).headers["Location"]
    assert location.startswith((CALLBACK, "/login?")), location
    return location.startswith(CALLBACK)


def test_max_validity_minutes_bounds_silent_reuse_from_the_last_sign_in(
    request: pytest.FixtureRequest, idp: Any, live_pool: UserPool, alice: PoolUser, url: str
) -> None:
    bounded, unconfigured = web_app(live_pool), web_app(live_pool)
    _track(idp, live_pool)
    _sso(idp, bounded, 10)
    # Held still only now: the signed configuration calls above carry the real time.
    clock: Clock = request.getfixturevalue("clock")
    browser = Browser(url)
    browser.sign_in(_authorize(bounded))

    clock.advance(minutes=9, seconds=59)
    assert _silent(browser, bounded)
    clock.advance(seconds=1)
    assert not _silent(browser, bounded)
    # A client without its own configuration has the documented default, 60 minutes.
    assert _silent(browser, unconfigured)
    clock.advance(minutes=50)
    assert not _silent(browser, unconfigured)


def test_zero_never_reuses_the_session_but_other_clients_still_do(
    idp: Any, live_pool: UserPool, alice: PoolUser, url: str
) -> None:
    never, other = web_app(live_pool), web_app(live_pool)
    _track(idp, live_pool)
    _sso(idp, never, 0)
    browser = Browser(url)

    browser.sign_in(_authorize(never))

    assert not _silent(browser, never)
    assert _silent(browser, other)


def test_without_tracking_the_client_bound_is_dormant(
    idp: Any, live_pool: UserPool, alice: PoolUser, url: str
) -> None:
    client = web_app(live_pool)
    _track(idp, live_pool)
    _sso(idp, client, 0)
    _track(idp, live_pool, "DISABLED")
    browser = Browser(url)

    browser.sign_in(_authorize(client))

    assert _silent(browser, client)


# --- the README's example --------------------------------------------------------------------


def test_the_readme_session_example_runs_as_written(idp: Any, pool: UserPool) -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Tokens, JWKS and discovery\n")
    section = text[start : text.index("\n## ", start + 1)]
    [code] = [
        block
        for block in re.findall(r"^```python\n(.*?)^```$", section, re.M | re.S)
        if "session_configuration" in block
    ]
    client = make_app_client(pool=pool)

    namespace = {"idp": idp, "pool_id": pool.pool_id, "client_id": client.client_id}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - the README's own example

    read = idp.get_user_pool_session_configuration(UserPoolId=pool.pool_id)
    assert (read["UserSessionTracking"], read["TokenSession"]) == ("ENABLED", {"MaxPerUser": 5})
    read = idp.get_user_pool_client_session_configuration(
        UserPoolId=pool.pool_id, ClientId=client.client_id
    )
    assert read["SSOSession"] == {"MaxValidityMinutes": 0}
