"""Session configuration (SetUserPoolSessionConfiguration, SetUserPoolClientSessionConfiguration)
and what it makes happen.

With the pool's UserSessionTracking ENABLED:
- a user holds at most TokenSession.MaxPerUser token sessions (refresh-token families, one per
  sign-in, see `tokens.py`). A new sign-in at the limit first evicts the user's least recently
  used ones, revoking every token of each (so their access tokens are refused at once). Lowering
  the limit evicts nothing by itself; the next sign-in brings the user back within it, as
  Cognito documents.
- the hosted session (`hosted.py`) signs a user in to a client silently only while their last
  fresh sign-in is younger than the client's SSOSession.MaxValidityMinutes (0: never).
With it DISABLED the client settings are kept but dormant, and neither rule applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import DateTimeField, Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from cognitoadmin.awsmodel import model_validate
from pools.errors import FeatureUnavailableInTierException, InvalidParameterException
from pools.models import AppClient, PoolUser, RefreshToken, UserPool, UserPoolTier
from pools.selectors.clients import app_client_locked
from pools.selectors.pools import user_pool_locked
from pools.selectors.users import user_locked
from pools.services.revocation import sign_ins_revoke

TRACKING_ENABLED = "ENABLED"
TRACKING_DISABLED = "DISABLED"


def _check_tier(pool: UserPool, operation: str) -> None:
    if pool.tier == UserPoolTier.LITE:
        raise FeatureUnavailableInTierException(
            f"{operation} requires the Essentials or Plus feature plan."
        )


@transaction.atomic
def user_pool_session_configuration_set(
    *, pool: UserPool, tracking: str, token_session: Mapping[str, Any]
) -> UserPool:
    """A full replacement: both members are required (the model says so)."""
    checked = model_validate(
        "SetUserPoolSessionConfiguration",
        {
            "UserPoolId": pool.pool_id,
            "UserSessionTracking": tracking,
            "TokenSession": token_session,
        },
    )
    pool = user_pool_locked(pool=pool)
    _check_tier(pool, "Session tracking")
    pool.session_tracking_enabled = checked["UserSessionTracking"] == TRACKING_ENABLED
    pool.token_sessions_max_per_user = checked["TokenSession"]["MaxPerUser"]
    pool.save(update_fields=["session_tracking_enabled", "token_sessions_max_per_user"])
    return pool


@transaction.atomic
def app_client_session_configuration_set(
    *, client: AppClient, sso_session: Mapping[str, Any]
) -> AppClient:
    checked = model_validate(
        "SetUserPoolClientSessionConfiguration",
        {
            "UserPoolId": client.pool.pool_id,
            "ClientId": client.client_id,
            "SSOSession": sso_session,
        },
    )
    # The pool's row first, as its own change takes it: tracking cannot be turned off between the
    # check and the write.
    pool = user_pool_locked(pool=client.pool)
    _check_tier(pool, "App client session configuration")
    if not pool.session_tracking_enabled:
        raise InvalidParameterException(
            "Session tracking must be enabled for the user pool "
            "(SetUserPoolSessionConfiguration) before an app client's session is configured."
        )
    client = app_client_locked(client=client)
    client.sso_session_max_validity_minutes = checked["SSOSession"]["MaxValidityMinutes"]
    client.save(update_fields=["sso_session_max_validity_minutes"])
    return client


def token_sessions_make_room(*, user: PoolUser, pool: UserPool) -> None:
    """Before a new sign-in of `user`: evict the least recently used token
    sessions beyond MaxPerUser - 1, so that with the new one the user holds at most MaxPerUser.
    Inside the transaction that creates the new sign-in's row."""
    if not pool.session_tracking_enabled:
        return
    # Counted under the user's lock: two sign-ins at the limit cannot both keep what it evicts.
    user_locked(user_id=user.pk)
    now = timezone.now()
    live = (
        RefreshToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)
        .values("origin_jti")
        .annotate(
            used=Max(Coalesce("last_used_at", "created_at", output_field=DateTimeField())),
            first=Max("id"),
        )
        .order_by("-used", "-first")
    )
    keep = pool.token_sessions_max_per_user - 1
    evicted = [row["origin_jti"] for row in live[keep:]]
    if evicted:
        sign_ins_revoke(user_id=user.pk, origin_jtis=evicted)


def token_session_touch(*, client: AppClient, row: RefreshToken) -> None:
    """A redeem of `row` by `client` makes its sign-in the most recently used, when the pool
    tracks sessions (otherwise nothing is written on the hot path)."""
    if client.pool.session_tracking_enabled:
        RefreshToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())


def hosted_session_reusable(*, client: AppClient, auth_time: dt.datetime) -> bool:
    """Whether a hosted session whose fresh sign-in was at `auth_time` may sign in to `client`
    without a password: always while the pool does not track sessions (the session's own
    lifetime bounds it), else only within the client's MaxValidityMinutes."""
    if not client.pool.session_tracking_enabled:
        return True
    limit = dt.timedelta(minutes=client.sso_session_max_validity_minutes)
    return timezone.now() < auth_time + limit
