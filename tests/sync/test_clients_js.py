"""AWS's JavaScript Sync Manager (amazon-cognito-js on the AWS SDK v2), unchanged, in Node against
the live server through `tests/js/sync_manager.mjs`: two devices of one guest identity sync a
dataset, resolve a conflict in `onConflict`, lose a race to a refused `UpdateRecords` and retry,
and see a removed key go."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from identities.models import Identity, IdentityPool
from sync.models import Dataset
from tests.sync import test_aws_sync as data_ops

pytestmark = pytest.mark.django_db(transaction=True)

identity_pool = data_ops.identity_pool

SCRIPT = Path(__file__).resolve().parents[1] / "js" / "sync_manager.mjs"


def _calls(step: dict[str, Any]) -> list[tuple[str, int]]:
    """The operations a sync made and their HTTP statuses."""
    return [(call["operation"], call["status"]) for call in step["requests"]]


@pytest.fixture
def summary(aws_url: str, node: str, identity_pool: IdentityPool) -> dict[str, Any]:
    """What the app saw, as the script prints it."""
    result = subprocess.run(
        [node, str(SCRIPT), aws_url, identity_pool.identity_pool_id],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        # The SDK v2 announces its end of support on stderr; keep stderr for real failures.
        env={**os.environ, "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1"},
    )
    assert result.returncode == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    return out


@pytest.mark.slow
def test_two_devices_of_one_identity_share_a_dataset(
    summary: dict[str, Any], identity_pool: IdentityPool
) -> None:
    phone_id, tablet_id = summary["identityIds"]

    assert phone_id == tablet_id
    assert Identity.objects.filter(pool=identity_pool).get().identity_id == phone_id
    assert [c["operation"] for c in summary["start"]["phone"]] == [
        "getId",
        "getCredentialsForIdentity",
    ]
    assert [c["operation"] for c in summary["start"]["tablet"]] == ["getCredentialsForIdentity"]
    assert _calls(summary["first"]["phone"]) == [("listRecords", 200), ("updateRecords", 200)]
    assert _calls(summary["first"]["tablet"]) == [("listRecords", 200), ("listRecords", 200)]
    assert summary["tabletPulled"] == {"theme": "light", "volume": "5", "lang": "en"}


@pytest.mark.slow
def test_the_second_device_resolves_a_conflict_and_both_converge(
    summary: dict[str, Any],
) -> None:
    online = summary["online"]

    assert online["phone"]["conflicts"] == []
    assert online["tablet"]["conflicts"] == [
        {"key": "theme", "local": "solarized", "remote": "dark", "remoteSyncCount": 2},
        {"key": "volume", "local": "9", "remote": "7", "remoteSyncCount": 2},
    ]
    assert summary["resolved"] == [
        {"key": "theme", "value": "dark"},  # resolveWithRemoteRecord
        {"key": "volume", "value": "8"},  # resolveWithValue
    ]
    # Its resolution and its new key go up in one update; the next list finds nothing newer.
    assert _calls(online["tablet"]) == [
        ("listRecords", 200),
        ("updateRecords", 200),
        ("listRecords", 200),
    ]
    assert summary["phoneCatchUp"]["conflicts"] == []
    expected = {"theme": "dark", "volume": "8", "lang": "en", "font": "serif"}
    assert summary["converged"] == {"phone": expected, "tablet": expected}


@pytest.mark.slow
def test_a_refused_update_makes_the_library_list_again_and_ask_the_app(
    summary: dict[str, Any],
) -> None:
    race = summary["race"]

    assert _calls(race["phoneMeanwhile"]) == [("listRecords", 200), ("updateRecords", 200)]
    assert race["tablet"]["requests"][1] == {
        "operation": "updateRecords",
        "status": 409,
        "error": "ResourceConflictException: Current SyncCount for: font is: 4 not: 3",
    }
    assert _calls(race["tablet"]) == [
        ("listRecords", 200),
        ("updateRecords", 409),
        ("listRecords", 200),
        ("updateRecords", 200),
        ("listRecords", 200),
    ]
    assert race["tablet"]["conflicts"] == [
        {"key": "font", "local": "mono", "remote": "sans", "remoteSyncCount": 4}
    ]
    assert race["resolved"] == [{"key": "font", "value": "mono"}]  # resolveWithLocalRecord
    expected = {"theme": "dark", "volume": "8", "lang": "en", "font": "mono"}
    assert race["raced"] == {"phone": expected, "tablet": expected}


@pytest.mark.slow
def test_a_removed_key_goes_from_both_devices_and_the_server(
    summary: dict[str, Any], identity_pool: IdentityPool
) -> None:
    dataset = Dataset.objects.get(identity__pool=identity_pool, name="settings")
    rows = {r.key: (r.value, r.sync_count, r.last_modified_by) for r in dataset.records.all()}
    identity_id = dataset.identity.identity_id

    assert _calls(summary["removes"]["phone"]) == [("listRecords", 200), ("updateRecords", 200)]
    assert _calls(summary["removes"]["tablet"]) == [("listRecords", 200), ("listRecords", 200)]
    # amazon-cognito-js reads a record without a Value (a removed one, on AWS too) as "".
    expected = {"theme": "dark", "volume": "8", "lang": "", "font": "mono"}
    assert summary["removed"] == {
        "phone": {"lang": "", "all": expected},
        "tablet": {"lang": "", "all": expected},
    }
    # One update per sync that pushed: the phone's first, its edits, the tablet's resolution,
    # the phone's font, the tablet's retried font, the removal.
    assert dataset.sync_count == 6
    assert summary["lastSyncCounts"] == {"phone": 6, "tablet": 6}
    assert rows == {
        "theme": ("dark", 2, identity_id),
        "volume": ("8", 3, identity_id),
        "font": ("mono", 5, identity_id),
        "lang": (None, 6, identity_id),
    }
    assert dataset.num_records == 3
