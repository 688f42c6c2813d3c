"""Users' authentication events: the history AdminListUserAuthEvents and the user's admin page
show, and the userAuthEvents log line of the same event.

One call records both (`auth_event_record`), so the row and the line carry the same EventId,
time and challenges. Rows are kept for every pool, whatever its threat protection says: the
console shows them all, while Cognito's AdminListUserAuthEvents (and the log export) answer only
for a pool with the add-on active, and so does this server's.

Events are recorded for users who exist: Cognito lists them per user, and a failed sign-in of a
name nobody has leaves its log line only. Recording costs one INSERT (or, for a sign-in resolved
after a challenge, one UPDATE of the row its session names), never a read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from django.utils import timezone

from pools.errors import UserPoolAddOnNotEnabledException
from pools.models import AuthEvent, AuthEventResponse, AuthEventType, PoolUser, UserPool
from pools.services.log_delivery import auth_event_log, threat_protection_active

PASSWORD = "Password"  # noqa: S105
MFA = "Mfa"
# How long a user's events stay: two years, as Cognito's user event history keeps them.
AUTH_EVENT_RETENTION = dt.timedelta(days=730)

Challenge = dict[str, str]


def auth_event_challenge(name: str, *, passed: bool) -> Challenge:
    """One ChallengeResponses entry: `name` (Password or Mfa) answered right or wrong."""
    return {"ChallengeName": name, "ChallengeResponse": "Success" if passed else "Failure"}


def auth_event_record(
    *,
    pool: UserPool,
    client_id: str,
    user: PoolUser | None,
    username: str,
    event_type: AuthEventType,
    response: AuthEventResponse,
    challenges: Sequence[Challenge] = (),
    reason: str = "",
    ip_address: str = "",
    request_id: str = "",
    event_id: uuid.UUID | None = None,
    resolves: bool = False,
) -> None:
    """Record one outcome for `user` and log it, as event `event_id` (a new one if None). With
    `resolves`, that event was recorded InProgress by an earlier step of the sign-in and is
    brought to `response` instead."""
    created = timezone.now()
    event_id = event_id or uuid.uuid4()
    if user is not None and not resolves:
        AuthEvent.objects.create(
            pool_id=user.pool_id,
            user=user,
            event_id=event_id,
            event_type=event_type,
            event_response=response,
            created=created,
            ip_address=ip_address,
            client_id=client_id,
            challenges=list(challenges),
            reason=reason,
        )
    elif user is not None:
        AuthEvent.objects.filter(user=user, event_id=event_id).update(
            event_response=response, challenges=list(challenges), reason=reason
        )
    auth_event_log(
        pool=pool,
        client_id=client_id,
        username=username,
        user=user,
        response=response,
        ip_address=ip_address,
        request_id=request_id,
        event_id=event_id,
        event_type=event_type,
        challenges=challenges,
        created=created,
    )


def auth_events_purge(*, now: dt.datetime) -> int:
    """Delete the events older than AUTH_EVENT_RETENTION; returns how many."""
    deleted, _ = AuthEvent.objects.filter(created__lt=now - AUTH_EVENT_RETENTION).delete()
    return deleted


def auth_events_listable_check(*, pool: UserPool) -> None:
    """AdminListUserAuthEvents answers only for a pool with threat protection active, as
    Cognito's does; the events are recorded, and the console shows them, whatever it says."""
    if not threat_protection_active(pool):
        raise UserPoolAddOnNotEnabledException(
            "User pool add-ons are not enabled: AdminListUserAuthEvents needs threat protection "
            "(the PLUS feature plan, UserPoolAddOns.AdvancedSecurityMode AUDIT or ENFORCED)."
        )
