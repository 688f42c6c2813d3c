"""AWS endpoint, boto3 against a live server: a signed-in user's passkeys. StartWebAuthnRegistration
and CompleteWebAuthnRegistration register one with a software authenticator, ListWebAuthnCredentials
and DeleteWebAuthnCredential manage them; every refusal is Cognito's error and changes nothing.
The checks of the sign-in answer are tested in test_webauthn.py."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from pools.models import AppClient, PoolUser, UserPool, WebAuthnCredential, WebAuthnRegistration
from tests.builders import make_app_client, make_user, make_user_pool
from tests.conftest import Clock
from tests.pools.webauthn_authenticator import SoftAuthenticator, b64url, unb64url

pytestmark = pytest.mark.django_db

PASSWORD = "Passw0rd!"
RP_ID = "example.com"
ORIGIN = "https://login.example.com"
FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def _configure(pool: UserPool, **fields: Any) -> None:
    """The pool's passkey settings, as the sign-in policy and SetUserPoolMfaConfig write them."""
    UserPool.objects.filter(pk=pool.pk).update(**fields)


@pytest.fixture
def pool(aws_url: str) -> UserPool:
    pool = make_user_pool(name="shop")
    _configure(
        pool,
        allowed_first_auth_factors=["PASSWORD", "WEB_AUTHN"],
        webauthn_relying_party_id=RP_ID,
    )
    return pool


@pytest.fixture
def client(pool: UserPool) -> AppClient:
    return make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)


def _sign_in(idp_public: Any, client: AppClient, username: str) -> str:
    """A new user's access token, from a password sign-in."""
    make_user(pool=client.pool, username=username, password=PASSWORD)
    result = idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    token: str = result["AuthenticationResult"]["AccessToken"]
    return token


@pytest.fixture
def token(idp_public: Any, client: AppClient) -> str:
    return _sign_in(idp_public, client, "alice")


def _register(idp_public: Any, token: str, device: SoftAuthenticator) -> None:
    options = idp_public.start_web_authn_registration(AccessToken=token)
    idp_public.complete_web_authn_registration(
        AccessToken=token, Credential=device.register(options["CredentialCreationOptions"])
    )


def _state() -> dict[str, list[dict[str, Any]]]:
    """Every stored passkey and pending registration, to show that a refused call changed none."""
    return {
        model.__name__: [dict(row) for row in model.objects.order_by("pk").values()]
        for model in (WebAuthnCredential, WebAuthnRegistration)
    }


def _refused(call: Any, error: str, **params: Any) -> str:
    """`call(**params)` fails with `error` and changes nothing; returns the message."""
    before = _state()
    with pytest.raises(ClientError) as refused:
        call(**params)
    assert refused.value.response["Error"]["Code"] == error
    assert _state() == before
    message: str = refused.value.response["Error"]["Message"]
    return message


def _credentials(idp_public: Any, token: str, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = idp_public.list_web_authn_credentials(
        AccessToken=token, **params
    )["Credentials"]
    return found


# --- the whole journey -----------------------------------------------------------------------


def test_a_user_registers_a_passkey_and_sees_it_listed(
    idp_public: Any, pool: UserPool, token: str
) -> None:
    alice = PoolUser.objects.get(username="alice")
    options = idp_public.start_web_authn_registration(AccessToken=token)[
        "CredentialCreationOptions"
    ]
    assert options == {
        "rp": {"id": RP_ID, "name": "shop"},
        "user": {"id": options["user"]["id"], "name": "alice", "displayName": "alice"},
        "challenge": options["challenge"],
        "pubKeyCredParams": [
            {"type": "public-key", "alg": -8},
            {"type": "public-key", "alg": -7},
            {"type": "public-key", "alg": -257},
        ],
        "timeout": 300_000,
        "excludeCredentials": [],
        "authenticatorSelection": {
            "residentKey": "required",
            "requireResidentKey": True,
            "userVerification": "preferred",
        },
        "attestation": "none",
    }
    assert unb64url(options["user"]["id"]) == alice.sub.bytes

    device = SoftAuthenticator(origin=ORIGIN)
    answer = idp_public.complete_web_authn_registration(
        AccessToken=token, Credential=device.register(options)
    )
    assert {key: answer[key] for key in answer if key != "ResponseMetadata"} == {}

    [listed] = _credentials(idp_public, token)
    stored = WebAuthnCredential.objects.get()
    # The wire carries milliseconds.
    assert listed.pop("CreatedAt").timestamp() == pytest.approx(
        stored.created_at.timestamp(), abs=0.001
    )
    assert listed == {
        "CredentialId": device.id,
        "FriendlyCredentialName": "Passkey on this device",
        "RelyingPartyId": RP_ID,
        "AuthenticatorAttachment": "platform",
        "AuthenticatorTransports": ["hybrid", "internal"],
    }
    assert (stored.user, stored.pool, stored.sign_count) == (alice, pool, 0)
    assert stored.aaguid == "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"
    assert not WebAuthnRegistration.objects.exists()  # used up

    # The next registration tells authenticators which passkey the user has already.
    again = idp_public.start_web_authn_registration(AccessToken=token)
    assert again["CredentialCreationOptions"]["excludeCredentials"] == [
        {"id": device.id, "type": "public-key", "transports": ["hybrid", "internal"]}
    ]


def test_the_pool_domain_is_the_relying_party_when_none_is_configured(
    idp_public: Any, idp: Any, pool: UserPool, token: str
) -> None:
    _configure(pool, webauthn_relying_party_id="")
    idp.create_user_pool_domain(UserPoolId=pool.pool_id, Domain="my-shop")
    options = idp_public.start_web_authn_registration(AccessToken=token)
    # The host of the test settings' prefix domains (COGNITOADMIN_DOMAIN_URL).
    assert options["CredentialCreationOptions"]["rp"]["id"] == "testserver"


def test_a_pool_that_requires_user_verification_asks_for_it(
    idp_public: Any, pool: UserPool, token: str
) -> None:
    _configure(pool, webauthn_user_verification="required")
    options = idp_public.start_web_authn_registration(AccessToken=token)
    selection = options["CredentialCreationOptions"]["authenticatorSelection"]
    assert selection["userVerification"] == "required"
    _refused(
        idp_public.complete_web_authn_registration,
        "WebAuthnCredentialNotSupportedException",
        AccessToken=token,
        Credential=SoftAuthenticator(origin=ORIGIN, user_verification=False).register(
            options["CredentialCreationOptions"]
        ),
    )
    idp_public.complete_web_authn_registration(
        AccessToken=token,
        Credential=SoftAuthenticator(origin=ORIGIN).register(options["CredentialCreationOptions"]),
    )
    assert WebAuthnCredential.objects.count() == 1


def test_a_localhost_relying_party_takes_http_origins(
    idp_public: Any, pool: UserPool, token: str
) -> None:
    _configure(pool, webauthn_relying_party_id="localhost")
    _register(idp_public, token, SoftAuthenticator(origin="http://localhost:5173"))
    assert WebAuthnCredential.objects.get().relying_party_id == "localhost"


# --- listing and deleting --------------------------------------------------------------------


def test_passkeys_are_listed_a_page_at_a_time(
    idp_public: Any, client: AppClient, token: str
) -> None:
    devices = [SoftAuthenticator(origin=ORIGIN) for _ in range(3)]
    for device in devices:
        _register(idp_public, token, device)
    first = idp_public.list_web_authn_credentials(AccessToken=token, MaxResults=2)
    second = idp_public.list_web_authn_credentials(
        AccessToken=token, MaxResults=2, NextToken=first["NextToken"]
    )
    assert "NextToken" not in second
    listed = [item["CredentialId"] for item in first["Credentials"] + second["Credentials"]]
    assert listed == [device.id for device in devices]
    assert len(_credentials(idp_public, token, MaxResults=0)) == 3

    bob = _sign_in(idp_public, client, "bob")
    assert _credentials(idp_public, bob) == []
    _refused(
        idp_public.list_web_authn_credentials,
        "InvalidParameterException",
        AccessToken=bob,
        NextToken=first["NextToken"],  # alice's list
    )
    _refused(
        idp_public.list_web_authn_credentials,
        "InvalidParameterException",
        AccessToken=token,
        MaxResults=21,
    )


def test_a_user_deletes_a_passkey_of_their_own_only(
    idp_public: Any, client: AppClient, token: str
) -> None:
    kept, deleted = SoftAuthenticator(origin=ORIGIN), SoftAuthenticator(origin=ORIGIN)
    _register(idp_public, token, kept)
    _register(idp_public, token, deleted)
    idp_public.delete_web_authn_credential(AccessToken=token, CredentialId=deleted.id)
    assert [item["CredentialId"] for item in _credentials(idp_public, token)] == [kept.id]

    bob = _sign_in(idp_public, client, "bob")
    for credential_id in (kept.id, deleted.id, "", "x" * 2000):
        _refused(
            idp_public.delete_web_authn_credential,
            "ResourceNotFoundException",
            AccessToken=bob if credential_id == kept.id else token,
            CredentialId=credential_id,
        )
    assert [item["CredentialId"] for item in _credentials(idp_public, token)] == [kept.id]


# --- refusals --------------------------------------------------------------------------------


def test_every_operation_needs_a_valid_access_token(idp_public: Any, token: str) -> None:
    for call, params in (
        (idp_public.start_web_authn_registration, {}),
        (idp_public.complete_web_authn_registration, {"Credential": {}}),
        (idp_public.list_web_authn_credentials, {}),
        (idp_public.delete_web_authn_credential, {"CredentialId": "abc"}),
    ):
        _refused(call, "NotAuthorizedException", AccessToken="not.an.access-token", **params)


def test_a_pool_without_passkeys_refuses_registration(
    idp_public: Any, pool: UserPool, token: str
) -> None:
    options = idp_public.start_web_authn_registration(AccessToken=token)
    _configure(pool, allowed_first_auth_factors=["PASSWORD"])
    _refused(
        idp_public.start_web_authn_registration, "WebAuthnNotEnabledException", AccessToken=token
    )
    _refused(
        idp_public.complete_web_authn_registration,
        "WebAuthnNotEnabledException",
        AccessToken=token,
        Credential=SoftAuthenticator(origin=ORIGIN).register(options["CredentialCreationOptions"]),
    )


def test_a_pool_with_neither_relying_party_nor_domain_refuses_registration(
    idp_public: Any, pool: UserPool, token: str
) -> None:
    _configure(pool, webauthn_relying_party_id="")
    _refused(
        idp_public.start_web_authn_registration,
        "WebAuthnConfigurationMissingException",
        AccessToken=token,
    )


def _fill_up(pool: UserPool, username: str) -> None:
    """Give the user Cognito's most passkeys, 20."""
    user = PoolUser.objects.get(username=username)
    WebAuthnCredential.objects.bulk_create(
        WebAuthnCredential(
            pool=pool,
            user=user,
            credential_id=f"id{number}",
            public_key="key",
            relying_party_id=RP_ID,
            friendly_name="Passkey",
        )
        for number in range(20)
    )


def test_a_user_with_twenty_passkeys_can_register_no_more(
    idp_public: Any, pool: UserPool, token: str
) -> None:
    options = idp_public.start_web_authn_registration(AccessToken=token)
    _fill_up(pool, "alice")  # meanwhile, elsewhere
    _refused(
        idp_public.complete_web_authn_registration,
        "LimitExceededException",
        AccessToken=token,
        Credential=SoftAuthenticator(origin=ORIGIN).register(options["CredentialCreationOptions"]),
    )
    _refused(idp_public.start_web_authn_registration, "LimitExceededException", AccessToken=token)


def test_a_registration_is_refused_once_the_pools_relying_party_changed(
    idp_public: Any, pool: UserPool, token: str
) -> None:
    options = idp_public.start_web_authn_registration(AccessToken=token)
    _configure(pool, webauthn_relying_party_id="other.example")
    _refused(
        idp_public.complete_web_authn_registration,
        "WebAuthnRelyingPartyMismatchException",
        AccessToken=token,
        Credential=SoftAuthenticator(origin=ORIGIN).register(options["CredentialCreationOptions"]),
    )


def test_completion_without_a_started_registration_is_refused(idp_public: Any, token: str) -> None:
    options = {
        "rp": {"id": RP_ID},
        "user": {"id": "AAAA"},
        "challenge": "AAAA",
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
    }
    _refused(
        idp_public.complete_web_authn_registration,
        "WebAuthnChallengeNotFoundException",
        AccessToken=token,
        Credential=SoftAuthenticator(origin=ORIGIN).register(options),
    )


def test_a_registration_completes_once(idp_public: Any, token: str) -> None:
    options = idp_public.start_web_authn_registration(AccessToken=token)
    credential = SoftAuthenticator(origin=ORIGIN).register(options["CredentialCreationOptions"])
    idp_public.complete_web_authn_registration(AccessToken=token, Credential=credential)
    _refused(
        idp_public.complete_web_authn_registration,
        "WebAuthnChallengeNotFoundException",
        AccessToken=token,
        Credential=credential,
    )
    assert WebAuthnCredential.objects.count() == 1


def test_an_expired_registration_is_refused(
    idp_public: Any, client: AppClient, clock: Clock
) -> None:
    token = _sign_in(idp_public, client, "alice")
    options = idp_public.start_web_authn_registration(AccessToken=token)
    clock.advance(minutes=5)
    _refused(
        idp_public.complete_web_authn_registration,
        "WebAuthnChallengeNotFoundException",
        AccessToken=token,
        Credential=SoftAuthenticator(origin=ORIGIN).register(options["CredentialCreationOptions"]),
    )


def test_a_newer_registration_replaces_the_older(idp_public: Any, token: str) -> None:
    older = idp_public.start_web_authn_registration(AccessToken=token)
    newer = idp_public.start_web_authn_registration(AccessToken=token)
    assert WebAuthnRegistration.objects.count() == 1
    _refused(
        idp_public.complete_web_authn_registration,
        "WebAuthnChallengeNotFoundException",
        AccessToken=token,
        Credential=SoftAuthenticator(origin=ORIGIN).register(older["CredentialCreationOptions"]),
    )
    idp_public.complete_web_authn_registration(
        AccessToken=token,
        Credential=SoftAuthenticator(origin=ORIGIN).register(newer["CredentialCreationOptions"]),
    )


@pytest.mark.parametrize(
    ("wrong", "error"),
    [
        ({"challenge": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, "WebAuthnChallengeNotFound"),
        ({"origin": "https://example.org"}, "WebAuthnOriginNotAllowed"),
        ({"origin": "http://login.example.com"}, "WebAuthnOriginNotAllowed"),
        ({"rp_id": "example.org"}, "WebAuthnRelyingPartyMismatch"),
    ],
)
def test_a_credential_not_made_for_the_registration_is_refused(
    idp_public: Any, token: str, wrong: dict[str, str], error: str
) -> None:
    options = idp_public.start_web_authn_registration(AccessToken=token)
    credential = SoftAuthenticator(origin=ORIGIN).register(
        options["CredentialCreationOptions"], **wrong
    )
    _refused(
        idp_public.complete_web_authn_registration,
        f"{error}Exception",
        AccessToken=token,
        Credential=credential,
    )


def test_a_registration_completes_only_through_the_client_that_started_it(
    idp_public: Any, pool: UserPool, token: str
) -> None:
    other = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)
    other_token = idp_public.initiate_auth(
        ClientId=other.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["AccessToken"]
    options = idp_public.start_web_authn_registration(AccessToken=token)
    _refused(
        idp_public.complete_web_authn_registration,
        "WebAuthnClientMismatchException",
        AccessToken=other_token,
        Credential=SoftAuthenticator(origin=ORIGIN).register(options["CredentialCreationOptions"]),
    )


@pytest.mark.parametrize(
    "credential",
    [
        "a string",
        [1, 2],
        {},
        {"id": "abc", "rawId": "abc", "type": "public-key"},
        {"id": "abc", "rawId": "abc", "type": "public-key", "response": {"clientDataJSON": 5}},
        {"id": "abc", "rawId": "abc", "type": "public-key", "response": {"clientDataJSON": "e30"}},
        {"id": "a" * 5000, "rawId": "a" * 5000, "type": "public-key", "response": {}},
    ],
)
def test_a_malformed_credential_is_a_bad_parameter(
    idp_public: Any, token: str, credential: Any
) -> None:
    idp_public.start_web_authn_registration(AccessToken=token)
    _refused(
        idp_public.complete_web_authn_registration,
        "InvalidParameterException",
        AccessToken=token,
        Credential=credential,
    )


@pytest.mark.parametrize(
    "damage",
    [
        # Thirty thousand nested arrays as the client data: refused, not a crash.
        {"clientDataJSON": b64url(b"[" * 30_000)},
        {"transports": [{}]},
    ],
)
def test_a_credential_damaged_inside_is_refused_or_ignored_without_a_crash(
    idp_public: Any, token: str, damage: dict[str, Any]
) -> None:
    options = idp_public.start_web_authn_registration(AccessToken=token)
    credential = SoftAuthenticator(origin=ORIGIN).register(options["CredentialCreationOptions"])
    credential["response"].update(damage)
    try:
        idp_public.complete_web_authn_registration(AccessToken=token, Credential=credential)
    except ClientError as refused:
        assert refused.response["Error"]["Code"] == "InvalidParameterException"
        assert not WebAuthnCredential.objects.exists()
    else:
        # Transports that are no transport names are left out, as py_webauthn leaves them.
        assert WebAuthnCredential.objects.get().transports == []


def test_a_broken_attestation_is_a_bad_parameter(idp_public: Any, token: str) -> None:
    options = idp_public.start_web_authn_registration(AccessToken=token)
    credential = SoftAuthenticator(origin=ORIGIN).register(options["CredentialCreationOptions"])
    credential["response"]["attestationObject"] = "oWNmbXRkbm9uZQ"  # {"fmt": "none"}
    _refused(
        idp_public.complete_web_authn_registration,
        "InvalidParameterException",
        AccessToken=token,
        Credential=credential,
    )


def test_another_users_passkey_cannot_be_registered_again(
    idp_public: Any, client: AppClient, token: str
) -> None:
    device = SoftAuthenticator(origin=ORIGIN)
    _register(idp_public, token, device)
    bob = _sign_in(idp_public, client, "bob")
    options = idp_public.start_web_authn_registration(AccessToken=bob)
    # An authenticator that ignores excludeCredentials, or a forged answer with alice's id.
    options["CredentialCreationOptions"]["excludeCredentials"] = []
    _refused(
        idp_public.complete_web_authn_registration,
        "InvalidParameterException",
        AccessToken=bob,
        Credential=device.register(options["CredentialCreationOptions"]),
    )
