"""Cognito Sync's datasets and records: every rule of UpdateRecords, ListRecords and
DeleteDataset, every limit, and that each refusal changes nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from cognitoadmin.errors import (
    InvalidParameterException,
    LimitExceededException,
    NotAuthorizedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from identities.models import Identity, IdentityPool
from identities.services.identity_pools import identity_pool_create
from sync.models import Dataset, Record
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
from sync.services.datasets import (
    MAX_DATASET_STORAGE,
    MAX_DATASETS_PER_IDENTITY,
    MAX_RECORDS_PER_DATASET,
    RecordPatch,
    dataset_delete,
    dataset_records_update,
)
from sync.services.sessions import SESSION_LIFETIME, sync_session_issue
from tests.conftest import Clock

pytestmark = pytest.mark.django_db

WRITER = "000000000000"


def make_identity_pool(name: str = "games") -> IdentityPool:
    return identity_pool_create(
        settings={"IdentityPoolName": name, "AllowUnauthenticatedIdentities": True}
    )


def make_identity(pool: IdentityPool) -> Identity:
    identity = Identity.objects.create(identity_id=f"{pool.region}:{uuid.uuid4()}", pool=pool)
    return Identity.objects.select_related("pool").get(pk=identity.pk)


def sync_rows() -> dict[str, list[dict[str, Any]]]:
    """Every dataset and record, to show that a refused call changed nothing."""
    models: tuple[type[Model], ...] = (Dataset, Record)
    return {
        model._meta.label: [dict(row) for row in model._default_manager.order_by("pk").values()]
        for model in models
    }


def session(identity: Identity, name: str = "settings") -> str:
    """A device's sync session, begun as ListRecords begins it."""
    listing = records_list(
        identity=identity,
        dataset_name=name,
        last_sync_count=None,
        max_results=None,
        next_token=None,
    )
    return sync_session_issue(
        identity=identity, dataset_name=name, sync_count=listing.dataset_sync_count
    )


def replace(key: str, value: str, sync_count: int = 0) -> RecordPatch:
    return RecordPatch(op="replace", key=key, value=value, sync_count=sync_count)


def remove(key: str, sync_count: int) -> RecordPatch:
    return RecordPatch(op="remove", key=key, sync_count=sync_count)


def update(
    identity: Identity,
    *patches: RecordPatch,
    name: str = "settings",
    token: str | None = None,
) -> list[Record]:
    return dataset_records_update(
        identity=identity,
        dataset_name=name,
        patches=patches,
        sync_session_token=session(identity, name) if token is None else token,
        modified_by=WRITER,
    )


def changes(identity: Identity, *, since: int | None, name: str = "settings") -> dict[str, Any]:
    listing = records_list(
        identity=identity,
        dataset_name=name,
        last_sync_count=since,
        max_results=None,
        next_token=None,
    )
    return {record.key: (record.value, record.sync_count) for record in listing.records}


@pytest.fixture
def identity_pool() -> IdentityPool:
    return make_identity_pool()


@pytest.fixture
def identity(identity_pool: IdentityPool) -> Identity:
    return make_identity(identity_pool)


# Writes and sync counts


def test_the_first_write_makes_the_dataset_at_sync_count_one(identity: Identity) -> None:
    changed = update(identity, replace("theme", "dark"), replace("lang", "fr"))

    dataset = Dataset.objects.get(identity=identity, name="settings")
    assert [(r.key, r.value, r.sync_count) for r in changed] == [
        ("theme", "dark", 1),
        ("lang", "fr", 1),
    ]
    assert dataset.sync_count == 1
    assert dataset.num_records == 2
    assert dataset.data_storage == len("themedarklangfr")
    assert dataset.last_modified_by == WRITER
    assert {r.last_modified_by for r in changed} == {WRITER}


def test_each_update_raises_the_sync_count_by_one_and_stamps_only_what_it_changed(
    identity: Identity,
) -> None:
    update(identity, replace("theme", "dark"), replace("lang", "fr"))

    changed = update(identity, replace("theme", "light", sync_count=1))
    update(identity, RecordPatch(op="replace", key="volume", value="7", sync_count=0))

    assert [(r.key, r.sync_count) for r in changed] == [("theme", 2)]
    assert Dataset.objects.get().sync_count == 3
    assert changes(identity, since=None) == {
        "lang": ("fr", 1),
        "theme": ("light", 2),
        "volume": ("7", 3),
    }
    assert changes(identity, since=2) == {"volume": ("7", 3)}


def test_an_update_with_no_change_still_counts_once(identity: Identity) -> None:
    changed = update(identity)
    update(identity, remove("never-written", sync_count=0))

    assert changed == []
    assert Dataset.objects.get().sync_count == 2
    assert Record.objects.count() == 0


def test_a_sync_count_newer_than_the_servers_is_accepted(identity: Identity) -> None:
    update(identity, replace("theme", "dark"))

    changed = update(identity, replace("theme", "light", sync_count=9))

    assert [(r.value, r.sync_count) for r in changed] == [("light", 2)]


def test_device_dates_are_kept_as_the_device_gave_them(identity: Identity) -> None:
    when = dt.datetime(2029, 5, 1, 8, 30, tzinfo=dt.UTC)

    update(
        identity,
        RecordPatch(
            op="replace", key="theme", value="dark", sync_count=0, device_last_modified_at=when
        ),
    )

    assert Record.objects.get().device_last_modified_at == when


def test_an_empty_string_is_a_value_not_a_removal(identity: Identity) -> None:
    update(identity, replace("nickname", ""))

    assert changes(identity, since=None) == {"nickname": ("", 1)}
    assert Dataset.objects.get().num_records == 1


# Conflicts


def test_a_stale_sync_count_refuses_the_whole_update(identity: Identity) -> None:
    update(identity, replace("score", "10"), replace("level", "1"))
    update(identity, replace("score", "20", sync_count=1))
    before = sync_rows()

    with pytest.raises(ResourceConflictException) as refused:
        update(identity, replace("level", "2", sync_count=1), replace("score", "15", sync_count=1))

    assert "score" in refused.value.message
    assert sync_rows() == before


def test_a_new_key_that_exists_on_the_server_is_a_conflict(identity: Identity) -> None:
    update(identity, replace("score", "10"))
    before = sync_rows()

    with pytest.raises(ResourceConflictException):
        update(identity, replace("score", "5", sync_count=0), name="settings")

    assert sync_rows() == before


def test_two_devices_at_the_same_count_the_second_is_refused_until_it_lists_again(
    identity: Identity,
) -> None:
    update(identity, replace("score", "10"))
    device_a, device_b = session(identity), session(identity)

    update(identity, replace("score", "20", sync_count=1), token=device_a)
    before = sync_rows()
    with pytest.raises(ResourceConflictException):
        update(identity, replace("score", "30", sync_count=1), token=device_b)
    after_conflict = sync_rows()
    seen = changes(identity, since=1)
    changed = update(identity, replace("score", "30", sync_count=seen["score"][1]))

    assert after_conflict == before
    assert seen == {"score": ("20", 2)}
    assert [(r.value, r.sync_count) for r in changed] == [("30", 3)]


# Removals and tombstones


def test_a_removal_leaves_a_tombstone_for_devices_that_synced_before(identity: Identity) -> None:
    update(identity, replace("theme", "dark"), replace("lang", "fr"))

    changed = update(identity, remove("theme", sync_count=1))

    dataset = Dataset.objects.get()
    assert [(r.key, r.value, r.sync_count) for r in changed] == [("theme", None, 2)]
    assert changes(identity, since=1) == {"theme": (None, 2)}
    assert changes(identity, since=None) == {"lang": ("fr", 1)}
    assert changes(identity, since=0) == {"lang": ("fr", 1)}
    assert (dataset.num_records, dataset.data_storage) == (1, len("langfr"))


def test_a_stale_removal_is_a_conflict(identity: Identity) -> None:
    update(identity, replace("theme", "dark"))
    update(identity, replace("theme", "light", sync_count=1))
    before = sync_rows()

    with pytest.raises(ResourceConflictException):
        update(identity, remove("theme", sync_count=1))

    assert sync_rows() == before


def test_writing_a_removed_key_needs_the_removals_count(identity: Identity) -> None:
    update(identity, replace("theme", "dark"))
    update(identity, remove("theme", sync_count=1))
    before = sync_rows()

    with pytest.raises(ResourceConflictException):
        update(identity, replace("theme", "light", sync_count=1))
    refused = sync_rows()
    changed = update(identity, replace("theme", "light", sync_count=2))

    assert refused == before
    assert [(r.value, r.sync_count) for r in changed] == [("light", 3)]
    assert Dataset.objects.get().num_records == 1


def test_a_device_that_never_saw_a_removed_key_writes_it_anew(identity: Identity) -> None:
    update(identity, replace("theme", "dark"))
    update(identity, remove("theme", sync_count=1))
    seen = changes(identity, since=0)

    changed = update(identity, replace("theme", "light"))

    assert seen == {}
    assert [(r.value, r.sync_count) for r in changed] == [("light", 3)]
    assert changes(identity, since=0) == {"theme": ("light", 3)}
    assert Dataset.objects.get().num_records == 1


# Bad input


@pytest.mark.parametrize(
    ("patches", "name"),
    [
        ([RecordPatch(op="replace", key="theme", sync_count=0)], "settings"),
        ([replace("theme", "dark"), replace("theme", "light")], "settings"),
        ([replace("theme", "dark", sync_count=-1)], "settings"),
        ([replace("\ud800", "dark")], "settings"),
        ([replace("theme", "\udfff")], "settings"),
        ([replace("k" * 1025, "dark")], "settings"),
        ([replace("", "dark")], "settings"),
        ([replace("theme", "v" * 1_048_576)], "settings"),
        ([RecordPatch(op="merge", key="theme", value="x", sync_count=0)], "settings"),  # type: ignore[arg-type]
        ([replace("theme", "dark")], "bad name"),
        ([replace("theme", "dark")], "d" * 129),
        ([replace("theme", "dark")], ""),
    ],
    ids=[
        "replace-without-value",
        "same-key-twice",
        "negative-sync-count",
        "surrogate-key",
        "surrogate-value",
        "key-too-long",
        "empty-key",
        "value-too-long",
        "unknown-op",
        "dataset-name-pattern",
        "dataset-name-too-long",
        "dataset-name-empty",
    ],
)
def test_bad_patches_are_refused_and_change_nothing(
    identity: Identity, patches: list[RecordPatch], name: str
) -> None:
    update(identity, replace("theme", "dark"))
    before = sync_rows()

    with pytest.raises(InvalidParameterException):
        dataset_records_update(
            identity=identity,
            dataset_name=name,
            patches=patches,
            sync_session_token=session(identity, name) if name else "x",
            modified_by=WRITER,
        )

    assert sync_rows() == before


def test_a_key_of_1024_characters_is_allowed_whatever_their_bytes(identity: Identity) -> None:
    # 4 KB of UTF-8, which no database index entry holds; distinct characters, so it does not
    # compress below that either.
    key = "".join(chr(0x1F000 + n) for n in range(1024))

    changed = update(identity, replace(key, "v"))
    again = update(identity, replace(key, "w", sync_count=1))

    assert [(r.key, r.value) for r in Record.objects.all()] == [(key, "w")]
    assert (changed[0].sync_count, again[0].sync_count) == (1, 2)


# Sync session tokens


def test_an_update_needs_a_token_this_server_issued(identity: Identity) -> None:
    token = session(identity)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    before = sync_rows()

    for bad in ("", "not-a-token", forged, "v1.\u00e9"):
        with pytest.raises(InvalidParameterException):
            update(identity, replace("theme", "dark"), token=bad)

    assert sync_rows() == before


def test_another_identitys_token_is_not_authorized(
    identity: Identity, identity_pool: IdentityPool
) -> None:
    other = make_identity(identity_pool)
    before = sync_rows()

    with pytest.raises(NotAuthorizedException):
        update(identity, replace("theme", "dark"), token=session(other))

    assert sync_rows() == before


def test_another_datasets_token_is_refused(identity: Identity) -> None:
    before = sync_rows()

    with pytest.raises(InvalidParameterException):
        update(identity, replace("theme", "dark"), token=session(identity, "profile"))

    assert sync_rows() == before


def test_a_token_lasts_five_minutes(identity: Identity, clock: Clock) -> None:
    early, late = session(identity), session(identity)
    clock.advance(seconds=SESSION_LIFETIME.total_seconds() - 1)
    update(identity, replace("theme", "dark"), token=early)
    before = sync_rows()
    clock.advance(seconds=1)

    with pytest.raises(NotAuthorizedException):
        update(identity, replace("lang", "fr"), token=late)

    assert sync_rows() == before


def test_a_later_page_goes_on_with_its_sessions_token(identity: Identity, clock: Clock) -> None:
    token = session(identity)
    other = make_identity(identity.pool)

    continued = sync_session_issue(
        identity=identity, dataset_name="settings", sync_count=0, continuing=token
    )
    clock.advance(seconds=SESSION_LIFETIME.total_seconds())

    assert continued == token
    with pytest.raises(NotAuthorizedException):
        sync_session_issue(
            identity=identity, dataset_name="settings", sync_count=0, continuing=token
        )
    with pytest.raises(NotAuthorizedException):
        sync_session_issue(identity=other, dataset_name="settings", sync_count=0, continuing=token)


# Limits


def test_an_identity_has_at_most_twenty_datasets(identity: Identity) -> None:
    for number in range(MAX_DATASETS_PER_IDENTITY):
        update(identity, replace("k", "v"), name=f"set{number}")
    before = sync_rows()

    with pytest.raises(LimitExceededException):
        update(identity, replace("k", "v"), name="one-too-many")
    refused = sync_rows()
    update(identity, replace("k", "v2", sync_count=1), name="set0")
    dataset_delete(identity=identity, dataset_name="set1", modified_by=WRITER)
    update(identity, replace("k", "v"), name="one-too-many")

    assert refused == before
    assert Dataset.objects.filter(identity=identity, deleted=False).count() == 20


def test_a_deleted_dataset_comes_back_only_if_there_is_room(identity: Identity) -> None:
    update(identity, replace("k", "v"), name="old")
    dataset_delete(identity=identity, dataset_name="old", modified_by=WRITER)
    token = session(identity, "old")
    for number in range(MAX_DATASETS_PER_IDENTITY):
        update(identity, replace("k", "v"), name=f"set{number}")
    before = sync_rows()

    with pytest.raises(LimitExceededException):
        update(identity, replace("k", "v", sync_count=0), name="old", token=token)

    assert sync_rows() == before


def test_another_identitys_datasets_do_not_count(
    identity: Identity, identity_pool: IdentityPool
) -> None:
    other = make_identity(identity_pool)
    for number in range(MAX_DATASETS_PER_IDENTITY):
        update(other, replace("k", "v"), name=f"set{number}")

    update(identity, replace("k", "v"), name="set0")

    assert Dataset.objects.filter(identity=identity).count() == 1


def test_a_dataset_has_at_most_1024_records(identity: Identity) -> None:
    update(identity, *(replace(f"k{n}", "v") for n in range(MAX_RECORDS_PER_DATASET - 1)))
    before = sync_rows()

    with pytest.raises(LimitExceededException):
        update(identity, replace("a", "v"), replace("b", "v"))
    refused = sync_rows()
    update(identity, remove("k0", sync_count=1), replace("a", "v"), replace("b", "v"))

    assert refused == before
    assert Dataset.objects.get().num_records == MAX_RECORDS_PER_DATASET


def test_a_dataset_holds_at_most_one_megabyte_of_keys_and_values(identity: Identity) -> None:
    update(identity, replace("k", "v" * (MAX_DATASET_STORAGE - 1)))
    before = sync_rows()

    with pytest.raises(LimitExceededException):
        update(identity, replace("x", ""))
    refused = sync_rows()
    update(identity, replace("k", "", sync_count=1), replace("x", "y"))

    assert refused == before
    assert Dataset.objects.get().data_storage == len("k") + len("xy")


def test_storage_counts_bytes_not_characters(identity: Identity) -> None:
    # 600,000 characters, under the value's limit, but 1.2 MB in UTF-8.
    before = sync_rows()

    with pytest.raises(LimitExceededException):
        update(identity, replace("k", "\u00e9" * 600_000))

    assert sync_rows() == before


# Deletion


def test_deleting_a_dataset_returns_it_as_it_was(identity: Identity) -> None:
    update(identity, replace("theme", "dark"), replace("lang", "fr"))

    deleted = dataset_delete(identity=identity, dataset_name="settings", modified_by=WRITER)

    assert (deleted.name, deleted.num_records, deleted.data_storage) == ("settings", 2, 15)
    assert Record.objects.count() == 0
    with pytest.raises(ResourceNotFoundException):
        dataset_get(identity=identity, name="settings")
    with pytest.raises(ResourceNotFoundException):
        dataset_delete(identity=identity, dataset_name="settings", modified_by=WRITER)
    assert datasets_page(identity=identity, max_results=None, next_token=None) == ([], None)


def test_deleting_a_dataset_that_never_was_is_not_found(identity: Identity) -> None:
    with pytest.raises(ResourceNotFoundException):
        dataset_delete(identity=identity, dataset_name="nothing", modified_by=WRITER)

    assert sync_rows() == {"sync.Dataset": [], "sync.Record": []}


def test_devices_that_synced_before_a_deletion_are_told_to_drop_it(identity: Identity) -> None:
    update(identity, replace("theme", "dark"))
    update(identity, replace("lang", "fr"))
    dataset_delete(identity=identity, dataset_name="settings", modified_by=WRITER)

    def listing(since: int | None) -> tuple[bool, bool, int]:
        found = records_list(
            identity=identity,
            dataset_name="settings",
            last_sync_count=since,
            max_results=None,
            next_token=None,
        )
        return (found.dataset_exists, found.deleted_after_requested_sync_count, len(found.records))

    assert listing(1) == (False, True, 0)
    assert listing(2) == (False, True, 0)
    assert listing(3) == (False, False, 0)
    assert listing(None) == (False, False, 0)


def test_a_session_from_before_a_deletion_cannot_write_the_old_data_back(
    identity: Identity,
) -> None:
    update(identity, replace("theme", "dark"))
    stale = session(identity)
    dataset_delete(identity=identity, dataset_name="settings", modified_by=WRITER)
    before = sync_rows()

    with pytest.raises(ResourceConflictException):
        update(identity, replace("theme", "dark", sync_count=1), token=stale)
    refused = sync_rows()
    changed = update(identity, replace("theme", "light"))

    assert refused == before
    dataset = Dataset.objects.get()
    assert [(r.value, r.sync_count) for r in changed] == [("light", 3)]
    assert (dataset.deleted, dataset.sync_count, dataset.num_records) == (False, 3, 1)
    assert dataset_get(identity=identity, name="settings") == dataset


def test_a_dataset_that_never_was_lists_as_absent(identity: Identity) -> None:
    listing = records_list(
        identity=identity,
        dataset_name="nothing",
        last_sync_count=5,
        max_results=None,
        next_token=None,
    )

    assert (listing.dataset_exists, listing.dataset_sync_count, listing.records) == (
        False,
        0,
        [],
    )
    assert listing.deleted_after_requested_sync_count is False


# Reads


def test_records_come_in_pages_oldest_change_first(identity: Identity) -> None:
    update(identity, replace("a", "1"), replace("b", "1"))
    update(identity, replace("c", "1"))
    update(identity, replace("a", "2", sync_count=1))
    seen: list[tuple[str, int]] = []
    token = None
    while True:
        page = records_list(
            identity=identity,
            dataset_name="settings",
            last_sync_count=None,
            max_results=2,
            next_token=token,
        )
        seen += [(r.key, r.sync_count) for r in page.records]
        token = page.next_token
        if token is None:
            break

    assert seen == [("b", 1), ("c", 2), ("a", 3)]


def test_a_page_token_of_another_listing_is_refused(identity: Identity) -> None:
    update(identity, replace("a", "1"), replace("b", "1"))
    page = records_list(
        identity=identity,
        dataset_name="settings",
        last_sync_count=None,
        max_results=1,
        next_token=None,
    )

    with pytest.raises(InvalidParameterException):
        records_list(
            identity=identity,
            dataset_name="settings",
            last_sync_count=1,
            max_results=1,
            next_token=page.next_token,
        )


def test_datasets_are_listed_in_pages(identity: Identity) -> None:
    for name in ("a", "b", "c"):
        update(identity, replace("k", "v"), name=name)

    first, token = datasets_page(identity=identity, max_results=2, next_token=None)
    rest, end = datasets_page(identity=identity, max_results=2, next_token=token)

    assert [d.name for d in first + rest] == ["a", "b", "c"]
    assert end is None


def test_a_dataset_name_is_checked_as_cognito_checks_it(identity: Identity) -> None:
    with pytest.raises(InvalidParameterException):
        dataset_get(identity=identity, name="no spaces")


# Whose data


def test_identity_credentials_reach_only_their_own_identity(
    identity: Identity, identity_pool: IdentityPool
) -> None:
    other = make_identity(identity_pool)
    ids = {"identity_pool_id": identity_pool.identity_pool_id, "identity_id": other.identity_id}

    found = sync_identity_get(**ids, caller_identity_id=other.identity_id)

    assert found == other
    assert sync_identity_get(**ids, caller_identity_id=None) == other
    with pytest.raises(NotAuthorizedException):
        sync_identity_get(**ids, caller_identity_id=identity.identity_id)
    with pytest.raises(NotAuthorizedException):
        sync_identity_pool_get(
            identity_pool_id=identity_pool.identity_pool_id,
            caller_identity_id=identity.identity_id,
        )
    with pytest.raises(NotAuthorizedException):
        sync_developer_check(caller_identity_id=identity.identity_id)


def test_an_identity_of_another_pool_is_not_found(identity: Identity) -> None:
    elsewhere = make_identity_pool("elsewhere")

    with pytest.raises(ResourceNotFoundException):
        sync_identity_get(
            identity_pool_id=elsewhere.identity_pool_id,
            identity_id=identity.identity_id,
            caller_identity_id=None,
        )
    with pytest.raises(ResourceNotFoundException):
        sync_identity_get(
            identity_pool_id="us-east-1:00000000-0000-0000-0000-000000000000",
            identity_id=identity.identity_id,
            caller_identity_id=None,
        )


# Usage


def test_usage_counts_live_datasets_and_their_bytes(
    identity: Identity, identity_pool: IdentityPool, clock: Clock
) -> None:
    other = make_identity(identity_pool)
    update(identity, replace("k", "vv"), name="a")
    update(identity, replace("k", "v"), name="b")
    clock.advance(minutes=1)
    dataset_delete(identity=identity, dataset_name="b", modified_by=WRITER)
    update(other, replace("key", "value"), name="a")
    empty_pool = make_identity_pool("empty")

    usage = identity_usage_get(identity=identity)
    pool_usage = identity_pool_usage_get(pool=identity_pool)
    usages, max_results, token = identity_pool_usages_page(max_results=None, next_token=None)

    assert (usage.dataset_count, usage.data_storage, usage.last_modified_at) == (
        1,
        3,
        clock.now,
    )
    assert (pool_usage.data_storage, pool_usage.last_modified_at) == (11, clock.now)
    assert [(u.pool, u.data_storage, u.last_modified_at) for u in usages] == [
        (identity_pool, 11, clock.now),
        (empty_pool, 0, None),
    ]
    assert (max_results, token) == (60, None)
    assert identity_usage_get(identity=make_identity(empty_pool)).last_modified_at is None


def test_pool_usages_come_in_pages() -> None:
    pools = [make_identity_pool(f"p{n}") for n in range(3)]

    first, size, token = identity_pool_usages_page(max_results=2, next_token=None)
    rest, _, end = identity_pool_usages_page(max_results=2, next_token=token)

    assert [u.pool for u in first + rest] == pools
    assert (size, end) == (2, None)


def test_new_records_are_inserted_once_and_an_existing_dataset_is_not_inserted_again(
    identity: Identity,
) -> None:
    update(identity, replace("theme", "light"))
    token = session(identity)

    with CaptureQueriesContext(connection) as queries:
        update(
            identity, replace("theme", "dark", 1), replace("a", "1"), replace("b", "2"), token=token
        )

    statements = [q["sql"].split()[0:3] for q in queries.captured_queries]
    inserts = [s for s in statements if s[:3] == ["INSERT", "INTO", '"sync_record"']]
    dataset_inserts = [s for s in statements if s[:3] == ["INSERT", "INTO", '"sync_dataset"']]
    record_updates = [
        q for q in queries.captured_queries if q["sql"].startswith('UPDATE "sync_record"')
    ]
    assert (len(inserts), len(dataset_inserts), len(record_updates)) == (1, 0, 1)
    assert changes(identity, since=0) == {"theme": ("dark", 2), "a": ("1", 2), "b": ("2", 2)}
