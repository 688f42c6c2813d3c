"""Expired rows go (`manage.py purge`), and nothing a client could still use goes with them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from pycognito.aws_srp import generate_hash_device
from social_django.models import Association, Nonce

from pools.errors import ExpiredCodeException
from pools.models import (
    AppClient,
    AuthorizationCode,
    AuthSession,
    CodePurpose,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Device,
    HostedSession,
    PoolUser,
    RefreshToken,
)
from pools.models import VerificationCode as Code
from pools.services.auth import auth_initiate
from pools.services.codes import code_check, code_issue
from pools.services.devices import device_confirm, device_track
from pools.services.federated_sign_in import PENDING_SECONDS
from pools.services.hosted import (
    AuthorizeRequest,
    authorization_complete,
    hosted_session_end,
    hosted_session_start,
)
from pools.services.pools import user_pool_update
from pools.services.purge import expired_purge
from pools.services.tokens import tokens_issue
from tests.builders import make_app_client
from tests.conftest import Clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(user: PoolUser) -> AppClient:
    return make_app_client(pool=user.pool, ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"])


def _srp_session(app: AppClient) -> None:
    auth_initiate(
        client=app,
        flow="USER_SRP_AUTH",
        parameters={"USERNAME": "alice", "SRP_A": "ab" * 64},
        admin=False,
    )


def test_sessions_go_once_they_expire(app: AppClient, clock: Clock) -> None:
    _srp_session(app)  # valid for the client's 3 minutes
    clock.advance(minutes=2)
    _srp_session(app)
    clock.advance(minutes=1, seconds=30)

    purged = expired_purge()

    assert purged.auth_sessions == 1
    assert AuthSession.objects.count() == 1


def test_used_and_expired_codes_go_and_are_refused_as_before(user: PoolUser, clock: Clock) -> None:
    used = code_issue(user=user, purpose=CodePurpose.VERIFY_EMAIL)
    with code_check(user=user, purpose=CodePurpose.VERIFY_EMAIL, code=used):
        pass
    expired = code_issue(user=user, purpose=CodePurpose.FORGOT_PASSWORD)
    clock.advance(hours=1)
    live = code_issue(user=user, purpose=CodePurpose.SIGN_UP)

    purged = expired_purge()

    assert purged.verification_codes == 2
    assert list(Code.objects.values_list("purpose", flat=True)) == [CodePurpose.SIGN_UP]
    for purpose, code in ((CodePurpose.VERIFY_EMAIL, used), (CodePurpose.FORGOT_PASSWORD, expired)):
        with pytest.raises(ExpiredCodeException), code_check(user=user, purpose=purpose, code=code):
            pass
    with code_check(user=user, purpose=CodePurpose.SIGN_UP, code=live):
        pass


def test_refresh_tokens_stay_until_no_token_of_their_sign_in_can_be_valid(
    user: PoolUser, app: AppClient, clock: Clock
) -> None:
    tokens_issue(user=user, client=app)  # refresh tokens last the client's 30 days
    clock.advance(days=30, hours=23)

    assert expired_purge().refresh_tokens == 0

    clock.advance(hours=1)
    assert expired_purge().refresh_tokens == 1
    assert not RefreshToken.objects.exists()


def test_the_command_says_what_it_deleted(app: AppClient, clock: Clock) -> None:
    _srp_session(app)
    clock.advance(days=1)
    out = StringIO()

    call_command("purge", stdout=out)

    assert out.getvalue().strip() == (
        "Deleted 1 auth session(s), 0 verification code(s), 0 refresh token(s), "
        "0 unconfirmed device(s), 0 authorization code(s), 0 hosted sign-in session(s), "
        "0 federated sign-in state(s) and 0 message record(s)."
    )


def _delivery(user: PoolUser, status: DeliveryStatus) -> Delivery:
    return Delivery.objects.create(
        pool=user.pool,
        user=user,
        kind=DeliveryKind.SIGN_UP,
        channel="EMAIL",
        destination="a***@e***",
        status=status,
    )


def test_message_records_go_30_days_after_they_are_done_with(user: PoolUser, clock: Clock) -> None:
    sent = _delivery(user, DeliveryStatus.SENT)
    failed = _delivery(user, DeliveryStatus.FAILED)
    queued = _delivery(user, DeliveryStatus.QUEUED)
    clock.advance(days=29)
    recent = _delivery(user, DeliveryStatus.SENT)
    assert expired_purge().deliveries == 0
    clock.advance(days=1, seconds=1)
    assert expired_purge().deliveries == 2
    remaining = set(Delivery.objects.values_list("pk", flat=True))
    assert remaining == {queued.pk, recent.pk}
    assert not {sent.pk, failed.pk} & remaining


def test_devices_never_confirmed_go_after_a_day_and_confirmed_ones_stay(
    user: PoolUser, clock: Clock
) -> None:
    user_pool_update(
        pool=user.pool,
        settings={"DeviceConfiguration": {"ChallengeRequiredOnNewDevice": False}},
    )
    user.pool.refresh_from_db()
    abandoned, kept = device_track(user=user), device_track(user=user)
    assert abandoned is not None and kept is not None
    _password, config = generate_hash_device(kept.device_group_key, kept.device_key)
    device_confirm(
        user=user,
        device_key=kept.device_key,
        verifier=config["PasswordVerifier"],
        salt=config["Salt"],
        name="laptop",
    )
    clock.advance(hours=23)
    assert expired_purge().devices == 0
    clock.advance(hours=2)

    assert expired_purge().devices == 1
    assert list(Device.objects.values_list("device_key", flat=True)) == [kept.device_key]


def test_authorization_codes_and_hosted_sessions_go_once_expired_or_ended(
    app: AppClient, user: PoolUser, clock: Clock
) -> None:
    request = AuthorizeRequest(
        client=app, redirect_uri="https://app.example.com/cb", state=None, response_type="code"
    )
    authorization_complete(request=request, user=user, auth_time=clock(), amr=())
    ended, _ = hosted_session_start(user=user, amr=())
    hosted_session_end(token=ended)
    hosted_session_start(user=user, amr=())
    clock.advance(minutes=5, seconds=1)
    authorization_complete(request=request, user=user, auth_time=clock(), amr=())

    purged = expired_purge()

    assert (purged.authorization_codes, purged.hosted_sessions) == (1, 1)
    assert AuthorizationCode.objects.count() == 1
    assert HostedSession.objects.filter(ended_at__isnull=True).count() == 1


def test_states_and_nonces_of_unfinished_federated_sign_ins_go_after_their_lifetimes(
    clock: Clock,
) -> None:
    now = int(clock().timestamp())
    url = "https://idp.example.com/authorize"
    Nonce.objects.create(server_url=url, timestamp=now - PENDING_SECONDS - 1, salt="old")
    Nonce.objects.create(server_url=url, timestamp=now - 60, salt="new")
    Association.objects.create(
        server_url=url, handle="old", secret="", issued=now - 700, lifetime=600, assoc_type="s"
    )
    Association.objects.create(
        server_url=url, handle="new", secret="", issued=now - 60, lifetime=600, assoc_type="s"
    )

    purged = expired_purge()

    assert purged.federation_states == 2
    assert list(Nonce.objects.values_list("salt", flat=True)) == ["new"]
    assert list(Association.objects.values_list("handle", flat=True)) == ["new"]
