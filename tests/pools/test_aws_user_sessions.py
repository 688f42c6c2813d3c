"""AWS endpoint, boto3 against a live server: a user's sessions (ListUserSessions,
AdminListUserSessions, RevokeUserSession, AdminRevokeUserSession). Token sessions are sign-ins
of an app client, SSO sessions hosted sign-ins; revoking one ends it at once, LINKED its linked
ones."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from pools.models import AppClient, UserPool
from pools.services import user_sessions
from tests.builders import make_app_client, make_user, make_user_pool
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.pools.hosted_fixtures import CALLBACK, Browser, plain_http, redirected_to, web_app
from tests.pools.oauth_fixtures import PASSWORD, alice, discovery, live_pool, public, url

__all__ = ["alice", "discovery", "live_pool", "plain_http", "public", "url"]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("plain_http", "alice"),
]

SESSION_ID = re.compile(r"(tkn|sso)[a-z0-9]{25}")
UNKNOWN_ID = "tkn" + "0" * 25


@pytest.fixture
def tracked(idp: Any, live_pool: UserPool) -> UserPool:
    idp.set_user_pool_session_configuration(
        UserPoolId=live_pool.pool_id, UserSessionTracking="ENABLED", TokenSession={"MaxPerUser": 20}
    )
    return live_pool


@pytest.fixture
def other_app(live_pool: UserPool) -> AppClient:
    return make_app_client(
        pool=live_pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    code: str = error.value.response["Error"]["Code"]
    return code


def _sign_in(idp_public: Any, client: AppClient, username: str = "alice") -> dict[str, str]:
    result: dict[str, str] = idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return result


def _alive(idp_public: Any, client: AppClient, tokens: dict[str, str]) -> bool:
    """Whether the sign-in still works, by its access token (GetUser) and its refresh token;
    both must answer the same."""
    answers = []
    calls: tuple[Callable[[], Any], ...] = (
        lambda: idp_public.get_user(AccessToken=tokens["AccessToken"]),
        lambda: idp_public.initiate_auth(
            ClientId=client.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        ),
    )
    for call in calls:
        try:
            call()
        except ClientError as error:
            assert error.response["Error"]["Code"] == "NotAuthorizedException", error.response
            answers.append(False)
        else:
            answers.append(True)
    assert answers[0] == answers[1], answers
    return answers[0]


def _mine(idp_public: Any, tokens: dict[str, str]) -> list[dict[str, Any]]:
    sessions: list[dict[str, Any]] = idp_public.list_user_sessions(
        AccessToken=tokens["AccessToken"]
    )["Sessions"]
    return sessions


def _admin_list(idp: Any, pool: UserPool, username: str = "alice") -> list[dict[str, Any]]:
    sessions: list[dict[str, Any]] = idp.admin_list_user_sessions(
        UserPoolId=pool.pool_id, Username=username
    )["Sessions"]
    return sessions


def _current(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    (current,) = [s for s in sessions if s["IsCurrentSession"]]
    return current


# --- listing ---------------------------------------------------------------------------------


def test_each_sign_in_is_a_token_session_and_the_callers_own_is_current(
    idp: Any,
    idp_public: Any,
    tracked: UserPool,
    public: AppClient,
    other_app: AppClient,
) -> None:
    first = _sign_in(idp_public, public)
    second = _sign_in(idp_public, other_app)

    sessions = _mine(idp_public, first)

    assert [(s["SessionType"], s["ClientId"]) for s in sessions] == [
        ("TOKEN", public.client_id),
        ("TOKEN", other_app.client_id),
    ]
    assert [s["IsCurrentSession"] for s in sessions] == [True, False]
    assert all(SESSION_ID.fullmatch(s["SessionId"]) for s in sessions)
    assert all(s["SessionId"].startswith("tkn") for s in sessions)
    assert all("OriginSessionId" not in s for s in sessions)
    assert all(s["CreateDate"] <= s["LastActiveDate"] for s in sessions)
    # The same sessions, with the same ids, from the other sign-in and for the operator.
    from_second = _mine(idp_public, second)
    assert [s["SessionId"] for s in from_second] == [s["SessionId"] for s in sessions]
    assert _current(from_second)["SessionId"] == sessions[1]["SessionId"]
    admin = _admin_list(idp, tracked)
    assert [s["SessionId"] for s in admin] == [s["SessionId"] for s in sessions]
    assert not any(s["IsCurrentSession"] for s in admin)


def test_a_refresh_keeps_the_session_and_its_id(
    idp_public: Any, tracked: UserPool, public: AppClient
) -> None:
    tokens = _sign_in(idp_public, public)
    before = _current(_mine(idp_public, tokens))

    refreshed = idp_public.initiate_auth(
        ClientId=public.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]

    (after,) = _mine(idp_public, refreshed)
    assert after["SessionId"] == before["SessionId"]
    assert after["IsCurrentSession"]
    assert after["CreateDate"] == before["CreateDate"]
    assert after["LastActiveDate"] >= before["LastActiveDate"]


def test_signed_out_and_other_users_sessions_are_not_listed(
    idp: Any, idp_public: Any, tracked: UserPool, public: AppClient
) -> None:
    make_user(pool=tracked, username="bob", password=PASSWORD)
    bob = _sign_in(idp_public, public, "bob")
    _sign_in(idp_public, public)
    _sign_in(idp_public, public)

    idp.admin_user_global_sign_out(UserPoolId=tracked.pool_id, Username="alice")

    assert _admin_list(idp, tracked) == []
    assert len(_mine(idp_public, bob)) == 1


def test_a_long_list_comes_in_pages_whose_tokens_belong_to_it(
    monkeypatch: pytest.MonkeyPatch,
    idp: Any,
    idp_public: Any,
    tracked: UserPool,
    public: AppClient,
) -> None:
    monkeypatch.setattr(user_sessions, "PAGE_SIZE", 2)
    make_user(pool=tracked, username="bob", password=PASSWORD)
    bob = _sign_in(idp_public, public, "bob")
    _sign_in(idp_public, public, "bob")
    _sign_in(idp_public, public, "bob")
    tokens = [_sign_in(idp_public, public) for _ in range(3)]

    first = idp_public.list_user_sessions(AccessToken=tokens[0]["AccessToken"])
    second = idp_public.list_user_sessions(
        AccessToken=tokens[0]["AccessToken"], NextToken=first["NextToken"]
    )

    assert len(first["Sessions"]) == 2
    assert len(second["Sessions"]) == 1
    assert "NextToken" not in second
    ids = [s["SessionId"] for s in first["Sessions"] + second["Sessions"]]
    assert ids == [s["SessionId"] for s in _admin_list_all(idp, tracked)]
    assert len(set(ids)) == 3
    # Another user's list does not take this list's token, nor does a forged one go.
    for token in (first["NextToken"], "forged"):
        with pytest.raises(ClientError) as error:
            idp_public.list_user_sessions(AccessToken=bob["AccessToken"], NextToken=token)
        assert _code(error) == "InvalidParameterException"


def _admin_list_all(idp: Any, pool: UserPool) -> list[dict[str, Any]]:
    paginated: list[dict[str, Any]] = []
    params = {"UserPoolId": pool.pool_id, "Username": "alice"}
    while True:
        page = idp.admin_list_user_sessions(**params)
        paginated += page["Sessions"]
        if "NextToken" not in page:
            return paginated
        params["NextToken"] = page["NextToken"]


# --- revoking token sessions -----------------------------------------------------------------


def test_revoking_a_session_refuses_its_tokens_at_once_and_leaves_the_others(
    idp_public: Any,
    tracked: UserPool,
    public: AppClient,
    other_app: AppClient,
) -> None:
    mine = _sign_in(idp_public, public)
    lost = _sign_in(idp_public, other_app)
    target = next(s for s in _mine(idp_public, mine) if not s["IsCurrentSession"])

    idp_public.revoke_user_session(AccessToken=mine["AccessToken"], SessionId=target["SessionId"])

    assert not _alive(idp_public, other_app, lost)
    assert _alive(idp_public, public, mine)
    assert [s["IsCurrentSession"] for s in _mine(idp_public, mine)] == [True]


def test_an_operator_revokes_any_session_of_the_user(
    idp: Any, idp_public: Any, tracked: UserPool, public: AppClient
) -> None:
    first = _sign_in(idp_public, public)
    second = _sign_in(idp_public, public)
    target = _current(_mine(idp_public, first))

    idp.admin_revoke_user_session(
        UserPoolId=tracked.pool_id, Username="alice", SessionId=target["SessionId"]
    )

    assert not _alive(idp_public, public, first)
    assert _alive(idp_public, public, second)
    assert target["SessionId"] not in [s["SessionId"] for s in _admin_list(idp, tracked)]


def test_the_callers_own_session_cannot_be_revoked_and_nothing_changes(
    idp_public: Any, tracked: UserPool, public: AppClient
) -> None:
    tokens = _sign_in(idp_public, public)
    own = _current(_mine(idp_public, tokens))["SessionId"]
    before = snapshot()

    for associated in ("NONE", "LINKED"):
        with pytest.raises(ClientError) as error:
            idp_public.revoke_user_session(
                AccessToken=tokens["AccessToken"],
                SessionId=own,
                RevokeAssociatedSessions=associated,
            )
        assert _code(error) == "InvalidParameterException"

    assert snapshot() == before
    assert _alive(idp_public, public, tokens)


# --- SSO sessions ----------------------------------------------------------------------------


def _authorize(client: AppClient, response_type: str = "code") -> str:
    return (
        f"/oauth2/authorize?response_type={response_type}&client_id={client.client_id}"
        f"&redirect_uri={CALLBACK}&scope=openid+aws.cognito.signin.user.admin"
    )


def _hosted_tokens(
    browser: Browser, client: AppClient, discovery: dict[str, Any], *, signed_in: bool = False
) -> dict[str, str]:
    """A sign-in of `client` through the hosted pages: the password (or, `signed_in`, the
    browser's hosted session), then the code's exchange."""
    response = browser.get(_authorize(client)) if signed_in else browser.sign_in(_authorize(client))
    code = redirected_to(response)[1]["code"]
    answer = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "client_id": client.client_id,
            "code": code,
            "redirect_uri": CALLBACK,
        },
        timeout=10,
    ).json()
    return {"AccessToken": answer["access_token"], "RefreshToken": answer["refresh_token"]}


def _silent(browser: Browser, client: AppClient) -> bool:
    """Whether /oauth2/authorize sends the browser straight back to the app (with a code)."""
    location = browser.get(_authorize(client)).headers["Location"]
    return location.startswith(CALLBACK)


def test_a_hosted_sign_in_is_an_sso_session_its_token_sessions_name(
    idp: Any, tracked: UserPool, url: str, discovery: dict[str, Any]
) -> None:
    web, other_web = web_app(tracked), web_app(tracked)
    browser = Browser(url)
    first = _hosted_tokens(browser, web, discovery)
    _hosted_tokens(browser, other_web, discovery, signed_in=True)

    sessions = _admin_list(idp, tracked)

    (sso,) = [s for s in sessions if s["SessionType"] == "SSO"]
    tokens = [s for s in sessions if s["SessionType"] == "TOKEN"]
    assert sso["SessionId"].startswith("sso")
    assert SESSION_ID.fullmatch(sso["SessionId"])
    assert [s["ClientId"] for s in tokens] == [web.client_id, other_web.client_id]
    assert [s["OriginSessionId"] for s in tokens] == [sso["SessionId"]] * 2
    assert sso["LastActiveDate"] >= tokens[1]["CreateDate"]
    assert _current(_mine_from(idp, first))["ClientId"] == web.client_id


def _mine_from(idp: Any, tokens: dict[str, str]) -> list[dict[str, Any]]:
    """ListUserSessions is unsigned: the operator's client sends it all the same."""
    sessions: list[dict[str, Any]] = idp.list_user_sessions(AccessToken=tokens["AccessToken"])[
        "Sessions"
    ]
    return sessions


def test_revoking_an_sso_session_alone_asks_for_the_password_again_and_keeps_its_tokens(
    idp: Any,
    idp_public: Any,
    tracked: UserPool,
    url: str,
    discovery: dict[str, Any],
) -> None:
    web = web_app(tracked)
    browser = Browser(url)
    tokens = _hosted_tokens(browser, web, discovery)
    (sso,) = [s for s in _admin_list(idp, tracked) if s["SessionType"] == "SSO"]

    idp.admin_revoke_user_session(
        UserPoolId=tracked.pool_id, Username="alice", SessionId=sso["SessionId"]
    )

    assert not _silent(browser, web)
    assert _alive(idp_public, web, tokens)
    (token,) = _admin_list(idp, tracked)
    assert (token["SessionType"], token["OriginSessionId"]) == ("TOKEN", sso["SessionId"])


def test_linked_from_an_sso_session_also_revokes_the_token_sessions_it_began(
    idp_public: Any,
    tracked: UserPool,
    public: AppClient,
    url: str,
    discovery: dict[str, Any],
) -> None:
    web = web_app(tracked)
    browser = Browser(url)
    hosted = _hosted_tokens(browser, web, discovery)
    by_api = _sign_in(idp_public, public)
    (sso,) = [s for s in _mine(idp_public, by_api) if s["SessionType"] == "SSO"]

    idp_public.revoke_user_session(
        AccessToken=by_api["AccessToken"],
        SessionId=sso["SessionId"],
        RevokeAssociatedSessions="LINKED",
    )

    assert not _silent(browser, web)
    assert not _alive(idp_public, web, hosted)
    assert _alive(idp_public, public, by_api)
    assert [s["SessionType"] for s in _mine(idp_public, by_api)] == ["TOKEN"]


def test_linked_from_a_token_session_also_ends_the_sso_session_it_came_through(
    idp: Any,
    idp_public: Any,
    tracked: UserPool,
    url: str,
    discovery: dict[str, Any],
) -> None:
    web, other_web = web_app(tracked), web_app(tracked)
    browser = Browser(url)
    target = _hosted_tokens(browser, web, discovery)
    sibling = _hosted_tokens(browser, other_web, discovery, signed_in=True)
    session_id = _current(_mine(idp_public, target))["SessionId"]

    idp.admin_revoke_user_session(
        UserPoolId=tracked.pool_id,
        Username="alice",
        SessionId=session_id,
        RevokeAssociatedSessions="LINKED",
    )

    assert not _alive(idp_public, web, target)
    assert not _silent(browser, web)
    # Only the directly linked session: the SSO session's other token session stays.
    assert _alive(idp_public, other_web, sibling)
    assert [s["ClientId"] for s in _admin_list(idp, tracked)] == [other_web.client_id]


def test_an_implicit_grant_through_the_hosted_session_names_it_too(
    idp: Any, tracked: UserPool, url: str
) -> None:
    web = web_app(tracked)
    browser = Browser(url)

    redirected_to(browser.sign_in(_authorize(web, "token")))

    sessions = _admin_list(idp, tracked)
    (sso,) = [s for s in sessions if s["SessionType"] == "SSO"]
    (token,) = [s for s in sessions if s["SessionType"] == "TOKEN"]
    assert token["OriginSessionId"] == sso["SessionId"]


# --- refusals --------------------------------------------------------------------------------


def test_without_session_tracking_every_operation_is_not_enabled_and_changes_nothing(
    idp: Any, idp_public: Any, live_pool: UserPool, public: AppClient
) -> None:
    tokens = _sign_in(idp_public, public)
    before = snapshot()
    calls: list[Callable[[], Any]] = [
        lambda: idp_public.list_user_sessions(AccessToken=tokens["AccessToken"]),
        lambda: idp.admin_list_user_sessions(UserPoolId=live_pool.pool_id, Username="alice"),
        lambda: idp_public.revoke_user_session(
            AccessToken=tokens["AccessToken"], SessionId=UNKNOWN_ID
        ),
        lambda: idp.admin_revoke_user_session(
            UserPoolId=live_pool.pool_id, Username="alice", SessionId=UNKNOWN_ID
        ),
    ]

    for call in calls:
        with pytest.raises(ClientError) as error:
            call()
        assert _code(error) == "OperationNotEnabledException"

    assert snapshot() == before


def test_unknown_and_other_users_sessions_are_not_found_and_change_nothing(
    idp: Any, idp_public: Any, tracked: UserPool, public: AppClient
) -> None:
    make_user(pool=tracked, username="bob", password=PASSWORD)
    bob = _sign_in(idp_public, public, "bob")
    bobs = _current(_mine(idp_public, bob))["SessionId"]
    mine = _sign_in(idp_public, public)
    before = snapshot()
    calls: list[Callable[[str], Any]] = [
        lambda sid: idp_public.revoke_user_session(AccessToken=mine["AccessToken"], SessionId=sid),
        lambda sid: idp.admin_revoke_user_session(
            UserPoolId=tracked.pool_id, Username="alice", SessionId=sid
        ),
    ]

    for call in calls:
        for session_id in (UNKNOWN_ID, "sso" + "z" * 25, bobs):
            with pytest.raises(ClientError) as error:
                call(session_id)
            assert _code(error) == "ResourceNotFoundException"

    assert snapshot() == before
    assert _alive(idp_public, public, bob)


def test_another_pools_user_and_unknown_pools_are_refused_and_change_nothing(
    idp: Any, idp_public: Any, tracked: UserPool, public: AppClient
) -> None:
    elsewhere = make_user_pool()
    make_user(pool=elsewhere, username="carol", password=PASSWORD)
    idp.set_user_pool_session_configuration(
        UserPoolId=elsewhere.pool_id, UserSessionTracking="ENABLED", TokenSession={"MaxPerUser": 5}
    )
    session_id = _current(_mine(idp_public, _sign_in(idp_public, public)))["SessionId"]
    before = snapshot()
    refusals: list[tuple[Callable[[], Any], str]] = [
        (
            lambda: idp.admin_list_user_sessions(UserPoolId=elsewhere.pool_id, Username="alice"),
            "UserNotFoundException",
        ),
        (
            lambda: idp.admin_revoke_user_session(
                UserPoolId=elsewhere.pool_id, Username="alice", SessionId=session_id
            ),
            "UserNotFoundException",
        ),
        (
            lambda: idp.admin_revoke_user_session(
                UserPoolId=tracked.pool_id, Username="carol", SessionId=session_id
            ),
            "UserNotFoundException",
        ),
        (
            lambda: idp.admin_list_user_sessions(
                UserPoolId="us-east-1_nothere00", Username="alice"
            ),
            "ResourceNotFoundException",
        ),
    ]

    for call, code in refusals:
        with pytest.raises(ClientError) as error:
            call()
        assert _code(error) == code

    assert snapshot() == before


@pytest.mark.parametrize(
    "session_id",
    ["", "tkn", "abc" + "0" * 25, "TKN" + "0" * 25, "tkn" + "0" * 24, "tkn" + "A" * 25],
)
def test_malformed_session_ids_are_invalid_and_change_nothing(
    idp_unchecked: Any,
    idp_public: Any,
    tracked: UserPool,
    public: AppClient,
    session_id: str,
) -> None:
    _sign_in(idp_public, public)
    before = snapshot()

    for associated in ("NONE", "SOME"):
        with pytest.raises(ClientError) as error:
            idp_unchecked.admin_revoke_user_session(
                UserPoolId=tracked.pool_id,
                Username="alice",
                SessionId=session_id,
                RevokeAssociatedSessions=associated,
            )
        assert _code(error) == "InvalidParameterException"

    assert snapshot() == before
