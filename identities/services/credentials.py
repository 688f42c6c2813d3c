"""Temporary credentials: an access key id, a secret and a session token, for a role.

The session token is self-contained: the key id, the secret, who the credentials speak for and
when they expire, sealed with AES-GCM under the master key. Nothing is stored, and a forged or
altered token cannot be opened. The SigV4 verifier opens it, signs the request again with the
secret inside, and the authorizer decides with the role's policies. Credentials stop working on
expiry, and when their identity (or its pool) is deleted: `session_credentials_check_live`.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils import timezone

from cognitoadmin.crypto import SealError, seal, unseal
from cognitoadmin.ids import account_id, random_string
from identities.models import Identity, Role

SEAL_PURPOSE = "session_token"
ACCESS_KEY_PREFIX = "ASIA"
DEFAULT_DURATION = dt.timedelta(hours=1)
# The session name of credentials from GetCredentialsForIdentity, as Cognito names it.
COGNITO_SESSION_NAME = "CognitoIdentityCredentials"
_KEY_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


class SessionTokenError(Exception):
    """A session token this server did not make for that key id, or one that has expired."""

    def __init__(self, *, expired: bool = False) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class SessionCredentials:
    """Who temporary credentials speak for: an identity of a pool, through a role."""

    access_key_id: str
    secret_access_key: str
    identity_id: str
    identity_pool_id: str
    role_arn: str
    session_name: str
    amr: tuple[str, ...]
    expires_at: dt.datetime
    # Session tags (the identity pool's principal tags): `aws:PrincipalTag/<key>` in policies.
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def assumed_role_arn(self) -> str:
        return f"arn:aws:sts::{account_id()}:assumed-role/{self.role_name}/{self.session_name}"


def credentials_issue(
    *,
    identity: Identity,
    role: Role,
    amr: Sequence[str],
    session_name: str = COGNITO_SESSION_NAME,
    duration: dt.timedelta = DEFAULT_DURATION,
    tags: Mapping[str, str] | None = None,
) -> tuple[SessionCredentials, str]:
    """New credentials of `identity` through `role`, and their session token."""
    # Whole seconds: the wire carries ISO 8601 times without fractions.
    expires_at = (timezone.now() + duration).replace(microsecond=0)
    credentials = SessionCredentials(
        access_key_id=ACCESS_KEY_PREFIX + random_string(_KEY_ALPHABET, 16),
        secret_access_key=random_string(_SECRET_ALPHABET, 40),
        identity_id=identity.identity_id,
        identity_pool_id=identity.pool.identity_pool_id,
        role_arn=role.arn,
        session_name=session_name,
        amr=tuple(amr),
        expires_at=expires_at,
        tags=tuple(sorted((tags or {}).items())),
    )
    payload = {
        "k": credentials.access_key_id,
        "s": credentials.secret_access_key,
        "i": credentials.identity_id,
        "p": credentials.identity_pool_id,
        "r": credentials.role_arn,
        "n": credentials.session_name,
        "a": list(credentials.amr),
        "e": int(expires_at.timestamp()),
        "t": dict(credentials.tags),
    }
    return credentials, seal(json.dumps(payload, separators=(",", ":")), purpose=SEAL_PURPOSE)


def session_token_open(*, token: str, access_key_id: str) -> SessionCredentials:
    """The credentials a session token carries, if this server made it for `access_key_id` and
    it has not expired; SessionTokenError otherwise."""
    try:
        payload = json.loads(unseal(token, purpose=SEAL_PURPOSE))
        credentials = SessionCredentials(
            access_key_id=payload["k"],
            secret_access_key=payload["s"],
            identity_id=payload["i"],
            identity_pool_id=payload["p"],
            role_arn=payload["r"],
            session_name=payload["n"],
            amr=tuple(payload["a"]),
            expires_at=dt.datetime.fromtimestamp(payload["e"], tz=dt.UTC),
            tags=tuple(sorted((str(k), str(v)) for k, v in payload["t"].items())),
        )
    except (SealError, ValueError, KeyError, TypeError, AttributeError):
        raise SessionTokenError() from None
    if not secrets.compare_digest(credentials.access_key_id, access_key_id):
        raise SessionTokenError()
    if credentials.expires_at <= timezone.now():
        raise SessionTokenError(expired=True)
    return credentials


def session_credentials_check_live(*, credentials: SessionCredentials) -> None:
    """Refuse credentials whose identity, or its pool, no longer exists."""
    alive = Identity.objects.filter(
        identity_id=credentials.identity_id, pool__identity_pool_id=credentials.identity_pool_id
    ).exists()
    if not alive:
        raise SessionTokenError()
