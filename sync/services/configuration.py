"""An identity pool's Cognito Sync configuration: push sync, Cognito Streams and Cognito events
(SetIdentityPoolConfiguration, SetCognitoEvents).

- SetIdentityPoolConfiguration changes the sections it is given (PushSync, CognitoStreams) and
  leaves the others as they are; a section given replaces the stored one whole.
- Streaming ENABLED needs a stream name and a role; push sync with applications needs a role.
  At most one platform application per platform, so a device's platform names its application.
- SetCognitoEvents changes only the events it names; an empty value removes one. Cognito knows
  one event, SyncTrigger, handled by a Lambda function named by its ARN. No Lambda runs here:
  the ARN must be one COGNITOADMIN_FUNCTION_URLS maps to a function of the operator's
  (cognitoadmin.functions), which sync.services.events calls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from cognitoadmin.awsmodel import model_validate
from cognitoadmin.errors import InvalidParameterException
from cognitoadmin.functions import function_url
from identities.models import IdentityPool
from sync.models import SyncConfiguration
from sync.selectors.datasets import SERVICE

EVENTS = frozenset({"SyncTrigger"})
MAX_APPLICATIONS = 10
# Lambda's own form of a function's ARN, with an optional version or alias.
_LAMBDA_ARN = re.compile(
    r"arn:aws[a-z-]*:lambda:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}"
    r"(?::(?:\$LATEST|[A-Za-z0-9_-]{1,128}))?"
)
_PLATFORM = re.compile(r"arn:aws:sns:[-0-9a-z]+:\d+:app/([A-Z_]+)/")


def _clean(text: str, member: str) -> str:
    # Not every member has a model pattern: NUL, controls and lone surrogates (none printable)
    # are no name or ARN, and NUL and surrogates no text a column stores.
    if not text.isprintable():
        raise InvalidParameterException(f"{member} holds a character that is not allowed.")
    return text


def _push_sync_apply(configuration: SyncConfiguration, push_sync: Mapping[str, Any]) -> None:
    arns: list[str] = list(push_sync.get("ApplicationArns") or [])
    role = push_sync.get("RoleArn") or ""
    if len(arns) > MAX_APPLICATIONS:
        raise InvalidParameterException(
            f"PushSync holds at most {MAX_APPLICATIONS} platform applications."
        )
    platforms = [m[1] for arn in arns if (m := _PLATFORM.match(arn))]
    if len(set(platforms)) != len(arns):
        raise InvalidParameterException("PushSync holds one platform application per platform.")
    if arns and not role:
        raise InvalidParameterException("PushSync needs a RoleArn to publish with.")
    configuration.push_application_arns = arns
    configuration.push_role_arn = _clean(role, "PushSync.RoleArn")


def _streams_apply(configuration: SyncConfiguration, streams: Mapping[str, Any]) -> None:
    name = _clean(streams.get("StreamName") or "", "CognitoStreams.StreamName")
    role = _clean(streams.get("RoleArn") or "", "CognitoStreams.RoleArn")
    enabled = streams.get("StreamingStatus") == "ENABLED"
    if enabled and not (name and role):
        raise InvalidParameterException(
            "CognitoStreams needs a StreamName and a RoleArn to be ENABLED."
        )
    configuration.stream_name = name
    configuration.stream_role_arn = role
    configuration.streaming_enabled = enabled


def _for_write(pool: IdentityPool) -> SyncConfiguration:
    # The row lock serialises writers of one pool's configuration, bulk publish's start included.
    SyncConfiguration.objects.get_or_create(identity_pool=pool)
    return SyncConfiguration.objects.select_for_update().get(identity_pool=pool)


@transaction.atomic
def sync_configuration_set(
    *,
    pool: IdentityPool,
    push_sync: Mapping[str, Any] | None = None,
    cognito_streams: Mapping[str, Any] | None = None,
) -> SyncConfiguration:
    params = model_validate(
        "SetIdentityPoolConfiguration",
        {
            "IdentityPoolId": pool.identity_pool_id,
            "PushSync": push_sync,
            "CognitoStreams": cognito_streams,
        },
        service=SERVICE,
    )
    configuration = _for_write(pool)
    if "PushSync" in params:
        _push_sync_apply(configuration, params["PushSync"])
    if "CognitoStreams" in params:
        _streams_apply(configuration, params["CognitoStreams"])
    configuration.save()
    return configuration


@transaction.atomic
def sync_events_set(*, pool: IdentityPool, events: Mapping[str, str]) -> SyncConfiguration:
    params = model_validate(
        "SetCognitoEvents",
        {"IdentityPoolId": pool.identity_pool_id, "Events": events},
        service=SERVICE,
    )
    changes: dict[str, str] = params["Events"]
    unknown = sorted(set(changes) - EVENTS)
    if unknown:
        raise InvalidParameterException(
            f"Unknown Cognito event '{unknown[0][:128]}' (known: {', '.join(sorted(EVENTS))})."
        )
    for name, arn in changes.items():
        if arn and not _LAMBDA_ARN.fullmatch(arn):
            raise InvalidParameterException(
                f"The {name} event's handler must be a Lambda function's ARN."
            )
        if arn and function_url(arn) is None:
            raise InvalidParameterException(
                f"No function URL is configured for {arn} (COGNITOADMIN_FUNCTION_URLS)."
            )
    configuration = _for_write(pool)
    stored = dict(configuration.events)
    for name, arn in changes.items():
        if arn:
            stored[name] = arn
        else:
            stored.pop(name, None)
    configuration.events = stored
    configuration.save(update_fields=["events"])
    return configuration
