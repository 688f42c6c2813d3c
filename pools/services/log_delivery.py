"""Log export of user pools: SetLogDeliveryConfiguration's rules, and the events.

Cognito's rules ("Exporting logs from Amazon Cognito user pools" in its developer guide): a pool
has at most one configuration per event source. `userNotification` (email and SMS delivery
errors) is ERROR level only and goes only to a CloudWatch Logs log group; `userAuthEvents` (user
activity) is INFO level only, goes to one log group, Firehose stream or S3 bucket, and needs the
Plus feature plan (FeatureUnavailableInTierException) with threat protection active (audit-only
or full-function). Cognito generates user activity logs only while both hold, and so does this
server. Each configuration names exactly one destination.

Events leave through a Celery task at the commit of the work that caused them, one task per
destination (`pools.services.log_sinks` says where each ARN's events go): an unreachable sink
never slows or fails the sign-in or the delivery. Delivery is best effort, as Cognito's: a webhook
or Redis out of reach is tried again by a worker, then the event is dropped and the drop logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from functools import partial
from typing import Any, Literal

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from cognitoadmin.awsmodel import model_validate
from pools.errors import FeatureUnavailableInTierException, InvalidParameterException
from pools.models import (
    AppClient,
    Delivery,
    LogDeliveryConfiguration,
    PoolUser,
    UserPool,
    UserPoolTier,
)
from pools.selectors.log_delivery import log_configurations_forget, log_configurations_of
from pools.selectors.pools import user_pool_locked
from pools.services.log_sinks import sink_for, sink_write
from pools.tasks import log_event_deliver_task

logger = logging.getLogger(__name__)

NOTIFICATION = "userNotification"
AUTH_EVENTS = "userAuthEvents"
# Each destination member and the member holding its ARN.
DESTINATIONS = {
    "CloudWatchLogsConfiguration": "LogGroupArn",
    "FirehoseConfiguration": "StreamArn",
    "S3Configuration": "BucketArn",
}
# The kind of ARN each destination takes: its service, and how its resource begins.
_ARN_KINDS = {
    "CloudWatchLogsConfiguration": ("logs", "log-group:"),
    "FirehoseConfiguration": ("firehose", "deliverystream/"),
    "S3Configuration": ("s3", ""),
}
_LEVEL_OF_SOURCE = {NOTIFICATION: "ERROR", AUTH_EVENTS: "INFO"}
# The wire names of the sources in the events themselves.
_EVENT_SOURCE = {NOTIFICATION: "USER_NOTIFICATION", AUTH_EVENTS: "USER_ACTIVITY"}

EventResponse = Literal["Pass", "Fail", "InProgress"]


def _threat_protection_active(pool: UserPool) -> bool:
    mode = pool.user_pool_add_ons.get("AdvancedSecurityMode", "OFF")
    return pool.tier == UserPoolTier.PLUS and mode in {"AUDIT", "ENFORCED"}


def _checked_arn(member: str, configuration: dict[str, Any]) -> str:
    arn: str = configuration.get(DESTINATIONS[member], "")
    if not arn:
        raise InvalidParameterException(f"{member} needs its {DESTINATIONS[member]}.")
    service, resource_start = _ARN_KINDS[member]
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[2] != service or not parts[5].startswith(resource_start):
        kind = member.removesuffix("Configuration")
        raise InvalidParameterException(
            f"{DESTINATIONS[member]} {arn[:256]} is not the ARN of a {kind} destination."
        )
    return arn


def _checked(pool: UserPool, configuration: dict[str, Any]) -> dict[str, Any]:
    source: str = configuration["EventSource"]
    level: str = configuration["LogLevel"]
    members = [member for member in DESTINATIONS if member in configuration]
    if len(members) != 1:
        raise InvalidParameterException(
            "A log configuration names exactly one destination: CloudWatchLogsConfiguration, "
            "FirehoseConfiguration or S3Configuration."
        )
    member = members[0]
    arn = _checked_arn(member, configuration[member])
    if level != _LEVEL_OF_SOURCE[source]:
        raise InvalidParameterException(
            f"{source} logs are {_LEVEL_OF_SOURCE[source]} level only, not {level}."
        )
    if source == NOTIFICATION and member != "CloudWatchLogsConfiguration":
        raise InvalidParameterException(
            "userNotification logs go only to a CloudWatch Logs log group."
        )
    if source == AUTH_EVENTS:
        if pool.tier != UserPoolTier.PLUS:
            raise FeatureUnavailableInTierException(
                "Exporting userAuthEvents logs requires the PLUS feature plan."
            )
        if not _threat_protection_active(pool):
            raise InvalidParameterException(
                "Exporting userAuthEvents logs requires threat protection "
                "(UserPoolAddOns.AdvancedSecurityMode AUDIT or ENFORCED)."
            )
    return {"EventSource": source, "LogLevel": level, member: {DESTINATIONS[member]: arn}}


@transaction.atomic
def log_delivery_configure(
    *, pool: UserPool, log_configurations: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Replace the pool's log configurations (SetLogDeliveryConfiguration); an empty list
    stops every export."""
    model_validate(
        "SetLogDeliveryConfiguration",
        {"UserPoolId": pool.pool_id, "LogConfigurations": log_configurations},
    )
    # Under the pool's lock, the tier and threat protection cannot change under the checks.
    pool = user_pool_locked(pool=pool)
    sources = [configuration["EventSource"] for configuration in log_configurations]
    if len(set(sources)) != len(sources):
        raise InvalidParameterException("A pool has one log configuration per EventSource.")
    stored = [_checked(pool, configuration) for configuration in log_configurations]
    LogDeliveryConfiguration.objects.update_or_create(
        pool=pool, defaults={"log_configurations": stored}
    )
    transaction.on_commit(partial(log_configurations_forget, pool=pool))
    return stored


# --- events ----------------------------------------------------------------------------------


def _dispatch(arn: str, event: dict[str, Any]) -> None:
    try:
        log_event_deliver_task.delay(arn, event)
    except (OperationalError, OSError) as exc:
        logger.warning("A log event for %s is dropped, the broker is out of reach: %s", arn, exc)


def _emit(*, pool: UserPool, source: str, message: dict[str, Any]) -> None:
    for configuration in log_configurations_of(pool=pool):
        if configuration["EventSource"] != source:
            continue
        event = {
            "eventTimestamp": str(int(timezone.now().timestamp() * 1000)),
            "eventSource": _EVENT_SOURCE[source],
            "logLevel": configuration["LogLevel"],
            "message": message,
            "logSourceId": {"userPoolId": pool.pool_id},
        }
        for member, arn_member in DESTINATIONS.items():
            if member in configuration:
                # Robust: the work that caused the event is committed whatever the broker does.
                arn = configuration[member][arn_member]
                transaction.on_commit(partial(_dispatch, arn, event), robust=True)


def notification_failure_log(*, delivery: Delivery) -> None:
    """The ERROR-level userNotification event of a message that could not be delivered. It
    says which message failed and why, never what it said."""
    _emit(
        pool=delivery.pool,
        source=NOTIFICATION,
        message={
            "details": (
                f"{delivery.channel} message ({delivery.kind}) to {delivery.destination} could "
                f"not be delivered after {delivery.attempts} attempt(s): {delivery.last_error}"
            )
        },
    )


def auth_event_log(
    *,
    client: AppClient,
    username: str,
    user: PoolUser | None,
    response: EventResponse,
    ip_address: str = "",
    request_id: str = "",
) -> None:
    """The INFO-level userAuthEvents event of one sign-in outcome, with the fields of Cognito's
    user activity log that this server knows (no risk assessment: riskDecision PASS, as
    Cognito's audit-only mode logs a sign-in it found no risk in)."""
    pool = client.pool
    if not _threat_protection_active(pool):
        return  # Cognito generates none then; and this costs no read
    now = timezone.now().astimezone(dt.UTC)
    _emit(
        pool=pool,
        source=AUTH_EVENTS,
        message={
            "version": "1",
            "eventId": str(uuid.uuid4()),
            "eventType": "SignIn",
            "userSub": str(user.sub) if user is not None else "",
            "userName": user.username if user is not None else username,
            "userPoolId": pool.pool_id,
            "clientId": client.client_id,
            "creationDate": now.strftime("%a %b %d %H:%M:%S UTC %Y"),
            "eventResponse": response,
            "riskLevel": "",
            "riskDecision": "PASS",
            "challenges": [],
            "deviceName": "",
            "ipAddress": ip_address,
            "requestId": request_id,
            "idpName": "",
            "compromisedCredentialDetected": "false",
            "city": "",
            "country": "",
            "eventFeedbackValue": "",
            "eventFeedbackDate": "",
            "eventFeedbackProvider": "",
            "hasContextData": "false",
        },
    )


def log_event_write(*, arn: str, event: dict[str, Any]) -> None:
    """Write one event to the sink `arn` goes to (the task's work); raises DeliveryFailure."""
    sink_write(sink_for(arn), event)
