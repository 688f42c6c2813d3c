"""Every door declares the IAM action of everything it does, and every action names a permission
that exists: a handler, an endpoint or an admin page added without one fails here."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from rest_framework.viewsets import ViewSetMixin

from cognitoadmin.authorization import ACTIONS, EVERY_CALLER
from cognitoadmin.awsjson import REGISTRY
from cognitoadmin.service_admin import ReadOnlyInline, ServiceModelAdmin
from pools.api.urls import router
from pools.api.views import PoolScopedViewSet

pytestmark = pytest.mark.django_db

# The view actions a DRF router routes, and the methods it routes to each.
_STANDARD = {
    "list": ("GET",),
    "create": ("POST",),
    "retrieve": ("GET",),
    "update": ("PUT",),
    "partial_update": ("PATCH",),
    "destroy": ("DELETE",),
}


def test_every_action_names_a_permission_that_exists() -> None:
    # EVERY_CALLER is no Django permission: it lets every signed-in caller in.
    existing = {EVERY_CALLER} | {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    }

    missing = {name: a.permission for name, a in ACTIONS.items() if a.permission not in existing}

    assert missing == {}


@pytest.mark.parametrize("key", sorted(REGISTRY), ids=".".join)
def test_every_signed_operation_declares_its_action_and_resource(key: tuple[str, str]) -> None:
    operation = REGISTRY[key]

    if operation.signed:
        assert operation.action == f"{operation.service}:{operation.name}"
        assert operation.action in ACTIONS
        assert operation.resource is not None
    else:
        # Unsigned operations are authorised by their own tokens and client ids.
        assert (operation.action, operation.resource) == (None, None)


def _routed(viewset: type[Any]) -> list[tuple[str, str]]:
    routed = [
        (name, method)
        for name, methods in _STANDARD.items()
        if hasattr(viewset, name)
        for method in methods
    ]
    for extra in viewset.get_extra_actions():
        routed += [(extra.__name__, method.upper()) for method in extra.mapping]
    return routed


@pytest.mark.parametrize(
    ("prefix", "viewset"),
    [(prefix, viewset) for prefix, viewset, _ in router.registry],
    ids=[prefix for prefix, _, _ in router.registry],
)
def test_every_api_endpoint_declares_an_action(prefix: str, viewset: type[Any]) -> None:
    assert issubclass(viewset, ViewSetMixin)
    assert issubclass(viewset, PoolScopedViewSet)
    undeclared = []
    for name, method in _routed(viewset):
        entry = viewset.iam_actions.get(name)
        action = entry.get(method) if isinstance(entry, dict) else entry
        if action not in ACTIONS:
            undeclared.append((name, method, action))

    assert undeclared == []


def _project_admins() -> list[Any]:
    return [
        model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in {"pools", "identities", "sync"}
    ]


def test_every_admin_of_the_projects_data_asks_the_authorization() -> None:
    admins = _project_admins()

    assert admins
    assert all(isinstance(model_admin, ServiceModelAdmin) for model_admin in admins)


@pytest.mark.parametrize("model_admin", _project_admins(), ids=lambda a: type(a).__name__)
def test_every_admin_permission_names_a_declared_action(
    model_admin: ServiceModelAdmin[Any],
) -> None:
    named = set(model_admin.iam_actions.values())
    # Every action's permissions are answered by `has_<permission>_permission`, which for the
    # names of iam_actions asks the authorization.
    wanted = {
        permission
        for action in model_admin.actions or ()
        if not isinstance(action, str) or action != "delete_selected"
        for permission in getattr(getattr(model_admin, str(action)), "allowed_permissions", ())
    }

    assert named <= set(ACTIONS)
    assert wanted <= {"view", "add", "change", "delete", *model_admin.iam_actions}
    for inline in model_admin.inlines:
        assert issubclass(inline, ReadOnlyInline)
        assert inline.iam_action in ACTIONS
