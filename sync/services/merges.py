"""Datasets on an identity merge: the merged identity's datasets move to the one that survives.

A dataset whose name the survivor has already is kept beside it as `<name>.<merged identity
id>` (shortened to fit 128 characters), with `merged_from` naming the original, so that
ListRecords of that name lists it among MergedDatasetNames and the app reconciles the two, as
Cognito Sync leaves that to the app. No record is lost, nor any entry of the conflict log;
deleted datasets have no records to keep.
"""

from __future__ import annotations

from identities.models import Identity
from sync.models import Conflict, Dataset

_MAX_NAME = 128


def _merged_name(name: str, identity_id: str) -> str:
    suffix = f".{identity_id}"
    return f"{name[: _MAX_NAME - len(suffix)]}{suffix}"


def identity_datasets_merge(survivor: Identity, merged: Identity) -> None:
    """Move `merged`'s datasets to `survivor` (runs inside the merge's transaction)."""
    Dataset.objects.filter(identity=merged, deleted=True).delete()
    taken = set(Dataset.objects.filter(identity=survivor).values_list("name", flat=True))
    for dataset in Dataset.objects.select_for_update().filter(identity=merged):
        if dataset.name in taken:
            dataset.merged_from = dataset.name
            dataset.name = _merged_name(dataset.name, merged.identity_id)
            # The dataset's conflict log follows it under its new name.
            Conflict.objects.filter(identity=merged, dataset_name=dataset.merged_from).update(
                dataset_name=dataset.name
            )
        dataset.identity = survivor
        dataset.save(update_fields=["identity", "name", "merged_from"])
        taken.add(dataset.name)
    Conflict.objects.filter(identity=merged).update(identity=survivor)
