"""Cognito Sync's datasets, records and usage over its REST-JSON routes.

Every operation is signed. The resources are IAM's for cognito-sync: an identity pool
(`identitypool/<pool id>`), an identity (`.../identity/<identity id>`) and a dataset
(`.../dataset/<name>`). A call signed with an identity's own credentials reaches only that
identity's data, whatever its role allows (the selectors refuse the rest).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cognitoadmin.authorization import ACCOUNT
from cognitoadmin.awsjson import AwsCall, operation
from cognitoadmin.ids import account_id, region
from cognitoadmin.regions import call_region, resource_region
from identities.models import Identity
from identities.services.credentials import SessionCredentials
from sync.selectors.datasets import (
    dataset_get,
    datasets_page,
    records_list,
    sync_developer_check,
    sync_identity_get,
    sync_identity_pool_get,
)
from sync.selectors.usage import (
    identity_pool_usage_get,
    identity_pool_usages_page,
    identity_usage_get,
)
from sync.services.datasets import RecordPatch, dataset_delete, dataset_records_update
from sync.services.sessions import sync_session_issue
from sync.shapes.datasets import (
    dataset_shape,
    identity_pool_usage_shape,
    identity_usage_shape,
    record_shape,
)

SERVICE = "cognito-sync"


def identity_pool_arn(params: Mapping[str, Any]) -> str:
    pool_id = str(params.get("IdentityPoolId", ""))
    pool_region = resource_region(pool_id) or region()
    return f"arn:aws:cognito-sync:{pool_region}:{account_id()}:identitypool/{pool_id}"


def identity_arn(params: Mapping[str, Any]) -> str:
    return f"{identity_pool_arn(params)}/identity/{params.get('IdentityId', '')}"


def dataset_arn(params: Mapping[str, Any]) -> str:
    return f"{identity_arn(params)}/dataset/{params.get('DatasetName', '')}"


def _caller_identity_id(call: AwsCall) -> str | None:
    """The identity whose temporary credentials signed `call`; None for an operator's key."""
    credential = call.caller.credential if call.caller else None
    return credential.identity_id if isinstance(credential, SessionCredentials) else None


def _identity(call: AwsCall, params: dict[str, Any]) -> Identity:
    return sync_identity_get(
        identity_pool_id=params["IdentityPoolId"],
        identity_id=params["IdentityId"],
        caller_identity_id=_caller_identity_id(call),
    )


def _modified_by(call: AwsCall) -> str:
    # Cognito names the identity that wrote, or the account for developer credentials.
    return _caller_identity_id(call) or account_id()


@operation("ListDatasets", service=SERVICE, permission="sync.view_dataset", resource=identity_arn)
def list_datasets(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    datasets, next_token = datasets_page(
        identity=_identity(call, params),
        max_results=params.get("MaxResults"),
        next_token=params.get("NextToken"),
    )
    result: dict[str, Any] = {
        "Datasets": [dataset_shape(d) for d in datasets],
        "Count": len(datasets),
    }
    if next_token is not None:
        result["NextToken"] = next_token
    return result


@operation("DescribeDataset", service=SERVICE, permission="sync.view_dataset", resource=dataset_arn)
def describe_dataset(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    dataset = dataset_get(identity=_identity(call, params), name=params["DatasetName"])
    return {"Dataset": dataset_shape(dataset)}


@operation("DeleteDataset", service=SERVICE, permission="sync.delete_dataset", resource=dataset_arn)
def delete_dataset(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    dataset = dataset_delete(
        identity=_identity(call, params),
        dataset_name=params["DatasetName"],
        modified_by=_modified_by(call),
    )
    return {"Dataset": dataset_shape(dataset)}


@operation("ListRecords", service=SERVICE, permission="sync.view_record", resource=dataset_arn)
def list_records(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    identity = _identity(call, params)
    name = params["DatasetName"]
    listing = records_list(
        identity=identity,
        dataset_name=name,
        last_sync_count=params.get("LastSyncCount"),
        max_results=params.get("MaxResults"),
        next_token=params.get("NextToken"),
    )
    token = sync_session_issue(
        identity=identity,
        dataset_name=name,
        sync_count=listing.dataset_sync_count,
        continuing=params.get("SyncSessionToken"),
    )
    result: dict[str, Any] = {
        "Records": [record_shape(r) for r in listing.records],
        "Count": len(listing.records),
        "DatasetSyncCount": listing.dataset_sync_count,
        "MergedDatasetNames": listing.merged_dataset_names,
        "DatasetExists": listing.dataset_exists,
        "DatasetDeletedAfterRequestedSyncCount": listing.deleted_after_requested_sync_count,
        "SyncSessionToken": token,
    }
    if listing.last_modified_by:
        result["LastModifiedBy"] = listing.last_modified_by
    if listing.next_token is not None:
        result["NextToken"] = listing.next_token
    return result


@operation("UpdateRecords", service=SERVICE, permission="sync.change_record", resource=dataset_arn)
def update_records(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    records = dataset_records_update(
        identity=_identity(call, params),
        dataset_name=params["DatasetName"],
        patches=[
            RecordPatch(
                op=patch["Op"],
                key=patch["Key"],
                sync_count=patch["SyncCount"],
                value=patch.get("Value"),
                device_last_modified_at=patch.get("DeviceLastModifiedDate"),
            )
            for patch in params.get("RecordPatches", [])
        ],
        sync_session_token=params["SyncSessionToken"],
        modified_by=_modified_by(call),
        device_id=params.get("DeviceId"),
        # As on Cognito, the SyncTrigger runs for an identity's own calls, not a developer's.
        sync_trigger=_caller_identity_id(call) is not None,
    )
    return {"Records": [record_shape(r) for r in records]}


@operation(
    "DescribeIdentityUsage",
    service=SERVICE,
    permission="sync.view_dataset",
    resource=identity_arn,
)
def describe_identity_usage(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    usage = identity_usage_get(identity=_identity(call, params))
    return {"IdentityUsage": identity_usage_shape(usage)}


@operation(
    "DescribeIdentityPoolUsage",
    service=SERVICE,
    permission="sync.view_dataset",
    resource=identity_pool_arn,
)
def describe_identity_pool_usage(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = sync_identity_pool_get(
        identity_pool_id=params["IdentityPoolId"], caller_identity_id=_caller_identity_id(call)
    )
    return {"IdentityPoolUsage": identity_pool_usage_shape(identity_pool_usage_get(pool=pool))}


@operation(
    "ListIdentityPoolUsage", service=SERVICE, permission="sync.view_dataset", resource=ACCOUNT
)
def list_identity_pool_usage(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    sync_developer_check(caller_identity_id=_caller_identity_id(call))
    usages, max_results, next_token = identity_pool_usages_page(
        max_results=params.get("MaxResults"),
        next_token=params.get("NextToken"),
        region=call_region(),
    )
    result: dict[str, Any] = {
        "IdentityPoolUsages": [identity_pool_usage_shape(u) for u in usages],
        "MaxResults": max_results,
        "Count": len(usages),
    }
    if next_token is not None:
        result["NextToken"] = next_token
    return result
