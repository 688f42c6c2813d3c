"""Dataset, Record, IdentityUsage and IdentityPoolUsage as cognito-sync's outputs carry them.
Dates are `datetime`s; the door writes them as its protocol does."""

from __future__ import annotations

from typing import Any

from sync.models import Dataset, Record
from sync.selectors.usage import IdentityPoolUsage, IdentityUsage


def _without_empty(shape: dict[str, Any]) -> dict[str, Any]:
    # Cognito leaves out what a resource does not have (never modified, no device date).
    return {member: value for member, value in shape.items() if value is not None}


def dataset_shape(dataset: Dataset) -> dict[str, Any]:
    return _without_empty(
        {
            "IdentityId": dataset.identity.identity_id,
            "DatasetName": dataset.name,
            "CreationDate": dataset.created_at,
            "LastModifiedDate": dataset.last_modified_at,
            "LastModifiedBy": dataset.last_modified_by or None,
            "DataStorage": dataset.data_storage,
            "NumRecords": dataset.num_records,
        }
    )


def record_shape(record: Record) -> dict[str, Any]:
    # A tombstone is sent without a Value: that is how devices learn of a removal.
    return _without_empty(
        {
            "Key": record.key,
            "Value": record.value,
            "SyncCount": record.sync_count,
            "LastModifiedDate": record.last_modified_at,
            "LastModifiedBy": record.last_modified_by or None,
            "DeviceLastModifiedDate": record.device_last_modified_at,
        }
    )


def identity_usage_shape(usage: IdentityUsage) -> dict[str, Any]:
    return _without_empty(
        {
            "IdentityId": usage.identity.identity_id,
            "IdentityPoolId": usage.identity.pool.identity_pool_id,
            "LastModifiedDate": usage.last_modified_at,
            "DatasetCount": usage.dataset_count,
            "DataStorage": usage.data_storage,
        }
    )


def identity_pool_usage_shape(usage: IdentityPoolUsage) -> dict[str, Any]:
    return _without_empty(
        {
            "IdentityPoolId": usage.pool.identity_pool_id,
            "DataStorage": usage.data_storage,
            "LastModifiedDate": usage.last_modified_at,
        }
    )
