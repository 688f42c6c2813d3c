from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password

from pools.errors import InvalidParameterException, InvalidPasswordException
from pools.models import PoolUser, UserPool
from pools.services.passwords import (
    POLICY_SYMBOLS,
    password_generate,
    password_set,
    password_validate,
)
from tests.builders import make_user_pool

pytestmark = pytest.mark.django_db

_PREFIX = "Password did not conform with policy: "


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1!", "Password not long enough"),
        ("ABCDEFG1!", "Password must have lowercase characters"),
        ("abcdefg1!", "Password must have uppercase characters"),
        ("Abcdefgh!", "Password must have numeric characters"),
        ("Abcdefgh1", "Password must have symbol characters"),
    ],
)
def test_default_policy_rejects_each_missing_class_with_cognitos_message(
    pool: UserPool, password: str, message: str
) -> None:
    with pytest.raises(InvalidPasswordException) as error:
        password_validate(pool=pool, password=password)
    assert error.value.message == _PREFIX + message


def test_length_is_checked_before_character_classes(pool: UserPool) -> None:
    with pytest.raises(InvalidPasswordException, match="not long enough"):
        password_validate(pool=pool, password="abc")


def test_default_policy_accepts_a_password_with_every_class(pool: UserPool) -> None:
    password_validate(pool=pool, password="Passw0rd!")


@pytest.mark.parametrize("symbol", list(POLICY_SYMBOLS))
def test_every_documented_symbol_counts(pool: UserPool, symbol: str) -> None:
    password_validate(pool=pool, password=f"Passw0rd{symbol}")


def test_an_inner_space_counts_as_a_symbol(pool: UserPool) -> None:
    password_validate(pool=pool, password="Pass w0rd")


def test_a_letter_outside_basic_latin_is_not_a_symbol(pool: UserPool) -> None:
    with pytest.raises(InvalidPasswordException, match="symbol characters"):
        password_validate(pool=pool, password="Passw0rdé")


@pytest.mark.parametrize("password", [" Passw0rd!", "Passw0rd! "])
def test_leading_or_trailing_whitespace_is_refused(pool: UserPool, password: str) -> None:
    with pytest.raises(InvalidParameterException, match="regular expression pattern"):
        password_validate(pool=pool, password=password)


def test_passwords_longer_than_256_characters_are_refused(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match="less than or equal to 256"):
        password_validate(pool=pool, password="Aa1!" * 64 + "x")


def test_a_relaxed_policy_checks_only_the_length() -> None:
    pool = make_user_pool(
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 6,
                "RequireUppercase": False,
                "RequireLowercase": False,
                "RequireNumbers": False,
                "RequireSymbols": False,
            }
        }
    )
    password_validate(pool=pool, password="aaaaaa")
    with pytest.raises(InvalidPasswordException, match="not long enough"):
        password_validate(pool=pool, password="aaaaa")


def test_generated_passwords_satisfy_the_strictest_policy() -> None:
    pool = make_user_pool(
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 40,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
            }
        }
    )
    passwords = {password_generate(pool=pool) for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert len(password) == 40
        password_validate(pool=pool, password=password)


def test_generated_passwords_are_never_short(pool: UserPool) -> None:
    assert len(password_generate(pool=pool)) >= 16


def test_password_set_stores_a_hash_and_the_time(user: PoolUser) -> None:
    before = user.password_set_at
    password_set(user=user, password="N3w-password")
    stored = PoolUser.objects.get(pk=user.pk)
    assert stored.password != "N3w-password"
    assert check_password("N3w-password", stored.password)
    assert stored.password_set_at is not None
    assert before is not None
    assert stored.password_set_at > before
