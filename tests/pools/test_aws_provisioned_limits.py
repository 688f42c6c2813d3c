"""AWS endpoint, boto3 against a live server: the account's request rates per API category
(GetProvisionedLimit, UpdateProvisionedLimit), and their enforcement on every cognito-idp call.

The clock stands still at a whole second near the real time (SigV4 checks the signature's date
against it), so every call of a test falls in one counting window until the test moves it; two
seconds on, both the window and the one before it (the sliding estimate) are empty again.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.session import get_session
from django.core.cache import cache
from pytest_django import Settings

from pools.errors import TooManyRequestsException
from pools.models import ProvisionedLimit, UserPool
from pools.services.limits import RATE_EXCEEDED_MESSAGE
from pools.services.provisioned_limits import API_CATEGORIES, OPERATION_CATEGORY, api_rate_check
from pools.services.tokens import tokens_issue
from tests.builders import make_app_client, make_user, make_user_pool
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.conftest import Clock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def still_clock(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Clock:
    # The test settings turn the rates off for every other test; here they act as in production.
    settings.COGNITOADMIN_API_RATE_LIMITS = 1.0
    clock = Clock(dt.datetime.fromtimestamp(int(time.time()), tz=dt.UTC))
    monkeypatch.setattr("django.utils.timezone.now", clock)
    # Counters and cached rates of earlier tests (the test cache is this process's).
    cache.clear()
    return clock


def _next_window(clock: Clock) -> None:
    clock.advance(seconds=2)


def _definition(category: str = "UserAuthentication", **more: str) -> dict[str, Any]:
    return {"LimitClass": "API_CATEGORY", "Attributes": {"Category": category, **more}}


def _get(idp: Any, clock: Clock, category: str) -> dict[str, Any]:
    # LimitManagement, the category of both operations, takes one call a second.
    _next_window(clock)
    limit: dict[str, Any] = idp.get_provisioned_limit(LimitDefinition=_definition(category))[
        "Limit"
    ]
    return limit


def _update(idp: Any, clock: Clock, category: str, value: int) -> dict[str, Any]:
    _next_window(clock)
    limit: dict[str, Any] = idp.update_provisioned_limit(
        LimitDefinition=_definition(category), RequestedLimitValue=value
    )["Limit"]
    return limit


def _throttled(error: pytest.ExceptionInfo[ClientError]) -> None:
    assert error.value.response["Error"] == {
        "Code": "TooManyRequestsException",
        "Message": RATE_EXCEEDED_MESSAGE,
    }


def test_every_operation_in_the_table_is_a_cognito_operation() -> None:
    known = set(get_session().get_service_model("cognito-idp").operation_names)
    assert set(OPERATION_CATEGORY) <= known


@pytest.mark.parametrize(
    ("category", "default"),
    [("UserAuthentication", 120), ("UserCreation", 50), ("UserList", 30), ("LimitManagement", 1)],
)
def test_a_category_never_provisioned_has_its_default_rate(
    idp: Any, still_clock: Clock, category: str, default: int
) -> None:
    assert _get(idp, still_clock, category) == {
        "LimitDefinition": _definition(category),
        "ProvisionedLimitValue": default,
        "FreeLimitValue": default,
    }


def test_update_then_get_returns_the_provisioned_rate_and_the_free_one(
    idp: Any, still_clock: Clock
) -> None:
    updated = _update(idp, still_clock, "UserAuthentication", 300)

    assert updated == {
        "LimitDefinition": _definition("UserAuthentication"),
        "ProvisionedLimitValue": 300,
        "FreeLimitValue": 120,
    }
    assert _get(idp, still_clock, "UserAuthentication") == updated
    assert _get(idp, still_clock, "UserRead")["ProvisionedLimitValue"] == 120
    assert list(ProvisionedLimit.objects.values_list("category", "requests_per_second")) == [
        ("UserAuthentication", 300)
    ]


def test_updating_to_the_default_ends_the_provisioned_rate(idp: Any, still_clock: Clock) -> None:
    _update(idp, still_clock, "UserRead", 500)

    assert _update(idp, still_clock, "UserRead", 120)["ProvisionedLimitValue"] == 120
    assert _get(idp, still_clock, "UserRead")["ProvisionedLimitValue"] == 120
    assert not ProvisionedLimit.objects.exists()


@pytest.mark.parametrize(
    ("definition", "value", "code"),
    [
        (_definition("UserList"), 60, "InvalidParameterException"),  # not adjustable
        (_definition("UserCreation"), 49, "InvalidParameterException"),  # below the default
        (_definition("UserCreation"), 10_001, "ServiceQuotaExceededException"),
        (_definition("UserCreation"), 2**31 - 1, "ServiceQuotaExceededException"),
        (_definition("UserCreation"), -1, "InvalidParameterException"),
        (_definition("NoSuchCategory"), 60, "InvalidParameterException"),
        (
            _definition("UserCreation", UserPoolId="us-east-1_abcdefghi"),
            60,
            "InvalidParameterException",
        ),
        ({"LimitClass": "API_CATEGORY", "Attributes": {}}, 60, "InvalidParameterException"),
        (
            {"LimitClass": "OTHER", "Attributes": {"Category": "UserCreation"}},
            60,
            "InvalidParameterException",
        ),
    ],
)
def test_refused_updates_change_nothing(
    idp: Any, still_clock: Clock, definition: dict[str, Any], value: int, code: str
) -> None:
    _update(idp, still_clock, "UserCreation", 70)
    before = snapshot()
    _next_window(still_clock)

    with pytest.raises(ClientError) as refused:
        idp.update_provisioned_limit(LimitDefinition=definition, RequestedLimitValue=value)

    assert refused.value.response["Error"]["Code"] == code, refused.value.response
    assert snapshot() == before
    assert _get(idp, still_clock, "UserCreation")["ProvisionedLimitValue"] == 70


@pytest.mark.parametrize(
    "definition",
    [
        _definition("NoSuchCategory"),
        _definition("UserRead", UserPoolId="us-east-1_abcdefghi"),
        {"LimitClass": "API_CATEGORY", "Attributes": {"category": "UserRead"}},
    ],
)
def test_get_refuses_what_names_no_category(
    idp: Any, still_clock: Clock, definition: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as refused:
        idp.get_provisioned_limit(LimitDefinition=definition)

    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"


def test_the_limit_operations_take_one_call_a_second(idp: Any, still_clock: Clock) -> None:
    _get(idp, still_clock, "UserRead")
    before = snapshot()

    with pytest.raises(ClientError) as refused:
        idp.update_provisioned_limit(
            LimitDefinition=_definition("UserRead"), RequestedLimitValue=200
        )

    _throttled(refused)
    assert snapshot() == before
    assert _get(idp, still_clock, "UserRead")["ProvisionedLimitValue"] == 120


@pytest.fixture
def scaled(settings: Settings) -> None:
    # A tenth of Cognito's rates: UserRead takes 12 calls a second, UserUpdate 2 (round(2.5)).
    settings.COGNITOADMIN_API_RATE_LIMITS = 0.1


def _call_until_refused(call: Any, most: int) -> int:
    """How many calls succeed before the first refusal (which must come within `most`)."""
    for done in range(most):
        try:
            call()
        except ClientError as error:
            assert error.response["Error"]["Code"] == "TooManyRequestsException", error.response
            return done
    raise AssertionError(f"{most} calls passed unrefused")


@pytest.mark.usefixtures("scaled")
def test_a_category_past_its_rate_is_refused_for_every_pool_until_the_window_passes(
    idp: Any, still_clock: Clock, pool: UserPool
) -> None:
    other = make_user_pool(PoolName="other")
    make_user(pool=pool, username="alice")
    make_user(pool=other, username="bob")

    def get_alice() -> Any:
        return idp.admin_get_user(UserPoolId=pool.pool_id, Username="alice")

    assert _call_until_refused(get_alice, 20) == 12
    # Cognito's category rates are the account's: another pool draws on the same one.
    with pytest.raises(ClientError) as refused:
        idp.admin_get_user(UserPoolId=other.pool_id, Username="bob")
    _throttled(refused)
    # Another category is not affected: UserList (3 a second here) still answers.
    assert idp.list_users(UserPoolId=pool.pool_id)["Users"]

    _next_window(still_clock)
    assert idp.admin_get_user(UserPoolId=other.pool_id, Username="bob")["Username"] == "bob"


@pytest.mark.usefixtures("scaled")
def test_a_refused_write_changes_nothing(idp: Any, still_clock: Clock, pool: UserPool) -> None:
    make_user(pool=pool, username="alice")

    def rename(value: str) -> Any:
        return idp.admin_update_user_attributes(
            UserPoolId=pool.pool_id,
            Username="alice",
            UserAttributes=[{"Name": "name", "Value": value}],
        )

    rename("one")
    rename("two")
    before = snapshot()
    with pytest.raises(ClientError) as refused:
        rename("three")

    _throttled(refused)
    assert snapshot() == before


@pytest.mark.usefixtures("scaled")
def test_a_provisioned_rate_is_enforced_at_once(
    idp: Any, still_clock: Clock, pool: UserPool
) -> None:
    make_user(pool=pool, username="alice")

    _update(idp, still_clock, "UserRead", 200)
    _next_window(still_clock)

    assert (
        _call_until_refused(
            lambda: idp.admin_get_user(UserPoolId=pool.pool_id, Username="alice"), 30
        )
        == 20
    )


@pytest.mark.usefixtures("scaled")
def test_token_authorised_calls_count_against_their_category(
    idp_public: Any, still_clock: Clock, pool: UserPool
) -> None:
    user = make_user(pool=pool, username="alice")
    access = tokens_issue(user=user, client=make_app_client(pool=pool))["AccessToken"]

    assert _call_until_refused(lambda: idp_public.get_user(AccessToken=access), 20) == 12


def test_across_a_window_boundary_at_most_twice_the_rate_passes(
    idp: Any, still_clock: Clock, settings: Settings
) -> None:
    settings.COGNITOADMIN_API_RATE_LIMITS = 0.1  # UserPoolRead: 2 calls a second (round(1.5))
    still_clock.advance(seconds=0.5)
    passed = 0
    for step in range(12):
        if step == 6:
            still_clock.advance(seconds=0.6)  # into the next window
        try:
            idp.list_user_pools(MaxResults=10)
            passed += 1
        except ClientError as error:
            assert error.response["Error"]["Code"] == "TooManyRequestsException"
    assert 2 <= passed <= 4


def test_the_limits_can_be_turned_off(idp: Any, still_clock: Clock, settings: Settings) -> None:
    settings.COGNITOADMIN_API_RATE_LIMITS = 0.0

    for _ in range(3):
        idp.get_provisioned_limit(LimitDefinition=_definition("UserRead"))


@pytest.mark.parametrize("category", sorted(API_CATEGORIES))
def test_every_category_answers(idp: Any, still_clock: Clock, category: str) -> None:
    limit = _get(idp, still_clock, category)

    assert limit["FreeLimitValue"] == API_CATEGORIES[category].default


def _checks_until_refused(operation: str, params: dict[str, Any], most: int) -> int:
    for done in range(most):
        try:
            api_rate_check(operation=operation, params=params)
        except TooManyRequestsException:
            return done
    raise AssertionError(f"{most} calls passed unrefused")


@pytest.mark.usefixtures("scaled")
def test_challenge_responses_have_a_rate_of_their_own_three_times_sign_ins() -> None:
    answer = {"ChallengeName": "SMS_MFA"}

    assert _checks_until_refused("RespondToAuthChallenge", answer, 50) == 36
    # Sign-ins (12 a second here) are not starved by the challenge responses, and vice versa.
    assert _checks_until_refused("InitiateAuth", {}, 50) == 12
    with pytest.raises(TooManyRequestsException):
        api_rate_check(operation="AdminRespondToAuthChallenge", params=answer)


@pytest.mark.usefixtures("scaled")
def test_a_new_password_answer_counts_as_account_recovery() -> None:
    new_password = {"ChallengeName": "NEW_PASSWORD_REQUIRED"}

    assert _checks_until_refused("AdminRespondToAuthChallenge", new_password, 10) == 3
    with pytest.raises(TooManyRequestsException):
        api_rate_check(operation="ForgotPassword", params={})
    api_rate_check(operation="RespondToAuthChallenge", params={"ChallengeName": "SMS_MFA"})


def test_operations_in_no_category_are_not_counted(settings: Settings) -> None:
    settings.COGNITOADMIN_API_RATE_LIMITS = 0.001  # every category: 1 call a second

    for _ in range(5):
        api_rate_check(operation="ListTerms", params={})
