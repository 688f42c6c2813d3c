"""Deleting what has expired: auth sessions, verification codes, refresh tokens, devices handed
out but never confirmed, the records of messages sent or failed long ago, and what federated
sign-ins that were never finished left in social-auth's tables.

Nothing else removes these rows, and each sign-in leaves some. Celery beat runs this hourly
(`pools.tasks.expired_purge_task`); `manage.py purge` runs it at once. A purge never changes an
answer: a code or session that is gone is refused as an expired one was, and a sign-in's
refresh-token rows stay until no access or ID token of that sign-in can still be valid, since
access tokens are judged revoked by those rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Q
from django.utils import timezone
from social_django.models import Association, Nonce

from pools.models import (
    AuthorizationCode,
    AuthSession,
    Delivery,
    DeliveryStatus,
    Device,
    HostedSession,
    RefreshToken,
    VerificationCode,
)
from pools.services.clients import ACCESS_ID_RANGE
from pools.services.federated_sign_in import PENDING_SECONDS

# The longest an access or ID token may live: a sign-in's last one, issued by a refresh just
# before its refresh token expired, is still valid this long after.
_LONGEST_TOKEN_LIFETIME = dt.timedelta(seconds=ACCESS_ID_RANGE[1])
# How long the record of a message that is done with (sent or failed) stays for operators to see.
DELIVERY_RETENTION = dt.timedelta(days=30)
# Clients confirm a new device right after the sign-in that named it; every sign-in of a client
# that never does (a script, the AWS CLI) leaves one unconfirmed device behind.
UNCONFIRMED_DEVICE_RETENTION = dt.timedelta(days=1)


@dataclass(frozen=True)
class Purged:
    auth_sessions: int
    verification_codes: int
    refresh_tokens: int
    deliveries: int
    devices: int
    authorization_codes: int = 0
    hosted_sessions: int = 0
    federation_states: int = 0


def expired_purge(*, now: dt.datetime | None = None) -> Purged:
    """Delete every auth session past its validity, every code that is used or expired, every
    refresh-token row past its expiry by more than the longest token lifetime, and the records of
    messages done with for DELIVERY_RETENTION (a queued one stays, whatever its age), and devices
    left unconfirmed for UNCONFIRMED_DEVICE_RETENTION; authorization codes past their five
    minutes (a used one is kept until then, to recognise its reuse), hosted sign-in sessions
    expired or ended, and the states and nonces of federated sign-ins past their lifetimes."""
    now = now or timezone.now()
    sessions, _ = AuthSession.objects.filter(expires_at__lte=now).delete()
    codes, _ = VerificationCode.objects.filter(
        Q(expires_at__lte=now) | Q(used_at__isnull=False)
    ).delete()
    tokens, _ = RefreshToken.objects.filter(expires_at__lte=now - _LONGEST_TOKEN_LIFETIME).delete()
    deliveries, _ = Delivery.objects.filter(
        status__in=[DeliveryStatus.SENT, DeliveryStatus.FAILED],
        updated_at__lte=now - DELIVERY_RETENTION,
    ).delete()
    devices, _ = Device.objects.filter(
        confirmed=False, created_at__lte=now - UNCONFIRMED_DEVICE_RETENTION
    ).delete()
    authorization_codes, _ = AuthorizationCode.objects.filter(expires_at__lte=now).delete()
    hosted_sessions, _ = HostedSession.objects.filter(
        Q(expires_at__lte=now) | Q(ended_at__isnull=False)
    ).delete()
    # Each start at an OIDC provider stores its state (a Nonce) and its ID-token nonce (an
    # Association); a sign-in abandoned upstream never comes back to remove them. A SAML
    # assertion's ID is a Nonce stamped with its NotOnOrAfter (the replay check): past that
    # and the lifetime, no response can carry the assertion any more.
    epoch = int(now.timestamp())
    states, _ = Nonce.objects.filter(timestamp__lt=epoch - PENDING_SECONDS).delete()
    nonces, _ = Association.objects.filter(issued__lt=epoch - F("lifetime")).delete()
    return Purged(
        authorization_codes=authorization_codes,
        hosted_sessions=hosted_sessions,
        federation_states=states + nonces,
        auth_sessions=sessions,
        verification_codes=codes,
        refresh_tokens=tokens,
        deliveries=deliveries,
        devices=devices,
    )
