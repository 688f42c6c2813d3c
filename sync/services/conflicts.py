"""Identity pools' conflict rules, and restoring a value from the conflict log.

A restore is a write like any other: the dataset's sync count grows by one and the record takes
it, so every device learns of it on its next sync. The value it replaces is logged in turn (with
the strategy of the conflict restored, `kept_by`/`lost_by` telling who restored what), so a
restore cannot lose a value either.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from cognitoadmin.authorization import action_declare
from cognitoadmin.errors import InvalidParameterException, ResourceConflictException
from identities.models import IdentityPool
from sync.models import Conflict, ConflictRule, ConflictStrategy
from sync.services.datasets import dataset_record_write

LIST_CONFLICT_RULES = action_declare(
    "cognito-sync:ListConflictRules", permission="sync.view_conflictrule"
)
SET_CONFLICT_RULE = action_declare(
    "cognito-sync:SetConflictRule", permission="sync.change_conflictrule"
)
DELETE_CONFLICT_RULE = action_declare(
    "cognito-sync:DeleteConflictRule", permission="sync.delete_conflictrule"
)
LIST_CONFLICTS = action_declare("cognito-sync:ListConflicts", permission="sync.view_conflict")
DESCRIBE_CONFLICT = action_declare("cognito-sync:DescribeConflict", permission="sync.view_conflict")
RESTORE_CONFLICT = action_declare("cognito-sync:RestoreConflict", permission="sync.change_conflict")

# Dataset names are `[\w.:-]{1,128}`; a pattern adds fnmatch's `*`, `?` and `[...]`/`[!...]`.
_PATTERN = re.compile(r"[\w.:*?\[\]!-]{0,128}")


@transaction.atomic
def conflict_rule_set(
    *, identity_pool: IdentityPool, dataset_pattern: str, strategy: str
) -> ConflictRule:
    """The pool's rule for `dataset_pattern`, made or changed to `strategy`."""
    if not _PATTERN.fullmatch(dataset_pattern):
        raise InvalidParameterException(
            "A dataset pattern has at most 128 characters: letters, digits, '_', '.', ':', '-' "
            "and the wildcards '*', '?', '[...]'."
        )
    if strategy not in ConflictStrategy.values:
        raise InvalidParameterException(
            f"Unknown conflict strategy '{strategy}'; one of: {', '.join(ConflictStrategy.values)}."
        )
    rule, _ = ConflictRule.objects.update_or_create(
        identity_pool=identity_pool,
        dataset_pattern=dataset_pattern,
        defaults={"strategy": strategy},
    )
    return rule


def conflict_rule_delete(*, rule: ConflictRule) -> None:
    rule.delete()


@transaction.atomic
def conflict_restore(*, conflict: Conflict, restored_by: str) -> Conflict:
    """Write `conflict`'s lost value back to its record; a conflict is restored once."""
    # The lock makes two restores of one conflict wait for each other, so the second is refused.
    locked = (
        Conflict.objects.select_for_update().select_related("identity__pool").get(pk=conflict.pk)
    )
    if locked.restored_at is not None:
        raise ResourceConflictException(f"Conflict {locked.pk} was restored already.")
    before, after = dataset_record_write(
        identity=locked.identity,
        dataset_name=locked.dataset_name,
        key=locked.key,
        value=locked.lost_value,
        modified_by=restored_by,
    )
    if before is not None and before.value != locked.lost_value:
        Conflict.objects.create(
            identity=locked.identity,
            dataset_name=locked.dataset_name,
            key=locked.key,
            strategy=locked.strategy,
            kept_value=locked.lost_value,
            lost_value=before.value,
            kept_device_time=after.device_last_modified_at if after else None,
            lost_device_time=before.device_last_modified_at,
            kept_by=restored_by,
            lost_by=before.last_modified_by,
        )
    locked.restored_at = timezone.now()
    locked.save(update_fields=["restored_at"])
    return locked
