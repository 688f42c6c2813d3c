"""Amplify v6's auth library in Node against the live server: choice-based sign-in (USER_AUTH),
through `tests/js/amplify_user_auth.mjs`. One sign-in with an email code (preferredChallenge
EMAIL_OTP; the code is known only to this side, in `mail.outbox`: the script asks for it on stdout
and reads it on stdin), one that takes the first-factor selection and chooses PASSWORD_SRP, and a
sign-up without a password that signs in by itself (autoSignIn, with ConfirmSignUp's Session)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jwt
import pytest
from django.core import mail
from pytest_django import Settings

from pools.models import AppClient, PoolUser, RefreshToken
from pools.services.keys import signing_key_active
from tests.builders import make_app_client, make_user, sent_code
from tests.pools.test_aws_user_auth import passwordless_pool

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "js" / "amplify_user_auth.mjs"
PASSWORD = "Passw0rd!"
TIMEOUT = 120


@pytest.fixture
def live(aws_url: str, settings: Settings) -> str:
    settings.COGNITOADMIN_PUBLIC_URL = aws_url
    return aws_url


@pytest.fixture
def client(transactional_db: None) -> AppClient:
    pool = passwordless_pool(["PASSWORD", "EMAIL_OTP"])
    make_user(
        pool=pool,
        username="alice",
        password=PASSWORD,
        email="alice@example.com",
        email_verified="true",
    )
    # What Amplify's backend gives a passwordless web client: choice-based sign-in, no secret.
    return make_app_client(
        pool=pool, ExplicitAuthFlows=["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )


def _command(
    node: str, url: str, client: AppClient, mode: str, *extra: str, username: str = "alice"
) -> list[str]:
    pool_id = client.pool.pool_id
    return [node, str(SCRIPT), url, pool_id, client.client_id, username, PASSWORD, mode, *extra]


def _with_code(command: list[str]) -> tuple[dict[str, Any], str, Any]:
    """Runs a script that asks for a code: what it asked, its last line, and the email sent."""
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as script:
        assert script.stdout is not None
        asked = json.loads(script.stdout.readline() or "null")
        assert asked is not None, script.communicate(timeout=TIMEOUT)[1]
        email = mail.outbox[-1]
        stdout, stderr = script.communicate(f"{sent_code(str(email.body))}\n", timeout=TIMEOUT)
    assert script.returncode == 0, stderr
    return asked, stdout.splitlines()[-1], email


def _verified(token: str, client: AppClient, **options: Any) -> dict[str, Any]:
    public_key = jwt.PyJWK(dict(signing_key_active(pool=client.pool).public_jwk)).key
    claims: dict[str, Any] = jwt.decode(token, public_key, algorithms=["RS256"], **options)
    return claims


def _assert_signed_in(out: dict[str, Any], client: AppClient) -> dict[str, Any]:
    assert out["username"] == "alice"
    identity = _verified(out["idToken"], client, audience=client.client_id)
    assert _verified(out["accessToken"], client)["username"] == "alice"
    # signOut revoked the sign-in's refresh token and forgot the tokens.
    assert out["signedOut"] is True
    assert RefreshToken.objects.get().revoked_at is not None
    return identity


def test_amplify_signs_in_with_an_email_code(live: str, node: str, client: AppClient) -> None:
    asked, last, email = _with_code(_command(node, live, client, "email"))

    assert asked == {
        "waitingFor": "EMAIL_OTP_CODE",
        "signInStep": "CONFIRM_SIGN_IN_WITH_EMAIL_CODE",
        "codeDeliveryDetails": {"deliveryMedium": "EMAIL", "destination": "a***@e***"},
    }
    assert email.to == ["alice@example.com"]
    out = json.loads(last)
    assert out["steps"][-1] == {"isSignedIn": True, "signInStep": "DONE"}
    assert _assert_signed_in(out, client)["amr"] == ["otp"]


def test_amplify_chooses_a_first_factor(live: str, node: str, client: AppClient) -> None:
    result = subprocess.run(
        _command(node, live, client, "choose"),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    out = json.loads(result.stdout.splitlines()[-1])
    assert out["steps"] == [
        {
            "isSignedIn": False,
            "signInStep": "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION",
            "availableChallenges": ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"],
        },
        {"isSignedIn": False, "signInStep": "CONFIRM_SIGN_IN_WITH_PASSWORD"},
        {"isSignedIn": True, "signInStep": "DONE"},
    ]
    assert "amr" not in _assert_signed_in(out, client)
    assert mail.outbox == []
    assert PoolUser.objects.get(username="alice").failed_sign_in_count == 0


def test_amplify_signs_up_without_a_password_and_is_signed_in(
    live: str, node: str, client: AppClient
) -> None:
    pool = client.pool
    pool.auto_verified_attributes = ["email"]
    pool.save()
    command = _command(node, live, client, "signup", "lea@example.com", username="lea")
    asked, last, email = _with_code(command)

    assert asked["waitingFor"] == "SIGN_UP_CODE"
    assert asked["signUpStep"] == "CONFIRM_SIGN_UP"
    assert email.to == ["lea@example.com"]
    out = json.loads(last)
    assert out["steps"][1:] == [
        {"isSignUpComplete": True, "signUpStep": "COMPLETE_AUTO_SIGN_IN"},
        {"isSignedIn": True, "signInStep": "DONE"},
    ]
    assert out["username"] == "lea"
    assert _verified(out["idToken"], client, audience=client.client_id)["amr"] == ["otp"]
    lea = PoolUser.objects.get(username="lea")
    assert (lea.password, lea.email_verified) == ("", True)
    # No second code: the sign-up's was the first factor.
    assert len(mail.outbox) == 1
