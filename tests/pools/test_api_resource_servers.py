"""Management API: resource servers of a pool (/api/v1/pools/{pool_id}/resource-servers/)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from pools.models import ResourceServer, UserPool
from tests.builders import make_app_client, make_resource_server, make_user_pool

pytestmark = pytest.mark.django_db

IDENTIFIER = "https://api.example.com"


def servers_url(pool: UserPool) -> str:
    return f"/api/v1/pools/{pool.pool_id}/resource-servers/"


def server_url(pool: UserPool, identifier: str = IDENTIFIER) -> str:
    return f"{servers_url(pool)}{quote(identifier, safe='')}/"


def test_create_returns_the_server_with_its_scopes(api: APIClient, pool: UserPool) -> None:
    response = api.post(
        servers_url(pool),
        {
            "identifier": IDENTIFIER,
            "name": "api",
            "scopes": [{"name": "read", "description": "Read access"}],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["identifier"] == IDENTIFIER
    assert body["scopes"] == [{"name": "read", "description": "Read access"}]
    server = ResourceServer.objects.get(pool=pool)
    assert server.scopes == [{"ScopeName": "read", "ScopeDescription": "Read access"}]


def test_create_of_an_existing_identifier_creates_nothing(api: APIClient, pool: UserPool) -> None:
    make_resource_server(pool=pool, name="first")

    response = api.post(servers_url(pool), {"identifier": IDENTIFIER, "name": "second"})

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"
    assert ResourceServer.objects.get(pool=pool).name == "first"


def test_create_with_a_bad_scope_name_creates_nothing(api: APIClient, pool: UserPool) -> None:
    response = api.post(
        servers_url(pool),
        {"identifier": IDENTIFIER, "name": "api", "scopes": [{"name": "a b", "description": "x"}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"
    assert not ResourceServer.objects.exists()


def test_url_encoded_identifier_finds_the_server(api: APIClient, pool: UserPool) -> None:
    make_resource_server(pool=pool)

    response = api.get(server_url(pool))

    assert response.status_code == 200
    assert response.json()["identifier"] == IDENTIFIER
    assert response.json()["scopes"][0] == {"name": "read", "description": "read access"}


def test_identifier_with_a_path_finds_the_server(api: APIClient, pool: UserPool) -> None:
    make_resource_server(pool=pool, identifier="https://api.example.com/v2/")

    response = api.get(server_url(pool, "https://api.example.com/v2/"))

    assert response.status_code == 200
    assert response.json()["identifier"] == "https://api.example.com/v2/"


def test_patch_of_the_name_keeps_the_scopes(api: APIClient, pool: UserPool) -> None:
    make_resource_server(pool=pool)

    response = api.patch(server_url(pool), {"name": "renamed"}, format="json")

    assert response.status_code == 200, response.json()
    server = ResourceServer.objects.get(pool=pool)
    assert server.name == "renamed"
    assert [s["ScopeName"] for s in server.scopes] == ["read", "write"]


def test_patch_of_the_scopes_takes_removed_ones_from_clients(
    api: APIClient, pool: UserPool
) -> None:
    make_resource_server(pool=pool)
    client = make_app_client(
        pool=pool,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=[f"{IDENTIFIER}/read", f"{IDENTIFIER}/write"],
        CallbackURLs=["https://app.example.com/cb"],
    )

    response = api.patch(
        server_url(pool), {"scopes": [{"name": "read", "description": "r"}]}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "api"
    client.refresh_from_db()
    assert client.allowed_oauth_scopes == [f"{IDENTIFIER}/read"]


def test_another_pools_server_is_not_found(api: APIClient, pool: UserPool) -> None:
    make_resource_server(pool=pool)
    other = make_user_pool(name="other")

    for method in ("get", "patch", "delete"):
        response = getattr(api, method)(server_url(other), {"name": "stolen"}, format="json")
        assert response.status_code == 404
        assert response.json()["code"] == "ResourceNotFoundException"

    assert ResourceServer.objects.get(pool=pool).name == "api"


def test_list_pages_through_the_servers(api: APIClient, pool: UserPool) -> None:
    identifiers = [
        make_resource_server(pool=pool, identifier=f"urn:api:{i}").identifier for i in range(3)
    ]

    first = api.get(f"{servers_url(pool)}?limit=2").json()
    second = api.get(first["next"]).json()

    assert [s["identifier"] for s in first["results"] + second["results"]] == identifiers
    assert second["next"] is None


def test_delete_removes_the_server(api: APIClient, pool: UserPool) -> None:
    make_resource_server(pool=pool)

    response = api.delete(server_url(pool))

    assert response.status_code == 204
    assert not ResourceServer.objects.exists()
