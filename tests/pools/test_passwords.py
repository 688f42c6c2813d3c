from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password

from pools.errors import (
    InvalidParameterException,
    InvalidPasswordException,
    PasswordHistoryPolicyViolationException,
)
from pools.models import PasswordHistoryEntry, PoolUser, UserPool
from pools.services.passwords import (
    POLICY_SYMBOLS,
    password_generate,
    password_replace,
    password_validate,
)
from tests.builders import make_user, make_user_pool

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


def test_a_replaced_password_is_stored_as_a_hash_with_the_time(user: PoolUser) -> None:
    before = user.password_set_at
    password_replace(user=user, password="N3w-password")
    stored = PoolUser.objects.get(pk=user.pk)
    assert stored.password != "N3w-password"
    assert check_password("N3w-password", stored.password)
    assert stored.password_set_at is not None
    assert before is not None
    assert stored.password_set_at > before


# --- password history (PasswordHistorySize) -------------------------------------------------


def _history_pool(size: int) -> UserPool:
    return make_user_pool(
        Policies={"PasswordPolicy": {"MinimumLength": 8, "PasswordHistorySize": size}}
    )


def _state(user: PoolUser) -> tuple[object, ...]:
    stored = PoolUser.objects.get(pk=user.pk)
    return stored.password, stored.status, stored.srp_verifier_sealed, stored.tokens_valid_after


def test_a_pool_with_history_refuses_the_last_passwords_and_changes_nothing() -> None:
    user = make_user(pool=_history_pool(2), username="ana", password="first-pass")
    password_replace(user=user, password="second-pass")
    before = _state(user)

    for reused in ("first-pass", "second-pass"):
        with pytest.raises(PasswordHistoryPolicyViolationException) as refused:
            password_replace(user=user, password=reused)
        assert "last 2 passwords" in refused.value.message
    assert _state(user) == before


def test_history_keeps_only_as_many_passwords_as_the_pool_asks() -> None:
    user = make_user(pool=_history_pool(2), username="ana", password="first-pass")
    password_replace(user=user, password="second-pass")
    password_replace(user=user, password="third-pass")

    assert PasswordHistoryEntry.objects.filter(user=user).count() == 2
    password_replace(user=user, password="first-pass")  # out of the history again
    with pytest.raises(PasswordHistoryPolicyViolationException):
        password_replace(user=user, password="third-pass")


def test_history_is_stored_as_hashes() -> None:
    user = make_user(pool=_history_pool(1), username="ana", password="first-pass")

    [entry] = PasswordHistoryEntry.objects.filter(user=user)
    assert "first-pass" not in entry.password
    assert check_password("first-pass", entry.password)


def test_a_pool_without_history_keeps_none_and_lets_a_password_be_set_again(
    pool: UserPool,
) -> None:
    user = make_user(pool=pool, username="ana", password="Passw0rd!")

    password_replace(user=user, password="Passw0rd!")

    assert not PasswordHistoryEntry.objects.exists()


def test_a_smaller_history_compares_only_the_newest_passwords() -> None:
    pool = _history_pool(3)
    user = make_user(pool=pool, username="ana", password="first-pass")
    password_replace(user=user, password="second-pass")
    UserPool.objects.filter(pk=pool.pk).update(password_history_size=1)
    user = PoolUser.objects.select_related("pool").get(pk=user.pk)

    password_replace(user=user, password="first-pass")

    assert PasswordHistoryEntry.objects.filter(user=user).count() == 1
