from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pools.models import SigningKey, UserPool
from pools.services.keys import pool_jwks, signing_key_active
from tests.builders import make_user_pool

pytestmark = pytest.mark.django_db


def test_rotatekeys_gives_the_pool_a_new_key_and_keeps_the_old_one_published(
    pool: UserPool,
) -> None:
    old = signing_key_active(pool=pool)
    out = StringIO()

    call_command("rotatekeys", pool.pool_id, stdout=out)

    new = signing_key_active(pool=pool)
    assert new.kid != old.kid
    assert out.getvalue() == f"{pool.pool_id}: new signing key {new.kid}\n"
    old.refresh_from_db()
    assert not old.active
    assert [k["kid"] for k in pool_jwks(pool=pool)["keys"]] == [new.kid, old.kid]


def test_rotatekeys_rotates_every_pool_it_is_given(pool: UserPool) -> None:
    other = make_user_pool(name="other")
    for each in (pool, other):
        signing_key_active(pool=each)

    call_command("rotatekeys", pool.pool_id, other.pool_id, stdout=StringIO())

    for each in (pool, other):
        assert SigningKey.objects.filter(pool=each, active=True).count() == 1
        assert SigningKey.objects.filter(pool=each, active=False).count() == 1


def test_rotatekeys_refuses_an_unknown_pool_and_rotates_nothing(pool: UserPool) -> None:
    key = signing_key_active(pool=pool)

    with pytest.raises(CommandError, match=r"^User pool us-east-1_Missing00 does not exist\.$"):
        call_command("rotatekeys", pool.pool_id, "us-east-1_Missing00", stdout=StringIO())

    assert list(SigningKey.objects.filter(pool=pool)) == [key]
    assert signing_key_active(pool=pool).active
