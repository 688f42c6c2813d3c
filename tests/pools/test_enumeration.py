"""PreventUserExistenceErrors ENABLED: a name that names nobody walks the sign-in lockout exactly
as a user's name does, with the same answers and the same work, and leaves nothing in the
database. How long each takes is the benchmark's business (`python -m bench --scenarios
enumeration`), never a test's."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import botocore.exceptions
import pytest
from django.apps import apps
from django.contrib.auth.hashers import check_password
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cognitoadmin.crypto import unseal_str
from cognitoadmin.errors import ServiceError
from pools.errors import NotAuthorizedException, UserNotFoundException
from pools.models import AppClient, PoolUser, UserPool
from pools.selectors.users import user_for_client_request
from pools.services import signup
from pools.services.auth import auth_initiate
from pools.services.lockout import (
    LOCKED_OUT_MESSAGE,
    LOCKOUT_QUIET_RESET,
    lockout_unknown_key,
)
from pools.services.recovery import password_forgot, password_forgot_confirm
from tests.builders import make_app_client, make_user, make_user_pool
from tests.conftest import Clock
from tests.pools.test_auth import ALL_FLOWS, Srp

pytestmark = pytest.mark.django_db

PASSWORD = "Passw0rd!"
WRONG = "Wr0ng-passw0rd!"
INCORRECT = "Incorrect username or password."
KNOWN = "alice"
UNKNOWN = "nobody"


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Unknown names' counts live in the cache, which outlives a test's database."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def hiding(pool: UserPool) -> AppClient:
    return make_app_client(
        pool=pool, ExplicitAuthFlows=ALL_FLOWS, PreventUserExistenceErrors="ENABLED"
    )


@pytest.fixture
def legacy(pool: UserPool) -> AppClient:
    return make_app_client(
        pool=pool, ExplicitAuthFlows=ALL_FLOWS, PreventUserExistenceErrors="LEGACY"
    )


@pytest.fixture
def alice(pool: UserPool) -> PoolUser:
    return make_user(pool=pool, username=KNOWN, password=PASSWORD, email="alice@example.com")


def _answer(attempt: Callable[[], object]) -> str:
    """What the caller is told: the error's type and message (none of these attempts succeed)."""
    try:
        attempt()
    except ServiceError as error:
        return f"{type(error).__name__}: {error.message}"
    return "signed in"


def _password(client: AppClient, username: str, *, admin: bool = False) -> Callable[[], object]:
    flow = "ADMIN_USER_PASSWORD_AUTH" if admin else "USER_PASSWORD_AUTH"
    return lambda: auth_initiate(
        client=client, flow=flow, parameters={"USERNAME": username, "PASSWORD": WRONG}, admin=admin
    )


def _srp(client: AppClient, username: str) -> Callable[[], object]:
    """A whole SRP sign-in with a wrong password: the first step, then PASSWORD_VERIFIER."""
    return lambda: Srp(client, username, WRONG).sign_in()


# What a caller does between attempts: try at once, or wait so many seconds first.
SCHEDULE = [0, 0, 0, 0, 0, 0, 0.5, 0.5, 2, 0, 2, 4, 0, 8]


def _walk(attempt: Callable[[str], Callable[[], object]], username: str, clock: Clock) -> list[str]:
    answers = []
    for wait in SCHEDULE:
        clock.advance(seconds=wait)
        answers.append(_answer(attempt(username)))
    return answers


@pytest.mark.parametrize(
    "flow", ["USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "USER_SRP_AUTH"]
)
def test_an_unknown_name_is_locked_out_exactly_as_a_known_one(
    flow: str, hiding: AppClient, alice: PoolUser, clock: Clock
) -> None:
    def attempt(username: str) -> Callable[[], object]:
        if flow == "USER_SRP_AUTH":
            return _srp(hiding, username)
        return _password(hiding, username, admin=flow == "ADMIN_USER_PASSWORD_AUTH")

    known = _walk(attempt, KNOWN, clock)
    unknown = _walk(attempt, UNKNOWN, clock)

    assert unknown == known
    locked = f"NotAuthorizedException: {LOCKED_OUT_MESSAGE}"
    incorrect = f"NotAuthorizedException: {INCORRECT}"
    # Five failures lock for 1 s; waiting it out allows one more try, which locks for 2 s; ...
    assert known == [incorrect] * 5 + [locked, locked, incorrect, incorrect, locked, locked] + [
        incorrect,
        locked,
        incorrect,
    ]


def test_an_unknown_name_counts_failures_across_flows_as_a_user_does(
    hiding: AppClient, alice: PoolUser, clock: Clock
) -> None:
    def mixed(username: str) -> list[str]:
        answers = [
            _answer(_password(hiding, username)),
            _answer(_srp(hiding, username)),
            _answer(_password(hiding, username, admin=True)),
            _answer(_srp(hiding, username)),
            _answer(_password(hiding, username)),
        ]
        # Locked: the SRP first step says so at once, as every other flow does.
        answers.append(_answer(lambda: Srp(hiding, username, WRONG).initiate()))
        answers.append(_answer(_password(hiding, username, admin=True)))
        return answers

    unknown = mixed(UNKNOWN)
    assert unknown == mixed(KNOWN)
    assert unknown[-1] == f"NotAuthorizedException: {LOCKED_OUT_MESSAGE}"


def test_a_challenge_answered_after_the_name_is_locked_out_is_refused(
    hiding: AppClient, alice: PoolUser, clock: Clock
) -> None:
    def pending_then_locked(username: str) -> str:
        srp = Srp(hiding, username, WRONG)
        challenge = srp.initiate()
        for _ in range(5):
            _answer(_password(hiding, username))
        return _answer(lambda: srp.respond(srp.answer(challenge)))

    unknown = pending_then_locked(UNKNOWN)
    assert unknown == pending_then_locked(KNOWN)
    assert unknown == f"NotAuthorizedException: {LOCKED_OUT_MESSAGE}"


def test_the_name_is_compared_as_the_pool_compares_usernames(
    hiding: AppClient, clock: Clock
) -> None:
    for name in ["Nobody", "NOBODY", "nobody", "noBody", "nobodY"]:
        _answer(_password(hiding, name))
    assert _answer(_password(hiding, "nobody")) == f"NotAuthorizedException: {LOCKED_OUT_MESSAGE}"


def test_names_are_counted_per_pool(hiding: AppClient, clock: Clock) -> None:
    other = make_app_client(
        pool=make_user_pool(name="other"),
        ExplicitAuthFlows=ALL_FLOWS,
        PreventUserExistenceErrors="ENABLED",
    )
    for _ in range(5):
        _answer(_password(hiding, UNKNOWN))
    assert _answer(_password(other, UNKNOWN)) == f"NotAuthorizedException: {INCORRECT}"
    assert _answer(_password(hiding, UNKNOWN)) == f"NotAuthorizedException: {LOCKED_OUT_MESSAGE}"


def test_fifteen_quiet_minutes_start_an_unknown_names_count_again(
    hiding: AppClient, alice: PoolUser, clock: Clock
) -> None:
    def after_quiet(username: str) -> list[str]:
        for _ in range(4):
            _answer(_password(hiding, username))
        clock.advance(minutes=15)
        return [_answer(_password(hiding, username)) for _ in range(6)]

    unknown = after_quiet(UNKNOWN)
    assert unknown == after_quiet(KNOWN)
    assert unknown[4:] == [
        f"NotAuthorizedException: {INCORRECT}",
        f"NotAuthorizedException: {LOCKED_OUT_MESSAGE}",
    ]


def test_an_unknown_names_entry_leaves_the_cache_with_the_quiet_window(
    hiding: AppClient, pool: UserPool, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry's own timestamps follow Django's clock (above); the cache drops it by real time,
    as soon as it can no longer matter, so scanned names do not pile up."""
    _answer(_password(hiding, UNKNOWN))
    key = lockout_unknown_key(pool=pool, username=UNKNOWN)
    assert cache.get(key) is not None
    real = time.time()

    class Later:
        @staticmethod
        def time() -> float:
            return real + LOCKOUT_QUIET_RESET.total_seconds() + 1

    monkeypatch.setattr("django.core.cache.backends.locmem.time", Later)
    assert cache.get(key) is None


def test_a_locked_out_unknown_name_runs_no_hash_as_a_locked_out_user(
    hiding: AppClient, alice: PoolUser, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes: list[str] = []
    real = check_password

    def spy(password: str, encoded: str, setter: Callable[[str], None] | None = None) -> bool:
        hashes.append(encoded)
        return real(password, encoded, setter=setter)

    monkeypatch.setattr("pools.services.passwords.check_password", spy)

    def counted(username: str) -> list[int]:
        counts = []
        for _ in range(7):
            before = len(hashes)
            _answer(_password(hiding, username))
            counts.append(len(hashes) - before)
        return counts

    assert counted(UNKNOWN) == counted(KNOWN) == [1, 1, 1, 1, 1, 0, 0]


def test_the_srp_first_step_unseals_a_verifier_for_known_and_unknown_names(
    hiding: AppClient, alice: PoolUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    unsealed: list[str] = []
    real = unseal_str

    def spy(token: str, *, purpose: str) -> str:
        unsealed.append(purpose)
        return real(token, purpose=purpose)

    monkeypatch.setattr("pools.services.auth.unseal_str", spy)
    Srp(hiding, KNOWN, WRONG).initiate()
    known = list(unsealed)
    unsealed.clear()
    Srp(hiding, UNKNOWN, WRONG).initiate()
    assert unsealed == known == ["srp_verifier"]


def test_finding_the_user_takes_one_query_for_known_and_unknown_names() -> None:
    pool = make_user_pool(name="aliases", AliasAttributes=["email", "preferred_username"])
    client = make_app_client(pool=pool, PreventUserExistenceErrors="ENABLED")
    make_user(pool=pool, username=KNOWN, password=PASSWORD, email="alice@example.com")
    for name, found in [(KNOWN, True), ("alice@example.com", False), (UNKNOWN, False)]:
        with CaptureQueriesContext(connection) as queries:
            user = user_for_client_request(client=client, username=name)
        assert len(queries) == 1, name
        # An unverified email is no alias: it names nobody.
        assert (user is not None) == found, name


def _database() -> dict[str, list[dict[str, Any]]]:
    """Every row of the pools app."""
    return {
        model._meta.label_lower: list(model._default_manager.order_by("pk").values())
        for model in apps.get_app_config("pools").get_models()
    }


def test_an_unknown_names_failures_and_refusals_change_nothing_in_the_database(
    hiding: AppClient, alice: PoolUser, clock: Clock
) -> None:
    before = _database()
    answers = [_answer(_password(hiding, UNKNOWN, admin=index % 2 == 1)) for index in range(8)]
    assert answers[-1] == f"NotAuthorizedException: {LOCKED_OUT_MESSAGE}"
    assert _database() == before


def test_a_known_users_refusal_while_locked_out_changes_nothing(
    hiding: AppClient, alice: PoolUser, clock: Clock
) -> None:
    for _ in range(5):
        _answer(_password(hiding, KNOWN))
    before = _database()
    assert _answer(_password(hiding, KNOWN)) == f"NotAuthorizedException: {LOCKED_OUT_MESSAGE}"
    assert _database() == before


def test_srp_answers_an_unconfirmed_user_with_a_wrong_password_as_an_unknown_name(
    hiding: AppClient, legacy: AppClient
) -> None:
    signup.sign_up(client=hiding, username="ivan", password=PASSWORD, attributes={})

    # The first step is a challenge for both, and the wrong proof is refused alike.
    assert (
        _answer(_srp(hiding, "ivan"))
        == _answer(_srp(hiding, UNKNOWN))
        == (f"NotAuthorizedException: {INCORRECT}")
    )
    # Where unknown names are told, so is the unconfirmed user, at the first step (as AWS).
    assert _answer(_srp(legacy, "ivan")) == "UserNotConfirmedException: User is not confirmed."


def test_legacy_clients_still_say_that_the_user_does_not_exist(
    legacy: AppClient, pool: UserPool, clock: Clock
) -> None:
    answers = {_answer(_password(legacy, UNKNOWN)) for _ in range(8)}
    answers |= {_answer(_srp(legacy, UNKNOWN)) for _ in range(3)}
    assert answers == {f"UserNotFoundException: {UserNotFoundException.default_message}"}
    assert cache.get(lockout_unknown_key(pool=pool, username=UNKNOWN)) is None


def test_boto3_an_unknown_name_is_locked_out_on_the_sixth_wrong_password(
    idp_public: Any, clock: Clock
) -> None:
    pool = make_user_pool(name="live")
    client = make_app_client(
        pool=pool, ExplicitAuthFlows=ALL_FLOWS, PreventUserExistenceErrors="ENABLED"
    )
    make_user(pool=pool, username=KNOWN, password=PASSWORD)

    def messages(username: str) -> list[tuple[str, str]]:
        answers = []
        for _ in range(6):
            with pytest.raises(botocore.exceptions.ClientError) as error:
                idp_public.initiate_auth(
                    ClientId=client.client_id,
                    AuthFlow="USER_PASSWORD_AUTH",
                    AuthParameters={"USERNAME": username, "PASSWORD": WRONG},
                )
            answers.append((error.value.response["Error"]["Code"], str(error.value)))
        return answers

    unknown = messages(UNKNOWN)
    assert [answer[1].replace(UNKNOWN, KNOWN) for answer in unknown] == [
        answer[1] for answer in messages(KNOWN)
    ]
    assert unknown[4][0] == unknown[5][0] == NotAuthorizedException.aws_type
    assert LOCKED_OUT_MESSAGE in unknown[5][1]
    assert INCORRECT in unknown[4][1]
    assert not PoolUser.objects.filter(username=UNKNOWN).exists()
    assert dt.timedelta(0) < LOCKOUT_QUIET_RESET


@pytest.mark.parametrize("purpose", ["recovery", "sign-up"])
def test_an_unknown_names_code_is_used_up_by_wrong_tries_as_a_users_is(purpose: str) -> None:
    pool = make_user_pool(name="verifying", AutoVerifiedAttributes=["email"])
    client = make_app_client(pool=pool, PreventUserExistenceErrors="ENABLED")
    make_user(
        pool=pool, username="dora", password=PASSWORD, email="d@example.com", email_verified="true"
    )
    signup.sign_up(
        client=client, username="erin", password=PASSWORD, attributes={"email": "e@example.com"}
    )
    known = "dora" if purpose == "recovery" else "erin"

    def send(name: str) -> None:
        # Asking for a code (again): the wrong tries of an earlier one no longer count.
        if purpose == "recovery":
            password_forgot(client=client, username=name)
        else:
            signup.confirmation_code_resend(client=client, username=name)

    def check(name: str) -> None:
        if purpose == "recovery":
            password_forgot_confirm(client=client, username=name, code="000000", password=PASSWORD)
        else:
            signup.sign_up_confirm(client=client, username=name, code="000000")

    def answers(name: str) -> list[str]:
        send(name)
        return [_answer(lambda: check(name)) for _ in range(7)]

    assert answers(UNKNOWN) == answers(known)
    assert answers(UNKNOWN)[-1].startswith("ExpiredCodeException")
