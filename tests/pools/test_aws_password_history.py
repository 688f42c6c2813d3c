"""PasswordHistorySize on the wire: every operation that sets a password refuses a recent one with
PasswordHistoryPolicyViolationException, and a refusal changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.core.mail import EmailMessage

from pools.models import AppClient, PasswordHistoryEntry, PoolUser, RefreshToken, UserPool
from pools.services.passwords import password_replace
from tests.builders import make_app_client, make_user, make_user_pool, sent_code

pytestmark = pytest.mark.django_db

OLD = "0ld-Passw0rd!"
NEW = "N3w-Passw0rd!"


@pytest.fixture
def pool(db: None) -> UserPool:
    return make_user_pool(
        AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": {"MinimumLength": 8, "PasswordHistorySize": 3}},
    )


@pytest.fixture
def app(pool: UserPool) -> AppClient:
    return make_app_client(
        pool=pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )


@pytest.fixture
def ana(pool: UserPool) -> PoolUser:
    user = make_user(
        pool=pool, username="ana", password=OLD, email="ana@example.com", email_verified="true"
    )
    password_replace(user=user, password=NEW)
    return user


def _state() -> list[Any]:
    return [
        list(PoolUser.objects.values_list("password", "status", "srp_verifier_sealed")),
        list(PasswordHistoryEntry.objects.values_list("pk", flat=True)),
        list(RefreshToken.objects.values_list("revoked_at", flat=True)),
    ]


def _refused(call: Any, **params: Any) -> None:
    before = _state()
    with pytest.raises(ClientError) as caught:
        call(**params)
    assert caught.value.response["Error"]["Code"] == "PasswordHistoryPolicyViolationException"
    assert _state() == before


def _sign_in(idp_public: Any, app: AppClient, password: str) -> dict[str, Any]:
    result: dict[str, Any] = idp_public.initiate_auth(
        ClientId=app.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ana", "PASSWORD": password},
    )
    return result


@pytest.mark.parametrize("reused", [OLD, NEW])
def test_admin_set_user_password(idp: Any, pool: UserPool, ana: PoolUser, reused: str) -> None:
    _refused(
        idp.admin_set_user_password,
        UserPoolId=pool.pool_id,
        Username="ana",
        Password=reused,
        Permanent=True,
    )


def test_change_password(idp_public: Any, app: AppClient, ana: PoolUser) -> None:
    token = _sign_in(idp_public, app, NEW)["AuthenticationResult"]["AccessToken"]

    _refused(
        idp_public.change_password, AccessToken=token, PreviousPassword=NEW, ProposedPassword=OLD
    )


def test_confirm_forgot_password(
    idp_public: Any, app: AppClient, ana: PoolUser, mailoutbox: list[EmailMessage]
) -> None:
    idp_public.forgot_password(ClientId=app.client_id, Username="ana")
    code = sent_code(str(mailoutbox[-1].body))

    _refused(
        idp_public.confirm_forgot_password,
        ClientId=app.client_id,
        Username="ana",
        ConfirmationCode=code,
        Password=OLD,
    )
    # The code was not used up by the refusal: it still resets to a new password.
    idp_public.confirm_forgot_password(
        ClientId=app.client_id, Username="ana", ConfirmationCode=code, Password="Th1rd-passw0rd!"
    )


def test_new_password_required(idp: Any, idp_public: Any, pool: UserPool, app: AppClient) -> None:
    make_user(pool=pool, username="bob")  # a temporary password
    bob = PoolUser.objects.get(username="bob")
    password_replace(user=bob, password=OLD, temporary=True)
    challenge = idp_public.initiate_auth(
        ClientId=app.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bob", "PASSWORD": OLD},
    )

    _refused(
        idp_public.respond_to_auth_challenge,
        ClientId=app.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "bob", "NEW_PASSWORD": OLD},
    )
