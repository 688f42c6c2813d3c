"""Serializers of the management API of conflict rules and the conflict log. Input checks shape
only; the services decide what a pattern or a strategy may be."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from pools.api.serializers import StrictInputSerializer
from sync.models import Conflict, ConflictRule, ConflictStrategy


class ConflictRuleInputSerializer(StrictInputSerializer):
    dataset_pattern = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text="Shell-style pattern of dataset names (`*`, `?`, `[...]`); empty: the pool's "
        "default. A non-empty pattern beats the default, and the longest matching one wins.",
    )
    strategy = serializers.ChoiceField(choices=ConflictStrategy.choices)


class ConflictRuleOutputSerializer(serializers.ModelSerializer[ConflictRule]):
    class Meta:
        model = ConflictRule
        fields = ["id", "dataset_pattern", "strategy"]
        read_only_fields = fields


class ConflictQueryInputSerializer(serializers.Serializer[Any]):
    dataset = serializers.CharField(
        required=False, trim_whitespace=False, help_text="Only this dataset's conflicts."
    )
    restored = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Only the conflicts restored (true) or not restored yet (false).",
    )


class ConflictOutputSerializer(serializers.ModelSerializer[Conflict]):
    """A value that lost a conflict (`lost_value`) and the one that stayed; null: a removal."""

    identity_id = serializers.CharField(source="identity.identity_id", read_only=True)

    class Meta:
        model = Conflict
        fields = [
            "id",
            "identity_id",
            "dataset_name",
            "key",
            "strategy",
            "kept_value",
            "lost_value",
            "kept_device_time",
            "lost_device_time",
            "kept_by",
            "lost_by",
            "created_at",
            "restored_at",
        ]
        read_only_fields = fields
