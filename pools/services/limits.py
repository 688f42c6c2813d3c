"""Cognito's quotas: how many of a kind of row a pool may hold, per-user hourly limits on the
self-service operations that send or check codes and passwords, and request rates per client
address and per user on the unsigned operations that send messages or check secrets.

Cognito caps, per user and per hour, how often a code may be requested or tried and a password
changed; past the cap it answers LimitExceededException until the hour has passed. The counters
live in Django's cache (Redis in production, so every web process shares them; local memory in
development) and are incremented atomically there.

A fixed clock hour would let a caller spend the whole allowance at 10:59 and again at 11:00, so
the count is a sliding window estimated from two fixed ones: this hour's count plus last hour's,
weighted by how much of last hour the sliding window still covers.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import jwt
from django.conf import settings
from django.db.models import Model, QuerySet

from cognitoadmin.ratelimits import rate_exceeded, window_count
from pools.errors import LimitExceededException, TooManyRequestsException
from pools.models import PoolUser, UserPool


def pool_quota_check(*, pool: UserPool, rows: QuerySet[Model], limit: int, noun: str) -> None:
    """Refuse one more of `rows` (a pool's groups, clients, ...) once the pool holds `limit`.

    Called with the pool's row locked (`user_pool_locked`), so that two concurrent creations
    cannot both pass at the limit.
    """
    if rows.count() >= limit:
        raise LimitExceededException(
            f"The user pool {pool.pool_id} has reached its limit of {limit} {noun}."
        )


WINDOW_SECONDS = 3_600
ATTEMPT_LIMIT_MESSAGE = "Attempt limit exceeded, please try after some time."


class LimitedAction(enum.StrEnum):
    RESEND_CONFIRMATION_CODE = "ResendConfirmationCode"
    CONFIRM_SIGN_UP = "ConfirmSignUp"
    FORGOT_PASSWORD = "ForgotPassword"  # noqa: S105
    CONFIRM_FORGOT_PASSWORD = "ConfirmForgotPassword"  # noqa: S105
    CHANGE_PASSWORD = "ChangePassword"  # noqa: S105
    GET_USER_ATTRIBUTE_VERIFICATION_CODE = "GetUserAttributeVerificationCode"
    VERIFY_USER_ATTRIBUTE = "VerifyUserAttribute"


# Cognito's documented figures. ForgotPassword sends a code, so it gets the allowance of the other
# code sends; ConfirmForgotPassword (5 to 20 an hour in Cognito, by the risk it sees; this server
# rates no risk) gets the allowance of the other confirmations.
HOURLY_LIMITS: dict[LimitedAction, int] = {
    LimitedAction.RESEND_CONFIRMATION_CODE: 5,
    LimitedAction.CONFIRM_SIGN_UP: 15,
    LimitedAction.FORGOT_PASSWORD: 5,
    LimitedAction.CONFIRM_FORGOT_PASSWORD: 15,
    LimitedAction.CHANGE_PASSWORD: 5,
    LimitedAction.GET_USER_ATTRIBUTE_VERIFICATION_CODE: 5,
    LimitedAction.VERIFY_USER_ATTRIBUTE: 15,
}


def _subject(*, pool: UserPool, user: PoolUser | None, username: str) -> str:
    """Whom a counter belongs to: the user, whatever name they were addressed by; for a name that
    names nobody, the name itself, so that unknown users hit the limit exactly as known ones do
    (PreventUserExistenceErrors). Hashed: cache keys must not carry emails, spaces or length."""
    who = (
        f"user:{user.sub}"
        if user is not None
        else f"name:{pool.pool_id}:{pool.normalize_username(username)}"
    )
    return hashlib.sha256(who.encode("utf-8")).hexdigest()


def attempt_record(
    *, action: LimitedAction, pool: UserPool, user: PoolUser | None, username: str = ""
) -> None:
    """Count one attempt at `action` by `user` (or by the unknown `username`), and refuse it with
    LimitExceededException when the last hour's attempts exceed Cognito's allowance.

    Refused attempts count too: a caller who keeps trying stays refused until they stop.
    """
    prefix = f"limits:{action.value}:{_subject(pool=pool, user=user, username=username)}"
    if window_count(prefix, window=WINDOW_SECONDS) > HOURLY_LIMITS[action]:
        raise LimitExceededException(ATTEMPT_LIMIT_MESSAGE)


# --- request rates ---------------------------------------------------------------------------

RATE_EXCEEDED_MESSAGE = "Rate exceeded"


def _hashed(*parts: str) -> str:
    # Cache keys must not carry names, emails or tokens, whatever their length or characters.
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _named(member: str, key: str = "") -> Callable[[Mapping[str, Any]], str | None]:
    """The user a request names, by `Username` or by `USERNAME` within a map member."""

    def subject(params: Mapping[str, Any]) -> str | None:
        value = params.get(member)
        name = value.get(key) if key and isinstance(value, Mapping) else value
        if not isinstance(name, str) or not name:
            return None
        return _hashed("name", str(params.get("ClientId", "")), name.casefold())

    return subject


def _signed_in(params: Mapping[str, Any]) -> str | None:
    """The user an access token speaks for, read before it is verified (the operation verifies
    it): a forged token only reaches the counter of the `sub` it claims. A Session (MFA set-up
    during a sign-in) is its own subject."""
    token = params.get("AccessToken")
    if not isinstance(token, str):
        session = params.get("Session")
        return _hashed("session", session) if isinstance(session, str) else None
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return _hashed("token", token)
    return _hashed("sub", str(claims.get("client_id", "")), str(claims.get("sub", "")))


def _signing_in(member: str) -> Callable[[Mapping[str, Any]], str | None]:
    """InitiateAuth and RespondToAuthChallenge: the USERNAME named, else the refresh token or
    the Session that stands for the user."""
    by_name = _named(member, "USERNAME")

    def subject(params: Mapping[str, Any]) -> str | None:
        named = by_name(params)
        if named is not None:
            return named
        values = params.get(member)
        token = values.get("REFRESH_TOKEN") if isinstance(values, Mapping) else None
        session = token or params.get("Session")
        return _hashed("secret", session) if isinstance(session, str) else None

    return subject


def _oauth_request(params: Mapping[str, Any]) -> str | None:
    """The OAuth endpoints (`OAuth2Token`, `OAuth2Revoke`): the refresh token that stands for
    the user, else the app client that authenticates (client_credentials)."""
    token = params.get("Token")
    if isinstance(token, str) and token:
        return _hashed("secret", token)
    client_id = params.get("ClientId")
    return _hashed("client", client_id) if isinstance(client_id, str) and client_id else None


# The unsigned operations that send a message or check a secret, and whom each is counted for.
RATE_LIMITED_OPERATIONS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "SignUp": _named("Username"),
    "ConfirmSignUp": _named("Username"),
    "ResendConfirmationCode": _named("Username"),
    "ForgotPassword": _named("Username"),
    "ConfirmForgotPassword": _named("Username"),
    "InitiateAuth": _signing_in("AuthParameters"),
    "RespondToAuthChallenge": _signing_in("ChallengeResponses"),
    "ChangePassword": _signed_in,
    "UpdateUserAttributes": _signed_in,
    "GetUserAttributeVerificationCode": _signed_in,
    "VerifyUserAttribute": _signed_in,
    "AssociateSoftwareToken": _signed_in,
    "VerifySoftwareToken": _signed_in,
}


def _nobody(params: Mapping[str, Any]) -> str | None:
    """A federated sign-in's start (`OAuth2Federation`) names no user yet: counted by address."""
    return None


# The OAuth endpoints that check client secrets or start a federated sign-in, counted by the
# same allowances.
OAUTH_RATE_LIMITED_ENDPOINTS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "OAuth2Token": _oauth_request,
    "OAuth2Revoke": _oauth_request,
    # Each start stores a state and a nonce and calls the provider's discovery.
    "OAuth2Federation": _nobody,
}


def request_rate_check(*, operation: str, client_ip: str, params: Mapping[str, Any]) -> None:
    """Count one request to `operation` from `client_ip` for the user it names, and refuse it with
    TooManyRequestsException when either has made more than its allowance in the window
    (COGNITOADMIN_RATE_LIMIT_PER_IP, _PER_USER, _WINDOW). Other operations pass uncounted.

    Counted before the operation runs, refused requests included, so that a caller who keeps
    trying stays refused. The counters live in the cache, shared by every process.
    """
    subject_of = RATE_LIMITED_OPERATIONS.get(operation) or OAUTH_RATE_LIMITED_ENDPOINTS.get(
        operation
    )
    if subject_of is None:
        return
    window: int = settings.COGNITOADMIN_RATE_LIMIT_WINDOW
    by_ip = rate_exceeded(
        f"rate:{operation}:ip:{_hashed(client_ip)}",
        limit=settings.COGNITOADMIN_RATE_LIMIT_PER_IP,
        window=window,
    )
    subject = subject_of(params)
    by_user = subject is not None and rate_exceeded(
        f"rate:{operation}:user:{subject}",
        limit=settings.COGNITOADMIN_RATE_LIMIT_PER_USER,
        window=window,
    )
    if by_ip or by_user:
        raise TooManyRequestsException(RATE_EXCEEDED_MESSAGE)
