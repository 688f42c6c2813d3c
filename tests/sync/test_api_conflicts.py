"""Management API: an identity pool's conflict rules and conflict log, and restores."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from identities.models import Identity, IdentityPool
from identities.services.identity_pools import identity_pool_create
from sync.models import Conflict, ConflictRule, Record
from sync.services.conflicts import conflict_rule_set
from tests.builders import make_access_key, make_operator
from tests.sync.devices import Device, rows

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)


def make_pool(name: str = "games") -> IdentityPool:
    return identity_pool_create(
        settings={"IdentityPoolName": name, "AllowUnauthenticatedIdentities": True}
    )


def rules_url(pool: IdentityPool) -> str:
    return f"/api/v1/identity-pools/{pool.identity_pool_id}/conflict-rules/"


def conflicts_url(pool: IdentityPool) -> str:
    return f"/api/v1/identity-pools/{pool.identity_pool_id}/conflicts/"


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def make_conflict(pool: IdentityPool, dataset: str = "settings") -> Conflict:
    """Device "b"'s "B" lost to device "a"'s "A" under server wins."""
    conflict_rule_set(identity_pool=pool, dataset_pattern="", strategy="server_wins")
    made = Identity.objects.create(identity_id=f"{pool.region}:{uuid.uuid4()}", pool=pool)
    identity = Identity.objects.select_related("pool").get(pk=made.pk)
    a, b = Device(identity, "a", dataset), Device(identity, "b", dataset)
    a.edit("k", "0", T0)
    a.sync()
    b.sync()
    a.edit("k", "A", T0)
    b.edit("k", "B", T0)
    a.sync()
    b.sync()
    return Conflict.objects.get(identity=identity)


@pytest.fixture
def pool() -> IdentityPool:
    return make_pool()


def test_rules_are_set_listed_and_deleted(api: APIClient, pool: IdentityPool) -> None:
    made = api.post(rules_url(pool), {"dataset_pattern": "game*", "strategy": "client_wins"})
    again = api.post(
        rules_url(pool), {"dataset_pattern": "game*", "strategy": "server_wins"}, format="json"
    )
    api.post(rules_url(pool), {"dataset_pattern": "", "strategy": "merge_json"}, format="json")

    rule = ConflictRule.objects.get(dataset_pattern="game*")
    assert made.status_code == again.status_code == 200
    assert again.json() == {"id": rule.pk, "dataset_pattern": "game*", "strategy": "server_wins"}
    listed = api.get(rules_url(pool)).json()
    assert [(r["dataset_pattern"], r["strategy"]) for r in listed["results"]] == [
        ("game*", "server_wins"),
        ("", "merge_json"),
    ]
    assert listed["next"] is None

    assert api.delete(f"{rules_url(pool)}{rule.pk}/").status_code == 204
    assert list(ConflictRule.objects.values_list("dataset_pattern", flat=True)) == [""]


@pytest.mark.parametrize(
    "body",
    [
        {"dataset_pattern": "g*", "strategy": "first_wins"},
        {"dataset_pattern": "a/b", "strategy": "server_wins"},
        {"strategy": "server_wins"},
        {"dataset_pattern": "g*", "strategy": "server_wins", "extra": 1},
    ],
)
def test_a_bad_rule_is_refused_and_changes_nothing(
    api: APIClient, pool: IdentityPool, body: dict[str, Any]
) -> None:
    before = rows()

    response = api.post(rules_url(pool), body, format="json")

    assert response.status_code == 400, response.content
    assert rows() == before


def test_another_pools_rule_is_not_found_there(api: APIClient, pool: IdentityPool) -> None:
    other = make_pool("other")
    rule = conflict_rule_set(identity_pool=other, dataset_pattern="", strategy="client_wins")

    _error(api.delete(f"{rules_url(pool)}{rule.pk}/"), 404, "ResourceNotFoundException")
    _error(
        api.get(rules_url(pool).replace(pool.identity_pool_id, "us-east-1:nope")),
        404,
        "ResourceNotFoundException",
    )
    assert ConflictRule.objects.count() == 1


def test_conflicts_are_listed_filtered_and_described(api: APIClient, pool: IdentityPool) -> None:
    conflict = make_conflict(pool)
    make_conflict(pool, dataset="games")
    make_conflict(make_pool("other"))

    listed = api.get(conflicts_url(pool)).json()["results"]
    settings_only = api.get(conflicts_url(pool), {"dataset": "settings"}).json()["results"]
    restored = api.get(conflicts_url(pool), {"restored": "true"}).json()["results"]
    described = api.get(f"{conflicts_url(pool)}{conflict.pk}/").json()

    assert [c["dataset_name"] for c in listed] == ["settings", "games"]
    assert [c["id"] for c in settings_only] == [conflict.pk]
    assert restored == []
    assert described["identity_id"] == conflict.identity.identity_id
    assert (described["kept_value"], described["lost_value"]) == ("A", "B")
    assert (described["kept_by"], described["lost_by"], described["strategy"]) == (
        "a",
        "b",
        "server_wins",
    )
    assert described["restored_at"] is None


def test_conflicts_come_in_pages(api: APIClient, pool: IdentityPool) -> None:
    for name in ("one", "two", "three"):
        make_conflict(pool, dataset=name)

    first = api.get(conflicts_url(pool), {"limit": 2}).json()
    second = api.get(first["next"]).json()

    assert [c["dataset_name"] for c in first["results"] + second["results"]] == [
        "one",
        "two",
        "three",
    ]
    assert second["next"] is None


def test_a_restore_writes_the_value_back_once(
    api: APIClient, operator: User, pool: IdentityPool
) -> None:
    conflict = make_conflict(pool)

    response = api.post(f"{conflicts_url(pool)}{conflict.pk}/restore/")

    assert response.status_code == 200, response.content
    assert response.json()["restored_at"] is not None
    record = Record.objects.get(key="k")
    assert (record.value, record.last_modified_by) == ("B", operator.username)
    before = rows()
    _error(
        api.post(f"{conflicts_url(pool)}{conflict.pk}/restore/"), 409, "ResourceConflictException"
    )
    assert rows() == before


def test_another_pools_conflict_is_not_found_there(api: APIClient, pool: IdentityPool) -> None:
    conflict = make_conflict(make_pool("other"))
    before = rows()

    _error(api.get(f"{conflicts_url(pool)}{conflict.pk}/"), 404, "ResourceNotFoundException")
    _error(
        api.post(f"{conflicts_url(pool)}{conflict.pk}/restore/"), 404, "ResourceNotFoundException"
    )
    assert rows() == before


def test_a_bad_filter_is_refused(api: APIClient, pool: IdentityPool) -> None:
    response = api.get(conflicts_url(pool), {"restored": "maybe"})

    assert response.status_code == 400


def test_an_operator_without_permissions_is_refused(pool: IdentityPool) -> None:
    conflict = make_conflict(pool)
    client = APIClient()
    client.force_authenticate(user=make_operator(username="clerk", superuser=False))
    before = rows()

    _error(client.get(conflicts_url(pool)), 403, "AccessDeniedException")
    _error(
        client.post(f"{conflicts_url(pool)}{conflict.pk}/restore/"), 403, "AccessDeniedException"
    )
    _error(
        client.post(rules_url(pool), {"dataset_pattern": "", "strategy": "reject"}),
        403,
        "AccessDeniedException",
    )
    assert rows() == before


def test_a_key_narrowed_to_another_pool_is_refused(operator: User, pool: IdentityPool) -> None:
    mine = make_pool("mine")
    key, secret = make_access_key(
        operator=operator,
        policy={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "cognito-sync:*",
                    "Resource": f"arn:aws:cognito-sync:us-east-1:000000000000:identitypool/"
                    f"{mine.identity_pool_id}",
                }
            ],
        },
    )
    client = APIClient()
    token = base64.b64encode(f"{key.access_key_id}:{secret}".encode()).decode("ascii")
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")

    assert client.get(rules_url(mine)).status_code == 200
    _error(client.get(rules_url(pool)), 403, "AccessDeniedException")
