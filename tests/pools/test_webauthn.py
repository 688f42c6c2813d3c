"""Passkeys, the services: the pool's relying party and its origins, and the WEB_AUTHN answer of a
sign-in checked against the user's stored passkey (`webauthn_authentication_verify`). The
registration operations are tested through boto3 in test_aws_webauthn.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pools.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
    WebAuthnConfigurationMissingException,
)
from pools.models import AppClient, PoolUser, UserPool, WebAuthnCredential
from pools.services.webauthn import (
    MAX_CREDENTIAL_CHARS,
    webauthn_authentication_options,
    webauthn_authentication_verify,
    webauthn_credential_delete,
    webauthn_has_credentials,
    webauthn_origin_allowed,
    webauthn_registration_complete,
    webauthn_registration_start,
    webauthn_relying_party_id,
)
from tests.builders import make_app_client, make_domain, make_user, make_user_pool
from tests.conftest import Clock
from tests.pools.webauthn_authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db

RP_ID = "example.com"
ORIGIN = "https://login.example.com"


def passkey_pool(**fields: Any) -> UserPool:
    """A pool that offers passkeys with `example.com` as relying party (the settings that
    SetUserPoolMfaConfig and the sign-in policy would write)."""
    pool = make_user_pool()
    values = {
        "allowed_first_auth_factors": ["PASSWORD", "WEB_AUTHN"],
        "webauthn_relying_party_id": RP_ID,
        **fields,
    }
    UserPool.objects.filter(pk=pool.pk).update(**values)
    pool.refresh_from_db()
    return pool


@pytest.fixture
def pool(db: None) -> UserPool:
    return passkey_pool()


@pytest.fixture
def client(pool: UserPool) -> AppClient:
    return make_app_client(pool=pool)


@pytest.fixture
def alice(pool: UserPool) -> PoolUser:
    return make_user(pool=pool, username="alice", password="Passw0rd!")


def register(user: PoolUser, client: AppClient, device: SoftAuthenticator) -> WebAuthnCredential:
    options = webauthn_registration_start(user=user, client=client)
    return webauthn_registration_complete(
        user=user, client=client, credential=device.register(options)
    )


@pytest.fixture
def device(alice: PoolUser, client: AppClient) -> SoftAuthenticator:
    """Alice's registered passkey."""
    device = SoftAuthenticator(origin=ORIGIN)
    register(alice, client, device)
    return device


def _passkeys() -> list[dict[str, Any]]:
    return [dict(row) for row in WebAuthnCredential.objects.order_by("pk").values()]


def _refused(user: PoolUser, answer: Any, challenge: str) -> str:
    """The refusal of `answer`, after showing that it changed no stored passkey."""
    before = _passkeys()
    with pytest.raises(NotAuthorizedException) as refused:
        webauthn_authentication_verify(user=user, credential=answer, challenge=challenge)
    assert _passkeys() == before
    return refused.value.message


# --- the relying party -----------------------------------------------------------------------


def test_the_relying_party_is_the_configured_one() -> None:
    assert webauthn_relying_party_id(passkey_pool()) == RP_ID


def test_without_one_the_relying_party_is_the_custom_domain_then_the_prefix_domain() -> None:
    pool = passkey_pool(webauthn_relying_party_id="")
    with pytest.raises(WebAuthnConfigurationMissingException):
        webauthn_relying_party_id(pool)
    make_domain(pool=pool, domain="my-shop")
    assert webauthn_relying_party_id(pool) == "testserver"  # the prefix domains' host
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    make_domain(pool=pool, domain="auth.shop.example", custom_domain_config={"CertificateArn": arn})
    assert webauthn_relying_party_id(pool) == "auth.shop.example"


@pytest.mark.parametrize(
    ("origin", "rp_id", "allowed"),
    [
        ("https://example.com", "example.com", True),
        ("https://login.example.com", "example.com", True),
        ("https://a.b.example.com:8443", "example.com", True),
        ("http://example.com", "example.com", False),
        ("https://badexample.com", "example.com", False),
        ("https://example.com.evil.test", "example.com", False),
        ("https://example.com/", "example.com", False),
        ("https://user@example.com", "example.com", False),
        ("https://example.com:99999", "example.com", False),
        ("http://localhost:5173", "localhost", True),
        ("https://localhost", "localhost", True),
        ("http://127.0.0.1:8000", "127.0.0.1", True),
        ("http://localhost:5173", "example.com", False),
        ("http://evil.localhost", "localhost", False),
        ("android:apk-key-hash:abc", "example.com", False),
    ],
)
def test_origins_of_the_relying_party(origin: str, rp_id: str, allowed: bool) -> None:
    assert webauthn_origin_allowed(origin, rp_id=rp_id) is allowed


# --- what a sign-in offers -------------------------------------------------------------------


def test_a_user_has_passkeys_once_one_of_the_pools_relying_party_is_registered(
    alice: PoolUser, client: AppClient
) -> None:
    assert not webauthn_has_credentials(user=alice)
    register(alice, client, SoftAuthenticator(origin=ORIGIN))
    assert webauthn_has_credentials(user=alice)
    UserPool.objects.filter(pk=alice.pool_id).update(webauthn_relying_party_id="other.example")
    alice.refresh_from_db()
    assert not webauthn_has_credentials(user=alice)


def test_a_pool_without_a_relying_party_has_no_passkey_to_offer(alice: PoolUser) -> None:
    UserPool.objects.filter(pk=alice.pool_id).update(webauthn_relying_party_id="")
    alice.refresh_from_db()
    assert not webauthn_has_credentials(user=alice)
    with pytest.raises(WebAuthnConfigurationMissingException):
        webauthn_authentication_options(pool=alice.pool, user=alice)


def test_authentication_options_name_the_users_passkeys_and_the_pools_rules(
    alice: PoolUser, device: SoftAuthenticator
) -> None:
    options, challenge = webauthn_authentication_options(pool=alice.pool, user=alice)
    assert options == {
        "challenge": challenge,
        "rpId": RP_ID,
        "timeout": 300_000,
        "allowCredentials": [
            {"id": device.id, "type": "public-key", "transports": ["hybrid", "internal"]}
        ],
        "userVerification": "preferred",
    }
    assert webauthn_authentication_options(pool=alice.pool, user=alice)[1] != challenge


# --- the answer ------------------------------------------------------------------------------


def test_a_good_answer_is_accepted_and_its_counter_kept(
    alice: PoolUser, device: SoftAuthenticator, clock: Clock
) -> None:
    options, challenge = webauthn_authentication_options(pool=alice.pool, user=alice)
    answer = device.authenticate(options)
    assert webauthn_authentication_verify(user=alice, credential=answer, challenge=challenge)
    stored = WebAuthnCredential.objects.get(credential_id=device.id)
    assert stored.sign_count == 1
    assert stored.last_used_at == clock.now

    options, challenge = webauthn_authentication_options(pool=alice.pool, user=alice)
    device.user_verification = False
    text = json.dumps(device.authenticate(options))  # as RespondToAuthChallenge carries it
    assert not webauthn_authentication_verify(user=alice, credential=text, challenge=challenge)
    assert WebAuthnCredential.objects.get(credential_id=device.id).sign_count == 2


def test_an_answer_to_another_challenge_is_refused(
    alice: PoolUser, device: SoftAuthenticator
) -> None:
    options, challenge = webauthn_authentication_options(pool=alice.pool, user=alice)
    _other_options, other = webauthn_authentication_options(pool=alice.pool, user=alice)
    answer = device.authenticate(options, challenge=other)
    assert "another challenge" in _refused(alice, answer, challenge)


def test_an_answer_from_another_origin_is_refused(
    alice: PoolUser, device: SoftAuthenticator
) -> None:
    options, challenge = webauthn_authentication_options(pool=alice.pool, user=alice)
    answer = device.authenticate(options, origin="https://evil.test")
    assert "origin https://evil.test" in _refused(alice, answer, challenge)


def test_an_answer_signed_for_another_relying_party_is_refused(
    alice: PoolUser, device: SoftAuthenticator
) -> None:
    options, challenge = webauthn_authentication_options(pool=alice.pool, user=alice)
    answer = device.authenticate(options, rp_id="evil.test")
    assert "another relying party" in _refused(alice, answer, challenge)


def test_a_replayed_answer_is_refused(alice: PoolUser, device: SoftAuthenticator) -> None:
    options, challenge = webauthn_authentication_options(pool=alice.pool, user=alice)
    answer = device.authenticate(options)
    webauthn_authentication_verify(user=alice, credential=answer, challenge=challenge)
    assert "sign count of 1 was not greater than current count of 1" in _refused(
        alice, answer, challenge
    )


def test_a_counter_going_backwards_is_refused(alice: PoolUser, device: SoftAuthenticator) -> None:
    for _ in range(3):
        options, challenge = webauthn_authentication_options(pool=alice.pool, user=alice)
        webauthn_authentication_verify(
            user=alice, credential=device.authenticate(options), challenge=challenge
        )
    options, challenge = webauthn_authentication_options(pool=alice.pool, user=alice)
    answer = device.authenticate(options, sign_count=2)  # a clone of the authenticator
    assert "sign count of 2" in _refused(alice, answer, challenge)
    assert WebAuthnCredential.objects.get(credential_id=device.id).sign_count == 3


def test_another_users_passkey_is_refused(
    pool: UserPool, alice: PoolUser, device: SoftAuthenticator
) -> None:
    bob = make_user(pool=pool, username="bob", password="Passw0rd!")
    options, challenge = webauthn_authentication_options(pool=alice.pool, user=alice)
    answer = device.authenticate(options)
    assert "not one of this user's passkeys" in _refused(bob, answer, challenge)


def test_the_same_passkey_id_in_another_pool_is_another_pools(
    alice: PoolUser, device: SoftAuthenticator
) -> None:
    other_pool = passkey_pool()
    carol = make_user(pool=other_pool, username="alice", password="Passw0rd!")
    options, challenge = webauthn_authentication_options(pool=alice.pool, user=alice)
    assert "not one of" in _refused(carol, device.authenticate(options), challenge)


def test_without_user_verification_a_pool_that_requires_it_refuses(
    alice: PoolUser, client: AppClient
) -> None:
    UserPool.objects.filter(pk=alice.pool_id).update(webauthn_user_verification="required")
    alice.refresh_from_db()
    device = SoftAuthenticator(origin=ORIGIN)
    register(alice, client, device)
    options, challenge = webauthn_authentication_options(pool=alice.pool, user=alice)
    assert options["userVerification"] == "required"
    device.user_verification = False
    assert "User verification is required" in _refused(
        alice, device.authenticate(options), challenge
    )


def test_a_forged_signature_is_refused(alice: PoolUser, device: SoftAuthenticator) -> None:
    options, challenge = webauthn_authentication_options(pool=alice.pool, user=alice)
    answer = device.authenticate(options)
    impostor = SoftAuthenticator(origin=ORIGIN)
    impostor.credential_id = device.credential_id  # the id is public, the key is not
    impostor.user_handle = device.user_handle
    forged = impostor.authenticate(options)
    assert forged["id"] == answer["id"]
    assert "Could not verify authentication signature" in _refused(alice, forged, challenge)


@pytest.mark.parametrize(
    "answer",
    [
        "not json",
        "[]",
        {"id": 5, "rawId": 5, "type": "public-key", "response": {}},
        {"id": "a\x00b", "rawId": "a\x00b", "type": "public-key", "response": {}},
        {"id": "x" * 1401, "rawId": "x" * 1401, "type": "public-key", "response": {}},
        "x" * (MAX_CREDENTIAL_CHARS + 1),
        {"id": "abc", "rawId": "abd", "type": "public-key", "response": {}},
        {"id": "abc", "rawId": "abc", "type": "password", "response": {}},
    ],
)
def test_a_malformed_answer_is_a_bad_parameter(
    alice: PoolUser, device: SoftAuthenticator, answer: Any
) -> None:
    _options, challenge = webauthn_authentication_options(pool=alice.pool, user=alice)
    before = _passkeys()
    with pytest.raises(InvalidParameterException):
        webauthn_authentication_verify(user=alice, credential=answer, challenge=challenge)
    assert _passkeys() == before


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("clientDataJSON", "!!"),
        ("clientDataJSON", 7),
        ("clientDataJSON", "bm90IGpzb24"),  # "not json"
        ("clientDataJSON", "WzFd"),  # [1]
        ("authenticatorData", "AAAA"),
        ("authenticatorData", None),
        ("signature", 12),
    ],
)
def test_a_malformed_response_member_is_a_bad_parameter_or_refused(
    alice: PoolUser, device: SoftAuthenticator, member: str, value: Any
) -> None:
    options, challenge = webauthn_authentication_options(pool=alice.pool, user=alice)
    answer = device.authenticate(options)
    answer["response"][member] = value
    before = _passkeys()
    with pytest.raises((InvalidParameterException, NotAuthorizedException)):
        webauthn_authentication_verify(user=alice, credential=answer, challenge=challenge)
    assert _passkeys() == before


@pytest.mark.parametrize("credential_id", ["a\x00b", "", "x" * 2000, "not base64url!"])
def test_deleting_an_id_no_passkey_can_have_is_not_found(
    alice: PoolUser, device: SoftAuthenticator, credential_id: str
) -> None:
    # Never looked up: PostgreSQL refuses a NUL byte in a query.
    before = _passkeys()
    with pytest.raises(ResourceNotFoundException):
        webauthn_credential_delete(user=alice, credential_id=credential_id)
    assert _passkeys() == before
