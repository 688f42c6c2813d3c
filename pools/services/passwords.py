"""Pool users' passwords: the pool's policy, generated temporary passwords, and storage.

Every place that sets a password (admin create and set, sign-up, change, forgot-password) goes
through `password_assign`, so whatever is derived from a password is derived in one place.
"""

from __future__ import annotations

import secrets
import string

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from pools.errors import InvalidParameterException, InvalidPasswordException
from pools.models import PoolUser, UserPool

# Cognito's documented symbol set. A space also counts, when it is neither leading nor trailing.
POLICY_SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-"
PASSWORD_MAX_LENGTH = 256
# Generated passwords are never shorter than this, whatever a lax policy would allow.
GENERATED_PASSWORD_MIN_LENGTH = 16

_POLICY_PREFIX = "Password did not conform with policy: "


def _has_symbol(password: str) -> bool:
    return any(c in POLICY_SYMBOLS for c in password) or " " in password.strip()


def password_validate(*, pool: UserPool, password: str) -> None:
    """Check `password` against the pool's policy, in Cognito's order and with its messages."""
    if len(password) > PASSWORD_MAX_LENGTH:
        raise InvalidParameterException(
            "1 validation error detected: Value at 'password' failed to satisfy constraint: "
            f"Member must have length less than or equal to {PASSWORD_MAX_LENGTH}"
        )
    if password != password.strip():
        raise InvalidParameterException(
            "1 validation error detected: Value at 'password' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[\\S]+.*[\\S]+$"
        )
    if len(password) < pool.password_minimum_length:
        raise InvalidPasswordException(f"{_POLICY_PREFIX}Password not long enough")
    if pool.password_require_lowercase and not any(c in string.ascii_lowercase for c in password):
        raise InvalidPasswordException(f"{_POLICY_PREFIX}Password must have lowercase characters")
    if pool.password_require_uppercase and not any(c in string.ascii_uppercase for c in password):
        raise InvalidPasswordException(f"{_POLICY_PREFIX}Password must have uppercase characters")
    if pool.password_require_numbers and not any(c in string.digits for c in password):
        raise InvalidPasswordException(f"{_POLICY_PREFIX}Password must have numeric characters")
    if pool.password_require_symbols and not _has_symbol(password):
        raise InvalidPasswordException(f"{_POLICY_PREFIX}Password must have symbol characters")


def password_generate(*, pool: UserPool) -> str:
    """A random temporary password that satisfies any policy the pool may have.

    One character of every class is always included, so a later tightening of the policy does not
    make already issued temporary passwords fail their first use.
    """
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, POLICY_SYMBOLS)
    length = max(pool.password_minimum_length, GENERATED_PASSWORD_MIN_LENGTH)
    alphabet = "".join(classes)
    chars = [secrets.choice(c) for c in classes]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def password_assign(*, user: PoolUser, password: str) -> list[str]:
    """Set the password material on `user` without saving; returns the fields it changed.

    The single place where anything derived from a password is computed, so SRP verifiers join
    the hash here.
    """
    user.password = make_password(password)
    user.password_set_at = timezone.now()
    return ["password", "password_set_at"]


def password_set(*, user: PoolUser, password: str) -> PoolUser:
    """Store `password` for `user` (hashed per PASSWORD_HASHERS). The caller checked the policy."""
    fields = password_assign(user=user, password=password)
    user.save(update_fields=[*fields, "updated_at"])
    return user
