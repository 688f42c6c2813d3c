"""Cognito Sync in the admin: datasets and records read-only, conflict rules through their
services, the conflict log with its filters and the restore action."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from identities.models import IdentityPool
from sync.models import Conflict, ConflictRule, Dataset, Record
from sync.services.conflicts import conflict_restore, conflict_rule_set
from tests.builders import make_operator
from tests.sync.devices import rows
from tests.sync.test_api_conflicts import make_conflict, make_pool

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

ADMIN = "/admin/sync/"


def _signed_in(client: Client, operator: User) -> Client:
    client.force_login(operator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=operator).persistent_id
    session.save()
    return client


@pytest.fixture
def admin(client: Client, operator: User) -> Client:
    return _signed_in(client, operator)


@pytest.fixture
def pool() -> IdentityPool:
    return make_pool()


def _messages(response: Response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_datasets_and_records_are_listed_found_and_read_only(
    admin: Client, pool: IdentityPool
) -> None:
    conflict = make_conflict(pool)
    identity_id = conflict.identity.identity_id
    make_conflict(pool, dataset="games")
    dataset = Dataset.objects.get(name="settings")

    found = admin.get(f"{ADMIN}dataset/", {"q": "games"})
    by_identity = admin.get(f"{ADMIN}dataset/", {"q": identity_id})
    records = admin.get(f"{ADMIN}record/", {"q": identity_id})
    page = admin.get(f"{ADMIN}dataset/{dataset.pk}/change/")

    assert [d.name for d in found.context["cl"].result_list] == ["games"]
    assert [d.name for d in by_identity.context["cl"].result_list] == ["settings"]
    assert [r.key for r in records.context["cl"].result_list] == ["k"]
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert admin.get(f"{ADMIN}dataset/add/").status_code == 403
    assert (
        admin.post(f"{ADMIN}record/{Record.objects.get(dataset=dataset).pk}/delete/").status_code
        == 403
    )


def test_a_rule_is_added_through_the_service(admin: Client, pool: IdentityPool) -> None:
    response = admin.post(
        f"{ADMIN}conflictrule/add/",
        {"identity_pool": pool.pk, "dataset_pattern": "game*", "strategy": "client_wins"},
    )

    assert response.status_code == 302
    assert list(ConflictRule.objects.values_list("dataset_pattern", "strategy")) == [
        ("game*", "client_wins")
    ]


def test_a_refused_rule_is_shown_and_nothing_is_made(admin: Client, pool: IdentityPool) -> None:
    before = rows()

    response = admin.post(
        f"{ADMIN}conflictrule/add/",
        {"identity_pool": pool.pk, "dataset_pattern": "a/b", "strategy": "client_wins"},
    )

    assert response.status_code == 200
    assert "A dataset pattern" in str(response.context["adminform"].form.errors)
    assert rows() == before


def test_a_rules_strategy_is_changed_and_the_rule_deleted(
    admin: Client, pool: IdentityPool
) -> None:
    rule = conflict_rule_set(identity_pool=pool, dataset_pattern="g*", strategy="client_wins")

    changed = admin.post(f"{ADMIN}conflictrule/{rule.pk}/change/", {"strategy": "server_wins"})
    deleted = admin.post(f"{ADMIN}conflictrule/{rule.pk}/delete/", {"post": "yes"})

    assert changed.status_code == deleted.status_code == 302
    assert not ConflictRule.objects.exists()


def test_conflicts_are_filtered_by_strategy_and_restored(admin: Client, pool: IdentityPool) -> None:
    done, waiting = make_conflict(pool), make_conflict(pool, dataset="games")
    conflict_restore(conflict=done, restored_by="operator")

    restored = admin.get(f"{ADMIN}conflict/", {"restored": "yes"})
    not_restored = admin.get(f"{ADMIN}conflict/", {"restored": "no", "strategy": "server_wins"})
    other = admin.get(f"{ADMIN}conflict/", {"strategy": "client_wins"})

    assert [c.pk for c in restored.context["cl"].result_list] == [done.pk]
    # The restore logged the value it replaced: a conflict not restored, of the same strategy.
    assert waiting.pk in [c.pk for c in not_restored.context["cl"].result_list]
    assert list(other.context["cl"].result_list) == []


def test_the_restore_action_restores_and_reports_refusals(
    admin: Client, pool: IdentityPool
) -> None:
    done, waiting = make_conflict(pool), make_conflict(pool, dataset="games")
    conflict_restore(conflict=done, restored_by="operator")

    response = admin.post(
        f"{ADMIN}conflict/",
        {"action": "restore", "_selected_action": [done.pk, waiting.pk]},
        follow=True,
    )

    messages = _messages(response)
    assert any("Restored 1 value(s)." in m for m in messages)
    assert any("1 refused" in m and "restored already" in m for m in messages)
    assert Conflict.objects.get(pk=waiting.pk).restored_at is not None
    assert Record.objects.get(dataset__name="games", key="k").value == "B"


def test_an_operator_without_permissions_sees_nothing(client: Client, pool: IdentityPool) -> None:
    conflict = make_conflict(pool)
    clerk = _signed_in(client, make_operator(username="clerk", superuser=False))
    before = rows()

    for model in ("dataset", "record", "conflictrule", "conflict"):
        assert clerk.get(f"{ADMIN}{model}/").status_code == 403
    clerk.post(f"{ADMIN}conflict/", {"action": "restore", "_selected_action": [conflict.pk]})
    assert rows() == before
