"""UpdateRecords under concurrent writers, on PostgreSQL: the dataset row lock serialises them,
so no update is lost and every sync count is taken exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from cognitoadmin.errors import LimitExceededException, ResourceConflictException
from identities.models import Identity
from sync.models import Dataset, Record
from sync.selectors.datasets import records_list
from sync.services.datasets import (
    MAX_DATASETS_PER_IDENTITY,
    RecordPatch,
    dataset_records_update,
)
from tests.sync.test_datasets import make_identity, make_identity_pool, session

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
UPDATES = 5


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers on its own")


def _run_together(work: Callable[[int], None]) -> list[BaseException]:
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            start.wait()
            work(number)
        except BaseException as exc:  # reported by the caller's assertion
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _write(identity: Identity, token: str, *patches: RecordPatch, name: str = "settings") -> int:
    changed = dataset_records_update(
        identity=identity,
        dataset_name=name,
        patches=patches,
        sync_session_token=token,
        modified_by="000000000000",
    )
    return changed[0].sync_count


def test_concurrent_first_writes_each_take_their_own_sync_count() -> None:
    identity = make_identity(make_identity_pool())
    tokens = [session(identity) for _ in range(THREADS)]
    taken: list[int] = []
    lock = threading.Lock()

    def work(number: int) -> None:
        for update in range(UPDATES):
            key = f"t{number}-u{update}"
            count = _write(identity, tokens[number], RecordPatch("replace", key, 0, value="v"))
            with lock:
                taken.append(count)

    errors = _run_together(work)

    dataset = Dataset.objects.get()
    assert errors == []
    assert sorted(taken) == list(range(1, THREADS * UPDATES + 1))
    assert dataset.sync_count == THREADS * UPDATES
    assert dataset.num_records == Record.objects.count() == THREADS * UPDATES
    assert dataset.data_storage == sum(len(r.key) + 1 for r in Record.objects.all())


def test_read_modify_write_on_one_key_loses_no_increment() -> None:
    identity = make_identity(make_identity_pool())
    _write(identity, session(identity), RecordPatch("replace", "counter", 0, value="0"))
    conflicts: list[int] = []

    def work(number: int) -> None:
        done = 0
        while done < UPDATES:
            listing = records_list(
                identity=identity,
                dataset_name="settings",
                last_sync_count=None,
                max_results=None,
                next_token=None,
            )
            record = next(r for r in listing.records if r.key == "counter")
            token = session(identity)
            patch = RecordPatch(
                "replace", "counter", record.sync_count, value=str(int(record.value or "0") + 1)
            )
            try:
                _write(identity, token, patch)
            except ResourceConflictException:
                conflicts.append(number)
                continue
            done += 1

    errors = _run_together(work)

    counter = Record.objects.get(key="counter")
    assert errors == []
    assert counter.value == str(THREADS * UPDATES)
    assert counter.sync_count == Dataset.objects.get().sync_count == 1 + THREADS * UPDATES


def test_concurrent_new_datasets_stop_at_the_identitys_limit() -> None:
    identity = make_identity(make_identity_pool())
    names = [f"set{n}" for n in range(MAX_DATASETS_PER_IDENTITY + 4)]
    tokens = {name: session(identity, name) for name in names}
    refused: list[str] = []

    def work(number: int) -> None:
        for name in names[number::THREADS]:
            try:
                _write(identity, tokens[name], RecordPatch("replace", "k", 0, value="v"), name=name)
            except LimitExceededException:
                refused.append(name)

    errors = _run_together(work)

    assert errors == []
    assert len(refused) == len(names) - MAX_DATASETS_PER_IDENTITY
    assert Dataset.objects.filter(identity=identity).count() == MAX_DATASETS_PER_IDENTITY
