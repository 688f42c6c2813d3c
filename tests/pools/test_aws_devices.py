"""Remembered devices, boto3 against a live server: NewDeviceMetadata, ConfirmDevice with a
verifier computed as the client libraries compute it (pycognito's `generate_hash_device`), the
DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER proof (pycognito's `process_device_challenge`), MFA
skipped on a remembered device, DEVICE_KEY on refresh, and the device operations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import jwt
import pyotp
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP, generate_hash_device

from pools.models import AppClient, AuthSession, Device, PoolUser, RefreshToken, UserPool
from pools.services.mfa import mfa_preference_set, software_token_associate, software_token_verify
from pools.services.pools import user_pool_update
from tests.builders import make_app_client, make_user, make_user_pool
from tests.pools.test_mfa import mfa_pool

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Passw0rd!"
FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
ALWAYS = {"ChallengeRequiredOnNewDevice": False, "DeviceOnlyRememberedOnUserPrompt": False}
ON_PROMPT = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True}


def tracking(pool: UserPool, configuration: dict[str, bool]) -> UserPool:
    return user_pool_update(pool=pool, settings={"DeviceConfiguration": configuration})


@pytest.fixture
def client(aws_url: str) -> AppClient:
    pool = tracking(make_user_pool(), ALWAYS)
    make_user(pool=pool, username="alice", password=PASSWORD, email="alice@example.com")
    return make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)


def _code(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def _state() -> dict[str, list[dict[str, Any]]]:
    return {
        model.__name__: [dict(row) for row in model.objects.order_by("pk").values()]
        for model in (Device, RefreshToken, AuthSession, PoolUser)
    }


def password_sign_in(idp_public: Any, client: AppClient, **extra: str) -> dict[str, Any]:
    answer: dict[str, Any] = idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD, **extra},
    )
    return answer


class RememberedDevice:
    """What a client library keeps once it has confirmed a device."""

    def __init__(self, idp_public: Any, client: AppClient) -> None:
        result = password_sign_in(idp_public, client)["AuthenticationResult"]
        metadata = result["NewDeviceMetadata"]
        self.key, self.group_key = metadata["DeviceKey"], metadata["DeviceGroupKey"]
        self.password, verifier_config = generate_hash_device(self.group_key, self.key)
        self.confirmation = idp_public.confirm_device(
            AccessToken=result["AccessToken"],
            DeviceKey=self.key,
            DeviceSecretVerifierConfig=verifier_config,
            DeviceName="alice's laptop",
        )
        self.access_token: str = result["AccessToken"]
        self.refresh_token: str = result["RefreshToken"]

    def srp(self, idp_public: Any, client: AppClient) -> AWSSRP:
        return AWSSRP(
            username="alice",
            password=PASSWORD,
            pool_id=client.pool.pool_id,
            client_id=client.client_id,
            client=idp_public,
            device_key=self.key,
            device_group_key=self.group_key,
            device_password=self.password,
        )


def device_verifier_challenge(
    idp_public: Any, client: AppClient, device: RememberedDevice
) -> tuple[AWSSRP, dict[str, Any]]:
    """A password sign-in naming the device, and the device's A sent in answer to
    DEVICE_SRP_AUTH with the Session, as amazon-cognito-identity-js and Amplify send it: the
    client's SRP state and the DEVICE_PASSWORD_VERIFIER challenge."""
    challenge = password_sign_in(idp_public, client, DEVICE_KEY=device.key)
    assert challenge["ChallengeName"] == "DEVICE_SRP_AUTH"
    srp = device.srp(idp_public, client)
    verifier: dict[str, Any] = idp_public.respond_to_auth_challenge(
        ClientId=client.client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        Session=challenge["Session"],
        ChallengeResponses={
            "USERNAME": "alice",
            "DEVICE_KEY": device.key,
            "SRP_A": format(srp.large_a_value, "x"),
        },
    )
    assert verifier["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    assert verifier["ChallengeParameters"]["DEVICE_KEY"] == device.key
    return srp, verifier


def device_sign_in(idp_public: Any, client: AppClient, device: RememberedDevice) -> Any:
    """A sign-in from the device, its SRP proof included."""
    srp, verifier = device_verifier_challenge(idp_public, client, device)
    return idp_public.respond_to_auth_challenge(
        ClientId=client.client_id,
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        Session=verifier["Session"],
        ChallengeResponses=srp.process_device_challenge(verifier["ChallengeParameters"]),
    )


def test_a_sign_in_from_a_new_device_gets_its_keys_and_the_tokens_carry_the_key(
    idp_public: Any, client: AppClient
) -> None:
    result = password_sign_in(idp_public, client)["AuthenticationResult"]

    key = result["NewDeviceMetadata"]["DeviceKey"]
    assert key.startswith("us-east-1_")
    claims = jwt.decode(result["AccessToken"], options={"verify_signature": False})
    assert claims["device_key"] == key
    # Unconfirmed, it is not listed.
    assert idp_public.list_devices(AccessToken=result["AccessToken"])["Devices"] == []


def test_a_pool_without_device_configuration_gives_no_device_metadata(
    idp_public: Any, aws_url: str
) -> None:
    pool = make_user_pool(name="no-devices")
    make_user(pool=pool, username="alice", password=PASSWORD)
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)

    assert "NewDeviceMetadata" not in password_sign_in(idp_public, client)["AuthenticationResult"]


def test_a_confirmed_device_proves_itself_by_srp_and_is_listed(
    idp_public: Any, client: AppClient
) -> None:
    device = RememberedDevice(idp_public, client)
    assert device.confirmation["UserConfirmationNecessary"] is False

    tokens = device_sign_in(idp_public, client, device)["AuthenticationResult"]

    assert "NewDeviceMetadata" not in tokens
    claims = jwt.decode(tokens["AccessToken"], options={"verify_signature": False})
    assert claims["device_key"] == device.key
    [listed] = idp_public.list_devices(AccessToken=tokens["AccessToken"])["Devices"]
    attributes = {a["Name"]: a["Value"] for a in listed["DeviceAttributes"]}
    assert listed["DeviceKey"] == device.key
    assert attributes["device_name"] == "alice's laptop"
    assert attributes["dev:device_remembered_status"] == "remembered"
    assert isinstance(listed["DeviceLastAuthenticatedDate"], dt.datetime)


def test_a_wrong_device_proof_is_refused_and_the_session_is_spent(
    idp_public: Any, client: AppClient
) -> None:
    device = RememberedDevice(idp_public, client)
    signed_in = RefreshToken.objects.count()
    device.password = "not-the-device-password"
    srp, verifier = device_verifier_challenge(idp_public, client, device)
    responses = srp.process_device_challenge(verifier["ChallengeParameters"])
    with pytest.raises(ClientError) as error:
        idp_public.respond_to_auth_challenge(
            ClientId=client.client_id,
            ChallengeName="DEVICE_PASSWORD_VERIFIER",
            Session=verifier["Session"],
            ChallengeResponses=responses,
        )
    assert _code(error)[0] == "NotAuthorizedException"
    assert RefreshToken.objects.count() == signed_in
    with pytest.raises(ClientError) as again:
        idp_public.respond_to_auth_challenge(
            ClientId=client.client_id,
            ChallengeName="DEVICE_PASSWORD_VERIFIER",
            Session=verifier["Session"],
            ChallengeResponses=responses,
        )
    assert _code(again) == (
        "NotAuthorizedException",
        "Invalid session for the user, session can only be used once.",
    )


def test_an_unknown_device_key_answers_device_does_not_exist(
    idp_public: Any, client: AppClient
) -> None:
    before = _state()
    with pytest.raises(ClientError) as error:
        password_sign_in(idp_public, client, DEVICE_KEY="us-east-1_00000000-0000-0000-0000-0")
    assert _code(error) == ("ResourceNotFoundException", "Device does not exist.")
    assert _state() == before


def test_the_device_challenge_needs_its_session(idp_public: Any, client: AppClient) -> None:
    device = RememberedDevice(idp_public, client)
    srp = device.srp(idp_public, client)
    before = _state()
    with pytest.raises(ClientError) as error:
        idp_public.respond_to_auth_challenge(
            ClientId=client.client_id,
            ChallengeName="DEVICE_SRP_AUTH",
            ChallengeResponses={
                "USERNAME": "alice",
                "DEVICE_KEY": device.key,
                "SRP_A": format(srp.large_a_value, "x"),
            },
        )
    assert _code(error)[0] == "InvalidParameterException"
    assert _state() == before


def test_a_remembered_device_skips_mfa_and_a_forgotten_one_does_not(
    idp_public: Any, idp: Any, aws_url: str
) -> None:
    pool = mfa_pool("OPTIONAL", DeviceConfiguration=ALWAYS)
    user = make_user(pool=pool, username="alice", password=PASSWORD)
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)
    device = RememberedDevice(idp_public, client)
    app = pyotp.TOTP(software_token_associate(user=user))
    software_token_verify(user=user, code=app.now())
    mfa_preference_set(user=user, preferences={"SoftwareTokenMfaSettings": {"Enabled": True}})

    assert "AuthenticationResult" in device_sign_in(idp_public, client, device)

    idp.admin_update_device_status(
        UserPoolId=pool.pool_id,
        Username="alice",
        DeviceKey=device.key,
        DeviceRememberedStatus="not_remembered",
    )
    # Not remembered: the code first, then the device's proof, as amazon-cognito-identity-js
    # expects them.
    challenge = password_sign_in(idp_public, client, DEVICE_KEY=device.key)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    proof = idp_public.respond_to_auth_challenge(
        ClientId=client.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=challenge["Session"],
        ChallengeResponses={
            "USERNAME": "alice",
            "SOFTWARE_TOKEN_MFA_CODE": app.at(
                dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=30)
            ),
        },
    )
    assert proof["ChallengeName"] == "DEVICE_SRP_AUTH"
    assert proof["Session"] == challenge["Session"]

    idp.admin_forget_device(UserPoolId=pool.pool_id, Username="alice", DeviceKey=device.key)
    with pytest.raises(ClientError) as error:
        password_sign_in(idp_public, client, DEVICE_KEY=device.key)
    assert _code(error) == ("ResourceNotFoundException", "Device does not exist.")


def test_remembering_on_user_prompt_waits_for_update_device_status(
    idp_public: Any, aws_url: str
) -> None:
    pool = tracking(make_user_pool(name="prompt"), ON_PROMPT)
    make_user(pool=pool, username="alice", password=PASSWORD)
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)
    device = RememberedDevice(idp_public, client)
    assert device.confirmation["UserConfirmationNecessary"] is True

    got = idp_public.get_device(AccessToken=device.access_token, DeviceKey=device.key)
    attributes = {a["Name"]: a["Value"] for a in got["Device"]["DeviceAttributes"]}
    assert attributes["dev:device_remembered_status"] == "not_remembered"
    idp_public.update_device_status(
        AccessToken=device.access_token,
        DeviceKey=device.key,
        DeviceRememberedStatus="remembered",
    )
    assert Device.objects.get(device_key=device.key).remembered_status == "remembered"


def test_a_device_refresh_token_needs_its_device_key(idp_public: Any, client: AppClient) -> None:
    device = RememberedDevice(idp_public, client)

    with pytest.raises(ClientError) as error:
        idp_public.initiate_auth(
            ClientId=client.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": device.refresh_token},
        )
    assert _code(error) == ("NotAuthorizedException", "Invalid Refresh Token")

    renewed = idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": device.refresh_token, "DEVICE_KEY": device.key},
    )
    assert "AccessToken" in renewed["AuthenticationResult"]


def test_another_users_device_is_not_found(idp_public: Any, idp: Any, client: AppClient) -> None:
    device = RememberedDevice(idp_public, client)
    make_user(pool=client.pool, username="bob", password=PASSWORD)
    bob = idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bob", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["AccessToken"]
    before = _state()

    calls: list[Callable[[], Any]] = [
        lambda: idp_public.get_device(AccessToken=bob, DeviceKey=device.key),
        lambda: idp_public.forget_device(AccessToken=bob, DeviceKey=device.key),
        lambda: idp.admin_get_device(
            UserPoolId=client.pool.pool_id, Username="bob", DeviceKey=device.key
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as error:
            call()
        assert _code(error) == ("ResourceNotFoundException", "Device does not exist.")
    assert _state() == before


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"PasswordVerifier": "not base64!", "Salt": "AAAA"}, "base64"),
        ({"PasswordVerifier": "AA==", "Salt": "AAAA"}, "not a valid SRP verifier"),
        ({"Salt": "AAAA"}, "PasswordVerifier"),
    ],
)
def test_a_malformed_verifier_confirms_nothing(
    idp_public: Any, client: AppClient, config: dict[str, str], message: str
) -> None:
    result = password_sign_in(idp_public, client)["AuthenticationResult"]
    before = _state()
    with pytest.raises(ClientError) as error:
        idp_public.confirm_device(
            AccessToken=result["AccessToken"],
            DeviceKey=result["NewDeviceMetadata"]["DeviceKey"],
            DeviceSecretVerifierConfig=config,
        )
    assert _code(error)[0] == "InvalidParameterException"
    assert message in _code(error)[1]
    assert _state() == before


def test_admin_lists_pages_of_devices_and_a_device_confirms_once(
    idp_public: Any, idp: Any, client: AppClient
) -> None:
    devices = [RememberedDevice(idp_public, client) for _ in range(3)]

    first = idp.admin_list_devices(UserPoolId=client.pool.pool_id, Username="alice", Limit=2)
    second = idp.admin_list_devices(
        UserPoolId=client.pool.pool_id,
        Username="alice",
        Limit=2,
        PaginationToken=first["PaginationToken"],
    )
    keys = [d["DeviceKey"] for d in first["Devices"] + second["Devices"]]
    assert sorted(keys) == sorted(d.key for d in devices)
    assert "PaginationToken" not in second

    _password, config = generate_hash_device(devices[0].group_key, devices[0].key)
    with pytest.raises(ClientError) as error:
        idp_public.confirm_device(
            AccessToken=devices[0].access_token,
            DeviceKey=devices[0].key,
            DeviceSecretVerifierConfig=config,
        )
    assert _code(error)[0] == "DeviceKeyExistsException"
