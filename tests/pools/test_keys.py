from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from pools.models import SigningKey, UserPool
from pools.services.keys import (
    pool_jwks,
    signing_key_active,
    signing_key_private_pem,
    signing_key_rotate,
)
from tests.builders import make_app_client, make_user_pool

pytestmark = pytest.mark.django_db


def _sign(key: SigningKey, claims: dict[str, Any]) -> str:
    return jwt.encode(
        claims, signing_key_private_pem(key=key), algorithm="RS256", headers={"kid": key.kid}
    )


def _verify(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """Verify as a resource server does: pick the JWKS key named by the token's `kid`."""
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWKSet.from_dict(jwks)[kid]
    claims: dict[str, Any] = jwt.decode(token, key=key, algorithms=["RS256"])
    return claims


def test_the_first_key_is_created_when_first_needed(pool: UserPool) -> None:
    assert not SigningKey.objects.filter(pool=pool).exists()

    key = signing_key_active(pool=pool)

    assert signing_key_active(pool=pool) == key
    assert SigningKey.objects.filter(pool=pool).count() == 1
    assert key.active


def test_the_key_is_rsa_2048_published_as_an_rs256_jwk(pool: UserPool) -> None:
    key = signing_key_active(pool=pool)

    private = load_pem_private_key(signing_key_private_pem(key=key), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.key_size == 2048
    jwk = key.public_jwk
    assert set(jwk) == {"kty", "kid", "use", "alg", "n", "e"}
    assert (jwk["kty"], jwk["use"], jwk["alg"], jwk["kid"]) == ("RSA", "sig", "RS256", key.kid)
    assert jwk["e"] == "AQAB"
    assert "=" not in jwk["n"]


def test_the_private_key_is_sealed_at_rest(pool: UserPool) -> None:
    key = signing_key_active(pool=pool)

    stored = SigningKey.objects.get(pk=key.pk).private_key_sealed
    assert "PRIVATE KEY" not in stored
    assert signing_key_private_pem(key=key) not in stored.encode()


def test_a_token_verifies_against_the_pools_jwks(pool: UserPool) -> None:
    token = _sign(signing_key_active(pool=pool), {"sub": "alice", "token_use": "access"})

    assert _verify(token, pool_jwks(pool=pool))["sub"] == "alice"


def test_jwks_creates_the_key_if_the_pool_has_none(pool: UserPool) -> None:
    jwks = pool_jwks(pool=pool)

    assert [k["kid"] for k in jwks["keys"]] == [signing_key_active(pool=pool).kid]


def test_pools_do_not_share_keys(pool: UserPool) -> None:
    other = make_user_pool(name="other")
    token = _sign(signing_key_active(pool=other), {"sub": "bob"})

    with pytest.raises(KeyError):
        _verify(token, pool_jwks(pool=pool))
    assert {k["kid"] for k in pool_jwks(pool=pool)["keys"]}.isdisjoint(
        k["kid"] for k in pool_jwks(pool=other)["keys"]
    )


def test_rotation_retires_the_key_for_the_longest_token_lifetime(pool: UserPool) -> None:
    make_app_client(pool=pool, AccessTokenValidity=2)  # hours
    make_app_client(
        pool=pool, IdTokenValidity=1, TokenValidityUnits={"IdToken": "days"}
    )  # the longest
    make_app_client(pool=make_user_pool(name="other"), AccessTokenValidity=24)  # another pool's
    old = signing_key_active(pool=pool)
    before = timezone.now()

    new = signing_key_rotate(pool=pool)

    retired = SigningKey.objects.get(pk=old.pk)
    assert not retired.active
    assert new.active
    assert new.kid != old.kid
    assert retired.retired_at is not None
    assert retired.expires_at is not None
    assert (
        before + dt.timedelta(days=1) <= retired.expires_at <= timezone.now() + dt.timedelta(days=1)
    )
    assert signing_key_active(pool=pool) == new


def test_rotation_keeps_retired_keys_for_a_day_without_clients(pool: UserPool) -> None:
    old = signing_key_active(pool=pool)

    signing_key_rotate(pool=pool)

    retired = SigningKey.objects.get(pk=old.pk)
    assert retired.expires_at is not None
    assert retired.retired_at is not None
    assert retired.expires_at - retired.retired_at == dt.timedelta(days=1)


def test_rotation_of_a_pool_without_keys_just_creates_one(pool: UserPool) -> None:
    key = signing_key_rotate(pool=pool)

    assert list(SigningKey.objects.filter(pool=pool)) == [key]


def test_a_retired_key_stays_in_the_jwks_until_it_expires(
    pool: UserPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_app_client(pool=pool, AccessTokenValidity=2)  # hours
    old = signing_key_active(pool=pool)
    token = _sign(old, {"sub": "alice"})
    new = signing_key_rotate(pool=pool)

    jwks = pool_jwks(pool=pool)
    assert [k["kid"] for k in jwks["keys"]] == [new.kid, old.kid]
    assert _verify(token, jwks)["sub"] == "alice"

    later = timezone.now() + dt.timedelta(hours=2, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    jwks = pool_jwks(pool=pool)
    assert [k["kid"] for k in jwks["keys"]] == [new.kid]
    with pytest.raises(KeyError):
        _verify(token, jwks)


def test_repeated_rotations_leave_one_active_key(pool: UserPool) -> None:
    for _ in range(3):
        signing_key_rotate(pool=pool)

    assert SigningKey.objects.filter(pool=pool, active=True).count() == 1
    assert SigningKey.objects.filter(pool=pool, active=False).count() == 2
    assert len(pool_jwks(pool=pool)["keys"]) == 3


def test_the_database_refuses_a_second_active_key(pool: UserPool) -> None:
    key = signing_key_active(pool=pool)

    with pytest.raises(IntegrityError), transaction.atomic():
        SigningKey.objects.create(
            pool=pool, kid="second", private_key_sealed="x", public_jwk={}, active=True
        )

    assert list(SigningKey.objects.filter(pool=pool)) == [key]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_rotations_leave_one_active_key() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers on its own")
    pool = make_user_pool(name="concurrent")
    signing_key_active(pool=pool)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def rotate() -> None:
        try:
            start.wait()
            signing_key_rotate(pool=pool)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=rotate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert SigningKey.objects.filter(pool=pool, active=True).count() == 1
    assert SigningKey.objects.filter(pool=pool).count() == 5
