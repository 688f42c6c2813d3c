from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_django import DjangoAssertNumQueries, Settings

from cognitoadmin.crypto import digest
from cognitoadmin.errors import ServiceError
from pools.errors import (
    NotAuthorizedException,
    RefreshTokenReuseException,
    UnauthorizedException,
    UnsupportedOperationException,
    UnsupportedTokenTypeException,
    UserNotFoundException,
)
from pools.models import AppClient, PoolUser, RefreshToken, UserPool
from pools.selectors.tokens import refresh_token_find
from pools.services.keys import (
    pool_jwks,
    signing_key_active,
    signing_key_private_pem,
    signing_key_rotate,
)
from pools.services.passwords import password_replace
from pools.services.refresh import refresh_token_redeem
from pools.services.revocation import refresh_token_revoke, user_tokens_revoke
from pools.services.tokens import tokens_issue, user_pool_issuer
from pools.services.users import (
    user_add_to_group,
    user_delete,
    user_disable,
    user_enable,
    user_reset_password,
)
from pools.services.verification import access_token_verify
from tests.builders import make_app_client, make_group, make_user, make_user_pool
from tests.conftest import Clock

pytestmark = pytest.mark.django_db

ROLE_A = "arn:aws:iam::123456789012:role/role-a"
ROLE_B = "arn:aws:iam::123456789012:role/role-b"
START = dt.datetime(2030, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def client(pool: UserPool) -> AppClient:
    return make_app_client(pool=pool)


def redeem(*, client: AppClient, refresh_token: str, rotate: bool = False) -> dict[str, Any]:
    """REFRESH_TOKEN_AUTH's redemption (GetTokensFromRefreshToken's with `rotate`) of a token."""
    row = refresh_token_find(token=refresh_token)
    return refresh_token_redeem(client=client, row=row, rotate=rotate)


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _verified(token: str, pool: UserPool, **options: Any) -> dict[str, Any]:
    """Verify as any resource server does: the key the header names, from the pool's JWKS."""
    key = jwt.PyJWKSet.from_dict(pool_jwks(pool=pool))[jwt.get_unverified_header(token)["kid"]]
    claims: dict[str, Any] = jwt.decode(
        token,
        key=key,
        algorithms=["RS256"],
        issuer=user_pool_issuer(pool_id=pool.pool_id),
        **options,
    )
    return claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(sign(signing_input.encode()))}"


def _raises(error: type[ServiceError], message: str, call: Any, **kwargs: Any) -> None:
    with pytest.raises(error) as caught:
        call(**kwargs)
    assert caught.value.message == message


def _digest(token: str) -> str:
    return digest(token, purpose="refresh_token")


def _refresh_row(token: str) -> RefreshToken:
    return RefreshToken.objects.get(token_digest=_digest(token))


# --- issue ----------------------------------------------------------------------------------


def test_a_sign_in_answers_with_cognitos_authentication_result(
    user: PoolUser, client: AppClient
) -> None:
    result = tokens_issue(user=user, client=client)

    assert set(result) == {"AccessToken", "IdToken", "RefreshToken", "ExpiresIn", "TokenType"}
    assert result["TokenType"] == "Bearer"
    assert result["ExpiresIn"] == 3600
    assert len(result["RefreshToken"]) >= 300
    assert re.fullmatch(r"[A-Za-z0-9-_=.]+", result["RefreshToken"])


def test_the_refresh_token_is_stored_only_as_a_digest(user: PoolUser, client: AppClient) -> None:
    token = tokens_issue(user=user, client=client)["RefreshToken"]

    row = RefreshToken.objects.get(user=user)
    assert row.token_digest == _digest(token)
    assert token not in str(RefreshToken.objects.values().get())
    assert (row.client, row.pool, row.scopes) == (
        client,
        user.pool,
        ["aws.cognito.signin.user.admin"],
    )


def test_tokens_are_signed_rs256_by_the_pools_active_key(user: PoolUser, client: AppClient) -> None:
    result = tokens_issue(user=user, client=client)

    kid = signing_key_active(pool=user.pool).kid
    for token in (result["AccessToken"], result["IdToken"]):
        assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": kid}
        _verified(token, user.pool, options={"verify_aud": False})


def test_the_access_token_has_cognitos_claims(
    user: PoolUser, client: AppClient, clock: Clock
) -> None:
    claims = _claims(tokens_issue(user=user, client=client)["AccessToken"])

    now = int(START.timestamp())
    assert set(claims) == {
        "sub",
        "iss",
        "client_id",
        "origin_jti",
        "event_id",
        "token_use",
        "scope",
        "auth_time",
        "exp",
        "iat",
        "jti",
        "username",
        "version",
    }
    assert claims["sub"] == str(user.sub)
    assert claims["iss"] == f"http://testserver/{user.pool.pool_id}"
    assert claims["client_id"] == client.client_id
    assert claims["token_use"] == "access"
    assert claims["scope"] == "aws.cognito.signin.user.admin"
    assert (claims["auth_time"], claims["iat"], claims["exp"]) == (now, now, now + 3600)
    assert claims["username"] == "alice"
    assert claims["version"] == 2
    assert claims["origin_jti"] == RefreshToken.objects.get(user=user).origin_jti


def test_the_id_token_has_cognitos_claims(user: PoolUser, client: AppClient, clock: Clock) -> None:
    result = tokens_issue(user=user, client=client)
    claims = _claims(result["IdToken"])

    now = int(START.timestamp())
    assert claims == {
        "sub": str(user.sub),
        "iss": f"http://testserver/{user.pool.pool_id}",
        "aud": client.client_id,
        "token_use": "id",
        "cognito:username": "alice",
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
        "jti": claims["jti"],
        "origin_jti": _claims(result["AccessToken"])["origin_jti"],
        "event_id": _claims(result["AccessToken"])["event_id"],
        "email": "alice@example.com",
        "email_verified": True,
    }
    assert claims["jti"] != _claims(result["AccessToken"])["jti"]


def test_each_sign_in_has_its_own_origin_and_ids(user: PoolUser, client: AppClient) -> None:
    first = _claims(tokens_issue(user=user, client=client)["AccessToken"])
    second = _claims(tokens_issue(user=user, client=client)["AccessToken"])

    for claim in ("origin_jti", "jti", "event_id"):
        assert first[claim] != second[claim]


def test_lifetimes_follow_the_clients_validity_and_units(user: PoolUser, clock: Clock) -> None:
    client = make_app_client(
        pool=user.pool,
        AccessTokenValidity=5,
        IdTokenValidity=2,
        RefreshTokenValidity=3,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "hours", "RefreshToken": "days"},
    )

    result = tokens_issue(user=user, client=client)

    access, id_ = _claims(result["AccessToken"]), _claims(result["IdToken"])
    assert result["ExpiresIn"] == 300
    assert access["exp"] - access["iat"] == 300
    assert id_["exp"] - id_["iat"] == 7200
    assert _refresh_row(result["RefreshToken"]).expires_at == START + dt.timedelta(days=3)


def test_bare_validity_values_are_in_cognitos_default_units(user: PoolUser) -> None:
    client = make_app_client(
        pool=user.pool, AccessTokenValidity=1, IdTokenValidity=1, RefreshTokenValidity=1
    )

    result = tokens_issue(user=user, client=client)

    assert result["ExpiresIn"] == 3600
    claims = _claims(result["IdToken"])
    assert claims["exp"] - claims["iat"] == 3600


def test_given_scopes_device_key_and_auth_time_go_into_the_tokens(
    user: PoolUser, client: AppClient, clock: Clock
) -> None:
    signed_in = START - dt.timedelta(minutes=3)

    result = tokens_issue(
        user=user,
        client=client,
        auth_time=signed_in,
        scopes=["openid", "email"],
        device_key="us-east-1_device",
    )

    access = _claims(result["AccessToken"])
    assert access["scope"] == "openid email"
    assert access["device_key"] == "us-east-1_device"
    assert access["auth_time"] == _claims(result["IdToken"])["auth_time"]
    assert access["auth_time"] == int(signed_in.timestamp())
    assert "device_key" not in _claims(result["IdToken"])


def test_without_a_refresh_token_the_sign_in_still_has_a_revocable_origin(
    user: PoolUser, client: AppClient
) -> None:
    result = tokens_issue(user=user, client=client, with_refresh_token=False)

    assert "RefreshToken" not in result
    row = RefreshToken.objects.get(user=user)
    assert row.origin_jti == _claims(result["AccessToken"])["origin_jti"]


def test_tokens_of_a_known_origin_continue_that_sign_in(
    user: PoolUser, client: AppClient, clock: Clock
) -> None:
    first = tokens_issue(user=user, client=client)
    origin = _claims(first["AccessToken"])["origin_jti"]
    clock.advance(minutes=5)

    again = tokens_issue(
        user=user, client=client, origin_jti=origin, auth_time=START, with_refresh_token=False
    )

    assert "RefreshToken" not in again
    assert _claims(again["AccessToken"])["origin_jti"] == origin
    assert _claims(again["AccessToken"])["auth_time"] == int(START.timestamp())
    assert RefreshToken.objects.filter(user=user).count() == 1


def test_a_revoked_sign_in_cannot_be_continued(user: PoolUser, client: AppClient) -> None:
    first = tokens_issue(user=user, client=client)
    origin = _claims(first["AccessToken"])["origin_jti"]
    refresh_token_revoke(client=client, refresh_token=first["RefreshToken"])

    _raises(
        NotAuthorizedException,
        "Refresh Token has been revoked",
        tokens_issue,
        user=user,
        client=client,
        origin_jti=origin,
    )

    assert RefreshToken.objects.filter(user=user).count() == 1


# --- groups, roles and attributes -----------------------------------------------------------


def test_groups_are_in_both_tokens_and_roles_in_the_id_token(
    user: PoolUser, client: AppClient
) -> None:
    for name, precedence, role in (("b", 5, ROLE_B), ("a", 1, ROLE_A), ("plain", None, "")):
        user_add_to_group(
            user=user,
            group=make_group(pool=user.pool, name=name, precedence=precedence, role_arn=role),
        )

    result = tokens_issue(user=user, client=client)

    id_claims, access = _claims(result["IdToken"]), _claims(result["AccessToken"])
    assert id_claims["cognito:groups"] == ["a", "b", "plain"]
    assert access["cognito:groups"] == ["a", "b", "plain"]
    assert id_claims["cognito:roles"] == [ROLE_A, ROLE_B]
    assert id_claims["cognito:preferred_role"] == ROLE_A
    assert "cognito:roles" not in access


def test_a_user_in_no_group_has_no_group_claims(user: PoolUser, client: AppClient) -> None:
    result = tokens_issue(user=user, client=client)

    for token in (result["IdToken"], result["AccessToken"]):
        assert not {"cognito:groups", "cognito:roles", "cognito:preferred_role"} & set(
            _claims(token)
        )


@pytest.mark.parametrize(
    ("groups", "preferred"),
    [
        # Equal precedence, different roles: Cognito names no preferred role.
        ([(1, ROLE_A), (1, ROLE_B)], None),
        # Equal precedence, one role: that role.
        ([(1, ROLE_A), (1, ROLE_A)], ROLE_A),
        # A group without precedence loses to any number.
        ([(None, ROLE_A), (7, ROLE_B)], ROLE_B),
        ([(None, ROLE_A), (None, ROLE_B)], None),
        # Groups without a role do not count.
        ([(0, ""), (3, ROLE_B)], ROLE_B),
    ],
)
def test_the_preferred_role_is_the_lowest_precedence_groups(
    user: PoolUser,
    client: AppClient,
    groups: list[tuple[int | None, str]],
    preferred: str | None,
) -> None:
    for precedence, role in groups:
        user_add_to_group(
            user=user, group=make_group(pool=user.pool, precedence=precedence, role_arn=role)
        )

    claims = _claims(tokens_issue(user=user, client=client)["IdToken"])

    assert claims.get("cognito:preferred_role") == preferred
    assert sorted(claims["cognito:roles"]) == sorted({role for _p, role in groups if role})


def test_the_id_token_has_only_the_clients_readable_attributes() -> None:
    pool = make_user_pool(Schema=[{"Name": "tier", "AttributeDataType": "String"}])
    user = make_user(
        pool=pool,
        username="bob",
        email="bob@example.com",
        name="Bob",
        **{"custom:tier": "gold"},
    )
    client = make_app_client(pool=pool, ReadAttributes=["name", "custom:tier"])

    claims = _claims(tokens_issue(user=user, client=client)["IdToken"])

    assert claims["name"] == "Bob"
    assert claims["custom:tier"] == "gold"
    assert "email" not in claims
    assert "email_verified" not in claims


def test_without_read_attributes_every_attribute_the_user_has_is_readable() -> None:
    pool = make_user_pool(
        Schema=[
            {"Name": "tier", "AttributeDataType": "String"},
            {"Name": "level", "AttributeDataType": "Number"},
        ]
    )
    user = make_user(
        pool=pool,
        username="bob",
        phone_number="+15555550100",
        phone_number_verified="false",
        address="1 Main St",
        **{"custom:tier": "gold", "custom:level": "3"},
    )
    client = make_app_client(pool=pool)

    claims = _claims(tokens_issue(user=user, client=client)["IdToken"])

    assert claims["phone_number"] == "+15555550100"
    assert claims["phone_number_verified"] is False
    assert claims["address"] == {"formatted": "1 Main St"}
    assert claims["custom:tier"] == "gold"
    assert claims["custom:level"] == "3"
    assert "email" not in claims
    assert "email_verified" not in claims


# --- refresh --------------------------------------------------------------------------------


def test_refresh_keeps_the_sign_ins_auth_time_and_origin(
    user: PoolUser, client: AppClient, clock: Clock
) -> None:
    first = tokens_issue(user=user, client=client)
    clock.advance(minutes=30)

    refreshed = redeem(client=client, refresh_token=first["RefreshToken"])

    assert set(refreshed) == {"AccessToken", "IdToken", "ExpiresIn", "TokenType"}
    old, new = _claims(first["AccessToken"]), _claims(refreshed["AccessToken"])
    assert new["origin_jti"] == old["origin_jti"]
    assert new["auth_time"] == old["auth_time"] == int(START.timestamp())
    assert new["iat"] == old["iat"] + 1800
    assert new["jti"] != old["jti"]
    assert _claims(refreshed["IdToken"])["origin_jti"] == old["origin_jti"]
    assert RefreshToken.objects.filter(user=user).count() == 1


def test_refresh_reads_the_users_groups_as_they_are_now(user: PoolUser, client: AppClient) -> None:
    first = tokens_issue(user=user, client=client)
    user_add_to_group(user=user, group=make_group(pool=user.pool, name="late"))

    refreshed = redeem(client=client, refresh_token=first["RefreshToken"])

    assert _claims(refreshed["IdToken"])["cognito:groups"] == ["late"]


def test_refresh_with_an_unknown_or_another_clients_token_is_refused(
    user: PoolUser, client: AppClient
) -> None:
    token = tokens_issue(user=user, client=client)["RefreshToken"]
    other = make_app_client(pool=user.pool)

    for caller, candidate in ((client, "x" * 320), (other, token)):
        _raises(
            NotAuthorizedException,
            "Invalid Refresh Token",
            redeem,
            client=caller,
            refresh_token=candidate,
        )
    assert redeem(client=client, refresh_token=token)["AccessToken"]


def test_an_expired_refresh_token_is_refused(
    user: PoolUser, client: AppClient, clock: Clock
) -> None:
    token = tokens_issue(user=user, client=client)["RefreshToken"]
    clock.advance(days=30)

    _raises(
        NotAuthorizedException,
        "Invalid Refresh Token",
        redeem,
        client=client,
        refresh_token=token,
    )


def test_a_disabled_user_cannot_refresh(user: PoolUser, client: AppClient) -> None:
    token = tokens_issue(user=user, client=client)["RefreshToken"]
    user_disable(user=user)

    _raises(
        NotAuthorizedException,
        "User is disabled.",
        redeem,
        client=client,
        refresh_token=token,
    )

    # Disabling signed the user out: enabled again, the old token stays revoked.
    user_enable(user=user)
    _raises(
        NotAuthorizedException,
        "Refresh Token has been revoked",
        redeem,
        client=client,
        refresh_token=token,
    )


# --- rotation -------------------------------------------------------------------------------


def _rotating_client(pool: UserPool, grace: int) -> AppClient:
    return make_app_client(
        pool=pool,
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": grace},
    )


def test_rotation_gives_a_new_refresh_token_of_the_same_sign_in(
    user: PoolUser, clock: Clock
) -> None:
    client = _rotating_client(user.pool, grace=10)
    first = tokens_issue(user=user, client=client)
    clock.advance(hours=1)

    rotated = redeem(client=client, refresh_token=first["RefreshToken"], rotate=True)

    assert rotated["RefreshToken"] != first["RefreshToken"]
    old, new = _refresh_row(first["RefreshToken"]), _refresh_row(rotated["RefreshToken"])
    assert old.superseded_at == START + dt.timedelta(hours=1)
    assert (new.origin_jti, new.auth_time) == (old.origin_jti, old.auth_time)
    # The new token lives for what remained of the old one.
    assert new.expires_at == old.expires_at
    assert _claims(rotated["AccessToken"])["origin_jti"] == old.origin_jti
    assert redeem(client=client, refresh_token=rotated["RefreshToken"], rotate=True)


def test_a_rotated_token_works_during_the_grace_period_then_never(
    user: PoolUser, clock: Clock
) -> None:
    client = _rotating_client(user.pool, grace=10)
    old = tokens_issue(user=user, client=client)["RefreshToken"]
    redeem(client=client, refresh_token=old, rotate=True)

    clock.advance(seconds=9)
    retry = redeem(client=client, refresh_token=old, rotate=True)
    assert retry["RefreshToken"]

    clock.advance(seconds=1)
    count = RefreshToken.objects.count()
    with pytest.raises(RefreshTokenReuseException):
        redeem(client=client, refresh_token=old, rotate=True)
    assert RefreshToken.objects.count() == count
    # The retry's token is the one that lives on.
    assert redeem(client=client, refresh_token=retry["RefreshToken"], rotate=True)


def test_without_a_grace_period_a_rotated_token_is_refused_at_once(
    user: PoolUser, clock: Clock
) -> None:
    client = _rotating_client(user.pool, grace=0)
    old = tokens_issue(user=user, client=client)["RefreshToken"]
    redeem(client=client, refresh_token=old, rotate=True)

    with pytest.raises(RefreshTokenReuseException):
        redeem(client=client, refresh_token=old, rotate=True)


def test_a_rotating_client_refuses_refresh_token_auth(user: PoolUser) -> None:
    client = _rotating_client(user.pool, grace=0)
    token = tokens_issue(user=user, client=client)["RefreshToken"]

    with pytest.raises(UnsupportedOperationException):
        redeem(client=client, refresh_token=token)
    assert _refresh_row(token).superseded_at is None


def test_a_client_without_rotation_gives_no_new_refresh_token(
    user: PoolUser, client: AppClient
) -> None:
    token = tokens_issue(user=user, client=client)["RefreshToken"]

    result = redeem(client=client, refresh_token=token, rotate=True)

    assert "RefreshToken" not in result
    assert _refresh_row(token).superseded_at is None
    assert redeem(client=client, refresh_token=token, rotate=True)


# --- revocation -----------------------------------------------------------------------------


def test_revoking_a_refresh_token_revokes_every_token_of_its_sign_in(
    user: PoolUser, client: AppClient
) -> None:
    revoked = tokens_issue(user=user, client=client)
    refreshed = redeem(client=client, refresh_token=revoked["RefreshToken"])
    kept = tokens_issue(user=user, client=client)

    refresh_token_revoke(client=client, refresh_token=revoked["RefreshToken"])

    _raises(
        NotAuthorizedException,
        "Refresh Token has been revoked",
        redeem,
        client=client,
        refresh_token=revoked["RefreshToken"],
    )
    for token in (revoked["AccessToken"], refreshed["AccessToken"]):
        _raises(
            NotAuthorizedException,
            "Access Token has been revoked",
            access_token_verify,
            token=token,
        )
    # Another sign-in of the same user is untouched.
    assert access_token_verify(token=kept["AccessToken"]).user == user
    assert redeem(client=client, refresh_token=kept["RefreshToken"])


def test_revoking_a_rotated_token_revokes_its_successor_too(user: PoolUser) -> None:
    client = _rotating_client(user.pool, grace=60)
    old = tokens_issue(user=user, client=client)["RefreshToken"]
    new = redeem(client=client, refresh_token=old, rotate=True)["RefreshToken"]

    refresh_token_revoke(client=client, refresh_token=old)

    with pytest.raises(NotAuthorizedException):
        redeem(client=client, refresh_token=new, rotate=True)


def test_revocation_needs_the_clients_token_revocation(user: PoolUser) -> None:
    client = make_app_client(pool=user.pool, EnableTokenRevocation=False)
    token = tokens_issue(user=user, client=client)["RefreshToken"]

    with pytest.raises(UnsupportedOperationException):
        refresh_token_revoke(client=client, refresh_token=token)

    assert _refresh_row(token).revoked_at is None


def test_a_client_cannot_revoke_another_clients_token(user: PoolUser, client: AppClient) -> None:
    token = tokens_issue(user=user, client=client)["RefreshToken"]

    with pytest.raises(UnauthorizedException):
        refresh_token_revoke(client=make_app_client(pool=user.pool), refresh_token=token)

    assert _refresh_row(token).revoked_at is None


def test_only_refresh_tokens_can_be_revoked(user: PoolUser, client: AppClient) -> None:
    result = tokens_issue(user=user, client=client)

    with pytest.raises(UnsupportedTokenTypeException):
        refresh_token_revoke(client=client, refresh_token=result["AccessToken"])

    assert access_token_verify(token=result["AccessToken"]).user == user


def test_revoking_an_unknown_token_is_accepted_and_changes_nothing(
    user: PoolUser, client: AppClient
) -> None:
    tokens_issue(user=user, client=client)

    refresh_token_revoke(client=client, refresh_token="y" * 320)

    assert not RefreshToken.objects.filter(revoked_at__isnull=False).exists()


def test_global_sign_out_revokes_every_token_of_the_user(
    user: PoolUser, client: AppClient, clock: Clock
) -> None:
    other_client = make_app_client(pool=user.pool)
    sessions = [
        tokens_issue(user=user, client=client),
        tokens_issue(user=user, client=other_client),
        tokens_issue(user=user, client=client, with_refresh_token=False),
    ]
    bystander = tokens_issue(
        user=make_user(pool=user.pool, username="bob", password="Passw0rd!"), client=client
    )

    # Same second as the sign-ins: the origins, not the clock, refuse these tokens.
    user_tokens_revoke(user=user)

    for session in sessions:
        _raises(
            NotAuthorizedException,
            "Access Token has been revoked",
            access_token_verify,
            token=session["AccessToken"],
        )
    for session, session_client in zip(sessions[:2], (client, other_client), strict=True):
        _raises(
            NotAuthorizedException,
            "Refresh Token has been revoked",
            redeem,
            client=session_client,
            refresh_token=session["RefreshToken"],
        )
    assert PoolUser.objects.get(pk=user.pk).tokens_valid_after == START
    assert access_token_verify(token=bystander["AccessToken"]).user.username == "bob"
    # Signing in again afterwards works, even within the same second.
    assert access_token_verify(token=tokens_issue(user=user, client=client)["AccessToken"])


def test_tokens_issued_before_the_global_sign_out_are_refused_by_their_time(
    user: PoolUser, client: AppClient, clock: Clock
) -> None:
    token = tokens_issue(user=user, client=client)["AccessToken"]
    # Even if its sign-in's row were gone, the token predates the sign-out.
    RefreshToken.objects.all().delete()
    clock.advance(seconds=1)
    user_tokens_revoke(user=user)

    _raises(
        NotAuthorizedException, "Access Token has been revoked", access_token_verify, token=token
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda user: password_replace(user=user, password="N3w-Passw0rd!"),
        lambda user: password_replace(user=user, password="N3w-Passw0rd!", temporary=True),
        lambda user: user_reset_password(user=user),
    ],
    ids=["set-permanent", "set-temporary", "reset"],
)
def test_password_changes_by_an_admin_revoke_the_users_tokens(
    user: PoolUser, client: AppClient, change: Any
) -> None:
    result = tokens_issue(user=user, client=client)

    change(user)

    _raises(
        NotAuthorizedException,
        "Access Token has been revoked",
        access_token_verify,
        token=result["AccessToken"],
    )
    with pytest.raises(NotAuthorizedException):
        redeem(client=client, refresh_token=result["RefreshToken"])


# --- access-token verification --------------------------------------------------------------


def test_a_good_access_token_names_its_user_and_client(user: PoolUser, client: AppClient) -> None:
    token = tokens_issue(user=user, client=client)["AccessToken"]

    context = access_token_verify(token=token)

    assert context.user == user
    assert context.client == client
    assert context.claims == _claims(token)
    assert context.user.pool == user.pool


def test_verification_costs_one_query_once_the_key_is_known(
    user: PoolUser, client: AppClient, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    token = tokens_issue(user=user, client=client)["AccessToken"]
    access_token_verify(token=token)

    with django_assert_num_queries(1):
        context = access_token_verify(token=token)
        assert context.user.username == "alice"
        assert context.client.client_id == client.client_id
        assert context.user.pool_id == context.client.pool_id == user.pool_id


def test_a_token_whose_sign_in_rows_are_gone_is_verified_with_two_queries(
    user: PoolUser, client: AppClient, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    token = tokens_issue(user=user, client=client)["AccessToken"]
    access_token_verify(token=token)
    RefreshToken.objects.all().delete()

    with django_assert_num_queries(3):
        context = access_token_verify(token=token)

    assert (context.user, context.client) == (user, client)


def test_a_token_that_disagrees_with_its_sign_in_is_refused(
    user: PoolUser, client: AppClient
) -> None:
    token = tokens_issue(user=user, client=client)["AccessToken"]
    bob = make_user(pool=user.pool, username="bob", password="Passw0rd!")
    RefreshToken.objects.filter(user=user).update(user=bob)

    _raises(NotAuthorizedException, "Invalid Access Token", access_token_verify, token=token)


def test_a_token_of_a_rotated_out_key_still_verifies(user: PoolUser, client: AppClient) -> None:
    token = tokens_issue(user=user, client=client)["AccessToken"]
    signing_key_rotate(pool=user.pool)

    assert access_token_verify(token=token).user == user
    fresh = tokens_issue(user=user, client=client)["AccessToken"]
    assert jwt.get_unverified_header(fresh)["kid"] != jwt.get_unverified_header(token)["kid"]
    assert access_token_verify(token=fresh).user == user


def test_an_expired_access_token_is_refused(
    user: PoolUser, client: AppClient, clock: Clock
) -> None:
    token = tokens_issue(user=user, client=client)["AccessToken"]
    clock.advance(minutes=59, seconds=59)
    assert access_token_verify(token=token)

    clock.advance(seconds=1)

    _raises(NotAuthorizedException, "Access Token has expired", access_token_verify, token=token)


def test_a_disabled_users_token_is_refused(user: PoolUser, client: AppClient) -> None:
    token = tokens_issue(user=user, client=client)["AccessToken"]

    user_disable(user=user)

    _raises(NotAuthorizedException, "User is disabled.", access_token_verify, token=token)
    user_enable(user=user)
    _raises(
        NotAuthorizedException, "Access Token has been revoked", access_token_verify, token=token
    )


def test_a_deleted_users_token_is_refused(user: PoolUser, client: AppClient) -> None:
    token = tokens_issue(user=user, client=client)["AccessToken"]

    user_delete(user=user)

    with pytest.raises(UserNotFoundException):
        access_token_verify(token=token)


def test_a_token_without_the_required_scope_is_refused(user: PoolUser, client: AppClient) -> None:
    token = tokens_issue(user=user, client=client, scopes=["openid", "email"])["AccessToken"]

    _raises(
        NotAuthorizedException,
        "Access Token does not have required scopes",
        access_token_verify,
        token=token,
    )
    assert access_token_verify(token=token, required_scope="openid").user == user
    assert access_token_verify(token=token, required_scope=None).user == user


def test_an_id_token_is_not_an_access_token(user: PoolUser, client: AppClient) -> None:
    token = tokens_issue(user=user, client=client)["IdToken"]

    _raises(NotAuthorizedException, "Invalid Access Token", access_token_verify, token=token)


def _genuine(user: PoolUser, client: AppClient) -> tuple[dict[str, Any], dict[str, Any]]:
    token = tokens_issue(user=user, client=client)["AccessToken"]
    return jwt.get_unverified_header(token), _claims(token)


def _private(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _rsa_signer(pem: bytes) -> Any:
    algorithm = jwt.algorithms.RSAAlgorithm(jwt.algorithms.RSAAlgorithm.SHA256)
    return lambda data: algorithm.sign(data, _private(pem))


def _forgeries(user: PoolUser, client: AppClient) -> dict[str, str]:
    header, claims = _genuine(user, client)
    key = signing_key_active(pool=user.pool)
    genuine_signer = _rsa_signer(signing_key_private_pem(key=key))
    public_pem = (
        _private(signing_key_private_pem(key=key))
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    other_pool = make_user_pool(name="other")
    other_key = signing_key_active(pool=other_pool)
    other_signer = _rsa_signer(signing_key_private_pem(key=other_key))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stranger_pem = stranger.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    genuine = tokens_issue(user=user, client=client)["AccessToken"]
    head, _payload, signature = genuine.split(".")
    tampered_payload = _b64(
        json.dumps({**claims, "sub": "00000000-0000-0000-0000-000000000000"}).encode()
    )
    return {
        "alg none": _forge({**header, "alg": "none"}, claims, lambda _data: b""),
        "HS256 with the public key": _forge(
            {**header, "alg": "HS256"},
            claims,
            lambda data: hmac.new(public_pem, data, hashlib.sha256).digest(),
        ),
        "another pool's key": _forge({**header, "kid": other_key.kid}, claims, other_signer),
        "this kid, another pool's private key": _forge(header, claims, other_signer),
        "an unknown key": _forge({**header, "kid": "unknown"}, claims, _rsa_signer(stranger_pem)),
        "tampered payload": f"{head}.{tampered_payload}.{signature}",
        "wrong issuer": _forge(header, {**claims, "iss": "https://evil.example/x"}, genuine_signer),
        "no kid": _forge({"alg": "RS256"}, claims, genuine_signer),
        "not a JWT": "not-a-token",
    }


def test_forged_access_tokens_are_refused(user: PoolUser, client: AppClient) -> None:
    for name, token in _forgeries(user, client).items():
        with pytest.raises(NotAuthorizedException) as caught:
            access_token_verify(token=token)
        assert caught.value.message == "Invalid Access Token", name


def test_a_token_forged_to_expire_later_is_refused(
    user: PoolUser, client: AppClient, clock: Clock
) -> None:
    header, claims = _genuine(user, client)
    token = _forge(header, {**claims, "exp": claims["exp"] + 86_400}, lambda _d: b"x" * 256)
    clock.advance(hours=2)

    _raises(NotAuthorizedException, "Invalid Access Token", access_token_verify, token=token)


def test_the_issuer_follows_the_public_url(
    user: PoolUser, client: AppClient, settings: Settings
) -> None:
    settings.COGNITOADMIN_PUBLIC_URL = "https://auth.example.com"

    token = tokens_issue(user=user, client=client)["AccessToken"]

    assert _claims(token)["iss"] == f"https://auth.example.com/{user.pool.pool_id}"
    assert access_token_verify(token=token).user == user
