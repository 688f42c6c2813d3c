"""Deleting what has expired: auth sessions, verification codes and refresh tokens.

Nothing else removes these rows, and each sign-in leaves some. Run it now and then (`manage.py
purge`); the messaging issue's periodic tasks will schedule it. A purge never changes an answer:
a code or session that is gone is refused as an expired one was, and a sign-in's refresh-token rows
stay until no access or ID token of that sign-in can still be valid, since access tokens are judged
revoked by those rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from pools.models import AuthSession, RefreshToken, VerificationCode
from pools.services.clients import ACCESS_ID_RANGE

# The longest an access or ID token may live: a sign-in's last one, issued by a refresh just
# before its refresh token expired, is still valid this long after.
_LONGEST_TOKEN_LIFETIME = dt.timedelta(seconds=ACCESS_ID_RANGE[1])


@dataclass(frozen=True)
class Purged:
    auth_sessions: int
    verification_codes: int
    refresh_tokens: int


def expired_purge(*, now: dt.datetime | None = None) -> Purged:
    """Delete every auth session past its validity, every code that is used or expired, and every
    refresh-token row past its expiry by more than the longest token lifetime."""
    now = now or timezone.now()
    sessions, _ = AuthSession.objects.filter(expires_at__lte=now).delete()
    codes, _ = VerificationCode.objects.filter(
        Q(expires_at__lte=now) | Q(used_at__isnull=False)
    ).delete()
    tokens, _ = RefreshToken.objects.filter(expires_at__lte=now - _LONGEST_TOKEN_LIFETIME).delete()
    return Purged(auth_sessions=sessions, verification_codes=codes, refresh_tokens=tokens)
