"""Cognito Events: the SyncTrigger, run before an identity's UpdateRecords stores anything.

Cognito sends the function the dataset's patched records (`datasetRecords`: for each key its
`oldValue`, `newValue` and `op`) and stores what the function answers in the same form, so that
the function can check, change or remove values. As on Cognito, it runs only for calls signed
with an identity's credentials, not for a developer's. A function that fails, cannot be reached,
or answers other keys than it was given refuses the whole update
(InvalidLambdaFunctionOutputException, or LambdaThrottledException for HTTP 429): nothing is
stored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cognitoadmin.functions import FunctionError, function_invoke
from identities.models import Identity
from sync.errors import InvalidLambdaFunctionOutputException, LambdaThrottledException
from sync.models import Record
from sync.selectors.configuration import sync_configuration_get

if TYPE_CHECKING:
    from sync.services.datasets import RecordPatch

SYNC_TRIGGER = "SyncTrigger"


def _event(identity: Identity, dataset_name: str, patches: Sequence[RecordPatch]) -> dict[str, Any]:
    old = dict(
        Record.objects.filter(
            dataset__identity=identity,
            dataset__name=dataset_name,
            dataset__deleted=False,
            key_digest__in=[Record.digest_of(p.key) for p in patches],
        ).values_list("key", "value")
    )
    return {
        "version": 2,
        "eventType": SYNC_TRIGGER,
        "region": identity.pool.region,
        "identityPoolId": identity.pool.identity_pool_id,
        "identityId": identity.identity_id,
        "datasetName": dataset_name,
        "datasetRecords": {
            p.key: {"oldValue": old.get(p.key), "newValue": p.value, "op": p.op} for p in patches
        },
    }


def _patched(patch: RecordPatch, answer: object) -> RecordPatch:
    if not isinstance(answer, dict) or answer.get("op") not in ("replace", "remove"):
        raise InvalidLambdaFunctionOutputException(
            f"The SyncTrigger's record '{patch.key[:128]}' has no op replace or remove."
        )
    if answer["op"] == "remove":
        return dataclasses.replace(patch, op="remove", value=None)
    value = answer.get("newValue")
    if not isinstance(value, str):
        raise InvalidLambdaFunctionOutputException(
            f"The SyncTrigger's record '{patch.key[:128]}' is replaced with no string newValue."
        )
    return dataclasses.replace(patch, op="replace", value=value)


def sync_trigger_apply(
    *, identity: Identity, dataset_name: str, patches: Sequence[RecordPatch]
) -> list[RecordPatch]:
    """`patches` as the pool's SyncTrigger function changes them; as they are if it has none."""
    arn = sync_configuration_get(pool=identity.pool).events.get(SYNC_TRIGGER)
    if not arn or not patches:
        return list(patches)
    try:
        answer = function_invoke(arn, _event(identity, dataset_name, patches))
    except FunctionError as failure:
        error = (
            LambdaThrottledException if failure.throttled else InvalidLambdaFunctionOutputException
        )
        raise error(f"The SyncTrigger function failed: {failure}") from None
    records = answer.get("datasetRecords")
    if not isinstance(records, dict) or set(records) != {p.key for p in patches}:
        raise InvalidLambdaFunctionOutputException(
            "The SyncTrigger must answer datasetRecords with the keys it was sent, no others."
        )
    return [_patched(patch, records[patch.key]) for patch in patches]
