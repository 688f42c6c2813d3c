"""Conflicts settled on the server: each strategy, the rules that choose it, the conflict log and
restoring from it."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

import pytest

from cognitoadmin.errors import (
    InvalidParameterException,
    LimitExceededException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from identities.models import Identity, IdentityPool
from identities.services.identity_pools import identity_pool_create
from sync.models import Conflict, ConflictRule, ConflictStrategy, Dataset, Record
from sync.selectors.conflicts import (
    conflict_get,
    conflict_rule_get,
    conflict_rules_list,
    conflict_strategy_get,
    conflicts_list,
)
from sync.services.conflicts import conflict_restore, conflict_rule_delete, conflict_rule_set
from sync.services.datasets import MAX_RECORDS_PER_DATASET, dataset_delete
from tests.sync.devices import Device, rows, server_data

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
EARLY, LATE = T0 + dt.timedelta(minutes=1), T0 + dt.timedelta(minutes=2)


@pytest.fixture
def identity_pool() -> IdentityPool:
    return identity_pool_create(
        settings={"IdentityPoolName": "games", "AllowUnauthenticatedIdentities": True}
    )


@pytest.fixture
def identity(identity_pool: IdentityPool) -> Identity:
    made = Identity.objects.create(
        identity_id=f"{identity_pool.region}:{uuid.uuid4()}", pool=identity_pool
    )
    return Identity.objects.select_related("pool").get(pk=made.pk)


def two_devices(identity: Identity, start: str | None) -> tuple[Device, Device]:
    """Devices "a" and "b", both synced with the server's `start` value of `k`."""
    a, b = Device(identity, "a"), Device(identity, "b")
    if start is not None:
        a.edit("k", start, T0)
        a.sync()
    a.sync()
    b.sync()
    return a, b


def lost_values(identity: Identity) -> list[str | None]:
    return [c.lost_value for c in Conflict.objects.filter(identity=identity, key="k")]


@dataclass(frozen=True)
class Case:
    strategy: ConflictStrategy
    a: str | None
    a_time: dt.datetime | None
    b: str | None
    b_time: dt.datetime | None
    # The value both devices end with, by which device synced first ("a" or "b"): None, removed.
    expected: dict[str, str | None]
    # The values the log keeps, by which device synced first.
    lost: dict[str, list[str | None]]


MERGED = '{"x":2,"y":1,"z":1}'
CASES = {
    "last writer wins: the later device time": Case(
        ConflictStrategy.LAST_WRITER_WINS,
        "A", EARLY, "B", LATE,
        {"a": "B", "b": "B"}, {"a": ["A"], "b": ["A"]},
    ),
    "last writer wins: no device time loses": Case(
        ConflictStrategy.LAST_WRITER_WINS,
        "A", None, "B", EARLY,
        {"a": "B", "b": "B"}, {"a": ["A"], "b": ["A"]},
    ),
    "last writer wins: a tie keeps the server's": Case(
        ConflictStrategy.LAST_WRITER_WINS,
        "A", EARLY, "B", EARLY,
        {"a": "A", "b": "B"}, {"a": ["B"], "b": ["A"]},
    ),
    "last writer wins: a later removal": Case(
        ConflictStrategy.LAST_WRITER_WINS,
        "A", EARLY, None, LATE,
        {"a": None, "b": None}, {"a": ["A"], "b": ["A"]},
    ),
    "server wins": Case(
        ConflictStrategy.SERVER_WINS,
        "A", LATE, "B", EARLY,
        {"a": "A", "b": "B"}, {"a": ["B"], "b": ["A"]},
    ),
    "client wins": Case(
        ConflictStrategy.CLIENT_WINS,
        "A", LATE, "B", EARLY,
        {"a": "B", "b": "A"}, {"a": ["A"], "b": ["B"]},
    ),
    "client wins: a removal": Case(
        ConflictStrategy.CLIENT_WINS,
        None, EARLY, "B", EARLY,
        {"a": "B", "b": None}, {"a": [None], "b": ["B"]},
    ),
    "merge: keys of one side kept, the later time for keys of both": Case(
        ConflictStrategy.MERGE_JSON,
        '{"x":1,"y":1}', EARLY, '{"x":2,"z":1}', LATE,
        {"a": MERGED, "b": MERGED}, {"a": ['{"x":1,"y":1}'], "b": ['{"x":1,"y":1}']},
    ),
    "merge: disjoint keys lose nothing": Case(
        ConflictStrategy.MERGE_JSON,
        '{"y":1}', EARLY, '{"z":1}', LATE,
        {"a": '{"y":1,"z":1}', "b": '{"y":1,"z":1}'}, {"a": [], "b": []},
    ),
    "merge: a value nested too deep to parse is no object": Case(
        ConflictStrategy.MERGE_JSON,
        "[" * 100_000, LATE, '{"x":1}', EARLY,
        {"a": "[" * 100_000, "b": "[" * 100_000}, {"a": ['{"x":1}'], "b": ['{"x":1}']},
    ),
    "merge: not two objects, the later device time": Case(
        ConflictStrategy.MERGE_JSON,
        '{"x":1}', LATE, "[1]", EARLY,
        {"a": '{"x":1}', "b": '{"x":1}'}, {"a": ["[1]"], "b": ["[1]"]},
    ),
}  # fmt: skip


@pytest.mark.parametrize("first", ["a", "b"])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_two_offline_devices_converge_and_the_log_keeps_what_lost(
    identity: Identity, identity_pool: IdentityPool, case: Case, first: str
) -> None:
    conflict_rule_set(identity_pool=identity_pool, dataset_pattern="", strategy=case.strategy)
    a, b = two_devices(identity, start="0")
    a.edit("k", case.a, case.a_time)
    b.edit("k", case.b, case.b_time)
    devices = {"a": a, "b": b}
    order = [devices[first], devices["b" if first == "a" else "a"]]

    for device in order:
        device.sync()
    for device in order:
        device.sync()

    expected = case.expected[first]
    assert server_data(identity).get("k") == expected
    assert a.data() == b.data() == server_data(identity)
    # The start value was seen by both devices before their edits: replacing it loses nothing.
    assert lost_values(identity) == case.lost[first]
    assert all(
        c.strategy in {case.strategy, ConflictStrategy.LAST_WRITER_WINS}
        for c in Conflict.objects.all()
    )


def test_a_conflict_row_names_both_values_times_writers_and_the_strategy(
    identity: Identity, identity_pool: IdentityPool
) -> None:
    conflict_rule_set(identity_pool=identity_pool, dataset_pattern="", strategy="last_writer_wins")
    a, b = two_devices(identity, start="0")
    a.edit("k", "A", LATE)
    b.edit("k", "B", EARLY)
    a.sync()
    b.sync()

    conflict = Conflict.objects.get()
    assert (conflict.dataset_name, conflict.key, conflict.strategy) == (
        "settings",
        "k",
        ConflictStrategy.LAST_WRITER_WINS,
    )
    assert (conflict.kept_value, conflict.kept_device_time, conflict.kept_by) == ("A", LATE, "a")
    assert (conflict.lost_value, conflict.lost_device_time, conflict.lost_by) == (
        "B",
        EARLY,
        "b",
    )
    assert conflict.restored_at is None


def test_a_patch_that_keeps_the_servers_value_takes_no_sync_count_and_is_answered(
    identity: Identity, identity_pool: IdentityPool
) -> None:
    conflict_rule_set(identity_pool=identity_pool, dataset_pattern="", strategy="server_wins")
    a, b = two_devices(identity, start="0")
    a.edit("k", "A", EARLY)
    a.sync()
    b.edit("k", "B", LATE)
    b.edit("other", "new", LATE)
    count_before = Record.objects.get(key="k").sync_count

    answered = b.sync()

    record = Record.objects.get(key="k")
    assert (record.value, record.sync_count) == ("A", count_before)
    assert {r.key: r.value for r in answered} == {"other": "new", "k": "A"}
    assert Dataset.objects.get().sync_count == count_before + 1
    assert Record.objects.get(key="other").sync_count == count_before + 1


def test_a_strategy_settles_a_new_devices_write_over_a_removal_and_logs_the_loser(
    identity: Identity, identity_pool: IdentityPool
) -> None:
    conflict_rule_set(identity_pool=identity_pool, dataset_pattern="", strategy="server_wins")
    a = Device(identity, "a")
    a.edit("k", "A", EARLY)
    a.sync()
    a.edit("k", None, EARLY)
    a.sync()
    newcomer = Device(identity, "new")
    newcomer.sync()
    newcomer.edit("k", "N", LATE)

    answered = newcomer.sync()

    record = Record.objects.get(key="k")
    assert record.value is None
    assert [(r.key, r.value) for r in answered] == [("k", None)]
    assert lost_values(identity) == ["N"]


def test_a_patch_that_takes_the_clients_value_is_written_like_any_write(
    identity: Identity, identity_pool: IdentityPool
) -> None:
    conflict_rule_set(identity_pool=identity_pool, dataset_pattern="", strategy="client_wins")
    a, b = two_devices(identity, start="0")
    a.edit("k", "A", EARLY)
    a.sync()
    b.edit("k", "B", LATE)
    count_before = Dataset.objects.get().sync_count

    b.sync()

    record = Record.objects.get(key="k")
    assert (record.value, record.sync_count, record.last_modified_by) == (
        "B",
        count_before + 1,
        "b",
    )
    assert record.device_last_modified_at == LATE


def test_a_merged_value_takes_the_newer_device_time(
    identity: Identity, identity_pool: IdentityPool
) -> None:
    conflict_rule_set(identity_pool=identity_pool, dataset_pattern="", strategy="merge_json")
    a, b = two_devices(identity, start="{}")
    a.edit("k", '{"x":1}', LATE)
    a.sync()
    b.edit("k", '{"y":1}', EARLY)

    b.sync()

    record = Record.objects.get(key="k")
    assert json.loads(record.value or "") == {"x": 1, "y": 1}
    assert record.device_last_modified_at == LATE
    assert Conflict.objects.count() == 0


def test_same_value_on_both_sides_is_no_conflict(
    identity: Identity, identity_pool: IdentityPool
) -> None:
    conflict_rule_set(identity_pool=identity_pool, dataset_pattern="", strategy="client_wins")
    a, b = two_devices(identity, start="0")
    a.edit("k", "same", EARLY)
    a.sync()
    b.edit("k", "same", LATE)

    b.sync()

    assert Conflict.objects.count() == 0
    assert Record.objects.get(key="k").last_modified_by == "a"


def test_reject_refuses_the_whole_update_and_logs_nothing(
    identity: Identity, identity_pool: IdentityPool
) -> None:
    conflict_rule_set(identity_pool=identity_pool, dataset_pattern="", strategy="reject")
    a, b = two_devices(identity, start="0")
    a.edit("k", "A", EARLY)
    a.sync()
    b.edit("k", "B", LATE)
    b.edit("fresh", "x", LATE)
    before = rows()

    with pytest.raises(ResourceConflictException):
        b.sync()

    assert rows() == before


def test_a_refused_resolved_update_logs_nothing(
    identity: Identity, identity_pool: IdentityPool
) -> None:
    conflict_rule_set(identity_pool=identity_pool, dataset_pattern="", strategy="server_wins")
    a, b = two_devices(identity, start="0")
    a.edit("k", "A", EARLY)
    a.sync()
    b.edit("k", "B", LATE)
    for n in range(MAX_RECORDS_PER_DATASET):
        b.edit(f"r{n}", "x", LATE)
    before = rows()

    with pytest.raises(LimitExceededException):
        b.sync()

    assert rows() == before


# Rules


@pytest.mark.parametrize(
    ("patterns", "dataset", "expected"),
    [
        ([], "settings", "reject"),
        ([""], "settings", "server_wins"),
        (["", "set*"], "settings", "client_wins"),
        (["", "set*"], "games", "server_wins"),
        (["set*", "settings"], "settings", "last_writer_wins"),
        (["s*", "set*"], "settings", "last_writer_wins"),
        (["se?", "s*s"], "settings", "last_writer_wins"),
        (["set*", "SET*"], "SETTINGS", "last_writer_wins"),
        (["[gs]*"], "games", "server_wins"),
        (["other"], "settings", "reject"),
    ],
)
def test_the_most_specific_matching_rule_decides(
    identity_pool: IdentityPool, patterns: list[str], dataset: str, expected: str
) -> None:
    # Each later pattern is given the next strategy, so the answer tells which one matched.
    strategies = ["server_wins", "client_wins", "last_writer_wins"]
    if len(patterns) == 2 and patterns[0]:
        strategies = ["client_wins", "last_writer_wins"]
    for pattern, strategy in zip(patterns, strategies, strict=False):
        conflict_rule_set(identity_pool=identity_pool, dataset_pattern=pattern, strategy=strategy)

    assert conflict_strategy_get(identity_pool=identity_pool, dataset_name=dataset) == expected


def test_among_patterns_of_one_length_the_oldest_rule_decides(
    identity_pool: IdentityPool,
) -> None:
    conflict_rule_set(identity_pool=identity_pool, dataset_pattern="s*", strategy="client_wins")
    conflict_rule_set(identity_pool=identity_pool, dataset_pattern="*s", strategy="server_wins")

    assert conflict_strategy_get(identity_pool=identity_pool, dataset_name="ss") == "client_wins"


def test_another_pools_rules_do_not_apply(identity_pool: IdentityPool) -> None:
    other = identity_pool_create(
        settings={"IdentityPoolName": "other", "AllowUnauthenticatedIdentities": True}
    )
    conflict_rule_set(identity_pool=other, dataset_pattern="", strategy="client_wins")

    assert conflict_strategy_get(identity_pool=identity_pool, dataset_name="x") == "reject"


def test_setting_a_rule_again_changes_its_strategy(identity_pool: IdentityPool) -> None:
    conflict_rule_set(identity_pool=identity_pool, dataset_pattern="g*", strategy="client_wins")
    rule = conflict_rule_set(
        identity_pool=identity_pool, dataset_pattern="g*", strategy="server_wins"
    )

    assert list(ConflictRule.objects.values_list("pk", "strategy")) == [(rule.pk, "server_wins")]


@pytest.mark.parametrize(
    ("pattern", "strategy"),
    [("g*", "first_wins"), ("g/*", "server_wins"), ("x" * 129, "server_wins"), ("a b", "reject")],
)
def test_bad_rules_are_refused_and_change_nothing(
    identity_pool: IdentityPool, pattern: str, strategy: str
) -> None:
    conflict_rule_set(identity_pool=identity_pool, dataset_pattern="g*", strategy="client_wins")
    before = rows()

    with pytest.raises(InvalidParameterException):
        conflict_rule_set(identity_pool=identity_pool, dataset_pattern=pattern, strategy=strategy)

    assert rows() == before


def test_deleting_a_rule_brings_back_the_default(identity_pool: IdentityPool) -> None:
    rule = conflict_rule_set(
        identity_pool=identity_pool, dataset_pattern="g*", strategy="client_wins"
    )

    conflict_rule_delete(rule=rule)

    assert conflict_strategy_get(identity_pool=identity_pool, dataset_name="games") == "reject"
    with pytest.raises(ResourceNotFoundException):
        conflict_rule_get(identity_pool=identity_pool, rule_id=rule.pk)


def test_a_rule_is_found_only_in_its_pool(identity_pool: IdentityPool) -> None:
    rule = conflict_rule_set(identity_pool=identity_pool, dataset_pattern="", strategy="reject")
    other = identity_pool_create(
        settings={"IdentityPoolName": "other", "AllowUnauthenticatedIdentities": True}
    )

    assert conflict_rule_get(identity_pool=identity_pool, rule_id=rule.pk) == rule
    assert list(conflict_rules_list(identity_pool=identity_pool)) == [rule]
    with pytest.raises(ResourceNotFoundException):
        conflict_rule_get(identity_pool=other, rule_id=rule.pk)


# Restore


def a_conflict(identity: Identity, identity_pool: IdentityPool) -> tuple[Conflict, Device]:
    """Device "b"'s "B" lost to "a"'s "A" (server wins); returns the conflict and device "b"."""
    conflict_rule_set(identity_pool=identity_pool, dataset_pattern="", strategy="server_wins")
    a, b = two_devices(identity, start="0")
    a.edit("k", "A", EARLY)
    a.sync()
    b.edit("k", "B", LATE)
    b.sync()
    return Conflict.objects.get(), b


def test_a_restore_writes_the_lost_value_back_as_a_synced_write(
    identity: Identity, identity_pool: IdentityPool
) -> None:
    conflict, b = a_conflict(identity, identity_pool)
    count = Dataset.objects.get().sync_count

    restored = conflict_restore(conflict=conflict, restored_by="operator")

    record = Record.objects.get(key="k")
    assert (record.value, record.sync_count, record.last_modified_by) == (
        "B",
        count + 1,
        "operator",
    )
    assert Dataset.objects.get().sync_count == count + 1
    assert restored.restored_at is not None
    b.sync()
    assert b.data()["k"] == "B"
    replaced = Conflict.objects.exclude(pk=conflict.pk).get()
    assert (replaced.kept_value, replaced.lost_value, replaced.kept_by, replaced.lost_by) == (
        "B",
        "A",
        "operator",
        "a",
    )
    assert replaced.strategy == conflict.strategy


def test_a_restored_removal_removes_the_record(
    identity: Identity, identity_pool: IdentityPool
) -> None:
    conflict_rule_set(identity_pool=identity_pool, dataset_pattern="", strategy="server_wins")
    a, b = two_devices(identity, start="0")
    a.edit("k", "A", EARLY)
    a.sync()
    b.edit("k", None, LATE)
    b.sync()

    conflict_restore(conflict=Conflict.objects.get(), restored_by="operator")

    assert server_data(identity) == {}
    assert Conflict.objects.filter(lost_value="A").exists()


def test_a_conflict_is_restored_once(identity: Identity, identity_pool: IdentityPool) -> None:
    conflict, _ = a_conflict(identity, identity_pool)
    conflict_restore(conflict=conflict, restored_by="operator")
    before = rows()

    with pytest.raises(ResourceConflictException):
        conflict_restore(conflict=conflict, restored_by="operator")

    assert rows() == before


def test_restoring_into_a_deleted_dataset_brings_it_back(
    identity: Identity, identity_pool: IdentityPool
) -> None:
    conflict, _ = a_conflict(identity, identity_pool)
    dataset_delete(identity=identity, dataset_name="settings", modified_by="a")

    conflict_restore(conflict=conflict, restored_by="operator")

    assert server_data(identity) == {"k": "B"}
    assert Conflict.objects.count() == 1


def test_conflicts_are_listed_per_pool_by_dataset_and_restored(
    identity: Identity, identity_pool: IdentityPool
) -> None:
    conflict, _ = a_conflict(identity, identity_pool)
    other = identity_pool_create(
        settings={"IdentityPoolName": "other", "AllowUnauthenticatedIdentities": True}
    )

    assert list(conflicts_list(identity_pool=identity_pool)) == [conflict]
    assert list(conflicts_list(identity_pool=identity_pool, dataset_name="games")) == []
    assert list(conflicts_list(identity_pool=identity_pool, restored=True)) == []
    assert list(conflicts_list(identity_pool=other)) == []
    assert conflict_get(identity_pool=identity_pool, conflict_id=conflict.pk) == conflict
    with pytest.raises(ResourceNotFoundException):
        conflict_get(identity_pool=other, conflict_id=conflict.pk)
