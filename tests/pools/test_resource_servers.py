from __future__ import annotations

import re
from typing import Any

import pytest

from pools.errors import InvalidParameterException, LimitExceededException
from pools.models import AppClient, ResourceServer, UserPool
from pools.selectors.resource_servers import resource_servers_page
from pools.services.resource_servers import (
    MAX_RESOURCE_SERVERS_PER_POOL,
    resource_server_create,
    resource_server_delete,
    resource_server_update,
)
from pools.shapes.resource_servers import resource_server_shape
from tests.builders import make_app_client, make_resource_server, make_user_pool

pytestmark = pytest.mark.django_db


def _scope(name: str, description: str = "") -> dict[str, str]:
    return {"ScopeName": name, "ScopeDescription": description or f"{name} access"}


def _identifiers(pool: UserPool) -> list[str]:
    return list(ResourceServer.objects.filter(pool=pool).values_list("identifier", flat=True))


def test_create_stores_identifier_name_and_scopes(pool: UserPool) -> None:
    server = resource_server_create(
        pool=pool,
        identifier="https://api.example.com",
        name="Orders API",
        scopes=[_scope("orders.read"), _scope("orders.write")],
    )

    assert resource_server_shape(ResourceServer.objects.get(pk=server.pk)) == {
        "UserPoolId": pool.pool_id,
        "Identifier": "https://api.example.com",
        "Name": "Orders API",
        "Scopes": [
            {"ScopeName": "orders.read", "ScopeDescription": "orders.read access"},
            {"ScopeName": "orders.write", "ScopeDescription": "orders.write access"},
        ],
    }


def test_a_server_without_scopes_is_allowed(pool: UserPool) -> None:
    server = resource_server_create(pool=pool, identifier="plain", name="plain")

    assert server.scopes == []
    assert "Scopes" not in resource_server_shape(server)


def test_duplicate_identifier_is_rejected(pool: UserPool) -> None:
    make_resource_server(pool=pool, identifier="orders", name="first")

    with pytest.raises(InvalidParameterException, match="orders already exists in user pool"):
        resource_server_create(pool=pool, identifier="orders", name="second")

    assert ResourceServer.objects.get(pool=pool).name == "first"


def test_the_same_identifier_is_free_in_another_pool(pool: UserPool) -> None:
    make_resource_server(pool=pool, identifier="orders")
    other = make_user_pool(name="other")

    make_resource_server(pool=other, identifier="orders")

    assert _identifiers(other) == ["orders"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"identifier": ""}, "'identifier'"),
        ({"identifier": "has space"}, "'identifier'"),
        ({"identifier": 'quote"'}, "'identifier'"),
        ({"identifier": "i" * 257}, "'identifier'"),
        ({"name": ""}, "'name'"),
        ({"name": "bad/name"}, "'name'"),
        ({"name": "n" * 257}, "'name'"),
        ({"scopes": [_scope("a/b")]}, "scopeName"),
        ({"scopes": [_scope("s" * 257)]}, "scopeName"),
        ({"scopes": [{"ScopeName": "read", "ScopeDescription": ""}]}, "scopeDescription"),
        ({"scopes": [{"ScopeName": "read"}]}, "scopeDescription"),
        ({"scopes": [_scope("d" * 5, "x" * 257)]}, "scopeDescription"),
        ({"scopes": [_scope(f"s{i}") for i in range(101)]}, "'scopes'"),
        ({"scopes": [_scope("read"), _scope("read", "again")]}, "Duplicate scope names: read"),
    ],
)
def test_create_rejects_invalid_input(
    pool: UserPool, arguments: dict[str, Any], message: str
) -> None:
    request: dict[str, Any] = {"identifier": "orders", "name": "orders", "scopes": []}
    request.update(arguments)

    with pytest.raises(InvalidParameterException, match=re.escape(message)):
        resource_server_create(pool=pool, **request)

    assert _identifiers(pool) == []


def test_create_accepts_a_hundred_scopes(pool: UserPool) -> None:
    server = resource_server_create(
        pool=pool, identifier="big", name="big", scopes=[_scope(f"s{i}") for i in range(100)]
    )

    assert len(server.scopes) == 100


def test_create_stops_at_twenty_five_servers(pool: UserPool) -> None:
    for i in range(MAX_RESOURCE_SERVERS_PER_POOL):
        make_resource_server(pool=pool, identifier=f"api{i}")

    with pytest.raises(LimitExceededException):
        make_resource_server(pool=pool, identifier="one-too-many")

    assert len(_identifiers(pool)) == MAX_RESOURCE_SERVERS_PER_POOL
    assert "one-too-many" not in _identifiers(pool)


def test_update_replaces_name_and_scopes(pool: UserPool) -> None:
    server = make_resource_server(pool=pool, identifier="orders", scopes=("read", "write"))

    resource_server_update(server=server, name="renamed", scopes=[_scope("admin")])

    stored = ResourceServer.objects.get(pk=server.pk)
    assert stored.name == "renamed"
    assert stored.scopes == [{"ScopeName": "admin", "ScopeDescription": "admin access"}]


def test_failed_update_changes_nothing(pool: UserPool) -> None:
    server = make_resource_server(pool=pool, identifier="orders", name="api", scopes=("read",))

    with pytest.raises(InvalidParameterException):
        resource_server_update(server=server, name="renamed", scopes=[_scope("bad/scope")])

    stored = ResourceServer.objects.get(pk=server.pk)
    assert (stored.name, stored.scopes) == (
        "api",
        [{"ScopeName": "read", "ScopeDescription": "read access"}],
    )


def test_removed_scopes_are_taken_from_clients(pool: UserPool) -> None:
    server = make_resource_server(pool=pool, identifier="orders", scopes=("read", "write"))
    client = make_app_client(
        pool=pool, AllowedOAuthScopes=["openid", "orders/read", "orders/write"]
    )

    resource_server_update(server=server, name="api", scopes=[_scope("write")])

    assert AppClient.objects.get(pk=client.pk).allowed_oauth_scopes == ["openid", "orders/write"]


def test_delete_takes_its_scopes_from_clients(pool: UserPool) -> None:
    doomed = make_resource_server(pool=pool, identifier="orders", scopes=("read",))
    make_resource_server(pool=pool, identifier="billing", scopes=("read",))
    client = make_app_client(pool=pool, AllowedOAuthScopes=["orders/read", "billing/read"])

    resource_server_delete(server=doomed)

    assert _identifiers(pool) == ["billing"]
    assert AppClient.objects.get(pk=client.pk).allowed_oauth_scopes == ["billing/read"]


def test_delete_leaves_another_pools_clients_alone(pool: UserPool) -> None:
    doomed = make_resource_server(pool=pool, identifier="orders", scopes=("read",))
    other = make_user_pool(name="other")
    make_resource_server(pool=other, identifier="orders", scopes=("read",))
    theirs = make_app_client(pool=other, AllowedOAuthScopes=["orders/read"])

    resource_server_delete(server=doomed)

    assert AppClient.objects.get(pk=theirs.pk).allowed_oauth_scopes == ["orders/read"]


def test_pages_cover_the_pools_servers_only(pool: UserPool) -> None:
    for i in range(5):
        make_resource_server(pool=pool, identifier=f"api{i}")
    other = make_user_pool(name="other")
    make_resource_server(pool=other, identifier="elsewhere")

    seen: list[str] = []
    token: str | None = None
    while True:
        servers, token = resource_servers_page(pool=pool, max_results=2, next_token=token)
        seen += [s.identifier for s in servers]
        if token is None:
            break

    assert seen == [f"api{i}" for i in range(5)]


@pytest.mark.parametrize("max_results", [0, 51])
def test_max_results_outside_one_to_fifty_is_rejected(pool: UserPool, max_results: int) -> None:
    with pytest.raises(InvalidParameterException, match="maxResults"):
        resource_servers_page(pool=pool, max_results=max_results, next_token=None)


def test_a_token_from_another_pool_is_refused(pool: UserPool) -> None:
    other = make_user_pool(name="other")
    for i in range(3):
        make_resource_server(pool=other, identifier=f"api{i}")
    _, token = resource_servers_page(pool=other, max_results=1, next_token=None)
    assert token is not None

    with pytest.raises(InvalidParameterException, match="pagination token"):
        resource_servers_page(pool=pool, max_results=1, next_token=token)
