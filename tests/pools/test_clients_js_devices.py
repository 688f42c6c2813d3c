"""amazon-cognito-identity-js in Node against the live server, with remembered devices, as an app
uses them (`tests/js/acij_devices.mjs`): the library confirms the device a sign-in is given and
keeps it in the app's storage, the user remembers it, lists and gets it, and later sign-ins from
it prove the device by SRP (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER); a remembered device skips
the authenticator and a device no longer remembered does not; a forgotten device is replaced by a
new one.

The script stops at checkpoints (a JSON line on stdout, answered by a line on stdin) so that this
side can look at the server's devices between sign-ins."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jwt
import pyotp
import pytest
from pytest_django import Settings

from pools.models import AppClient, Device, DeviceRememberedStatus, PoolUser, UserPool
from pools.services.keys import signing_key_active
from pools.services.mfa import mfa_preference_set, software_token_associate, software_token_verify
from tests.builders import make_app_client, make_user, make_user_pool
from tests.pools.test_mfa import mfa_pool

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "js" / "acij_devices.mjs"
PASSWORD = "Passw0rd!"
# What Amplify's CLI gives a web client: SRP and refresh, no secret.
FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
TIMEOUT = 120
ON_PROMPT = {"ChallengeRequiredOnNewDevice": False, "DeviceOnlyRememberedOnUserPrompt": True}
ALWAYS = {"ChallengeRequiredOnNewDevice": False, "DeviceOnlyRememberedOnUserPrompt": False}
DEVICE_NOT_FOUND = "ResourceNotFoundException: Device does not exist."

Checkpoint = Callable[[dict[str, Any]], None]


@pytest.fixture
def live(aws_url: str, settings: Settings) -> str:
    """The live server's URL, which is also the issuer's."""
    settings.COGNITOADMIN_PUBLIC_URL = aws_url
    return aws_url


def _run(
    node: str,
    url: str,
    client: AppClient,
    mode: str,
    *extra: str,
    stderr: Path,
    checkpoints: Mapping[str, Checkpoint] | None = None,
) -> dict[str, Any]:
    """Run the script; at each checkpoint it prints, call the test's function, then let it go on.
    Returns the script's summary (its last line)."""
    command = [
        node,
        str(SCRIPT),
        url,
        client.pool.pool_id,
        client.client_id,
        "alice",
        PASSWORD,
        mode,
        *extra,
    ]
    reached: list[str] = []
    summary: dict[str, Any] | None = None
    with (
        stderr.open("w") as errors,
        subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True
        ) as script,
    ):
        assert script.stdout is not None and script.stdin is not None
        for line in script.stdout:
            message: dict[str, Any] = json.loads(line)
            if "checkpoint" in message:
                reached.append(message["checkpoint"])
                (checkpoints or {})[message["checkpoint"]](message)
                script.stdin.write("\n")
                script.stdin.flush()
            else:
                summary = message
        script.wait(timeout=TIMEOUT)
    assert script.returncode == 0, stderr.read_text()
    assert reached == list(checkpoints or {})
    assert summary is not None, stderr.read_text()
    return summary


def _claims(token: str, client: AppClient, **options: Any) -> dict[str, Any]:
    """The claims of a token the pool signed."""
    public_key = jwt.PyJWK(dict(signing_key_active(pool=client.pool).public_jwk)).key
    claims: dict[str, Any] = jwt.decode(token, public_key, algorithms=["RS256"], **options)
    return claims


def _signed_in_from(seen: dict[str, Any], client: AppClient) -> str:
    """The device key the tokens a sign-in ended with carry; they are alice's, from the pool."""
    assert seen["callback"] == "onSuccess", seen
    assert seen["valid"] is True
    identity = _claims(seen["idToken"], client, audience=client.client_id)
    access = _claims(seen["accessToken"], client)
    assert identity["cognito:username"] == access["username"] == "alice"
    device_key: str = access["device_key"]
    return device_key


def _new_device_requests(device_key: str | None = None) -> list[dict[str, Any]]:
    """An SRP sign-in from no known device (DEVICE_KEY `device_key` refused first, if given):
    the tokens come with NewDeviceMetadata, and the library confirms the device."""
    refused = []
    if device_key is not None:
        refused = [
            {
                "operation": "RespondToAuthChallenge",
                "challengeName": "PASSWORD_VERIFIER",
                "deviceKey": device_key,
                "error": DEVICE_NOT_FOUND,
            }
        ]
    return [
        {"operation": "InitiateAuth", "answer": "PASSWORD_VERIFIER"},
        *refused,
        {
            "operation": "RespondToAuthChallenge",
            "challengeName": "PASSWORD_VERIFIER",
            **({"deviceKey": None} if device_key is not None else {}),
            "answer": "AuthenticationResult",
            "newDevice": True,
        },
        {"operation": "ConfirmDevice"},
    ]


def _device_requests(device_key: str) -> list[dict[str, Any]]:
    """An SRP sign-in from the stored device: the password, then the device's own SRP proof."""
    return [
        {"operation": "InitiateAuth", "answer": "PASSWORD_VERIFIER"},
        {
            "operation": "RespondToAuthChallenge",
            "challengeName": "PASSWORD_VERIFIER",
            "deviceKey": device_key,
            "answer": "DEVICE_SRP_AUTH",
        },
        {
            "operation": "RespondToAuthChallenge",
            "challengeName": "DEVICE_SRP_AUTH",
            "deviceKey": device_key,
            "answer": "DEVICE_PASSWORD_VERIFIER",
        },
        {
            "operation": "RespondToAuthChallenge",
            "challengeName": "DEVICE_PASSWORD_VERIFIER",
            "deviceKey": device_key,
            "answer": "AuthenticationResult",
        },
    ]


def _stored(device: Device) -> dict[str, Any]:
    """What the library keeps in the app's storage for `device`."""
    return {
        "deviceKey": device.device_key,
        "deviceGroupKey": device.device_group_key,
        "hasRandomPassword": True,
    }


NOTHING_STORED = {"deviceKey": None, "deviceGroupKey": None, "hasRandomPassword": False}


def _seen(device: Device, status: str) -> dict[str, Any]:
    """The device as GetDevice and ListDevices show it to the library."""
    return {
        "DeviceKey": device.device_key,
        "attributes": {
            "device_status": "valid",
            "device_name": device.name,
            "dev:device_remembered_status": status,
        },
        "dates": ["DeviceCreateDate", "DeviceLastModifiedDate", "DeviceLastAuthenticatedDate"],
    }


def _alice(pool: UserPool) -> PoolUser:
    return make_user(pool=pool, username="alice", password=PASSWORD, email="alice@example.com")


@pytest.mark.slow
def test_a_device_the_user_chooses_to_remember_proves_itself_on_the_next_sign_in(
    live: str, node: str, tmp_path: Path
) -> None:
    pool = make_user_pool(DeviceConfiguration=ON_PROMPT)
    alice = _alice(pool)
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)
    confirmed_at: list[dt.datetime | None] = []

    def confirmed(message: dict[str, Any]) -> None:
        device = Device.objects.get(user=alice, device_key=message["deviceKey"])
        assert device.confirmed is True
        assert device.remembered_status == DeviceRememberedStatus.NOT_REMEMBERED
        confirmed_at.append(device.last_authenticated_at)

    out = _run(
        node,
        live,
        client,
        "prompt",
        stderr=tmp_path / "stderr",
        checkpoints={"confirmed": confirmed},
    )

    device = Device.objects.get(user=alice)
    assert device.name != ""
    first = out["first"]
    assert first["userConfirmationNecessary"] is True
    assert _signed_in_from(first, client) == device.device_key
    assert first["userDeviceKey"] == device.device_key
    assert first["stored"] == _stored(device)
    assert first["requests"] == _new_device_requests()
    assert out["before"] == _seen(device, "not_remembered")
    assert out["remembered"] == "SUCCESS"
    assert out["listed"] == {"devices": [_seen(device, "remembered")], "paginationToken": None}
    assert out["got"] == _seen(device, "remembered")

    second = out["second"]
    assert "userConfirmationNecessary" not in second
    assert _signed_in_from(second, client) == device.device_key
    assert second["requests"] == _device_requests(device.device_key)
    assert second["stored"] == _stored(device)
    assert device.remembered_status == DeviceRememberedStatus.REMEMBERED
    [before] = confirmed_at
    assert before is not None and device.last_authenticated_at is not None
    assert device.last_authenticated_at > before


def _with_authenticator(user: PoolUser) -> str:
    """An authenticator set up and preferred, verified with the previous step's code so that the
    script's codes (this step's and the next) are all new. Returns its secret."""
    secret = software_token_associate(user=user)
    previous = pyotp.TOTP(secret).at(int(time.time()) - 30)
    software_token_verify(user=user, code=previous, friendly_name="Alice's phone")
    mfa_preference_set(
        user=user, preferences={"SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}}
    )
    return secret


@pytest.fixture
def mfa_run(live: str, node: str, tmp_path: Path) -> tuple[dict[str, Any], AppClient, Device]:
    """The `mfa` script in a pool with OPTIONAL MFA that always remembers devices, for a user
    with an authenticator: its summary, the app client, and the device it signed in from."""
    pool = mfa_pool(DeviceConfiguration=ALWAYS)
    alice = _alice(pool)
    secret = _with_authenticator(alice)
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)
    out = _run(node, live, client, "mfa", secret, stderr=tmp_path / "stderr")
    return out, client, Device.objects.get(user=alice)


@pytest.mark.slow
def test_a_remembered_device_skips_the_authenticator(
    mfa_run: tuple[dict[str, Any], AppClient, Device],
) -> None:
    out, client, device = mfa_run

    assert out["asked"]["callback"] == "totpRequired"
    first = out["first"]
    # The pool remembers devices itself: the library is not told to ask the user.
    assert "userConfirmationNecessary" not in first
    assert _signed_in_from(first, client) == device.device_key
    assert _claims(first["idToken"], client, audience=client.client_id)["amr"] == [
        "pwd",
        "mfa",
        "otp",
    ]
    assert first["requests"] == [
        {
            "operation": "RespondToAuthChallenge",
            "challengeName": "SOFTWARE_TOKEN_MFA",
            "answer": "AuthenticationResult",
            "newDevice": True,
        },
        {"operation": "ConfirmDevice"},
    ]
    assert out["got"] == _seen(device, "remembered")
    # No code asked for: the password, then the device's proof.
    second = out["second"]
    assert _signed_in_from(second, client) == device.device_key
    assert second["requests"] == _device_requests(device.device_key)
    assert out["notRemembered"] == "SUCCESS"
    assert out["afterwards"] == _seen(device, "not_remembered")
    assert device.remembered_status == DeviceRememberedStatus.NOT_REMEMBERED


@pytest.mark.slow
def test_a_device_no_longer_remembered_is_asked_for_the_authenticator(
    mfa_run: tuple[dict[str, Any], AppClient, Device],
) -> None:
    out, client, device = mfa_run

    asked = out["thirdAsked"]
    assert asked["callback"] == "totpRequired", asked["requests"]
    assert asked["challengeName"] == "SOFTWARE_TOKEN_MFA"
    assert asked["requests"] == [
        {"operation": "InitiateAuth", "answer": "PASSWORD_VERIFIER"},
        {
            "operation": "RespondToAuthChallenge",
            "challengeName": "PASSWORD_VERIFIER",
            "deviceKey": device.device_key,
            "answer": "SOFTWARE_TOKEN_MFA",
        },
    ]
    # Still known (not new again): the code, then the device's proof.
    answered = out["thirdAnswered"]
    assert _signed_in_from(answered, client) == device.device_key
    assert answered["requests"] == [
        {
            "operation": "RespondToAuthChallenge",
            "challengeName": "SOFTWARE_TOKEN_MFA",
            "deviceKey": device.device_key,
            "answer": "DEVICE_SRP_AUTH",
        },
        *_device_requests(device.device_key)[2:],
    ]
    assert answered["stored"] == _stored(device)
    assert Device.objects.filter(user=device.user).count() == 1


@pytest.fixture
def forget_run(live: str, node: str, tmp_path: Path) -> tuple[dict[str, Any], AppClient, Device]:
    """The `forget` script in a pool that always remembers devices: its summary, the app client,
    and the device that replaced the forgotten one (as the server had it at the checkpoint)."""
    pool = make_user_pool(DeviceConfiguration=ALWAYS)
    alice = _alice(pool)
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)
    replaced: list[Device] = []

    def new_device(message: dict[str, Any]) -> None:
        # The forgotten device is gone; the new one is confirmed and (in this pool) remembered.
        [device] = Device.objects.filter(user=alice)
        assert device.device_key == message["deviceKey"]
        assert (device.confirmed, device.remembered_status) == (True, "remembered")
        replaced.append(device)

    out = _run(
        node,
        live,
        client,
        "forget",
        stderr=tmp_path / "stderr",
        checkpoints={"new device": new_device},
    )
    [device] = replaced
    return out, client, device


@pytest.mark.slow
def test_a_forgotten_device_is_replaced_by_a_new_one(
    forget_run: tuple[dict[str, Any], AppClient, Device],
) -> None:
    out, client, device = forget_run

    first, second = out["first"], out["second"]
    forgotten = _signed_in_from(first, client)
    assert first["requests"] == _new_device_requests()
    assert _signed_in_from(second, client) == forgotten
    assert second["requests"] == _device_requests(forgotten)
    # forgetDevice drops the device from the library and the app's storage.
    assert out["forgot"] == "SUCCESS"
    assert out["afterForget"] == {"userDeviceKey": None, "stored": NOTHING_STORED}
    new = out["newDevice"]
    assert device.device_key != forgotten
    assert _signed_in_from(new, client) == device.device_key
    assert new["requests"] == _new_device_requests()
    assert new["stored"] == _stored(device)
    # forgetSpecificDevice leaves the storage as it is.
    assert out["forgotByKey"] == "SUCCESS"
    assert out["afterForgetByKey"] == _stored(device)


@pytest.mark.slow
def test_a_sign_in_naming_a_forgotten_device_signs_in_as_a_new_device(
    forget_run: tuple[dict[str, Any], AppClient, Device],
) -> None:
    out, client, device = forget_run

    # The storage names the forgotten device; the server does not know it: the library drops
    # it, answers again without it, and confirms the new device it is given.
    stale = out["stale"]
    assert stale["requests"] == _new_device_requests(device.device_key), stale
    [latest] = Device.objects.filter(user=device.user)
    assert latest.device_key != device.device_key
    assert (latest.confirmed, latest.remembered_status) == (True, "remembered")
    assert _signed_in_from(stale, client) == latest.device_key
    assert stale["stored"] == _stored(latest)
