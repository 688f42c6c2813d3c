"""The two operator groups that migrations ship (README, "Operators and permissions"). A model
added without a migration that runs `grant_product_permissions` fails here."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db

APPS = ("pools", "identities", "sync")


def _permissions(group: str) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=group).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def _every_model_permission(*, views_only: bool) -> set[str]:
    """What the groups must hold for every model there is: a model added without a migration
    that grants its permissions to them fails here."""
    actions = ("view",) if views_only else ("view", "add", "change", "delete")
    return {
        f"{model._meta.app_label}.{action}_{model._meta.model_name}"
        for label in APPS
        for model in apps.get_app_config(label).get_models()
        for action in actions
    }


def test_support_may_view_everything_and_nothing_more() -> None:
    assert _permissions("Support (read only)") == _every_model_permission(views_only=True)


def test_administrators_hold_every_permission_on_the_products_data() -> None:
    assert _permissions("Administrators") == _every_model_permission(views_only=False)


def test_neither_group_may_manage_operators() -> None:
    granted = _permissions("Support (read only)") | _permissions("Administrators")

    assert not any(permission.startswith(("auth.", "otp_")) for permission in granted)
