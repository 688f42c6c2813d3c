"""Users' authentication events (`pools.services.auth_events`): what each sign-in, sign-up,
password reset or change and code sent again records, the admin's user page, and the purge."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from pools.errors import CodeMismatchException, NotAuthorizedException
from pools.models import AppClient, AuthEvent, PoolUser, UserPool
from pools.services.auth import AuthOutcome, auth_initiate, auth_respond
from pools.services.auth_events import AUTH_EVENT_RETENTION
from pools.services.lockout import LOCKOUT_THRESHOLD
from pools.services.mfa import mfa_preference_set
from pools.services.profile import password_change
from pools.services.purge import expired_purge
from pools.services.recovery import password_forgot, password_forgot_confirm
from pools.services.signup import confirmation_code_resend, sign_up
from pools.services.sms import SmsMessage
from tests.builders import make_app_client, make_user, sent_code
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.conftest import Clock
from tests.pools.test_mfa import mfa_pool

pytestmark = pytest.mark.django_db
# Codes leave after the commit: the tests that read them commit.
SENDS = pytest.mark.django_db(transaction=True)

PASSWORD = "Passw0rd!"
OTHER_PASSWORD = "An0ther-passw0rd!"
IP = "203.0.113.7"
PASSED = {"ChallengeName": "Password", "ChallengeResponse": "Success"}
WRONG_PASSWORD = {"ChallengeName": "Password", "ChallengeResponse": "Failure"}
MFA_PASSED = {"ChallengeName": "Mfa", "ChallengeResponse": "Success"}
WRONG_MFA = {"ChallengeName": "Mfa", "ChallengeResponse": "Failure"}


@pytest.fixture
def pool() -> UserPool:
    return mfa_pool(AutoVerifiedAttributes=["email"])


@pytest.fixture
def app(pool: UserPool) -> AppClient:
    return make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])


@pytest.fixture
def alice(pool: UserPool) -> PoolUser:
    return make_user(
        pool=pool,
        username="alice",
        password=PASSWORD,
        email="alice@example.com",
        email_verified="true",
        phone_number="+15555550100",
        phone_number_verified="true",
    )


def _sign_in(app: AppClient, password: str = PASSWORD, username: str = "alice") -> AuthOutcome:
    return auth_initiate(
        client=app,
        flow="USER_PASSWORD_AUTH",
        parameters={"USERNAME": username, "PASSWORD": password},
        admin=False,
        ip_address=IP,
    )


def _answer(app: AppClient, outcome: AuthOutcome, code: str) -> AuthOutcome:
    assert outcome.challenge_name is not None
    return auth_respond(
        client=app,
        challenge_name=outcome.challenge_name,
        session=outcome.session,
        responses={"USERNAME": "alice", "SMS_MFA_CODE": code},
        admin=False,
        ip_address=IP,
    )


def _events(user: PoolUser) -> list[tuple[str, str, list[dict[str, str]], str]]:
    """The user's events, newest first: type, response, challenges, reason."""
    rows = AuthEvent.objects.filter(user=user).order_by("-created", "-id")
    return [(e.event_type, e.event_response, e.challenges, e.reason) for e in rows]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- sign-in ---------------------------------------------------------------------------------


def test_a_password_sign_in_is_a_pass_with_its_password_ip_and_client(
    app: AppClient, alice: PoolUser
) -> None:
    assert _sign_in(app).authentication_result is not None

    [event] = AuthEvent.objects.filter(user=alice)
    assert (event.event_type, event.event_response, event.challenges) == (
        "SignIn",
        "Pass",
        [PASSED],
    )
    assert (event.ip_address, event.client_id, event.reason) == (IP, app.client_id, "")
    assert event.pool_id == alice.pool_id


def test_a_wrong_password_is_a_fail_and_changes_nothing_else(
    app: AppClient, alice: PoolUser
) -> None:
    before = snapshot()

    with pytest.raises(NotAuthorizedException):
        _sign_in(app, password="wrong-Passw0rd!")

    assert _events(alice) == [("SignIn", "Fail", [WRONG_PASSWORD], "wrong_password")]
    assert snapshot() == before


def test_a_name_nobody_has_records_no_event(app: AppClient, alice: PoolUser) -> None:
    with pytest.raises(Exception, match="User does not exist"):
        _sign_in(app, username="nobody")
    assert not AuthEvent.objects.exists()


def test_a_locked_out_attempt_is_a_fail_for_the_lockout(app: AppClient, alice: PoolUser) -> None:
    for _ in range(LOCKOUT_THRESHOLD):
        with pytest.raises(NotAuthorizedException):
            _sign_in(app, password="wrong-Passw0rd!")

    with pytest.raises(NotAuthorizedException, match="Password attempts exceeded"):
        _sign_in(app)  # the right password, refused before it is checked

    newest = _events(alice)[0]
    assert newest == ("SignIn", "Fail", [], "locked_out")
    assert len(_events(alice)) == LOCKOUT_THRESHOLD + 1


def test_a_disabled_user_is_a_fail_for_being_disabled(app: AppClient, alice: PoolUser) -> None:
    PoolUser.objects.filter(pk=alice.pk).update(enabled=False)
    with pytest.raises(NotAuthorizedException):
        _sign_in(app)
    assert _events(alice) == [("SignIn", "Fail", [], "disabled")]


@SENDS
def test_an_mfa_sign_in_is_in_progress_then_resolved_by_its_code(
    app: AppClient, alice: PoolUser, sms_outbox: list[SmsMessage]
) -> None:
    mfa_preference_set(user=alice, preferences={"SMSMfaSettings": {"Enabled": True}})

    challenge = _sign_in(app)

    assert challenge.challenge_name == "SMS_MFA"
    assert _events(alice) == [("SignIn", "InProgress", [PASSED], "")]
    [event] = AuthEvent.objects.filter(user=alice)

    [sms] = sms_outbox
    with pytest.raises(CodeMismatchException):
        _answer(app, challenge, _wrong(sent_code(sms.body)))
    assert _events(alice) == [("SignIn", "Fail", [PASSED, WRONG_MFA], "wrong_mfa_code")]

    # The session takes another try: the right code resolves the same event.
    assert _answer(app, challenge, sent_code(sms.body)).authentication_result is not None
    assert _events(alice) == [("SignIn", "Pass", [PASSED, MFA_PASSED], "")]
    assert AuthEvent.objects.get(user=alice).event_id == event.event_id


# --- the other events ------------------------------------------------------------------------


def test_sign_up_and_a_code_sent_again_are_recorded(
    app: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    sign_up(client=app, username="dora", password=PASSWORD, attributes={"email": "d@example.com"})
    confirmation_code_resend(client=app, username="dora")

    dora = PoolUser.objects.get(username="dora")
    assert _events(dora) == [("ResendCode", "Pass", [], ""), ("SignUp", "Pass", [], "")]
    assert {event.client_id for event in AuthEvent.objects.filter(user=dora)} == {app.client_id}


@SENDS
def test_a_password_reset_is_in_progress_until_its_code_comes_back(
    app: AppClient, alice: PoolUser, sms_outbox: list[SmsMessage]
) -> None:
    sent = password_forgot(client=app, username="alice")
    assert _events(alice) == [("ForgotPassword", "InProgress", [], "")]

    assert sent["CodeDeliveryDetails"]["DeliveryMedium"] == "SMS"
    code = sent_code(sms_outbox[-1].body)
    password_forgot_confirm(client=app, username="alice", code=code, password=OTHER_PASSWORD)

    assert _events(alice)[0] == ("ForgotPassword", "Pass", [], "")


def test_a_password_change_is_recorded_and_a_wrong_current_password_fails(
    app: AppClient, alice: PoolUser
) -> None:
    with pytest.raises(NotAuthorizedException):
        password_change(
            user=alice, previous="wrong", proposed=OTHER_PASSWORD, client_id=app.client_id
        )
    password_change(user=alice, previous=PASSWORD, proposed=OTHER_PASSWORD, client_id="c1")

    assert _events(alice) == [
        ("PasswordChange", "Pass", [], ""),
        ("PasswordChange", "Fail", [WRONG_PASSWORD], "wrong_password"),
    ]


# --- the purge -------------------------------------------------------------------------------


def test_the_purge_removes_events_past_their_retention(
    app: AppClient, alice: PoolUser, clock: Clock
) -> None:
    _sign_in(app)
    clock.advance(days=AUTH_EVENT_RETENTION.days - 1)
    _sign_in(app)
    clock.advance(days=2)

    purged = expired_purge()

    assert purged.auth_events == 1
    [kept] = AuthEvent.objects.filter(user=alice)
    assert kept.created == clock.now - dt.timedelta(days=2)


# --- the admin's user page -------------------------------------------------------------------


@pytest.fixture
def staff(client: Client, operator: User) -> Client:
    device = TOTPDevice.objects.get(user=operator, confirmed=True)
    client.force_login(operator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_the_user_page_shows_the_recent_events_in_a_bounded_number_of_queries(
    staff: Client, app: AppClient, alice: PoolUser, django_assert_max_num_queries: Any
) -> None:
    page = reverse("admin:pools_pooluser_change", args=[alice.pk])
    _sign_in(app)
    staff.get(page)  # caches warmed
    queries_for_one = _count_queries(staff, page)
    for _ in range(5):
        with pytest.raises(NotAuthorizedException):
            _sign_in(app, password="wrong-Passw0rd!")

    with django_assert_max_num_queries(queries_for_one):
        response = staff.get(page)

    assert response.status_code == 200
    text = response.content.decode()
    assert "Recent authentication events" in text
    assert text.count("wrong_password") == 5
    assert IP in text
    assert app.client_id in text
    # Read-only: no form field for the events.
    assert 'name="auth_events' not in text


def _count_queries(staff: Client, page: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert staff.get(page).status_code == 200
    return len(captured)


# --- the management API ----------------------------------------------------------------------


def test_the_api_pages_a_users_events_newest_first(
    api: APIClient, app: AppClient, alice: PoolUser
) -> None:
    for _ in range(3):
        with pytest.raises(NotAuthorizedException):
            _sign_in(app, password="wrong-Passw0rd!")
    _sign_in(app)
    url = f"/api/v1/pools/{alice.pool.pool_id}/users/alice/auth-events/"

    first = api.get(url, {"limit": 3})
    assert first.status_code == 200, first.content
    assert [e["event_response"] for e in first.json()["results"]] == ["Pass", "Fail", "Fail"]
    assert first.json()["results"][1]["reason"] == "wrong_password"
    rest = api.get(first.json()["next"])
    assert [e["event_response"] for e in rest.json()["results"]] == ["Fail"]
    assert rest.json()["next"] is None

    assert api.get(url, {"cursor": "forged"}).status_code == 400
    missing = f"/api/v1/pools/{alice.pool.pool_id}/users/nobody/auth-events/"
    assert api.get(missing).status_code == 404
