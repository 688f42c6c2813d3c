"""The offline client (sync.client) against a live server, through boto3: an app's devices
change datasets without a network, sync, meet each other's changes and converge."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError
from django.db import transaction

from identities.models import Identity, IdentityPool
from sync.client import (
    Dataset,
    Record,
    SyncClient,
    SyncConflict,
    SyncRetriesExhausted,
)
from sync.models import Dataset as ServerDataset
from sync.models import Record as ServerRecord
from sync.services.merges import identity_datasets_merge
from tests.conftest import _boto3_client
from tests.sync import test_aws_sync as data_ops
from tests.sync.test_aws_sync import _device

pytestmark = pytest.mark.django_db(transaction=True)

# An identity pool whose guests may use all of Cognito Sync.
identity_pool = data_ops.identity_pool

START = dt.datetime(2029, 5, 1, 8, 0, tzinfo=dt.UTC)


@dataclass
class Clock:
    """The devices' clock, moved by the test: device times decide conflicts, so no sleeps."""

    now: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.now

    def tick(self, seconds: int = 1) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now


@dataclass
class Identity2Devices:
    """One identity of the pool, with a phone and a tablet, each with its own SQLite file."""

    pool_id: str
    identity_id: str
    api: Any  # a cognito-sync client signed with the identity's credentials
    phone: SyncClient
    tablet: SyncClient
    clock: Clock
    calls: list[str] = field(default_factory=list)

    def datasets(self, name: str = "settings") -> tuple[Dataset, Dataset]:
        return self.phone.open_or_create_dataset(name), self.tablet.open_or_create_dataset(name)


def _signed_again(aws_url: str, identity_id: str) -> Any:
    """Another cognito-sync client of the identity, with credentials of its own: a second device
    signs in as the same identity."""
    credentials = _boto3_client("cognito-identity", aws_url).get_credentials_for_identity(
        IdentityId=identity_id
    )["Credentials"]
    return _boto3_client(
        "cognito-sync",
        aws_url,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretKey"],
        aws_session_token=credentials["SessionToken"],
    )


def _counting(api: Any, calls: list[str]) -> Any:
    """`api`, noting each operation it sends in `calls`."""

    def note(model: Any, **_: Any) -> None:
        calls.append(model.name)

    api.meta.events.register("before-call.cognito-sync", note)
    return api


@pytest.fixture
def devices(
    aws_url: str, identity_pool: IdentityPool, tmp_path: Path
) -> Iterator[Identity2Devices]:
    identity_id, phone_api = _device(aws_url, identity_pool)
    tablet_api = _signed_again(aws_url, identity_id)
    clock = Clock()
    calls: list[str] = []
    ids = (identity_pool.identity_pool_id, identity_id)
    phone = SyncClient(
        _counting(phone_api, calls),
        *ids,
        tmp_path / "phone.sqlite3",
        device_id="phone",
        clock=clock,
    )
    tablet = SyncClient(
        _counting(tablet_api, calls), *ids, tmp_path / "tablet.sqlite3", clock=clock
    )
    both = Identity2Devices(*ids, phone_api, phone, tablet, clock, calls)
    yield both
    both.phone.close()
    both.tablet.close()


def _server_records(identity_id: str, name: str = "settings") -> dict[str, tuple[str | None, int]]:
    rows = ServerRecord.objects.filter(
        dataset__identity__identity_id=identity_id, dataset__name=name
    )
    return {r.key: (r.value, r.sync_count) for r in rows}


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_put_get_and_remove_work_offline_without_a_call(tmp_path: Path) -> None:
    offline = boto3.client(
        "cognito-sync",
        endpoint_url=f"http://127.0.0.1:{_unused_port()}",
        region_name="us-east-1",
        aws_access_key_id="AKIAOFFLINE",
        aws_secret_access_key="offline",  # nothing listens there
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    calls: list[str] = []
    client = SyncClient(_counting(offline, calls), "us-east-1:pool", "us-east-1:me", tmp_path / "a")
    settings = client.open_or_create_dataset("settings")

    settings.put("theme", "dark")
    settings.put("lang", "fr")
    settings.put("volume", "7")
    settings.remove("lang")
    settings.put("volume", None)
    settings.put("theme", "light")
    stored = settings.get_all()
    pending = settings.get_record("theme")
    with pytest.raises(EndpointConnectionError):
        settings.synchronize()

    assert stored == {"theme": "light"}
    assert (settings.get("theme"), settings.get("lang"), settings.get("nothing")) == (
        "light",
        None,
        None,
    )
    assert pending is not None and (pending.value, pending.sync_count, pending.dirty) == (
        "light",
        0,
        True,
    )
    # Only the sync called out, and the failed sync kept every change for the next one.
    assert calls == ["ListRecords"]
    assert settings.get_all() == {"theme": "light"}
    assert settings.get_record("theme") == pending
    with pytest.raises(ValueError, match="key"):
        settings.put("", "empty key")
    with pytest.raises(ValueError, match="dataset name"):
        client.open_or_create_dataset("not a name")
    client.close()


def test_a_sync_pushes_local_changes_and_another_device_pulls_them(
    devices: Identity2Devices,
) -> None:
    phone, tablet = devices.datasets()
    phone.put("theme", "dark")
    phone.put("lang", "fr")

    pushed = phone.synchronize()
    pulled = tablet.synchronize()
    again = phone.synchronize()

    assert sorted((r.key, r.value, r.sync_count) for r in pushed.pushed) == [
        ("lang", "fr", 1),
        ("theme", "dark", 1),
    ]
    assert (pushed.pulled, pushed.conflicts, pushed.attempts) == ([], [], 1)
    assert _server_records(devices.identity_id) == {"theme": ("dark", 1), "lang": ("fr", 1)}
    server_record = ServerRecord.objects.get(key="theme")
    assert server_record.last_modified_by == devices.identity_id
    assert server_record.device_last_modified_at == START
    assert tablet.get_all() == {"theme": "dark", "lang": "fr"}
    assert sorted(r.key for r in pulled.pulled) == ["lang", "theme"]
    assert pulled.pushed == []
    assert phone.last_sync_count == tablet.last_sync_count == 1
    assert [r.dirty for r in (phone.get_record("theme"), tablet.get_record("theme")) if r] == [
        False,
        False,
    ]
    assert (again.pulled, again.pushed) == ([], [])
    # Each sync lists once, and only one with changes pushes.
    assert devices.calls == ["ListRecords", "UpdateRecords", "ListRecords", "ListRecords"]


def _offline_edits(devices: Identity2Devices) -> tuple[Dataset, Dataset]:
    """Both devices synced `level` = 1, then each changed it offline: the phone at START + 1 s
    to "2", the tablet later, at START + 2 s, to "3"."""
    phone, tablet = devices.datasets()
    phone.put("level", "1")
    phone.synchronize()
    tablet.synchronize()
    devices.clock.tick()
    phone.put("level", "2")
    devices.clock.tick()
    tablet.put("level", "3")
    return phone, tablet


@pytest.mark.parametrize("first", ["phone", "tablet"])
def test_offline_edits_of_one_key_conflict_and_the_later_device_time_wins(
    devices: Identity2Devices, first: str
) -> None:
    phone, tablet = _offline_edits(devices)
    earlier, later = (phone, tablet) if first == "phone" else (tablet, phone)

    without_conflict = earlier.synchronize()
    with_conflict = later.synchronize()
    earlier.synchronize()
    later.synchronize()

    assert without_conflict.conflicts == []
    [conflict] = with_conflict.conflicts
    assert conflict.key == "level"
    # The device that syncs second holds its own edit; the server, the other's.
    assert (conflict.local.value, conflict.remote.value) == (
        ("3", "2") if first == "phone" else ("2", "3")
    )
    assert conflict.local.device_last_modified != conflict.remote.device_last_modified
    # The tablet's edit is the later one, whichever device syncs first.
    assert phone.get_all() == tablet.get_all() == {"level": "3"}
    assert _server_records(devices.identity_id)["level"][0] == "3"
    assert phone.last_sync_count == tablet.last_sync_count
    assert not any(r and r.dirty for r in (phone.get_record("level"), tablet.get_record("level")))


@pytest.mark.parametrize(
    ("resolve", "expected"),
    [
        (SyncConflict.resolve_with_remote, "3"),
        (SyncConflict.resolve_with_local, "2"),
        (lambda conflict: conflict.resolve_with_value("2+3"), "2+3"),
    ],
    ids=["remote", "local", "value"],
)
def test_a_resolver_takes_the_remote_the_local_or_a_new_value(
    devices: Identity2Devices, resolve: Callable[[SyncConflict], Record], expected: str
) -> None:
    phone, tablet = _offline_edits(devices)
    tablet.synchronize()
    met: list[tuple[str, str | None, str | None]] = []

    def on_conflict(dataset: Dataset, conflicts: list[SyncConflict]) -> None:
        for conflict in conflicts:
            met.append((dataset.name, conflict.local.value, conflict.remote.value))
            resolve(conflict)

    devices.clock.tick()
    result = phone.synchronize(on_conflict=on_conflict)
    tablet.synchronize()

    assert met == [("settings", "2", "3")]
    assert [c.resolution.value for c in result.conflicts if c.resolution] == [expected]
    assert phone.get_all() == tablet.get_all() == {"level": expected}
    assert _server_records(devices.identity_id)["level"][0] == expected
    # Only a resolution that differs from the server's is pushed.
    assert [r.value for r in result.pushed] == ([] if expected == "3" else [expected])
    if expected == "2+3":
        record = phone.get_record("level")
        assert record is not None and record.device_last_modified == devices.clock.now


def test_a_removal_reaches_the_other_device_and_the_key_can_be_written_again(
    devices: Identity2Devices,
) -> None:
    phone, tablet = devices.datasets()
    phone.put("theme", "dark")
    phone.put("lang", "fr")
    phone.synchronize()
    tablet.synchronize()

    phone.remove("theme")
    phone.synchronize()
    removed_on_server = _server_records(devices.identity_id)["theme"]
    tablet.synchronize()
    tombstone = tablet.get_record("theme")
    tablet.put("theme", "light")
    tablet.synchronize()
    phone.synchronize()

    assert removed_on_server == (None, 2)
    assert tombstone is not None and (tombstone.value, tombstone.sync_count) == (None, 2)
    assert phone.get_all() == tablet.get_all() == {"theme": "light", "lang": "fr"}
    assert _server_records(devices.identity_id)["theme"] == ("light", 3)


def test_a_device_first_synced_after_a_removal_can_write_the_key(
    devices: Identity2Devices,
) -> None:
    phone, tablet = devices.datasets()
    phone.put("theme", "dark")
    phone.synchronize()
    phone.remove("theme")
    phone.synchronize()

    tablet.synchronize()
    unseen = tablet.get_record("theme")
    tablet.put("theme", "light")
    tablet.synchronize()
    phone.synchronize()

    assert unseen is None
    assert phone.get_all() == tablet.get_all() == {"theme": "light"}
    assert _server_records(devices.identity_id)["theme"] == ("light", 3)


def test_a_dataset_deleted_on_the_server_is_dropped_locally_by_default(
    devices: Identity2Devices,
) -> None:
    phone, tablet = devices.datasets()
    phone.put("theme", "dark")
    phone.synchronize()
    tablet.synchronize()
    tablet.put("lang", "fr")  # offline, not pushed yet
    devices.api.delete_dataset(
        IdentityPoolId=devices.pool_id, IdentityId=devices.identity_id, DatasetName="settings"
    )
    told: list[str] = []

    def drop(dataset: Dataset, name: str) -> bool:
        told.append(name)
        return True

    result = tablet.synchronize()
    phone_result = phone.synchronize(on_dataset_deleted=drop)

    assert result.dataset_deleted and phone_result.dataset_deleted
    assert told == ["settings"]
    assert tablet.get_all() == phone.get_all() == {}
    assert tablet.get_record("lang") is None
    assert (result.pushed, result.pulled) == ([], [])
    # It synced to the deletion: the next sync is told nothing again.
    assert tablet.last_sync_count == 2
    assert not tablet.synchronize().dataset_deleted
    assert ServerDataset.objects.get(name="settings").deleted


def test_a_device_may_keep_and_write_back_a_dataset_the_server_deleted(
    devices: Identity2Devices,
) -> None:
    phone, tablet = devices.datasets()
    phone.put("theme", "dark")
    phone.synchronize()
    tablet.synchronize()
    tablet.put("lang", "fr")
    devices.api.delete_dataset(
        IdentityPoolId=devices.pool_id, IdentityId=devices.identity_id, DatasetName="settings"
    )

    result = tablet.synchronize(on_dataset_deleted=lambda dataset, name: False)
    phone.synchronize()

    assert result.dataset_deleted
    assert sorted(r.key for r in result.pushed) == ["lang", "theme"]
    assert phone.get_all() == tablet.get_all() == {"theme": "dark", "lang": "fr"}
    assert not ServerDataset.objects.get(name="settings").deleted
    assert {k: v for k, (v, _) in _server_records(devices.identity_id).items()} == {
        "theme": "dark",
        "lang": "fr",
    }


def _keep_local(dataset: Dataset, conflicts: list[SyncConflict]) -> None:
    for conflict in conflicts:
        conflict.resolve_with_local()


def _interfering(
    devices: Identity2Devices, tablet: Dataset, times: int
) -> tuple[Callable[[Dataset, list[SyncConflict]], None], list[int]]:
    """A conflict callback of the phone's that keeps the phone's value, but the first `times`
    times lets the tablet write again before the phone pushes, so that the push is refused; and
    the number of conflicts of each call."""
    calls: list[int] = []

    def on_conflict(dataset: Dataset, conflicts: list[SyncConflict]) -> None:
        calls.append(len(conflicts))
        if len(calls) <= times:
            devices.clock.tick()
            tablet.put("level", f"tablet {len(calls)}")
            tablet.synchronize()
        _keep_local(dataset, conflicts)

    return on_conflict, calls


def test_a_push_refused_because_another_device_wrote_is_retried_after_pulling_again(
    devices: Identity2Devices,
) -> None:
    phone, tablet = _offline_edits(devices)
    tablet.synchronize()
    on_conflict, calls = _interfering(devices, tablet, times=1)

    result = phone.synchronize(on_conflict=on_conflict)
    tablet.synchronize()

    assert result.attempts == 2
    assert calls == [1, 1]
    assert [(c.local.value, c.remote.value) for c in result.conflicts] == [
        ("2", "3"),
        ("2", "tablet 1"),
    ]
    assert phone.get_all() == tablet.get_all() == {"level": "2"}
    assert _server_records(devices.identity_id)["level"] == ("2", 4)


def test_a_sync_gives_up_after_max_retries_and_keeps_the_local_change(
    devices: Identity2Devices,
) -> None:
    phone, tablet = _offline_edits(devices)
    tablet.synchronize()
    on_conflict, calls = _interfering(devices, tablet, times=10)

    with pytest.raises(SyncRetriesExhausted, match="refused 3 times") as error:
        phone.synchronize(on_conflict=on_conflict, max_retries=2)

    assert "ResourceConflictException" in str(error.value)
    assert calls == [1, 1, 1]
    assert _server_records(devices.identity_id)["level"][0] == "tablet 3"
    pending = phone.get_record("level")
    assert pending is not None and (pending.value, pending.dirty) == ("2", True)
    # Once the tablet stops writing, the next sync pushes it.
    assert [r.value for r in phone.synchronize(on_conflict=_keep_local).pushed] == ["2"]


def test_the_data_and_pending_changes_survive_reopening_the_file(
    devices: Identity2Devices, tmp_path: Path
) -> None:
    phone, _ = devices.datasets()
    phone.put("theme", "dark")
    phone.synchronize()
    phone.put("lang", "fr")
    device_id = devices.tablet.device_id
    devices.phone.close()
    devices.tablet.close()
    ids = (devices.pool_id, devices.identity_id)

    devices.phone = SyncClient(devices.api, *ids, tmp_path / "phone.sqlite3", clock=devices.clock)
    devices.tablet = SyncClient(devices.api, *ids, tmp_path / "tablet.sqlite3")
    reopened = devices.phone.open_or_create_dataset("settings")
    held = (reopened.get_all(), reopened.last_sync_count, reopened.get_record("lang"))
    result = reopened.synchronize()

    assert held[:2] == ({"theme": "dark", "lang": "fr"}, 1)
    assert held[2] is not None and held[2].dirty
    assert [r.key for r in result.pushed] == ["lang"]
    assert devices.tablet.device_id == device_id
    with pytest.raises(ValueError, match="holds the data of identity"):
        SyncClient(devices.api, devices.pool_id, "us-east-1:other", tmp_path / "phone.sqlite3")


def test_every_page_of_changes_is_pulled_under_the_first_pages_session(
    aws_url: str, devices: Identity2Devices, tmp_path: Path
) -> None:
    phone, _ = devices.datasets()
    for n in range(5):
        phone.put(f"key{n}", str(n))
    phone.synchronize()
    api = _signed_again(aws_url, devices.identity_id)
    sent: list[dict[str, Any]] = []
    api.meta.events.register(
        "provide-client-params.cognito-sync.*", lambda params, **_: sent.append(dict(params))
    )
    paged = SyncClient(
        api, devices.pool_id, devices.identity_id, tmp_path / "paged.sqlite3", max_results=2
    )
    dataset = paged.open_or_create_dataset("settings")
    dataset.put("new", "x")

    result = dataset.synchronize()

    assert dataset.get_all() == {**{f"key{n}": str(n) for n in range(5)}, "new": "x"}
    listings = [p for p in sent if "RecordPatches" not in p]
    assert [p.get("NextToken") is not None for p in listings] == [False, True, True]
    first_token = {p["SyncSessionToken"] for p in sent if "RecordPatches" in p}
    assert {p["SyncSessionToken"] for p in listings[1:]} == first_token
    assert [r.key for r in result.pushed] == ["new"]
    paged.close()


def test_merged_dataset_names_are_reported_to_the_callback(
    aws_url: str, identity_pool: IdentityPool, tmp_path: Path
) -> None:
    clients = []
    for name in ("kept", "merged"):
        identity_id, api = _device(aws_url, identity_pool)
        client = SyncClient(api, identity_pool.identity_pool_id, identity_id, tmp_path / name)
        dataset = client.open_or_create_dataset("settings")
        dataset.put("theme", name)
        dataset.synchronize()
        clients.append(client)
    kept, merged = clients
    with transaction.atomic():
        identity_datasets_merge(
            Identity.objects.get(identity_id=kept.identity_id),
            Identity.objects.get(identity_id=merged.identity_id),
        )
    told: list[list[str]] = []

    result = kept.open_or_create_dataset("settings").synchronize(
        on_datasets_merged=lambda dataset, names: told.append(names)
    )
    other = kept.open_or_create_dataset(result.merged_dataset_names[0])
    other.synchronize()

    assert told == [[f"settings.{merged.identity_id}"]]
    assert result.merged_dataset_names == told[0]
    assert other.get_all() == {"theme": "merged"}
    for client in clients:
        client.close()


def test_the_client_imports_neither_django_nor_the_server() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, sync.client; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    server = ("django", "cognitoadmin", "identities", "pools", "rest_framework", "celery")

    assert [m for m in loaded if m.split(".")[0] in server] == []
    assert [m for m in loaded if m.startswith("sync.") and not m.startswith("sync.client")] == []
