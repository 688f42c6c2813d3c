"""Identity pools' conflict rules and their log of values that lost a conflict.

A dataset's strategy is the rule of its pool whose pattern matches its name (shell-style, case
sensitive as dataset names are): a non-empty pattern beats the pool's default (the empty
pattern); among matching patterns the longest, taken as the most specific, and among patterns of
one length the oldest rule, so that adding a rule never silently changes the winner of a tie.
No rule: `reject`, Cognito's own behaviour.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from django.db.models import QuerySet

from cognitoadmin.errors import ResourceNotFoundException
from identities.models import IdentityPool
from sync.models import Conflict, ConflictRule, ConflictStrategy


def conflict_strategy_get(*, identity_pool: IdentityPool, dataset_name: str) -> ConflictStrategy:
    matching = [
        rule
        for rule in ConflictRule.objects.filter(identity_pool=identity_pool).order_by("pk")
        if not rule.dataset_pattern or fnmatchcase(dataset_name, rule.dataset_pattern)
    ]
    if not matching:
        return ConflictStrategy.REJECT
    # max() keeps the first of equals, and the rules come oldest first.
    chosen = max(matching, key=lambda rule: len(rule.dataset_pattern))
    return ConflictStrategy(chosen.strategy)


def conflict_rules_list(*, identity_pool: IdentityPool) -> QuerySet[ConflictRule]:
    return ConflictRule.objects.filter(identity_pool=identity_pool).order_by("pk")


def conflict_rule_get(*, identity_pool: IdentityPool, rule_id: int) -> ConflictRule:
    rule = conflict_rules_list(identity_pool=identity_pool).filter(pk=rule_id).first()
    if rule is None:
        raise ResourceNotFoundException(f"Conflict rule {rule_id} not found.")
    return rule


def conflicts_list(
    *,
    identity_pool: IdentityPool,
    dataset_name: str | None = None,
    restored: bool | None = None,
) -> QuerySet[Conflict]:
    conflicts = Conflict.objects.filter(identity__pool=identity_pool).select_related("identity")
    if dataset_name is not None:
        conflicts = conflicts.filter(dataset_name=dataset_name)
    if restored is not None:
        conflicts = conflicts.filter(restored_at__isnull=not restored)
    return conflicts.order_by("pk")


def conflict_get(*, identity_pool: IdentityPool, conflict_id: int) -> Conflict:
    conflict = conflicts_list(identity_pool=identity_pool).filter(pk=conflict_id).first()
    if conflict is None:
        raise ResourceNotFoundException(f"Conflict {conflict_id} not found.")
    return conflict
