"""Identity pools come in their own issue; operators' access keys live here already (DESIGN.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AccessKey(models.Model):
    """A long-lived key pair for programs acting as an operator (SigV4 or HTTP Basic).

    The secret is sealed, not hashed: SigV4 verification must recompute signatures with it.
    """

    access_key_id = models.CharField(max_length=128, unique=True, editable=False)
    secret_sealed = models.TextField(editable=False)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_keys"
    )
    description = models.CharField(max_length=256, blank=True)
    # An IAM-style policy (its canonical document) that narrows what the key may do; without one
    # the key may do whatever its operator may.
    policy = models.JSONField(null=True, blank=True, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.access_key_id
