"""A user's sessions (ListUserSessions, AdminListUserSessions, RevokeUserSession,
AdminRevokeUserSession), as Cognito's session management describes them
(https://docs.aws.amazon.com/cognito/latest/developerguide/managing-user-sessions.html and the
four operations' API reference pages):

- a TOKEN session is one live sign-in of one app client: the refresh-token family sharing an
  `origin_jti` (`tokens.py`). Revoking it revokes every token of the family, so its access tokens
  are refused at once (`revocation.py`).
- an SSO session is one live hosted sign-in session (`HostedSession`, `hosted.py`); ending it makes
  the hosted pages ask for the password again. A token session whose authorization code (or
  implicit grant) came from one names it as OriginSessionId.
- RevokeAssociatedSessions LINKED also ends the directly linked sessions: revoking a token session
  ends the SSO session it came through, revoking an SSO session the token sessions that came
  through it.
- IsCurrentSession marks the token session of the access token that asks; RevokeUserSession
  cannot end it, by its id nor by LINKED (GlobalSignOut and RevokeToken are for that).

Session tracking is opt-in: while the pool does not track sessions Cognito keeps no session
records, and these operations answer OperationNotEnabledException.

Ids are keyed digests, in base36, of the family's `origin_jti` or of the hosted session's stored
digest: stable for the session's life, and nothing secret can be derived from them. A lookup by id
therefore reads the user's live sessions and compares; a user holds at most TokenSession.MaxPerUser
token sessions while the pool tracks them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, DateTimeField, Max, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from cognitoadmin.crypto import digest
from cognitoadmin.pagination import decode_token, encode_token
from pools.errors import (
    InvalidParameterException,
    OperationNotEnabledException,
    ResourceNotFoundException,
)
from pools.models import HostedSession, PoolUser, RefreshToken
from pools.selectors.users import user_locked
from pools.services.revocation import sign_ins_revoke

TOKEN_SESSION = "TOKEN"  # noqa: S105 - a SessionType, not a secret
SSO_SESSION = "SSO"
_PREFIXES = {TOKEN_SESSION: "tkn", SSO_SESSION: "sso"}
_ID_LENGTH = 25  # after the prefix: SessionIdType is ^(tkn|sso)[a-z0-9]{25}$
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
REVOKE_LINKED = "LINKED"
# Cognito returns all of a user's sessions in one page of up to 125.
PAGE_SIZE = 125
SESSION_NOT_FOUND = "Session not found."
CURRENT_SESSION = "The session of the calling access token cannot be revoked."


@dataclass(frozen=True)
class UserSession:
    session_id: str
    session_type: str
    created_at: dt.datetime
    last_active_at: dt.datetime
    client_id: str | None = None
    origin_session_id: str | None = None
    is_current: bool = False
    # What ends it: the family's origin, or the hosted session's row.
    origin_jti: str = ""
    hosted_session_pk: int | None = None


def _session_id(session_type: str, value: str) -> str:
    number = int(digest(value, purpose=f"user_session/{session_type}"), 16)
    chars = []
    for _ in range(_ID_LENGTH):
        number, rest = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[rest])
    return _PREFIXES[session_type] + "".join(chars)


def _tracking_required(user: PoolUser) -> None:
    if not user.pool.session_tracking_enabled:
        raise OperationNotEnabledException(
            "Session tracking is not enabled for the user pool (SetUserPoolSessionConfiguration)."
        )


def _position(session: UserSession) -> list[str]:
    """Where a session is in the list's order, as a page token carries it."""
    return [session.created_at.isoformat(timespec="microseconds"), session.session_id]


def _sessions(user: PoolUser, *, current_origin_jti: str | None) -> list[UserSession]:
    """The user's live sessions, oldest first: two queries whatever their number (three when a
    token session outlives its SSO session)."""
    now = timezone.now()
    live_hosted = HostedSession.objects.filter(user=user, ended_at__isnull=True, expires_at__gt=now)
    if user.tokens_valid_after is not None:
        # A global sign-out ends the hosted sessions signed in before it (`hosted_session_find`).
        live_hosted = live_hosted.filter(auth_time__gte=user.tokens_valid_after)
    hosted = list(live_hosted.only("pk", "token_digest", "created_at", "auth_time"))
    sso_ids = {row.pk: _session_id(SSO_SESSION, row.token_digest) for row in hosted}
    families = list(
        RefreshToken.objects.filter(user=user)
        .values("origin_jti")
        .annotate(
            live=Count("id", filter=Q(revoked_at__isnull=True, expires_at__gt=now)),
            revoked=Count("id", filter=Q(revoked_at__isnull=False)),
            created=Min("created_at"),
            active=Max(Coalesce("last_used_at", "created_at", output_field=DateTimeField())),
            client=Max("client__client_id"),
            hosted=Max("hosted_session_id"),
        )
        .filter(live__gt=0, revoked=0)
        .order_by()
    )
    # A token session still names the SSO session it came from once that one has ended.
    ended = {f["hosted"] for f in families if f["hosted"] is not None} - sso_ids.keys()
    if ended:
        for pk, token_digest in HostedSession.objects.filter(pk__in=ended).values_list(
            "pk", "token_digest"
        ):
            sso_ids[pk] = _session_id(SSO_SESSION, token_digest)
    tokens = [
        UserSession(
            session_id=_session_id(TOKEN_SESSION, family["origin_jti"]),
            session_type=TOKEN_SESSION,
            created_at=family["created"],
            last_active_at=family["active"],
            client_id=family["client"],
            origin_session_id=sso_ids.get(family["hosted"]),
            is_current=family["origin_jti"] == current_origin_jti,
            origin_jti=family["origin_jti"],
            hosted_session_pk=family["hosted"],
        )
        for family in families
    ]
    ssos = []
    for row in hosted:
        # An SSO session is active whenever a sign-in comes through it.
        grants = [t.last_active_at for t in tokens if t.hosted_session_pk == row.pk]
        ssos.append(
            UserSession(
                session_id=sso_ids[row.pk],
                session_type=SSO_SESSION,
                created_at=row.created_at,
                last_active_at=max([row.auth_time, *grants]),
                hosted_session_pk=row.pk,
            )
        )
    return sorted([*tokens, *ssos], key=_position)


def user_sessions_page(
    *, user: PoolUser, next_token: str | None, current_origin_jti: str | None = None
) -> tuple[list[UserSession], str | None]:
    """One page of the user's live sessions, oldest first, and the next page's token. The
    session of `current_origin_jti` (the calling access token's sign-in) is the current one."""
    _tracking_required(user)
    sessions = _sessions(user, current_origin_jti=current_origin_jti)
    scope = f"user-sessions:{user.pool.pool_id}:{user.pk}"
    if next_token is not None:
        after = decode_token(next_token, scope=scope).get("after")
        if not (
            isinstance(after, list)
            and len(after) == 2  # a date and an id
            and all(isinstance(part, str) for part in after)
        ):
            raise InvalidParameterException("Invalid pagination token.")
        sessions = [s for s in sessions if _position(s) > after]
    if len(sessions) <= PAGE_SIZE:
        return sessions, None
    page = sessions[:PAGE_SIZE]
    return page, encode_token({"after": _position(page[-1])}, scope=scope)


@transaction.atomic
def user_session_revoke(
    *,
    user: PoolUser,
    session_id: str,
    associated: str = "NONE",
    current_origin_jti: str | None = None,
) -> None:
    """End the user's session `session_id` (and with LINKED its directly linked ones): every token
    of a token session stops working, an SSO session stops signing in. An id that is not one of the
    user's live sessions is not found; with `current_origin_jti` (RevokeUserSession) the caller's
    own session may not be among those ended. Either refusal changes nothing."""
    _tracking_required(user)
    # The user's row first, as every revocation takes it: the sessions read are the ones ended.
    user_locked(user_id=user.pk)
    sessions = _sessions(user, current_origin_jti=current_origin_jti)
    target = next((s for s in sessions if s.session_id == session_id), None)
    if target is None:
        raise ResourceNotFoundException(SESSION_NOT_FOUND)
    ended = [target]
    if associated == REVOKE_LINKED:
        if target.session_type == TOKEN_SESSION:
            ended += [
                s
                for s in sessions
                if s.session_type == SSO_SESSION and s.hosted_session_pk == target.hosted_session_pk
            ]
        else:
            ended += [
                s
                for s in sessions
                if s.session_type == TOKEN_SESSION
                and s.hosted_session_pk == target.hosted_session_pk
            ]
    if any(s.is_current for s in ended):
        raise InvalidParameterException(CURRENT_SESSION)
    origins = [s.origin_jti for s in ended if s.session_type == TOKEN_SESSION]
    if origins:
        sign_ins_revoke(user_id=user.pk, origin_jtis=origins)
    hosted = [s.hosted_session_pk for s in ended if s.session_type == SSO_SESSION]
    if hosted:
        HostedSession.objects.filter(pk__in=hosted, user=user).update(ended_at=timezone.now())
