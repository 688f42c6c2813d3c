"""The JWT attack suite, on every door that accepts a token: the user's own AWS operations
(authorised by an access token, `access_token_verify`), the refresh-token doors
(REFRESH_TOKEN_AUTH, GetTokensFromRefreshToken, RevokeToken) and the management API (which takes
no pool token at all).

Each forgery is refused with Cognito's error and changes nothing. Every door gets every attack
through the AWS endpoint's dispatch (Django's test client); a representative set goes through
boto3 against a live server, to show that a real client reads the refusal as Cognito's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.test import Client
from rest_framework.test import APIClient

from cognitoadmin.awsjson import REGISTRY
from pools.models import (
    AppClient,
    AuthSession,
    Device,
    PoolUser,
    RefreshToken,
    SigningKey,
    SoftwareToken,
    UserPool,
    VerificationCode,
)
from pools.services.clients import app_client_delete
from pools.services.keys import signing_key_active, signing_key_private_pem
from pools.services.revocation import refresh_token_revoke, user_tokens_revoke
from pools.services.tokens import epoch_seconds, tokens_issue, user_pool_issuer
from pools.services.users import user_delete, user_disable
from pools.services.verification import CLOCK_SKEW_SECONDS
from tests.builders import make_app_client, make_user, make_user_pool
from tests.conftest import Clock

pytestmark = pytest.mark.django_db

PASSWORD = "Passw0rd!"
FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
PREFIX = "AWSCognitoIdentityProviderService"
JSON_11 = "application/x-amz-json-1.1"
INVALID = "Invalid Access Token"
EXPIRED = "Access Token has expired"
REVOKED = "Access Token has been revoked"
NO_SCOPE = "Access Token does not have required scopes"
DISABLED = "User is disabled."
REFRESH_INVALID = "Invalid Refresh Token"
REFRESH_REVOKED = "Refresh Token has been revoked"
DEVICE = f"us-east-1_{uuid.UUID(int=1)}"

# Every operation an access token authorises, with the other members it needs to pass the input
# model: the attack must reach the token check, not fail before it.
DOORS: dict[str, dict[str, Any]] = {
    "GetUser": {},
    "ChangePassword": {"PreviousPassword": PASSWORD, "ProposedPassword": "N3w-passw0rd!"},
    "UpdateUserAttributes": {"UserAttributes": [{"Name": "name", "Value": "Mallory"}]},
    "GetUserAttributeVerificationCode": {"AttributeName": "email"},
    "VerifyUserAttribute": {"AttributeName": "email", "Code": "123456"},
    "DeleteUser": {},
    "DeleteUserAttributes": {"UserAttributeNames": ["name"]},
    "GlobalSignOut": {},
    "AssociateSoftwareToken": {},
    "VerifySoftwareToken": {"UserCode": "123456", "FriendlyDeviceName": "phone"},
    "SetUserMFAPreference": {"SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}},
    "SetUserSettings": {"MFAOptions": [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]},
    "ConfirmDevice": {
        "DeviceKey": DEVICE,
        "DeviceSecretVerifierConfig": {"PasswordVerifier": "dmVyaWZpZXI=", "Salt": "c2FsdA=="},
        "DeviceName": "laptop",
    },
    "GetDevice": {"DeviceKey": DEVICE},
    "ListDevices": {"Limit": 10},
    "UpdateDeviceStatus": {"DeviceKey": DEVICE, "DeviceRememberedStatus": "remembered"},
    "ForgetDevice": {"DeviceKey": DEVICE},
    "GetUserAuthFactors": {},
    "StartWebAuthnRegistration": {},
    "CompleteWebAuthnRegistration": {"Credential": {"id": "abc", "type": "public-key"}},
    "ListWebAuthnCredentials": {"MaxResults": 5},
    "DeleteWebAuthnCredential": {"CredentialId": "abc"},
    "ListUserSessions": {},
    "RevokeUserSession": {"SessionId": "tkn" + "a" * 25},
}
# The doors boto3 drives against a live server.
LIVE_DOORS = [
    "GetUser",
    "UpdateUserAttributes",
    "GlobalSignOut",
    "AssociateSoftwareToken",
    "SetUserMFAPreference",
    "ListDevices",
    "ConfirmDevice",
]


# --- forging ---------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header_b64, claims_b64, signature = token.split(".")
    header: dict[str, Any] = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(claims_b64 + "=="))
    return header, claims, signature


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    return f"{_b64(_json(header))}.{_b64(_json(claims))}.{signature}"


def _hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """HMAC-signed by hand: PyJWT itself refuses a public key as an HMAC secret."""
    signing_input = f"{_b64(_json(header))}.{_b64(_json(claims))}"
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _rs256(header: dict[str, Any], claims: dict[str, Any], key: rsa.RSAPrivateKey) -> str:
    """RS256-signed by hand, so that the header may hold what PyJWT would not write."""
    signing_input = f"{_b64(_json({'alg': 'RS256', **header}))}.{_b64(_json(claims))}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def _private_key(key: SigningKey) -> rsa.RSAPrivateKey:
    loaded = serialization.load_pem_private_key(signing_key_private_pem(key=key), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    return loaded


def _public_key_encodings(key: SigningKey) -> dict[str, bytes]:
    """The pool's public key in every form an HS/RS confusion might use as the HMAC secret."""
    public = _private_key(key).public_key()
    spki_pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk = dict(key.public_jwk)
    modulus = public.public_numbers().n
    return {
        "pem": spki_pem,
        "pem without newline": spki_pem.rstrip(b"\n"),
        "pem pkcs1": public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
        ),
        "openssh": public.public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        ),
        "der": public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "jwk json": json.dumps(jwk).encode("utf-8"),
        "jwk json compact": _json(jwk),
        "jwks json": _json({"keys": [jwk]}),
        "modulus b64url": str(jwk["n"]).encode("ascii"),
        "modulus bytes": modulus.to_bytes((modulus.bit_length() + 7) // 8, "big"),
    }


@dataclass
class SignIn:
    """alice's sign-in to `client`, and what an attacker might work with."""

    pool: UserPool
    client: AppClient
    user: PoolUser
    tokens: dict[str, Any]
    key: SigningKey
    other_pool: UserPool
    other_key: SigningKey
    attacker: rsa.RSAPrivateKey

    @property
    def access(self) -> str:
        return str(self.tokens["AccessToken"])

    @property
    def refresh(self) -> str:
        return str(self.tokens["RefreshToken"])

    def claims(self) -> dict[str, Any]:
        return _parts(self.access)[1]

    def header(self) -> dict[str, Any]:
        return _parts(self.access)[0]

    def signed(self, **changes: Any) -> str:
        """A token with the pool's own key and kid: what only this server could make."""
        claims = {**self.claims(), **changes}
        return _rs256({"kid": self.key.kid}, claims, _private_key(self.key))


@pytest.fixture(scope="module")
def attacker_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _sign_in(attacker: rsa.RSAPrivateKey) -> SignIn:
    pool = make_user_pool(name="victims")
    client = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)
    user = make_user(
        pool=pool,
        username="alice",
        password=PASSWORD,
        email="alice@example.com",
        email_verified="true",
        phone_number="+15555550100",
        name="Alice",
    )
    make_user(pool=pool, username="bob", password=PASSWORD, email="bob@example.com")
    other_pool = make_user_pool(name="attackers")
    return SignIn(
        pool=pool,
        client=client,
        user=user,
        tokens=tokens_issue(user=user, client=client),
        key=signing_key_active(pool=pool),
        other_pool=other_pool,
        other_key=signing_key_active(pool=other_pool),
        attacker=attacker,
    )


@pytest.fixture
def signed_in(db: None, attacker_key: rsa.RSAPrivateKey) -> SignIn:
    return _sign_in(attacker_key)


def forgeries(s: SignIn) -> dict[str, str]:
    """Every token an attacker can make without the pool's private key, by name. Each must be
    refused as an invalid access token."""
    header, claims, signature = _parts(s.access)
    kid = s.key.kid
    attacker_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(s.attacker.public_key()))
    bob = PoolUser.objects.get(pool=s.pool, username="bob")
    bob_claims = {**claims, "sub": str(bob.sub), "username": "bob"}
    forged: dict[str, str] = {
        # The signature is not checked at all.
        "alg none": _unsigned({"alg": "none", "kid": kid}, claims),
        "alg None": _unsigned({"alg": "None", "kid": kid}, claims),
        "alg NONE with the real signature": _unsigned(
            {"alg": "NONE", "kid": kid}, claims, signature
        ),
        "no alg": _unsigned({"kid": kid}, claims, signature),
        "signature stripped": _unsigned(header, claims),
        "signature of another token": _unsigned(
            header, claims, _parts(s.signed(jti=str(uuid.uuid4())))[2][::-1]
        ),
        "not a jwt": "not.a.jwt",
        "two segments": ".".join(s.access.split(".")[:2]),
        "four segments": f"{s.access}.{signature}",
        # Claims edited after signing, the signature kept.
        "sub edited": _unsigned(header, bob_claims, signature),
        "exp edited": _unsigned(header, {**claims, "exp": claims["exp"] + 86_400}, signature),
        "scope edited": _unsigned(header, {**claims, "scope": "admin"}, signature),
        "client_id edited": _unsigned(header, {**claims, "client_id": "x" * 26}, signature),
        "token_use edited": _unsigned(header, {**claims, "token_use": "id"}, signature),
        "iss edited": _unsigned(
            header, {**claims, "iss": user_pool_issuer(pool_id=s.other_pool.pool_id)}, signature
        ),
        # Algorithms other than RS256, with the real signature or an attacker's.
        "alg RS384 header": _unsigned({"alg": "RS384", "kid": kid}, claims, signature),
        "alg PS256 header": _unsigned({"alg": "PS256", "kid": kid}, claims, signature),
        "alg ES256 by attacker": jwt.encode(
            claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": kid}
        ),
        "rs256 lowercase": _unsigned({"alg": "rs256", "kid": kid}, claims, signature),
        # kid: unknown, malicious, not a string.
        "kid unknown": _rs256({"kid": str(uuid.uuid4())}, claims, s.attacker),
        "kid missing": _rs256({}, claims, s.attacker),
        "kid path traversal": _rs256({"kid": "../../../../../etc/passwd"}, claims, s.attacker),
        "kid path to the private key": _rs256(
            {"kid": f"../{kid}/private_key_sealed"}, claims, s.attacker
        ),
        "kid sql": _rs256({"kid": f"{kid}' OR '1'='1"}, claims, s.attacker),
        "kid sql union": _rs256(
            {"kid": "x' UNION SELECT public_jwk FROM pools_signingkey --"}, claims, s.attacker
        ),
        "kid huge": _rs256({"kid": "k" * 200_000}, claims, s.attacker),
        "kid nul": _rs256({"kid": f"{kid}\x00"}, claims, s.attacker),
        "kid number": _rs256({"kid": 1}, claims, s.attacker),
        "kid list": _rs256({"kid": [kid]}, claims, s.attacker),
        "kid object": _rs256({"kid": {"$ne": ""}}, claims, s.attacker),
        # The key named in the token itself.
        "embedded jwk with the pool's kid": _rs256(
            {"kid": kid, "jwk": {**attacker_jwk, "kid": kid}}, claims, s.attacker
        ),
        "embedded jwk alone": _rs256({"jwk": attacker_jwk}, claims, s.attacker),
        "jku": _rs256(
            {"kid": kid, "jku": "https://attacker.example/.well-known/jwks.json"},
            claims,
            s.attacker,
        ),
        "jku with an unknown kid": _rs256(
            {"kid": "attacker", "jku": "http://127.0.0.1:1/jwks.json"}, claims, s.attacker
        ),
        "x5u": _rs256({"kid": kid, "x5u": "https://attacker.example/cert.pem"}, claims, s.attacker),
        "x5c": _rs256({"kid": kid, "x5c": ["MIIBattacker"]}, claims, s.attacker),
        # Another pool's key: its kid with this pool's issuer, or this pool's kid.
        "another pool's key with its kid": _rs256(
            {"kid": s.other_key.kid}, claims, _private_key(s.other_key)
        ),
        "another pool's key with this pool's kid": _rs256(
            {"kid": kid}, claims, _private_key(s.other_key)
        ),
        # The other tokens of the same sign-in are not access tokens.
        "the id token": str(s.tokens["IdToken"]),
        "the refresh token": s.refresh,
    }
    for name, secret in _public_key_encodings(s.key).items():
        forged[f"hs256 with the public key as {name}"] = _hs256(
            {"alg": "HS256", "kid": kid}, claims, secret
        )
    forged["hs512 with the public key as pem"] = _hs512(
        {"alg": "HS512", "kid": kid}, claims, _public_key_encodings(s.key)["pem"]
    )
    return forged


def _hs512(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{_b64(_json(header))}.{_b64(_json(claims))}"
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha512).digest()
    return f"{signing_input}.{_b64(mac)}"


# --- what must not change ------------------------------------------------------------------------


def _state() -> dict[str, list[dict[str, Any]]]:
    """Every row a token-authorised operation can write, to show that a refusal wrote none."""
    return {
        model.__name__: [dict(row) for row in model.objects.order_by("pk").values()]
        for model in (
            PoolUser,
            RefreshToken,
            Device,
            SoftwareToken,
            VerificationCode,
            AppClient,
            AuthSession,
        )
    }


def _aws(operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = Client().post(
        "/",
        data=json.dumps(body),
        content_type=JSON_11,
        headers={"X-Amz-Target": f"{PREFIX}.{operation}"},
    )
    answer: dict[str, Any] = json.loads(response.content)
    return response.status_code, answer


def _refused_everywhere(token: str, error: str, message: str) -> None:
    """Every door refuses `token` with Cognito's `error` and `message`, and nothing changes."""
    before = _state()
    answers = {door: _aws(door, {"AccessToken": token, **extra}) for door, extra in DOORS.items()}
    expected = (400, {"__type": error, "message": message})
    assert {door: answer for door, answer in answers.items() if answer != expected} == {}
    assert _state() == before


# --- the doors ---------------------------------------------------------------------------------


def test_the_suite_covers_every_operation_an_access_token_authorises() -> None:
    doors = {
        name
        for (service, name), op in REGISTRY.items()
        if service == "cognito-idp"
        and not op.signed
        and op.model.input_shape is not None
        and "AccessToken" in op.model.input_shape.members
    }
    assert doors == set(DOORS)


@pytest.mark.parametrize("door", sorted(DOORS))
def test_every_forgery_is_refused_at_every_door_and_changes_nothing(
    signed_in: SignIn, door: str
) -> None:
    before = _state()
    refused = {}
    for name, token in forgeries(signed_in).items():
        status, answer = _aws(door, {"AccessToken": token, **DOORS[door]})
        refused[name] = (status, answer.get("__type"), answer.get("message"))
    assert {
        name: outcome
        for name, outcome in refused.items()
        if outcome != (400, "NotAuthorizedException", INVALID)
    } == {}
    assert _state() == before
    # The control: the genuine token gets past the token check at this door, so the forgeries
    # were refused for what was forged, not for the rest of their input.
    status, answer = _aws(door, {"AccessToken": signed_in.access, **DOORS[door]})
    assert status == 200 or answer["__type"] != "NotAuthorizedException", answer


def test_an_expired_token_is_refused_from_its_expiry_on(
    clock: Clock, attacker_key: rsa.RSAPrivateKey
) -> None:
    s = _sign_in(attacker_key)
    clock.advance(seconds=s.claims()["exp"] - epoch_seconds(clock.now) - 1)
    assert _aws("GetUser", {"AccessToken": s.access})[0] == 200

    clock.advance(seconds=1)

    _refused_everywhere(s.access, "NotAuthorizedException", EXPIRED)


@pytest.mark.parametrize(
    ("change", "seconds"),
    [
        ("iat", 3600),
        ("nbf", 3600),
        ("iat", CLOCK_SKEW_SECONDS + 1),
        ("nbf", CLOCK_SKEW_SECONDS + 1),
    ],
)
def test_a_token_not_yet_valid_is_refused(
    clock: Clock, attacker_key: rsa.RSAPrivateKey, change: str, seconds: int
) -> None:
    """Only this server's key can make one (a host whose clock runs ahead): it is refused, so
    that a token from the future cannot outlive a global sign-out made before its `iat`."""
    s = _sign_in(attacker_key)
    token = s.signed(**{change: epoch_seconds(clock.now) + seconds})

    _refused_everywhere(token, "NotAuthorizedException", INVALID)


def test_a_little_clock_skew_in_iat_is_tolerated(
    clock: Clock, attacker_key: rsa.RSAPrivateKey
) -> None:
    s = _sign_in(attacker_key)
    for claim in ("iat", "nbf"):
        token = s.signed(**{claim: epoch_seconds(clock.now) + CLOCK_SKEW_SECONDS})
        assert _aws("GetUser", {"AccessToken": token})[0] == 200


@pytest.mark.parametrize("claim", ["iat", "exp", "nbf"])
@pytest.mark.parametrize("value", ["1e99", 1.5, True, None, [0]])
def test_times_that_are_not_whole_seconds_are_refused(
    signed_in: SignIn, claim: str, value: object
) -> None:
    """Only this server's key can make one; it is refused, not a 500."""
    token = signed_in.signed(**{claim: value})
    _refused_everywhere(token, "NotAuthorizedException", INVALID)


def test_a_token_without_the_user_admin_scope_is_refused(signed_in: SignIn) -> None:
    """An OAuth sign-in that did not ask for aws.cognito.signin.user.admin."""
    tokens = tokens_issue(user=signed_in.user, client=signed_in.client, scopes=["openid", "email"])
    _refused_everywhere(tokens["AccessToken"], "NotAuthorizedException", NO_SCOPE)


def test_tokens_are_refused_after_a_global_sign_out(signed_in: SignIn) -> None:
    user_tokens_revoke(user=signed_in.user)
    _refused_everywhere(signed_in.access, "NotAuthorizedException", REVOKED)


def test_a_global_sign_out_also_ends_sign_ins_whose_rows_are_gone(
    clock: Clock, attacker_key: rsa.RSAPrivateKey
) -> None:
    """By `iat`: a token issued before the sign-out is refused without its sign-in's row."""
    s = _sign_in(attacker_key)
    RefreshToken.objects.filter(user=s.user).delete()
    clock.advance(seconds=1)
    user_tokens_revoke(user=s.user)
    _refused_everywhere(s.access, "NotAuthorizedException", REVOKED)


def test_the_tokens_of_a_revoked_refresh_token_are_refused(signed_in: SignIn) -> None:
    refresh_token_revoke(client=signed_in.client, refresh_token=signed_in.refresh)
    _refused_everywhere(signed_in.access, "NotAuthorizedException", REVOKED)


def test_a_disabled_users_tokens_are_refused(signed_in: SignIn) -> None:
    user_disable(user=signed_in.user)
    _refused_everywhere(signed_in.access, "NotAuthorizedException", DISABLED)


def test_a_deleted_users_tokens_are_refused_as_cognito_does(signed_in: SignIn) -> None:
    """Cognito answers a deleted user's still-unexpired token with UserNotFoundException."""
    user_delete(user=signed_in.user)
    _refused_everywhere(signed_in.access, "UserNotFoundException", "User does not exist.")


def test_tokens_of_a_deleted_app_client_are_refused(signed_in: SignIn) -> None:
    app_client_delete(client=signed_in.client)
    _refused_everywhere(signed_in.access, "NotAuthorizedException", INVALID)


def test_a_token_of_a_deleted_pool_is_refused(signed_in: SignIn) -> None:
    """The key stays in the process's cache once used; the pool's users are gone all the same."""
    assert _aws("GetUser", {"AccessToken": signed_in.access})[0] == 200
    signed_in.pool.delete()
    _refused_everywhere(signed_in.access, "UserNotFoundException", "User does not exist.")


def test_a_token_signed_by_another_pool_for_its_own_user_acts_only_there(
    signed_in: SignIn,
) -> None:
    """Signed by the other pool's key, with this pool's user's `sub`: it is looked up in the
    other pool only, where nobody has that `sub`."""
    s = signed_in
    other_client = make_app_client(pool=s.other_pool, ExplicitAuthFlows=FLOWS)
    claims = {
        **s.claims(),
        "iss": user_pool_issuer(pool_id=s.other_pool.pool_id),
        "client_id": other_client.client_id,
    }
    token = _rs256({"kid": s.other_key.kid}, claims, _private_key(s.other_key))
    _refused_everywhere(token, "UserNotFoundException", "User does not exist.")


def test_a_sign_in_of_one_user_cannot_speak_for_another(signed_in: SignIn) -> None:
    """Signed by the pool's key, bob's `sub` with alice's sign-in (`origin_jti`)."""
    bob = PoolUser.objects.get(pool=signed_in.pool, username="bob")
    token = signed_in.signed(sub=str(bob.sub), username="bob")
    _refused_everywhere(token, "NotAuthorizedException", INVALID)


# --- the refresh-token doors -------------------------------------------------------------------


def _refresh_doors(s: SignIn, token: str) -> dict[str, tuple[int, dict[str, Any]]]:
    client_id = s.client.client_id
    return {
        "REFRESH_TOKEN_AUTH": _aws(
            "InitiateAuth",
            {
                "ClientId": client_id,
                "AuthFlow": "REFRESH_TOKEN_AUTH",
                "AuthParameters": {"REFRESH_TOKEN": token},
            },
        ),
        "GetTokensFromRefreshToken": _aws(
            "GetTokensFromRefreshToken", {"ClientId": client_id, "RefreshToken": token}
        ),
    }


def _refresh_refused(s: SignIn, token: str, error: str, message: str) -> None:
    before = _state()
    answers = _refresh_doors(s, token)
    expected = (400, {"__type": error, "message": message})
    assert {door: answer for door, answer in answers.items() if answer != expected} == {}
    assert _state() == before


def test_the_genuine_refresh_token_is_redeemed(signed_in: SignIn) -> None:
    answers = _refresh_doors(signed_in, signed_in.refresh)
    assert {door: status for door, (status, _answer) in answers.items()} == {
        "REFRESH_TOKEN_AUTH": 200,
        "GetTokensFromRefreshToken": 200,
    }


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda s: "A" * 320, id="made up"),
        pytest.param(
            lambda s: s.refresh[:-1] + ("A" if s.refresh[-1] != "A" else "B"), id="edited"
        ),
        pytest.param(lambda s: s.refresh[:-40], id="truncated"),
        pytest.param(lambda s: s.access, id="the access token"),
        pytest.param(lambda s: str(s.tokens["IdToken"]), id="the id token"),
        pytest.param(
            lambda s: _unsigned({"alg": "none"}, {"sub": str(s.user.sub)}), id="alg none jwt"
        ),
        pytest.param(
            lambda s: tokens_issue(user=s.user, client=make_app_client(pool=s.pool))[
                "RefreshToken"
            ],
            id="another client's",
        ),
        pytest.param(
            lambda s: tokens_issue(
                user=make_user(pool=s.other_pool, username="alice", password=PASSWORD),
                client=make_app_client(pool=s.other_pool, ExplicitAuthFlows=FLOWS),
            )["RefreshToken"],
            id="another pool's",
        ),
    ],
)
def test_a_forged_or_foreign_refresh_token_is_refused(
    signed_in: SignIn, forge: Callable[[SignIn], str]
) -> None:
    _refresh_refused(signed_in, forge(signed_in), "NotAuthorizedException", REFRESH_INVALID)


def test_an_expired_refresh_token_is_refused(clock: Clock, attacker_key: rsa.RSAPrivateKey) -> None:
    s = _sign_in(attacker_key)
    clock.advance(days=30)
    _refresh_refused(s, s.refresh, "NotAuthorizedException", REFRESH_INVALID)


def test_a_revoked_refresh_token_is_refused(signed_in: SignIn) -> None:
    refresh_token_revoke(client=signed_in.client, refresh_token=signed_in.refresh)
    _refresh_refused(signed_in, signed_in.refresh, "NotAuthorizedException", REFRESH_REVOKED)


def test_refresh_tokens_are_refused_after_a_global_sign_out(signed_in: SignIn) -> None:
    user_tokens_revoke(user=signed_in.user)
    _refresh_refused(signed_in, signed_in.refresh, "NotAuthorizedException", REFRESH_REVOKED)


def test_a_disabled_users_refresh_token_is_refused(signed_in: SignIn) -> None:
    user_disable(user=signed_in.user)
    _refresh_refused(signed_in, signed_in.refresh, "NotAuthorizedException", DISABLED)


def test_a_deleted_users_refresh_token_is_refused(signed_in: SignIn) -> None:
    user_delete(user=signed_in.user)
    _refresh_refused(signed_in, signed_in.refresh, "NotAuthorizedException", REFRESH_INVALID)


def test_a_deleted_clients_refresh_token_is_refused_as_the_client_is_gone(
    signed_in: SignIn,
) -> None:
    client_id = signed_in.client.client_id
    app_client_delete(client=signed_in.client)
    before = _state()
    answer = _aws(
        "GetTokensFromRefreshToken", {"ClientId": client_id, "RefreshToken": signed_in.refresh}
    )
    assert answer == (
        400,
        {
            "__type": "ResourceNotFoundException",
            "message": f"User pool client {client_id} does not exist.",
        },
    )
    assert _state() == before


def _revoke(s: SignIn, token: str, client: AppClient | None = None) -> tuple[int, dict[str, Any]]:
    return _aws("RevokeToken", {"ClientId": (client or s.client).client_id, "Token": token})


def test_revoke_token_with_a_forged_token_changes_nothing(signed_in: SignIn) -> None:
    """RFC 7009 and Cognito accept an unknown token silently; it must still revoke nothing."""
    before = _state()
    assert _revoke(signed_in, "A" * 320) == (200, {})
    edited = signed_in.refresh[:-1] + ("A" if signed_in.refresh[-1] != "A" else "B")
    assert _revoke(signed_in, edited)[0] == 200
    assert _state() == before
    assert _aws("GetUser", {"AccessToken": signed_in.access})[0] == 200


def test_revoke_token_refuses_jwts_and_other_clients_tokens(signed_in: SignIn) -> None:
    before = _state()
    other = make_app_client(pool=signed_in.pool, ExplicitAuthFlows=FLOWS)
    after_setup = _state()
    for token in (signed_in.access, str(signed_in.tokens["IdToken"])):
        assert _revoke(signed_in, token) == (
            400,
            {
                "__type": "UnsupportedTokenTypeException",
                "message": "Only refresh tokens can be revoked.",
            },
        )
    assert _revoke(signed_in, signed_in.refresh, client=other) == (
        400,
        {
            "__type": "UnauthorizedException",
            "message": "The refresh token was not issued to this client.",
        },
    )
    assert _state() == after_setup != before


# --- the management API ------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Bearer", "JWT", ""])
def test_the_management_api_takes_no_pool_token(signed_in: SignIn, scheme: str) -> None:
    """Pool users' tokens are not credentials of operators: refused like no credentials at all."""
    api = APIClient()
    for token in (
        signed_in.access,
        str(signed_in.tokens["IdToken"]),
        forgeries(signed_in)["alg none"],
    ):
        response = api.get("/api/v1/pools/", headers={"Authorization": f"{scheme} {token}".strip()})
        assert response.status_code in {401, 403}, response.content
        assert signed_in.pool.pool_id not in response.content.decode()


# --- through boto3 against a live server ---------------------------------------------------------


LIVE_FORGERIES = [
    "alg none",
    "hs256 with the public key as pem",
    "hs256 with the public key as jwk json",
    "sub edited",
    "kid path traversal",
    "kid sql",
    "embedded jwk with the pool's kid",
    "jku",
    "another pool's key with its kid",
    "the id token",
]


@pytest.mark.parametrize("door", LIVE_DOORS)
def test_boto3_reads_each_refusal_as_cognitos(
    idp_public: Any, attacker_key: rsa.RSAPrivateKey, door: str
) -> None:
    s = _sign_in(attacker_key)
    forged = forgeries(s)
    call = getattr(idp_public, xform_name(door))
    before = _state()
    for name in LIVE_FORGERIES:
        with pytest.raises(ClientError) as refused:
            call(AccessToken=forged[name], **DOORS[door])
        error = refused.value.response["Error"]
        assert (name, error["Code"], error["Message"]) == (name, "NotAuthorizedException", INVALID)
    assert _state() == before


def test_boto3_sees_revocation_and_a_disabled_user(
    idp_public: Any, attacker_key: rsa.RSAPrivateKey
) -> None:
    s = _sign_in(attacker_key)
    idp_public.get_user(AccessToken=s.access)
    idp_public.revoke_token(ClientId=s.client.client_id, Token=s.refresh)
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as revoked:
        idp_public.get_user(AccessToken=s.access)
    assert revoked.value.response["Error"]["Message"] == REVOKED
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refresh_revoked:
        idp_public.get_tokens_from_refresh_token(
            ClientId=s.client.client_id, RefreshToken=s.refresh
        )
    assert refresh_revoked.value.response["Error"]["Message"] == REFRESH_REVOKED

    again = tokens_issue(user=s.user, client=s.client)
    idp_public.global_sign_out(AccessToken=again["AccessToken"])
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as signed_out:
        idp_public.list_devices(AccessToken=again["AccessToken"])
    assert signed_out.value.response["Error"]["Message"] == REVOKED

    third = tokens_issue(user=s.user, client=s.client)
    user_disable(user=s.user)
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as disabled:
        idp_public.initiate_auth(
            ClientId=s.client.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": third["RefreshToken"]},
        )
    assert disabled.value.response["Error"]["Message"] == DISABLED
