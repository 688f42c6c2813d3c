"""Conflicts settled on the server under concurrent writers, on PostgreSQL: the dataset's row
lock serialises them, so every value but the one that stays is in the log exactly once."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, connections

from identities.models import Identity
from identities.services.identity_pools import identity_pool_create
from sync.models import Conflict, ConflictStrategy, Dataset, Record
from sync.services.conflicts import conflict_restore, conflict_rule_set
from sync.services.datasets import RecordPatch, dataset_records_update
from sync.services.sessions import sync_session_issue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers on its own")


def _identity(strategy: ConflictStrategy) -> Identity:
    pool = identity_pool_create(
        settings={"IdentityPoolName": "games", "AllowUnauthenticatedIdentities": True}
    )
    conflict_rule_set(identity_pool=pool, dataset_pattern="", strategy=strategy)
    made = Identity.objects.create(identity_id=f"{pool.region}:{uuid.uuid4()}", pool=pool)
    return Identity.objects.select_related("pool").get(pk=made.pk)


def _write(identity: Identity, value: str, by: str, seen: int = 1) -> None:
    dataset_records_update(
        identity=identity,
        dataset_name="settings",
        patches=[RecordPatch("replace", "k", seen, value=value)],
        sync_session_token=sync_session_issue(
            identity=identity, dataset_name="settings", sync_count=1
        ),
        modified_by=by,
    )


def _together(work: list[threading.Thread]) -> None:
    for thread in work:
        thread.start()
    for thread in work:
        thread.join()


@pytest.mark.parametrize("strategy", [ConflictStrategy.CLIENT_WINS, ConflictStrategy.SERVER_WINS])
def test_concurrent_stale_writes_lose_no_value(strategy: ConflictStrategy) -> None:
    identity = _identity(strategy)
    _write(identity, "start", "first", seen=0)
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            start.wait()
            # Every writer saw "start": the first to write replaces it, the others are stale.
            _write(identity, f"v{number}", f"device-{number}")
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    _together([threading.Thread(target=run, args=(n,)) for n in range(THREADS)])

    assert errors == []
    assert Dataset.objects.get().sync_count == 1 + THREADS
    final = Record.objects.get().value
    lost = list(Conflict.objects.values_list("lost_value", flat=True))
    written = {f"v{n}" for n in range(THREADS)}
    # Each value once: the record's, or one row of the log.
    assert sorted(str(value) for value in [final, *lost]) == sorted(written)


def test_concurrent_restores_of_one_conflict_restore_it_once() -> None:
    identity = _identity(ConflictStrategy.SERVER_WINS)
    _write(identity, "start", "first", seen=0)
    _write(identity, "kept", "second")
    _write(identity, "lost", "third")
    conflict = Conflict.objects.get()
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def run(number: int) -> None:
        try:
            start.wait()
            conflict_restore(conflict=conflict, restored_by=f"operator-{number}")
            outcomes.append("restored")
        except BaseException as exc:  # counted below
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    _together([threading.Thread(target=run, args=(n,)) for n in range(THREADS)])

    assert sorted(outcomes) == ["ResourceConflictException"] * (THREADS - 1) + ["restored"]
    assert Dataset.objects.get().sync_count == 4
    assert Record.objects.get().value == "lost"
