"""Verification codes: issued, sent, checked and used up, as Cognito handles them.

A code is six digits from `secrets`, stored only as a keyed digest, valid 24 hours (sign-up,
attribute verification) or one hour (forgot password). Only the newest code of a purpose is live:
issuing one replaces the older ones. A code that has been tried wrong `MAX_FAILED_ATTEMPTS` times
stops working, so guessing one is bounded per code as well as by the hourly limits (`limits.py`).

Codes go out as messages of the outbox (`delivery.delivery_queue`), rendered from the pool's
verification templates (`messages.verification_message`), once the transaction that issued them
commits; a code is never logged, and never reaches the broker.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from functools import partial
from typing import Any, NoReturn

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cognitoadmin.crypto import digest, seal
from cognitoadmin.errors import ServiceError
from pools.errors import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    NotAuthorizedException,
)
from pools.models import (
    AppClient,
    CodePurpose,
    DeliveryKind,
    PoolUser,
    UserPool,
    UserStatus,
    VerificationCode,
)
from pools.services.attributes import is_email, is_phone_number
from pools.services.client_requests import unknown_user_write
from pools.services.delivery import SEAL_PURPOSE, Medium, code_delivery_details, delivery_queue
from pools.services.messages import verification_message

CODE_VALIDITY: dict[str, dt.timedelta] = {
    CodePurpose.SIGN_UP: dt.timedelta(hours=24),
    CodePurpose.VERIFY_EMAIL: dt.timedelta(hours=24),
    CodePurpose.VERIFY_PHONE_NUMBER: dt.timedelta(hours=24),
    CodePurpose.FORGOT_PASSWORD: dt.timedelta(hours=1),
}
MAX_FAILED_ATTEMPTS = 5
# The cache entries that count wrong tries at codes of names that name nobody.
SIMULATED_KEY_PREFIX = "codes:simulated:"
DIGEST_PURPOSE = "verification_code"

MEDIUM_FOR_ATTRIBUTE: dict[str, Medium] = {"email": "EMAIL", "phone_number": "SMS"}
VERIFY_PURPOSE_FOR_ATTRIBUTE: dict[str, CodePurpose] = {
    "email": CodePurpose.VERIFY_EMAIL,
    "phone_number": CodePurpose.VERIFY_PHONE_NUMBER,
}

# Where recovery may send a code when the pool sets no AccountRecoverySetting: Cognito's legacy
# behaviour, a verified phone number first, else a verified email.
_LEGACY_RECOVERY = ("verified_phone_number", "verified_email")
_RECOVERY_ATTRIBUTE = {"verified_email": "email", "verified_phone_number": "phone_number"}
NO_RECOVERY_DESTINATION = (
    "Cannot reset password for the user as there is no registered/verified email or phone_number"
)


def _code_digest(*, user: PoolUser, purpose: CodePurpose, code: str) -> str:
    # An attribute-verification code is bound to the address it was sent to: once the address
    # changes, the code cannot verify the new one.
    address = {
        CodePurpose.VERIFY_EMAIL: user.email,
        CodePurpose.VERIFY_PHONE_NUMBER: user.phone_number,
    }.get(purpose, "")
    return digest(f"{purpose}:{user.sub}:{address}:{code}", purpose=DIGEST_PURPOSE)


@transaction.atomic
def code_issue(*, user: PoolUser, purpose: CodePurpose) -> str:
    """A new code for `purpose`; older codes of the same purpose stop working."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    VerificationCode.objects.filter(user=user, purpose=purpose).delete()
    VerificationCode.objects.create(
        pool_id=user.pool_id,
        user=user,
        purpose=purpose,
        code_digest=_code_digest(user=user, purpose=purpose, code=code),
        expires_at=timezone.now() + CODE_VALIDITY[purpose],
    )
    return code


def _refusal(row: VerificationCode, *, expected: str) -> ServiceError | None:
    if (
        row.used_at is not None
        or row.failed_attempts >= MAX_FAILED_ATTEMPTS
        or row.expires_at <= timezone.now()
    ):
        return ExpiredCodeException()
    if not secrets.compare_digest(row.code_digest, expected):
        return CodeMismatchException()
    return None


@contextmanager
def code_check(*, user: PoolUser, purpose: CodePurpose, code: str) -> Iterator[None]:
    """Check `code` and use it up for what the `with` block does, in one transaction:

        with code_check(user=user, purpose=CodePurpose.SIGN_UP, code=code):
            ...  # act on the code

    A code is used once: a concurrent request with the same code waits for the row lock and then
    finds it used. If the block raises, the code stays unused (the request can be retried). A wrong
    code, or one replaced by a newer code, raises CodeMismatchException and counts against the
    newest code; a used, expired or too often mistyped code raises ExpiredCodeException, which
    tells the user to ask for a new one.

    Call it outside any transaction: the count of wrong tries is committed before the error is
    raised, so that a failing request cannot roll it back.
    """
    expected = _code_digest(user=user, purpose=purpose, code=code)
    with transaction.atomic():
        row = (
            VerificationCode.objects.select_for_update()
            .filter(user=user, purpose=purpose)
            .order_by("-id")
            .first()
        )
        if row is None:
            refusal: ServiceError = ExpiredCodeException()
        else:
            found = _refusal(row, expected=expected)
            if found is None:
                row.used_at = timezone.now()
                row.save(update_fields=["used_at"])
                yield
                return
            refusal = found
            if isinstance(refusal, CodeMismatchException):
                VerificationCode.objects.filter(pk=row.pk).update(
                    failed_attempts=F("failed_attempts") + 1
                )
    raise refusal


def _simulated_key(*, pool: UserPool, username: str, purpose: CodePurpose) -> str:
    name = f"{pool.pool_id}:{pool.normalize_username(username)}:{purpose}"
    return SIMULATED_KEY_PREFIX + hashlib.sha256(name.encode("utf-8")).hexdigest()


def code_check_simulated(
    *, pool: UserPool, username: str, purpose: CodePurpose, code: str
) -> NoReturn:
    """The answer to a code for a user that does not exist (PreventUserExistenceErrors): a digest
    computed as for a real user, then the answer a wrong code gets, CodeMismatchException, until
    MAX_FAILED_ATTEMPTS wrong tries since the last simulated code have used it up, as they use up
    a real one; then ExpiredCodeException. The count is kept in the cache for the code's
    validity, never in the database."""
    digest(f"{pool.pool_id}:{username}:{code}", purpose=DIGEST_PURPOSE)
    key = _simulated_key(pool=pool, username=username, purpose=purpose)
    try:
        failures = cache.incr(key)
    except ValueError:  # no simulated code yet: its first wrong try
        cache.add(key, 1, timeout=int(CODE_VALIDITY[purpose].total_seconds()))
        failures = 1
    if failures > MAX_FAILED_ATTEMPTS:
        raise ExpiredCodeException()
    raise CodeMismatchException()


# --- where a code goes ---------------------------------------------------------------------------


def code_medium_for_sign_up(*, user: PoolUser) -> Medium | None:
    """Where a sign-up code goes: the phone number when the pool verifies phone numbers
    automatically and the user has one (with both attributes auto-verified Cognito verifies only
    the phone), else the email if that is auto-verified; None when neither applies, and then no
    code is sent and the user stays unconfirmed until an administrator confirms them."""
    for attribute in ("phone_number", "email"):
        if attribute in user.pool.auto_verified_attributes and getattr(user, attribute):
            return MEDIUM_FOR_ATTRIBUTE[attribute]
    return None


# UNCONFIRMED users may recover too: a code to a verified address proves the same as a sign-up
# code would. Users who never chose a password (FORCE_CHANGE_PASSWORD) or have none here
# (EXTERNAL_PROVIDER) may not.
_RECOVERABLE = (UserStatus.CONFIRMED, UserStatus.RESET_REQUIRED, UserStatus.UNCONFIRMED)


def code_recovery_allowed_check(*, user: PoolUser) -> None:
    """Whether `user`'s password may be reset (ForgotPassword, AdminResetUserPassword): checked
    before any address is looked for, as Cognito does."""
    if not user.enabled:
        raise NotAuthorizedException("User is disabled.")
    if user.status not in _RECOVERABLE:
        raise NotAuthorizedException("User password cannot be reset in the current state.")


def code_medium_for_recovery(*, user: PoolUser) -> Medium:
    """Where a password-reset code goes: the first of the pool's recovery mechanisms (stored in
    priority order) for which the user has a verified address. `admin_only` recovery gives none."""
    names = [m["Name"] for m in user.pool.account_recovery_mechanisms] or _LEGACY_RECOVERY
    for name in names:
        attribute = _RECOVERY_ATTRIBUTE.get(name)
        if attribute and getattr(user, attribute) and getattr(user, f"{attribute}_verified"):
            return MEDIUM_FOR_ATTRIBUTE[attribute]
    raise InvalidParameterException(NO_RECOVERY_DESTINATION)


# --- messages ------------------------------------------------------------------------------------


def code_send(
    *, user: PoolUser, purpose: CodePurpose, medium: Medium, client: AppClient | None
) -> dict[str, Any]:
    """Issue a code for `purpose` and send it to `user` by `medium` when the transaction commits
    (a request that fails sends nothing); returns the CodeDeliveryDetails. `client` is the app
    client the request came through, which a sign-up confirmation link names."""
    code = code_issue(user=user, purpose=purpose)
    message = verification_message(
        user=user, purpose=purpose, channel=medium, code=code, client=client
    )
    return delivery_queue(
        user=user, kind=DeliveryKind(purpose.value), medium=medium, message=message
    )


# --- answers for users that do not exist (PreventUserExistenceErrors) ----------------------------


def _simulated_destination(*, pool: UserPool, username: str, medium: Medium) -> str:
    """An address a user of that name could have: the name itself when it is one (email or phone
    sign-in), else one derived from the name, so that asking twice gives the same answer."""
    if (medium == "EMAIL" and is_email(username)) or (
        medium == "SMS" and is_phone_number(username)
    ):
        return username
    seed = digest(
        f"{pool.pool_id}:{pool.normalize_username(username)}", purpose="simulated_destination"
    )
    if medium == "EMAIL":
        letters = string.ascii_lowercase
        return f"{letters[int(seed[:2], 16) % 26]}@{letters[int(seed[2:4], 16) % 26]}.com"
    return "+1" + "".join(str(int(c, 16) % 10) for c in seed[4:14])


def code_delivery_simulated(
    *, client: AppClient, username: str, purpose: CodePurpose
) -> dict[str, Any]:
    """The CodeDeliveryDetails a real user of that name would plausibly get for `purpose`
    (SIGN_UP or FORGOT_PASSWORD), without sending anything, after the work of a real send: a
    code made and digested, its message rendered and sealed, the writes of the code and of the
    outbox row and then of its dispatch (`unknown_user_write`, which leaves no row). Call it in
    a transaction, as `code_send`."""
    pool = client.pool
    if purpose == CodePurpose.FORGOT_PASSWORD and pool.account_recovery_mechanisms:
        first = pool.account_recovery_mechanisms[0]["Name"]
        if first == "admin_only":
            raise InvalidParameterException(NO_RECOVERY_DESTINATION)
        phone = first == "verified_phone_number"
    else:
        # Sign-up codes, and legacy recovery (a verified phone first): a phone number is what a
        # user has verified when the pool verifies phone numbers.
        phone = "phone_number" in pool.auto_verified_attributes
    medium: Medium = "SMS" if phone else "EMAIL"
    destination = _simulated_destination(pool=pool, username=username, medium=medium)
    code = f"{secrets.randbelow(1_000_000):06d}"
    digest(f"{purpose}:{pool.pool_id}:{username}:{code}", purpose=DIGEST_PURPOSE)
    nobody = PoolUser(pool=pool, username=username)
    message = verification_message(
        user=nobody, purpose=purpose, channel=medium, code=code, client=client
    )
    seal(json.dumps({"to": destination, **asdict(message)}), purpose=SEAL_PURPOSE)
    # A new code: the wrong tries of the one before no longer count. The query is the one that
    # replaces a user's older codes (`code_issue`), here finding none.
    cache.delete(_simulated_key(pool=pool, username=username, purpose=purpose))
    VerificationCode.objects.filter(pool=pool, user__isnull=True, purpose=purpose).delete()
    unknown_user_write(client=client)
    transaction.on_commit(partial(unknown_user_write, client=client), robust=True)
    return code_delivery_details(medium=medium, destination=destination)


def code_delivery_simulated_for_sign_in(
    *, client: AppClient, username: str, medium: Medium
) -> dict[str, Any]:
    """The CodeDeliveryDetails of a sign-in code (USER_AUTH's EMAIL_OTP or SMS_OTP) that goes to
    nobody: for a name nobody has, or a user without a verified address for `medium`, when the
    client hides which users exist. Nothing is sent; the write of a real code's outbox row is
    made and undone (`unknown_user_write`)."""
    destination = _simulated_destination(pool=client.pool, username=username, medium=medium)
    unknown_user_write(client=client)
    return code_delivery_details(medium=medium, destination=destination)
