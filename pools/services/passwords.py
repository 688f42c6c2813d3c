"""Pool users' passwords: the pool's policy and history, generated temporary passwords, storage.

A new user's first password is made by `user_insert`; every later one, however the right to set it
was proved (an administrator, a reset code, the current password, the session of a
NEW_PASSWORD_REQUIRED challenge), by `password_replace`. Both go through `password_assign`, the one
place where anything is derived from a password, and keep the password history the pool asks for.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
from functools import cache

from django.contrib.auth.hashers import check_password, get_hasher, make_password
from django.db import transaction
from django.utils import timezone

from cognitoadmin.crypto import seal
from pools.errors import (
    InvalidParameterException,
    InvalidPasswordException,
    PasswordHistoryPolicyViolationException,
)
from pools.models import PasswordHistoryEntry, PoolUser, UserPool, UserStatus
from pools.services.revocation import user_tokens_revoke
from pools.services.srp import srp_pool_name, srp_salt_new, srp_verifier_compute

# Cognito's documented symbol set. A space also counts, when it is neither leading nor trailing.
POLICY_SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-"
PASSWORD_MAX_LENGTH = 256
# Generated passwords are never shorter than this, whatever a lax policy would allow.
GENERATED_PASSWORD_MIN_LENGTH = 16

_POLICY_PREFIX = "Password did not conform with policy: "

SRP_VERIFIER_PURPOSE = "srp_verifier"


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

    The single place where anything derived from a password is computed: the hash, and the SRP
    salt and verifier (with a new salt each time), which are bound to the user's internal username
    and so stay valid for as long as the password does.
    """
    user.password = make_password(password)
    user.password_set_at = timezone.now()
    return ["password", "password_set_at", *_srp_assign(user=user, password=password)]


def password_remove(*, user: PoolUser) -> None:
    """Take the user's password away (hash and SRP verifier): password and SRP sign-ins fail as
    for a wrong password until a new one is set (AdminSetUserPassword, a password reset). Their
    other ways in (linked identity providers, passkeys, codes) and their sessions stay."""
    user.password = ""
    user.password_set_at = None
    user.srp_salt = ""
    user.srp_verifier_sealed = ""
    user.save(
        update_fields=[
            "password",
            "password_set_at",
            "srp_salt",
            "srp_verifier_sealed",
            "updated_at",
        ]
    )


def _srp_assign(*, user: PoolUser, password: str) -> list[str]:
    salt_hex, verifier = srp_verifier_compute(
        pool_name=srp_pool_name(user.pool.pool_id),
        user_id_for_srp=user.username,
        password=password,
        salt=srp_salt_new(),
    )
    user.srp_salt = salt_hex
    # The verifier is as good as the password for signing in with SRP, so it is never stored plain.
    user.srp_verifier_sealed = seal(f"{verifier:x}", purpose=SRP_VERIFIER_PURPOSE)
    return ["srp_salt", "srp_verifier_sealed"]


@cache
def _dummy_hash(algorithm: str) -> str:
    return make_password(secrets.token_urlsafe(16), hasher=algorithm)


def password_check(*, user: PoolUser | None, password: str) -> bool:
    """Whether `password` is `user`'s. Without a user (or a password) the same work is done
    against a dummy hash, so the answer takes as long for a user who does not exist.

    A correct password also brings the stored material up to date: a hash made by an older hasher
    is remade with the current one, and a user who has no SRP verifier yet gets one.
    """
    if user is None or not user.password:
        check_password(password, _dummy_hash(get_hasher().algorithm))
        return False
    fields: list[str] = []

    def rehash(raw: str) -> None:
        user.password = make_password(raw)
        fields.append("password")

    if not check_password(password, user.password, setter=rehash):
        return False
    if not user.srp_verifier_sealed:
        fields += _srp_assign(user=user, password=password)
    if fields:
        user.save(update_fields=[*fields, "updated_at"])
    return True


def password_history_check(*, user: PoolUser, password: str) -> None:
    """Refuse a password that matches one of the user's last PasswordHistorySize passwords (the
    current one among them). Each comparison is a full hash check, as costly as a sign-in."""
    size = user.pool.password_history_size
    if not size or user.pk is None:
        return
    hashes = user.password_history.order_by("-id").values_list("password", flat=True)[:size]
    if any(check_password(password, stored) for stored in hashes):
        raise PasswordHistoryPolicyViolationException(
            f"Password has been used before: the user pool refuses a user's last {size} "
            f"password{'s' if size > 1 else ''}."
        )


def password_history_record(*, user: PoolUser) -> None:
    """Keep the hash `password_assign` just made, and no more of them than the pool asks for:
    a hash kept longer is attack material and no use."""
    size = user.pool.password_history_size
    history = PasswordHistoryEntry.objects.filter(user=user)
    if size:
        PasswordHistoryEntry.objects.create(pool_id=user.pool_id, user=user, password=user.password)
    stale = history.order_by("-id").values_list("pk", flat=True)[size:]
    history.filter(pk__in=list(stale)).delete()


@transaction.atomic
def password_replace(
    *, user: PoolUser, password: str, temporary: bool = False, sign_out: bool = True
) -> PoolUser:
    """Set a new password for `user`, once the caller has checked the right to: it must meet the
    pool's policy and not be in the user's password history.

    The user becomes CONFIRMED, or with `temporary` FORCE_CHANGE_PASSWORD until a new expiry (they
    choose their own at the next sign-in). With `sign_out`, every session signed in with the old
    password ends: its refresh and access tokens are revoked.
    """
    password_validate(pool=user.pool, password=password)
    password_history_check(user=user, password=password)
    fields = password_assign(user=user, password=password)
    if temporary:
        user.status = UserStatus.FORCE_CHANGE_PASSWORD
        user.temporary_password_expires_at = temporary_password_expiry(pool=user.pool)
    else:
        user.status = UserStatus.CONFIRMED
        user.temporary_password_expires_at = None
    user.save(update_fields=[*fields, "status", "temporary_password_expires_at", "updated_at"])
    password_history_record(user=user)
    if sign_out:
        user_tokens_revoke(user=user)
    return user


def temporary_password_expiry(*, pool: UserPool) -> dt.datetime:
    """When a temporary password given now stops working."""
    return timezone.now() + dt.timedelta(days=pool.temporary_password_validity_days)
