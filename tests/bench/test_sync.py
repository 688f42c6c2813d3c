"""The sync scenario's own arithmetic (`bench.sync`): the full dataset it pushes, the patches its
writers send, and how it pools and prints its figures. No server: the run itself is
`python -m bench --scenarios sync`."""

from __future__ import annotations

from typing import Any

import pytest

from bench.client import LoadResult
from bench.scenarios import Round
from bench.sync import (
    MAX_DATASET_STORAGE,
    MAX_RECORDS_PER_DATASET,
    OWN,
    SHARED,
    Answer,
    WriteRound,
    full_dataset_records,
    full_figures,
    record_storage,
    sync_ok,
    sync_table,
    update_patches,
    write_figures,
    writer_keys,
)


def test_record_storage_counts_key_and_value_in_utf8_bytes() -> None:
    assert record_storage("clé", "été") == 4 + 5


@pytest.mark.parametrize("count", [1, 1000, MAX_RECORDS_PER_DATASET])
def test_full_dataset_fills_a_dataset_to_just_under_its_limit(count: int) -> None:
    records = full_dataset_records(count)

    storage = sum(record_storage(key, value) for key, value in records)
    assert len(records) == count
    assert len({key for key, _value in records}) == count
    assert MAX_DATASET_STORAGE - count < storage <= MAX_DATASET_STORAGE


def test_a_thousand_records_are_1048000_bytes() -> None:
    records = full_dataset_records(1000)

    assert {record_storage(key, value) for key, value in records} == {1048}
    assert sum(record_storage(key, value) for key, value in records) == 1_048_000


@pytest.mark.parametrize("count", [0, MAX_RECORDS_PER_DATASET + 1])
def test_full_dataset_stays_within_the_record_limit(count: int) -> None:
    with pytest.raises(ValueError, match="1024"):
        full_dataset_records(count)


def test_writers_keys_are_their_own() -> None:
    first, second = writer_keys(0, 4), writer_keys(1, 4)

    assert len(set(first)) == 4
    assert not set(first) & set(second)


def test_patches_take_the_keys_in_turn_with_the_counts_last_seen() -> None:
    keys = ("a", "b", "c")
    counts = {"a": 7, "c": 3}

    patches = [
        update_patches(keys, counts, update=update, size=2, value="v") for update in range(3)
    ]

    assert [[p["Key"] for p in update] for update in patches] == [
        ["a", "b"],
        ["c", "a"],
        ["b", "c"],
    ]
    assert patches[1] == [
        {"Op": "replace", "Key": "c", "Value": "v", "SyncCount": 3},
        {"Op": "replace", "Key": "a", "Value": "v", "SyncCount": 7},
    ]
    assert patches[0][1]["SyncCount"] == 0  # a key never seen


def test_an_answer_names_its_error_type_without_a_namespace() -> None:
    conflict = Answer(409, {"__type": "com.amazonaws#ResourceConflictException", "message": "x"})

    assert conflict.error_type == "ResourceConflictException"
    assert Answer(400, {"__type": "LimitExceededException"}).error_type == "LimitExceededException"
    assert Answer(200, {"Records": []}).error_type == ""


def _write_round(updates: int, latencies: list[float], *, conflicts: int) -> WriteRound:
    load = LoadResult(
        requests=updates, errors=0, seconds=2.0, first_error="", latencies_ms=latencies
    )
    return WriteRound(
        round=Round(load, server_cpu_seconds=1.0, database_cpu_seconds=1.0, concurrency=8),
        conflicts=conflicts,
        listings=conflicts,
    )


def test_write_rounds_pool_their_updates_time_and_conflicts() -> None:
    summary = write_figures(
        [
            _write_round(100, [10.0] * 100, conflicts=1),
            _write_round(300, [20.0] * 300, conflicts=2),
        ]
    )

    assert summary["requests"] == 400
    assert summary["rate"] == 100.0  # 400 updates over 4 s
    assert summary["rate_per_core"] == 200.0  # over 2 server CPU-seconds
    assert summary["rate_per_core_with_database"] == 100.0
    assert summary["p50_ms"] == 20.0
    assert (summary["conflicts"], summary["listings_after_first"]) == (3, 3)


def _full_round(push: float, *, described_storage: int = 1_048_000) -> dict[str, Any]:
    pull = {"seconds": push / 10, "pages": 1, "page_size": None, "server_cpu_seconds": 0.05}
    return {
        "records": 1000,
        "storage": 1_048_000,
        "request_bytes": 1_100_000,
        "push_seconds": push,
        "update_records_seconds": push,
        "push_server_cpu_seconds": push,
        "records_answered": 1000,
        "pulls": {
            "largest_pages": {**pull, "complete": True},
            "small_pages": {**pull, "pages": 10, "page_size": 100, "complete": True},
        },
        "described": {"NumRecords": 1000, "DataStorage": described_storage},
    }


def test_full_dataset_rounds_give_medians_and_check_what_the_server_counted() -> None:
    summary = full_figures([_full_round(1.0), _full_round(3.0), _full_round(2.0)])
    miscounted = full_figures([_full_round(1.0), _full_round(1.0, described_storage=1000)])

    assert summary["push_seconds"] == 2.0
    assert summary["pulls"]["small_pages"]["seconds"] == pytest.approx(0.2)
    assert summary["pulls"]["small_pages"]["pages"] == 10
    assert summary["ok"] is True
    assert miscounted["ok"] is False


def _result() -> dict[str, Any]:
    level = write_figures([_write_round(100, [10.0] * 100, conflicts=0)])
    return {
        "server": "gunicorn gthread, 2 workers x 1 threads",
        "peer_note": "no moto figures",
        "update": {"patches_per_update": 2, "keys_per_writer": 4, "value_chars": 64},
        "writes": {OWN: {"1": level, "8": level}, SHARED: {"1": level, "8": level}},
        "full_dataset": full_figures([_full_round(1.0)]),
    }


def test_the_report_has_a_row_per_level_and_shape_and_the_full_dataset() -> None:
    lines = list(sync_table(_result()))

    assert sum("own dataset each" in line for line in lines) == 2
    assert sum("one dataset, own keys" in line for line in lines) == 2
    assert any("1,048,000 bytes" in line for line in lines)
    assert any("pages of 100 (10 pages)" in line for line in lines)


def test_a_run_with_an_error_or_a_failed_check_is_not_ok() -> None:
    result = _result()
    failed = {**result["writes"][OWN]["8"], "errors": 1}

    assert sync_ok(result["writes"], result["full_dataset"])
    assert not sync_ok({OWN: {"8": failed}}, result["full_dataset"])
    assert not sync_ok(result["writes"], {**result["full_dataset"], "ok": False})
