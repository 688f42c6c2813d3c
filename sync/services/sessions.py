"""Sync session tokens: what ListRecords hands a device and UpdateRecords wants back.

Cognito's token carries "a session ID, identity ID, and expiration" and documents no lifetime;
this one is sealed (AES-GCM under the master key, so it cannot be forged or altered) and also
names the dataset and the sync count the device saw. It lasts `SESSION_LIFETIME`: a device
lists, resolves its conflicts and pushes in one sitting, and lists again otherwise.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass

from django.utils import timezone

from cognitoadmin.crypto import SealError, seal, unseal
from cognitoadmin.errors import InvalidParameterException, NotAuthorizedException
from identities.models import Identity

SEAL_PURPOSE = "sync_session"
SESSION_LIFETIME = dt.timedelta(minutes=5)
_INVALID = "Invalid SyncSessionToken."


@dataclass(frozen=True)
class SyncSession:
    session_id: str
    identity_id: str
    dataset_name: str
    # The dataset's sync count when the session began.
    sync_count: int
    expires_at: dt.datetime


def sync_session_issue(
    *, identity: Identity, dataset_name: str, sync_count: int, continuing: str | None = None
) -> str:
    """A new session's token for a device that has seen `dataset_name` at `sync_count`; or, for
    a later page of the same listing, the token its first page gave (`continuing`), if valid."""
    if continuing is not None:
        sync_session_open(token=continuing, identity=identity, dataset_name=dataset_name)
        return continuing
    payload = {
        "s": secrets.token_urlsafe(12),
        "i": identity.identity_id,
        "d": dataset_name,
        "c": sync_count,
        "e": int((timezone.now() + SESSION_LIFETIME).timestamp()),
    }
    return seal(json.dumps(payload, separators=(",", ":")), purpose=SEAL_PURPOSE)


def sync_session_open(*, token: str, identity: Identity, dataset_name: str) -> SyncSession:
    """The session `token` began, if this server issued it for `identity`'s dataset
    `dataset_name` and it has not expired.

    A token that cannot be opened, or that names another dataset, is a bad parameter; another
    identity's token or an expired one is refused as unauthorized, as Cognito refuses a session
    the caller may no longer use.
    """
    try:
        payload = json.loads(unseal(token, purpose=SEAL_PURPOSE))
        session = SyncSession(
            session_id=str(payload["s"]),
            identity_id=str(payload["i"]),
            dataset_name=str(payload["d"]),
            sync_count=int(payload["c"]),
            expires_at=dt.datetime.fromtimestamp(int(payload["e"]), tz=dt.UTC),
        )
    except (SealError, ValueError, KeyError, TypeError, OverflowError):
        raise InvalidParameterException(_INVALID) from None
    if not secrets.compare_digest(session.identity_id, identity.identity_id):
        raise NotAuthorizedException("The SyncSessionToken belongs to another identity.")
    if session.dataset_name != dataset_name:
        raise InvalidParameterException(f"{_INVALID} It was issued for another dataset.")
    if session.expires_at <= timezone.now():
        raise NotAuthorizedException("The SyncSessionToken has expired; call ListRecords again.")
    return session
