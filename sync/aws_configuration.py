"""Cognito Sync's configuration, push devices and bulk publish over its REST-JSON routes.

The pool-wide operations take developer credentials only, as Cognito does; the device
operations take an identity's own temporary credentials only (`sync_device_identity_get`).
"""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from identities.models import Identity, IdentityPool
from sync.aws import SERVICE, _caller_identity_id, dataset_arn, identity_arn, identity_pool_arn
from sync.models import SyncConfiguration
from sync.selectors.configuration import (
    sync_configuration_get,
    sync_device_get,
    sync_device_identity_get,
)
from sync.selectors.datasets import sync_identity_pool_get
from sync.services.configuration import sync_configuration_set, sync_events_set
from sync.services.devices import (
    dataset_subscription_create,
    dataset_subscription_delete,
    sync_device_register,
)
from sync.services.streams import bulk_publish_start


def _pool(call: AwsCall, params: dict[str, Any]) -> IdentityPool:
    return sync_identity_pool_get(
        identity_pool_id=params["IdentityPoolId"], caller_identity_id=_caller_identity_id(call)
    )


def _configuration_shape(configuration: SyncConfiguration) -> dict[str, Any]:
    # Cognito leaves out the sections a pool never configured.
    result: dict[str, Any] = {"IdentityPoolId": configuration.identity_pool.identity_pool_id}
    if configuration.push_application_arns or configuration.push_role_arn:
        push: dict[str, Any] = {"ApplicationArns": configuration.push_application_arns}
        if configuration.push_role_arn:
            push["RoleArn"] = configuration.push_role_arn
        result["PushSync"] = push
    if configuration.stream_name or configuration.stream_role_arn:
        streams = {
            "StreamName": configuration.stream_name,
            "RoleArn": configuration.stream_role_arn,
            "StreamingStatus": "ENABLED" if configuration.streaming_enabled else "DISABLED",
        }
        result["CognitoStreams"] = {k: v for k, v in streams.items() if v}
    return result


@operation(
    "GetIdentityPoolConfiguration",
    service=SERVICE,
    permission="sync.view_syncconfiguration",
    resource=identity_pool_arn,
)
def get_identity_pool_configuration(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return _configuration_shape(sync_configuration_get(pool=_pool(call, params)))


@operation(
    "SetIdentityPoolConfiguration",
    service=SERVICE,
    permission="sync.change_syncconfiguration",
    resource=identity_pool_arn,
)
def set_identity_pool_configuration(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    configuration = sync_configuration_set(
        pool=_pool(call, params),
        push_sync=params.get("PushSync"),
        cognito_streams=params.get("CognitoStreams"),
    )
    return _configuration_shape(configuration)


@operation(
    "GetCognitoEvents",
    service=SERVICE,
    permission="sync.view_syncconfiguration",
    resource=identity_pool_arn,
)
def get_cognito_events(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return {"Events": sync_configuration_get(pool=_pool(call, params)).events}


@operation(
    "SetCognitoEvents",
    service=SERVICE,
    permission="sync.change_syncconfiguration",
    resource=identity_pool_arn,
)
def set_cognito_events(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    sync_events_set(pool=_pool(call, params), events=params["Events"])
    return {}


def _device_identity(call: AwsCall, params: dict[str, Any]) -> Identity:
    return sync_device_identity_get(
        identity_pool_id=params["IdentityPoolId"],
        identity_id=params["IdentityId"],
        caller_identity_id=_caller_identity_id(call),
    )


@operation(
    "RegisterDevice", service=SERVICE, permission="sync.add_syncdevice", resource=identity_arn
)
def register_device(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    device = sync_device_register(
        identity=_device_identity(call, params),
        platform=params["Platform"],
        token=params["Token"],
    )
    return {"DeviceId": device.device_id}


@operation(
    "SubscribeToDataset",
    service=SERVICE,
    permission="sync.add_datasetsubscription",
    resource=dataset_arn,
)
def subscribe_to_dataset(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    device = sync_device_get(identity=_device_identity(call, params), device_id=params["DeviceId"])
    dataset_subscription_create(device=device, dataset_name=params["DatasetName"])
    return {}


@operation(
    "UnsubscribeFromDataset",
    service=SERVICE,
    permission="sync.delete_datasetsubscription",
    resource=dataset_arn,
)
def unsubscribe_from_dataset(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    device = sync_device_get(identity=_device_identity(call, params), device_id=params["DeviceId"])
    dataset_subscription_delete(device=device, dataset_name=params["DatasetName"])
    return {}


@operation(
    "BulkPublish",
    service=SERVICE,
    permission="sync.change_syncconfiguration",
    resource=identity_pool_arn,
)
def bulk_publish(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    configuration = bulk_publish_start(pool=_pool(call, params))
    return {"IdentityPoolId": configuration.identity_pool.identity_pool_id}


@operation(
    "GetBulkPublishDetails",
    service=SERVICE,
    permission="sync.view_syncconfiguration",
    resource=identity_pool_arn,
)
def get_bulk_publish_details(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    configuration = sync_configuration_get(pool=_pool(call, params))
    details = {
        "IdentityPoolId": configuration.identity_pool.identity_pool_id,
        "BulkPublishStartTime": configuration.bulk_publish_started_at,
        "BulkPublishCompleteTime": configuration.bulk_publish_completed_at,
        "BulkPublishStatus": configuration.bulk_publish_status,
        "FailureMessage": configuration.bulk_publish_failure or None,
    }
    return {k: v for k, v in details.items() if v is not None}
