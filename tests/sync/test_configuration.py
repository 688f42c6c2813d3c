"""Cognito Sync's configuration services: push sync, Cognito Streams, Cognito events, devices
and subscriptions; every rule, and that each refusal changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Model

from cognitoadmin.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
    ServiceError,
)
from identities.models import Identity, IdentityPool
from sync.errors import InvalidConfigurationException
from sync.models import DatasetSubscription, SyncConfiguration, SyncDevice
from sync.selectors.configuration import (
    sync_configuration_get,
    sync_device_get,
    sync_device_identity_get,
)
from sync.services.configuration import sync_configuration_set, sync_events_set
from sync.services.devices import (
    dataset_subscription_create,
    dataset_subscription_delete,
    sync_device_register,
)
from tests.sync.test_datasets import make_identity, make_identity_pool

pytestmark = pytest.mark.django_db

APNS_APP = "arn:aws:sns:us-east-1:123456789012:app/APNS/game"
GCM_APP = "arn:aws:sns:us-east-1:123456789012:app/GCM/game"
ROLE = "arn:aws:iam::123456789012:role/cognito-push"
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:on-sync"


def config_rows() -> dict[str, list[dict[str, Any]]]:
    """Every configuration, device and subscription, to show a refusal changed nothing."""
    models: tuple[type[Model], ...] = (SyncConfiguration, SyncDevice, DatasetSubscription)
    return {
        model._meta.label: [dict(row) for row in model._default_manager.order_by("pk").values()]
        for model in models
    }


def refused(call: Callable[[], Any], error: type[ServiceError]) -> str:
    before = config_rows()
    with pytest.raises(error) as raised:
        call()
    assert config_rows() == before
    return raised.value.message


@pytest.fixture(autouse=True)
def function_urls(settings: Any) -> None:
    """LAMBDA and its alias name functions of the operator's (none is called here)."""
    settings.COGNITOADMIN_FUNCTION_URLS = {
        LAMBDA: "http://127.0.0.1:9/on-sync",
        f"{LAMBDA}:live": "http://127.0.0.1:9/on-sync-live",
    }


@pytest.fixture
def identity_pool() -> IdentityPool:
    return make_identity_pool()


@pytest.fixture
def identity(identity_pool: IdentityPool) -> Identity:
    return make_identity(identity_pool)


@pytest.fixture
def push_pool(identity_pool: IdentityPool) -> IdentityPool:
    sync_configuration_set(
        pool=identity_pool, push_sync={"ApplicationArns": [APNS_APP], "RoleArn": ROLE}
    )
    return identity_pool


def test_a_pool_never_configured_reads_as_the_defaults_without_a_row(
    identity_pool: IdentityPool,
) -> None:
    configuration = sync_configuration_get(pool=identity_pool)

    assert configuration.pk is None
    assert configuration.push_application_arns == []
    assert configuration.streaming_enabled is False
    assert configuration.events == {}
    assert configuration.bulk_publish_status == "NOT_STARTED"
    assert SyncConfiguration.objects.count() == 0


def test_setting_one_section_leaves_the_other_as_it_was(identity_pool: IdentityPool) -> None:
    sync_configuration_set(
        pool=identity_pool, push_sync={"ApplicationArns": [APNS_APP, GCM_APP], "RoleArn": ROLE}
    )
    sync_configuration_set(
        pool=identity_pool,
        cognito_streams={"StreamName": "changes", "RoleArn": ROLE, "StreamingStatus": "ENABLED"},
    )
    configuration = sync_configuration_get(pool=identity_pool)

    assert configuration.push_application_arns == [APNS_APP, GCM_APP]
    assert configuration.push_role_arn == ROLE
    assert (configuration.stream_name, configuration.stream_role_arn) == ("changes", ROLE)
    assert configuration.streaming_enabled is True


def test_a_section_given_replaces_the_stored_one_whole(identity_pool: IdentityPool) -> None:
    sync_configuration_set(
        pool=identity_pool,
        cognito_streams={"StreamName": "changes", "RoleArn": ROLE, "StreamingStatus": "ENABLED"},
    )
    sync_configuration_set(pool=identity_pool, cognito_streams={"StreamName": "other"})
    configuration = sync_configuration_get(pool=identity_pool)

    assert (configuration.stream_name, configuration.stream_role_arn) == ("other", "")
    assert configuration.streaming_enabled is False


@pytest.mark.parametrize(
    ("push_sync", "streams"),
    [
        ({"ApplicationArns": [APNS_APP]}, None),
        ({"ApplicationArns": [APNS_APP, APNS_APP], "RoleArn": ROLE}, None),
        ({"ApplicationArns": ["arn:aws:sns:us-east-1:1:topic"], "RoleArn": ROLE}, None),
        ({"RoleArn": "not-a-role"}, None),
        ({"ApplicationArns": [f"{APNS_APP}{n}" for n in range(11)], "RoleArn": ROLE}, None),
        (None, {"StreamName": "changes", "StreamingStatus": "ENABLED"}),
        (None, {"RoleArn": ROLE, "StreamingStatus": "ENABLED"}),
        (None, {"StreamName": "bad\x00name", "RoleArn": ROLE}),
        (None, {"StreamName": "x" * 129}),
        (None, {"StreamName": "\ud800"}),
        (None, {"StreamingStatus": "ON"}),
    ],
)
def test_a_bad_configuration_is_refused_and_changes_nothing(
    push_pool: IdentityPool, push_sync: Any, streams: Any
) -> None:
    refused(
        lambda: sync_configuration_set(
            pool=push_pool, push_sync=push_sync, cognito_streams=streams
        ),
        InvalidParameterException,
    )


def test_a_wrongly_typed_section_is_a_bad_parameter(identity_pool: IdentityPool) -> None:
    refused(
        lambda: sync_configuration_set(pool=identity_pool, push_sync={"ApplicationArns": "x"}),
        InvalidParameterException,
    )


def test_events_change_only_what_they_name_and_an_empty_value_removes(
    identity_pool: IdentityPool,
) -> None:
    sync_events_set(pool=identity_pool, events={"SyncTrigger": LAMBDA})
    stored = dict(sync_configuration_get(pool=identity_pool).events)
    sync_events_set(pool=identity_pool, events={})
    kept = dict(sync_configuration_get(pool=identity_pool).events)
    sync_events_set(pool=identity_pool, events={"SyncTrigger": f"{LAMBDA}:live"})
    aliased = dict(sync_configuration_get(pool=identity_pool).events)
    sync_events_set(pool=identity_pool, events={"SyncTrigger": ""})

    assert stored == kept == {"SyncTrigger": LAMBDA}
    assert aliased == {"SyncTrigger": f"{LAMBDA}:live"}
    assert sync_configuration_get(pool=identity_pool).events == {}


@pytest.mark.parametrize(
    "events",
    [
        {"OtherTrigger": LAMBDA},
        {"SyncTrigger": "arn:aws:sns:us-east-1:123456789012:app/APNS/game"},
        {"SyncTrigger": "arn:aws:lambda:us-east-1:123:function:f"},
        # Well formed, but no URL is configured for it: it could never run.
        {"SyncTrigger": "arn:aws:lambda:us-east-1:123456789012:function:elsewhere"},
        {"SyncTrigger": f"{LAMBDA}\x00"},
        {"SyncTrigger": LAMBDA + "x" * 100_000},
        {"SyncTrigger": LAMBDA, "Other": LAMBDA},
        {"SyncTrigger": 7},
    ],
)
def test_unknown_events_and_malformed_arns_are_refused(
    identity_pool: IdentityPool, events: Any
) -> None:
    sync_events_set(pool=identity_pool, events={"SyncTrigger": LAMBDA})

    refused(lambda: sync_events_set(pool=identity_pool, events=events), InvalidParameterException)


def test_a_device_registers_once_per_platform_and_token(
    push_pool: IdentityPool, identity: Identity
) -> None:
    sync_configuration_set(
        pool=push_pool, push_sync={"ApplicationArns": [APNS_APP, GCM_APP], "RoleArn": ROLE}
    )
    first = sync_device_register(identity=identity, platform="APNS", token="ab" * 32)
    again = sync_device_register(identity=identity, platform="APNS", token="ab" * 32)
    other = sync_device_register(identity=identity, platform="GCM", token="ab" * 32)

    assert first.device_id == again.device_id != other.device_id
    assert SyncDevice.objects.filter(identity=identity).count() == 2


def test_another_identity_with_the_same_token_is_another_device(
    push_pool: IdentityPool, identity: Identity
) -> None:
    other = make_identity(push_pool)
    mine = sync_device_register(identity=identity, platform="APNS", token="token")
    theirs = sync_device_register(identity=other, platform="APNS", token="token")

    assert mine.device_id != theirs.device_id


@pytest.mark.parametrize("token", ["", "t" * 4097, "bad\x00token", "tök\u2028en", "\ud800"])
def test_a_bad_token_is_refused(push_pool: IdentityPool, identity: Identity, token: str) -> None:
    refused(
        lambda: sync_device_register(identity=identity, platform="APNS", token=token),
        InvalidParameterException,
    )


def test_a_device_needs_push_sync_for_its_platform(
    identity_pool: IdentityPool, identity: Identity
) -> None:
    unconfigured = refused(
        lambda: sync_device_register(identity=identity, platform="APNS", token="t"),
        InvalidConfigurationException,
    )
    sync_configuration_set(
        pool=identity_pool, push_sync={"ApplicationArns": [APNS_APP], "RoleArn": ROLE}
    )
    other_platform = refused(
        lambda: sync_device_register(identity=identity, platform="GCM", token="t"),
        InvalidConfigurationException,
    )
    refused(
        lambda: sync_device_register(identity=identity, platform="WNS", token="t"),
        InvalidParameterException,
    )

    assert "not configured" in unconfigured
    assert "GCM" in other_platform


def test_a_device_subscribes_once_and_unsubscribes(
    push_pool: IdentityPool, identity: Identity
) -> None:
    device = sync_device_register(identity=identity, platform="APNS", token="t")
    dataset_subscription_create(device=device, dataset_name="settings")
    dataset_subscription_create(device=device, dataset_name="settings")
    dataset_subscription_create(device=device, dataset_name="not-yet")
    subscribed = list(device.subscriptions.values_list("dataset_name", flat=True))
    dataset_subscription_delete(device=device, dataset_name="settings")
    dataset_subscription_delete(device=device, dataset_name="never")

    assert subscribed == ["settings", "not-yet"]
    assert list(device.subscriptions.values_list("dataset_name", flat=True)) == ["not-yet"]


def test_subscribing_needs_push_sync_and_a_good_name(
    push_pool: IdentityPool, identity: Identity
) -> None:
    device = sync_device_register(identity=identity, platform="APNS", token="t")
    refused(
        lambda: dataset_subscription_create(device=device, dataset_name="bad name"),
        InvalidParameterException,
    )
    sync_configuration_set(pool=push_pool, push_sync={})

    refused(
        lambda: dataset_subscription_create(device=device, dataset_name="settings"),
        InvalidConfigurationException,
    )


def test_a_device_is_found_only_for_its_own_identity(
    push_pool: IdentityPool, identity: Identity
) -> None:
    device = sync_device_register(identity=identity, platform="APNS", token="t")
    other = make_identity(push_pool)

    assert sync_device_get(identity=identity, device_id=device.device_id) == device
    with pytest.raises(ResourceNotFoundException):
        sync_device_get(identity=other, device_id=device.device_id)
    for device_id in (str(uuid.uuid4()), device.device_id.upper(), "bad\x00id", "d" * 257):
        with pytest.raises(ResourceNotFoundException):
            sync_device_get(identity=identity, device_id=device_id)


def test_device_calls_take_the_identitys_own_credentials_only(
    identity_pool: IdentityPool, identity: Identity
) -> None:
    ids = {"identity_pool_id": identity_pool.identity_pool_id, "identity_id": identity.identity_id}
    other = make_identity(identity_pool)

    assert sync_device_identity_get(**ids, caller_identity_id=identity.identity_id) == identity
    with pytest.raises(NotAuthorizedException):
        sync_device_identity_get(**ids, caller_identity_id=None)
    with pytest.raises(NotAuthorizedException):
        sync_device_identity_get(**ids, caller_identity_id=other.identity_id)
