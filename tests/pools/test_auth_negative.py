"""Sign-in refusals as a client sees them on the wire (boto3 against the live server): SRP proofs
from a wrong password, replayed and expired sessions, forged and revoked access tokens, disabled
users and the lockout's timing.

The live server runs in this process, so the `clock` fixture (Django's `timezone.now`, which the
services read) moves its time too."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import RSAAlgorithm
from pycognito.aws_srp import AWSSRP

from pools.models import AppClient, PoolUser, RefreshToken, UserPool
from pools.services.keys import signing_key_active, signing_key_private_pem
from pools.services.users import user_disable
from tests.builders import make_app_client, make_user, make_user_pool
from tests.conftest import Clock

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Passw0rd!"
WRONG_PASSWORD = "Wr0ng!pass"
INCORRECT = "NotAuthorizedException: Incorrect username or password."
LOCKED_OUT = "NotAuthorizedException: Password attempts exceeded"
INVALID_TOKEN = "NotAuthorizedException: Invalid Access Token"
SIGNED_IN = "signed in"


@pytest.fixture
def live_pool(aws_url: str) -> UserPool:
    return make_user_pool()


@pytest.fixture
def alice(live_pool: UserPool) -> PoolUser:
    return make_user(pool=live_pool, username="alice", password=PASSWORD)


@pytest.fixture
def client(live_pool: UserPool) -> AppClient:
    return make_app_client(
        pool=live_pool,
        ExplicitAuthFlows=[
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
    )


def refusal(error: ClientError) -> str:
    return f"{error.response['Error']['Code']}: {error.response['Error']['Message']}"


def refused(call: Callable[..., Any], **params: Any) -> str:
    """What the client observes when `call` is refused: `<error code>: <message>`."""
    with pytest.raises(ClientError) as error:
        call(**params)
    return refusal(error.value)


def srp(idp_public: Any, client: AppClient, password: str) -> Any:
    """pycognito's SRP client for alice: it computes A, and the proof for whatever password."""
    return AWSSRP("alice", password, client.pool.pool_id, client.client_id, client=idp_public)


def srp_challenge(idp_public: Any, client: AppClient, helper: Any) -> dict[str, Any]:
    challenge: dict[str, Any] = idp_public.initiate_auth(
        AuthFlow="USER_SRP_AUTH", ClientId=client.client_id, AuthParameters=helper.get_auth_params()
    )
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    return challenge


def srp_answer(helper: Any, challenge: dict[str, Any]) -> dict[str, str]:
    """PASSWORD_VERIFIER's ChallengeResponses, signed with the helper's password."""
    answer: dict[str, str] = helper.process_challenge(
        challenge["ChallengeParameters"], helper.get_auth_params()
    )
    return answer


def sign_in(idp_public: Any, client: AppClient, password: str = PASSWORD) -> dict[str, Any]:
    result: dict[str, Any] = idp_public.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client.client_id,
        AuthParameters={"USERNAME": "alice", "PASSWORD": password},
    )["AuthenticationResult"]
    return result


def attempt(idp_public: Any, client: AppClient, password: str, flow: str) -> str:
    """One sign-in of alice with `password` through `flow`, as its outcome reads."""
    try:
        if flow == "USER_SRP_AUTH":
            srp(idp_public, client, password).authenticate_user()
        else:
            sign_in(idp_public, client, password)
    except ClientError as error:
        return refusal(error)
    return SIGNED_IN


# --- SRP ------------------------------------------------------------------------------------


def test_a_proof_computed_from_a_wrong_password_is_refused(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    helper = srp(idp_public, client, WRONG_PASSWORD)
    answer = srp_answer(helper, srp_challenge(idp_public, client, helper))

    assert (
        refused(
            idp_public.respond_to_auth_challenge,
            ClientId=client.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=answer,
        )
        == INCORRECT
    )
    alice.refresh_from_db()
    assert alice.failed_sign_in_count == 1
    assert not RefreshToken.objects.filter(user=alice).exists()


@pytest.mark.parametrize("with_session", [False, True], ids=["pycognito-style", "acij-style"])
def test_a_password_verifier_answer_is_accepted_once(
    idp_public: Any, client: AppClient, alice: PoolUser, with_session: bool
) -> None:
    helper = srp(idp_public, client, PASSWORD)
    challenge = srp_challenge(idp_public, client, helper)
    answer = {
        "ClientId": client.client_id,
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeResponses": srp_answer(helper, challenge),
        **({"Session": challenge["Session"]} if with_session else {}),
    }
    assert "AccessToken" in idp_public.respond_to_auth_challenge(**answer)["AuthenticationResult"]

    assert refused(idp_public.respond_to_auth_challenge, **answer) == (
        "NotAuthorizedException: Invalid session for the user, session can only be used once."
    )
    assert RefreshToken.objects.filter(user=alice).count() == 1


@pytest.mark.parametrize(
    ("elapsed", "outcome"),
    [
        (179, SIGNED_IN),
        (180, "NotAuthorizedException: Invalid session for the user, session is expired."),
    ],
)
def test_a_password_verifier_answer_is_accepted_only_within_the_session_validity(
    idp_public: Any,
    client: AppClient,
    alice: PoolUser,
    clock: Clock,
    *,
    elapsed: int,
    outcome: str,
) -> None:
    assert client.auth_session_validity == 3  # minutes, Cognito's default
    helper = srp(idp_public, client, PASSWORD)
    challenge = srp_challenge(idp_public, client, helper)

    clock.advance(seconds=elapsed)
    try:
        idp_public.respond_to_auth_challenge(
            ClientId=client.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=srp_answer(helper, challenge),
        )
    except ClientError as error:
        observed = refusal(error)
    else:
        observed = SIGNED_IN

    assert observed == outcome
    assert RefreshToken.objects.filter(user=alice).count() == (1 if outcome == SIGNED_IN else 0)
    alice.refresh_from_db()
    assert alice.failed_sign_in_count == 0  # an expired session is no wrong password


# --- forged access tokens -------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segments(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _signature = token.split(".")
    return (
        json.loads(base64.urlsafe_b64decode(header + "==")),
        json.loads(base64.urlsafe_b64decode(payload + "==")),
    )


def _hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(mac)}"


def forge_alg_none(token: str, pool: UserPool, other: UserPool) -> str:
    """The genuine claims, unsigned, with a header that says no signature is needed."""
    header, claims = _segments(token)
    unsigned_header = _b64url(json.dumps({**header, "alg": "none"}).encode())
    return f"{unsigned_header}.{_b64url(json.dumps(claims).encode())}."


def forge_hs256_with_the_public_key(token: str, pool: UserPool, other: UserPool) -> str:
    """The classic confusion: HMAC keyed with the PEM of the pool's published RSA key."""
    header, claims = _segments(token)
    public_key = RSAAlgorithm.from_jwk(dict(signing_key_active(pool=pool).public_jwk))
    assert isinstance(public_key, RSAPublicKey)
    pem = public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return _hs256({**header, "alg": "HS256"}, claims, pem)


def forge_another_pools_key_under_this_pools_kid(
    token: str, pool: UserPool, other: UserPool
) -> str:
    """The claims re-signed with a key the forger holds, the header naming this pool's key."""
    _header, claims = _segments(token)
    victim_kid = signing_key_active(pool=pool).kid
    other_pem = signing_key_private_pem(key=signing_key_active(pool=other))
    return jwt.encode(claims, other_pem, algorithm="RS256", headers={"kid": victim_kid})


def forge_another_pools_key_under_its_own_kid(token: str, pool: UserPool, other: UserPool) -> str:
    """A signature another pool's key does verify, on claims naming this pool as the issuer."""
    _header, claims = _segments(token)
    other_key = signing_key_active(pool=other)
    other_pem = signing_key_private_pem(key=other_key)
    return jwt.encode(claims, other_pem, algorithm="RS256", headers={"kid": other_key.kid})


def forge_tampered_payload(token: str, pool: UserPool, other: UserPool) -> str:
    """Another user's `sub` in the payload, the genuine header and signature kept."""
    header, _payload, signature = token.split(".")
    _header, claims = _segments(token)
    bob = PoolUser.objects.get(pool=pool, username="bob")
    tampered = _b64url(json.dumps({**claims, "sub": str(bob.sub), "username": "bob"}).encode())
    return f"{header}.{tampered}.{signature}"


@pytest.mark.parametrize(
    "forge",
    [
        forge_alg_none,
        forge_hs256_with_the_public_key,
        forge_another_pools_key_under_this_pools_kid,
        forge_another_pools_key_under_its_own_kid,
        forge_tampered_payload,
    ],
    ids=lambda forge: forge.__name__.removeprefix("forge_"),
)
def test_a_forged_access_token_is_refused(
    idp_public: Any,
    client: AppClient,
    alice: PoolUser,
    forge: Callable[[str, UserPool, UserPool], str],
) -> None:
    make_user(pool=client.pool, username="bob", password=PASSWORD)
    genuine = sign_in(idp_public, client)["AccessToken"]
    forged = forge(genuine, client.pool, make_user_pool(name="other"))

    assert refused(idp_public.get_user, AccessToken=forged) == INVALID_TOKEN
    assert idp_public.get_user(AccessToken=genuine)["Username"] == "alice"


@pytest.mark.parametrize(
    ("elapsed", "outcome"),
    [(3599, "alice"), (3600, "NotAuthorizedException: Access Token has expired")],
)
def test_an_access_token_is_refused_once_expired(
    idp_public: Any,
    client: AppClient,
    alice: PoolUser,
    clock: Clock,
    *,
    elapsed: int,
    outcome: str,
) -> None:
    token = sign_in(idp_public, client)["AccessToken"]
    clock.advance(seconds=elapsed)  # the client's AccessTokenValidity: 60 minutes

    try:
        observed = idp_public.get_user(AccessToken=token)["Username"]
    except ClientError as error:
        observed = refusal(error)

    assert observed == outcome


# --- revocation -----------------------------------------------------------------------------


def test_a_revoked_sign_in_refuses_its_access_tokens_and_its_refresh_token(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    revoked = sign_in(idp_public, client)
    refreshed = idp_public.initiate_auth(
        AuthFlow="REFRESH_TOKEN_AUTH",
        ClientId=client.client_id,
        AuthParameters={"REFRESH_TOKEN": revoked["RefreshToken"]},
    )["AuthenticationResult"]
    other = sign_in(idp_public, client)

    idp_public.revoke_token(Token=revoked["RefreshToken"], ClientId=client.client_id)

    for token in (revoked["AccessToken"], refreshed["AccessToken"]):
        assert refused(idp_public.get_user, AccessToken=token) == (
            "NotAuthorizedException: Access Token has been revoked"
        )
    assert (
        refused(
            idp_public.initiate_auth,
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=client.client_id,
            AuthParameters={"REFRESH_TOKEN": revoked["RefreshToken"]},
        )
        == "NotAuthorizedException: Refresh Token has been revoked"
    )
    # Only that sign-in ended.
    assert idp_public.get_user(AccessToken=other["AccessToken"])["Username"] == "alice"


# --- disabled users and lockout -------------------------------------------------------------


@pytest.mark.parametrize("flow", ["USER_SRP_AUTH", "USER_PASSWORD_AUTH"])
def test_a_disabled_user_cannot_sign_in(
    idp_public: Any, client: AppClient, alice: PoolUser, flow: str
) -> None:
    user_disable(user=alice)

    assert attempt(idp_public, client, PASSWORD, flow) == (
        "NotAuthorizedException: User is disabled."
    )
    alice.refresh_from_db()
    assert alice.failed_sign_in_count == 0
    assert not RefreshToken.objects.filter(user=alice).exists()


def test_a_user_disabled_while_answering_the_srp_challenge_is_refused(
    idp_public: Any, client: AppClient, alice: PoolUser
) -> None:
    helper = srp(idp_public, client, PASSWORD)
    challenge = srp_challenge(idp_public, client, helper)
    user_disable(user=alice)

    assert (
        refused(
            idp_public.respond_to_auth_challenge,
            ClientId=client.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=srp_answer(helper, challenge),
        )
        == "NotAuthorizedException: User is disabled."
    )
    assert not RefreshToken.objects.filter(user=alice).exists()


@pytest.mark.parametrize("flow", ["USER_SRP_AUTH", "USER_PASSWORD_AUTH"])
def test_five_failures_lock_the_user_out_for_one_second_then_two(
    idp_public: Any, client: AppClient, alice: PoolUser, clock: Clock, flow: str
) -> None:
    def outcome(password: str) -> str:
        return attempt(idp_public, client, password, flow)

    assert [outcome(WRONG_PASSWORD) for _ in range(5)] == [INCORRECT] * 5
    assert outcome(PASSWORD) == LOCKED_OUT  # even the right password
    clock.advance(milliseconds=999)
    assert outcome(PASSWORD) == LOCKED_OUT
    alice.refresh_from_db()
    assert alice.failed_sign_in_count == 5  # attempts while locked out do not count

    clock.advance(milliseconds=1)
    assert outcome(WRONG_PASSWORD) == INCORRECT  # the sixth failure: two seconds
    clock.advance(milliseconds=1999)
    assert outcome(PASSWORD) == LOCKED_OUT
    clock.advance(milliseconds=1)
    assert outcome(PASSWORD) == SIGNED_IN

    alice.refresh_from_db()
    assert (alice.failed_sign_in_count, alice.locked_until) == (0, None)
    assert RefreshToken.objects.filter(user=alice).count() == 1
