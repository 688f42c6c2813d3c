"""Identity merges keep every dataset: the merged identity's move to the survivor, and one
whose name the survivor has already is kept beside it and listed as a merged dataset."""

from __future__ import annotations

import pytest

from identities.models import Identity, IdentityLogin, IdentityPool
from identities.services.identities import developer_identities_merge
from identities.services.identity_pools import identity_pool_create
from sync.models import Conflict, Dataset
from sync.selectors.datasets import records_list
from tests.sync.test_datasets import changes, make_identity, replace, update

pytestmark = pytest.mark.django_db

DEVELOPER = "login.example.app"


@pytest.fixture
def identity_pool() -> IdentityPool:
    return identity_pool_create(
        settings={
            "IdentityPoolName": "games",
            "AllowUnauthenticatedIdentities": False,
            "DeveloperProviderName": DEVELOPER,
        }
    )


def _developer_identity(pool: IdentityPool, user: str) -> Identity:
    identity = make_identity(pool)
    IdentityLogin.objects.create(pool=pool, identity=identity, provider=DEVELOPER, subject=user)
    return identity


def test_a_merge_moves_datasets_and_keeps_both_of_a_shared_name(
    identity_pool: IdentityPool,
) -> None:
    kept = _developer_identity(identity_pool, "user-1")
    gone = _developer_identity(identity_pool, "user-2")
    update(kept, replace("theme", "dark"))
    update(gone, replace("theme", "light"))
    update(gone, replace("level", "7"), name="progress")
    Conflict.objects.create(
        identity=gone,
        dataset_name="settings",
        key="theme",
        strategy="server_wins",
        kept_value="light",
        lost_value="blue",
    )

    developer_identities_merge(
        pool=identity_pool, provider_name=DEVELOPER, source="user-2", destination="user-1"
    )

    merged_name = f"settings.{gone.identity_id}"
    listing = records_list(
        identity=kept,
        dataset_name="settings",
        last_sync_count=None,
        max_results=None,
        next_token=None,
    )
    assert not Identity.objects.filter(pk=gone.pk).exists()
    assert sorted(Dataset.objects.filter(identity=kept).values_list("name", flat=True)) == sorted(
        ["settings", "progress", merged_name]
    )
    assert listing.merged_dataset_names == [merged_name]
    assert changes(kept, since=None) == {"theme": ("dark", 1)}
    assert changes(kept, since=None, name=merged_name) == {"theme": ("light", 1)}
    assert changes(kept, since=None, name="progress") == {"level": ("7", 1)}
    assert list(Conflict.objects.values_list("identity_id", "dataset_name", "lost_value")) == [
        (kept.pk, merged_name, "blue")
    ]


def test_a_merged_name_is_shortened_to_fit(identity_pool: IdentityPool) -> None:
    kept = _developer_identity(identity_pool, "user-1")
    gone = _developer_identity(identity_pool, "user-2")
    long_name = "n" * 128
    update(kept, replace("k", "a"), name=long_name)
    update(gone, replace("k", "b"), name=long_name)

    developer_identities_merge(
        pool=identity_pool, provider_name=DEVELOPER, source="user-2", destination="user-1"
    )

    names = set(Dataset.objects.filter(identity=kept).values_list("name", flat=True))
    merged = (names - {long_name}).pop()
    assert len(merged) == 128
    assert merged.endswith(f".{gone.identity_id}")
    assert changes(kept, since=None, name=merged) == {"k": ("b", 1)}
