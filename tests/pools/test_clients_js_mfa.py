"""amazon-cognito-identity-js in Node against the live server, with MFA: an authenticator app set
up by a signed-in user and then asked for (`totpRequired`), one set up within a sign-in to a pool
that requires MFA (`mfaSetup`), and an SMS code (`mfaRequired`), through `tests/js/acij_mfa.mjs`.

The script computes TOTP codes itself (RFC 6238, as an authenticator app does). An SMS code is
known only to this side (the live server runs in this process, its SMS in `sms_outbox`): the
script asks for it on stdout and reads it on stdin."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jwt
import pytest
from pytest_django import Settings

from pools.models import AppClient, PoolUser, SoftwareToken
from pools.services.keys import signing_key_active
from pools.services.mfa import mfa_preference_set
from pools.services.sms import SmsMessage
from tests.builders import make_app_client, make_user, sent_code
from tests.pools.test_mfa import mfa_pool

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "js" / "acij_mfa.mjs"
PASSWORD = "Passw0rd!"
# What Amplify's CLI gives a web client: SRP and refresh, no secret.
FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
TIMEOUT = 120
CODE_REFUSED = "CodeMismatchException: Invalid code or auth state for the user."
VERIFY_REFUSED = "EnableSoftwareTokenMFAException: Code mismatch and fail enable Software Token MFA"


@pytest.fixture
def live(aws_url: str, settings: Settings) -> str:
    """The live server's URL, which is also the issuer's. Each script sends a right code right
    after a wrong one: django-otp's throttle is off."""
    settings.COGNITOADMIN_PUBLIC_URL = aws_url
    settings.COGNITOADMIN_MFA_THROTTLE_FACTOR = 0
    return aws_url


def _command(node: str, url: str, client: AppClient, username: str, mode: str) -> list[str]:
    pool_id = client.pool.pool_id
    return [node, str(SCRIPT), url, pool_id, client.client_id, username, PASSWORD, mode]


def _run(node: str, url: str, client: AppClient, username: str, mode: str) -> dict[str, Any]:
    result = subprocess.run(
        _command(node, url, client, username, mode),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    summary: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return summary


def _verified(token: str, client: AppClient, **options: Any) -> dict[str, Any]:
    public_key = jwt.PyJWK(dict(signing_key_active(pool=client.pool).public_jwk)).key
    claims: dict[str, Any] = jwt.decode(token, public_key, algorithms=["RS256"], **options)
    return claims


def _assert_signed_in(out: dict[str, Any], client: AppClient, username: str, amr: str) -> None:
    """The tokens the library holds are the pool's, for `username`, after MFA by `amr`."""
    assert out["valid"] is True
    identity = _verified(out["idToken"], client, audience=client.client_id)
    access = _verified(out["accessToken"], client)
    assert identity["cognito:username"] == access["username"] == username
    assert identity["amr"] == ["pwd", "mfa", amr]


@pytest.mark.slow
def test_a_signed_in_user_sets_up_an_authenticator_and_is_then_asked_for_it(
    live: str, node: str
) -> None:
    pool = mfa_pool()
    make_user(pool=pool, username="alice", password=PASSWORD, email="alice@example.com")
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)

    out = _run(node, live, client, "alice", "totp")

    assert out["secretLength"] == 32
    assert out["verifyRefused"] == VERIFY_REFUSED
    assert (out["verifyStatus"], out["preference"]) == ("SUCCESS", "SUCCESS")
    assert out["mfa"] == {
        "UserMFASettingList": ["SOFTWARE_TOKEN_MFA"],
        "PreferredMfaSetting": "SOFTWARE_TOKEN_MFA",
    }
    again = out["again"]
    assert again["challenge"] == {
        "callback": "totpRequired",
        "challengeName": "SOFTWARE_TOKEN_MFA",
        "parameters": {"USER_ID_FOR_SRP": "alice", "FRIENDLY_DEVICE_NAME": "Alice's phone"},
    }
    assert again["codeRefused"] == CODE_REFUSED
    _assert_signed_in(again, client, "alice", "otp")
    alice = PoolUser.objects.get(pool=pool, username="alice")
    assert (alice.mfa_software_token_enabled, alice.mfa_preferred) == (True, "SOFTWARE_TOKEN_MFA")
    assert SoftwareToken.objects.get(user=alice).friendly_name == "Alice's phone"


@pytest.mark.slow
def test_mfa_setup_is_answered_within_the_sign_in(live: str, node: str) -> None:
    pool = mfa_pool("ON", sms=False, email=False)
    make_user(pool=pool, username="dan", password=PASSWORD)
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)

    out = _run(node, live, client, "dan", "setup")

    assert out["challenge"]["callback"] == "mfaSetup"
    assert out["challenge"]["challengeName"] == "MFA_SETUP"
    assert json.loads(out["challenge"]["parameters"]["MFAS_CAN_SETUP"]) == ["SOFTWARE_TOKEN_MFA"]
    assert out["verifyRefused"] == VERIFY_REFUSED
    _assert_signed_in(out, client, "dan", "otp")
    again = out["again"]
    assert again["challenge"]["callback"] == "totpRequired"
    assert again["challenge"]["parameters"]["FRIENDLY_DEVICE_NAME"] == "Dan's phone"
    assert again["codeRefused"] == CODE_REFUSED
    _assert_signed_in(again, client, "dan", "otp")
    dan = PoolUser.objects.get(pool=pool, username="dan")
    assert dan.mfa_software_token_enabled is True


@pytest.mark.slow
def test_an_sms_code_answers_mfa_required(
    live: str, node: str, sms_outbox: list[SmsMessage]
) -> None:
    pool = mfa_pool()
    user = make_user(pool=pool, username="alice", password=PASSWORD, phone_number="+15555550100")
    mfa_preference_set(user=user, preferences={"SMSMfaSettings": {"Enabled": True}})
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)

    with subprocess.Popen(
        _command(node, live, client, "alice", "sms"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as script:
        assert script.stdout is not None
        asked = json.loads(script.stdout.readline() or "null")
        assert asked is not None, script.communicate(timeout=TIMEOUT)[1]
        [message] = sms_outbox
        stdout, stderr = script.communicate(f"{sent_code(message.body)}\n", timeout=TIMEOUT)
    assert script.returncode == 0, stderr

    assert asked == {
        "waitingFor": "SMS_MFA_CODE",
        "callback": "mfaRequired",
        "challengeName": "SMS_MFA",
        "parameters": {
            "USER_ID_FOR_SRP": "alice",
            "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
            "CODE_DELIVERY_DESTINATION": "+*******0100",
        },
    }
    assert message.destination == "+15555550100"
    out = json.loads(stdout.splitlines()[-1])
    assert out["codeRefused"] == CODE_REFUSED
    _assert_signed_in(out, client, "alice", "sms")
    assert PoolUser.objects.get(pk=user.pk).phone_number_verified is True
