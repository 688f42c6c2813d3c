"""Management API: app clients of a pool (/api/v1/pools/{pool_id}/clients/)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from pools.models import AppClient, UserPool
from pools.services.clients import app_client_secret
from tests.builders import make_app_client, make_resource_server, make_user_pool

pytestmark = pytest.mark.django_db


def clients_url(pool: UserPool) -> str:
    return f"/api/v1/pools/{pool.pool_id}/clients/"


def client_url(client: AppClient) -> str:
    return f"{clients_url(client.pool)}{client.client_id}/"


def test_create_returns_the_secret_once(api: APIClient, pool: UserPool) -> None:
    response = api.post(
        clients_url(pool),
        {
            "name": "backend",
            "generate_secret": True,
            "explicit_auth_flows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "access_token_validity": 30,
            "token_validity_units": {"access_token": "minutes"},
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    client = AppClient.objects.get(client_id=body["client_id"])
    assert body["client_secret"] == app_client_secret(client=client)
    assert body["name"] == "backend"
    assert body["pool_id"] == pool.pool_id
    assert body["explicit_auth_flows"] == [
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    ]
    assert body["access_token_validity"] == 30
    assert body["token_validity_units"]["access_token"] == "minutes"

    assert "client_secret" not in api.get(client_url(client)).json()
    listed = api.get(clients_url(pool)).json()["results"]
    assert [c["client_id"] for c in listed] == [client.client_id]
    assert "client_secret" not in listed[0]


def test_create_without_a_secret_says_so(api: APIClient, pool: UserPool) -> None:
    response = api.post(clients_url(pool), {"name": "spa"}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["client_secret"] is None
    assert response.json()["explicit_auth_flows"] == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_CUSTOM_AUTH",
    ]


def test_create_reports_the_services_error_and_creates_nothing(
    api: APIClient, pool: UserPool
) -> None:
    response = api.post(
        clients_url(pool),
        {
            "name": "m2m",
            "allowed_oauth_flows_user_pool_client": True,
            "allowed_oauth_flows": ["client_credentials"],
            "allowed_oauth_scopes": ["https://api.example.com/read"],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidOAuthFlowException"
    assert not AppClient.objects.exists()


def test_create_with_an_unknown_scope_creates_nothing(api: APIClient, pool: UserPool) -> None:
    response = api.post(
        clients_url(pool),
        {
            "name": "web",
            "allowed_oauth_flows_user_pool_client": True,
            "allowed_oauth_flows": ["code"],
            "allowed_oauth_scopes": ["https://nowhere/read"],
            "callback_urls": ["https://app.example.com/cb"],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "ScopeDoesNotExistException"
    assert not AppClient.objects.exists()


def test_patch_changes_only_the_members_sent(api: APIClient, pool: UserPool) -> None:
    make_resource_server(pool=pool)
    client = make_app_client(
        pool=pool,
        name="web",
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "https://api.example.com/read"],
        CallbackURLs=["https://app.example.com/cb"],
        AccessTokenValidity=2,
        TokenValidityUnits={"AccessToken": "hours", "IdToken": "hours"},
    )

    response = api.patch(
        client_url(client),
        {
            "logout_urls": ["https://app.example.com/bye"],
            "token_validity_units": {"id_token": "minutes"},
            "id_token_validity": 30,
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    client.refresh_from_db()
    assert client.logout_urls == ["https://app.example.com/bye"]
    assert (client.id_token_validity, client.id_token_unit) == (30, "minutes")
    # Left as they were, although UpdateUserPoolClient resets whatever it is not given.
    assert (client.access_token_validity, client.access_token_unit) == (2, "hours")
    assert client.allowed_oauth_flows == ["code"]
    assert client.allowed_oauth_scopes == ["openid", "https://api.example.com/read"]
    assert client.callback_urls == ["https://app.example.com/cb"]
    assert client.name == "web"
    assert "client_secret" not in response.json()


def test_patch_reports_the_services_error_and_changes_nothing(
    api: APIClient, pool: UserPool
) -> None:
    client = make_app_client(pool=pool, name="web", CallbackURLs=["https://app.example.com/cb"])

    response = api.patch(
        client_url(client), {"callback_urls": ["http://insecure.example.com/cb"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"
    client.refresh_from_db()
    assert client.callback_urls == ["https://app.example.com/cb"]


def test_patch_cannot_generate_a_secret(api: APIClient, pool: UserPool) -> None:
    client = make_app_client(pool=pool)

    response = api.patch(client_url(client), {"generate_secret": True}, format="json")

    assert response.status_code == 400
    assert "generate_secret" in response.json()["fields"]
    client.refresh_from_db()
    assert not client.has_secret


def test_another_pools_client_is_not_found(api: APIClient, pool: UserPool) -> None:
    client = make_app_client(pool=pool, name="web")
    other = make_user_pool(name="other")

    for method in ("get", "patch", "delete"):
        response = getattr(api, method)(
            f"{clients_url(other)}{client.client_id}/", {"name": "stolen"}, format="json"
        )
        assert response.status_code == 404
        assert response.json()["code"] == "ResourceNotFoundException"

    client.refresh_from_db()
    assert client.name == "web"


def test_list_pages_through_the_clients(api: APIClient, pool: UserPool) -> None:
    ids = [make_app_client(pool=pool).client_id for _ in range(3)]

    first = api.get(f"{clients_url(pool)}?limit=2").json()
    second = api.get(first["next"]).json()

    assert [c["client_id"] for c in first["results"] + second["results"]] == ids
    assert second["next"] is None


def test_delete_removes_the_client(api: APIClient, pool: UserPool) -> None:
    client = make_app_client(pool=pool)

    response = api.delete(client_url(client))

    assert response.status_code == 204
    assert not AppClient.objects.filter(pk=client.pk).exists()


def test_client_secrets_are_listed_added_and_deleted(api: APIClient, pool: UserPool) -> None:
    client = make_app_client(pool=pool, GenerateSecret=True)
    url = f"{client_url(client)}secrets/"
    (first,) = api.get(url).json()["results"]

    added = api.post(url, {}, format="json")

    assert added.status_code == 201, added.json()
    body = added.json()
    assert body["client_secret"] == app_client_secret(client=client)
    listed = api.get(url).json()["results"]
    assert [row["secret_id"] for row in listed] == [first["secret_id"], body["secret_id"]]
    assert all(set(row) == {"secret_id", "created_at"} for row in listed)
    chosen = api.post(url, {"client_secret": "chosen_secret_0123456789abc"}, format="json")
    assert chosen.status_code == 400
    assert chosen.json()["code"] == "LimitExceededException"

    assert api.delete(f"{url}{first['secret_id']}/").status_code == 204
    last = api.delete(f"{url}{body['secret_id']}/")
    assert (last.status_code, last.json()["code"]) == (400, "InvalidParameterException")
    assert [row["secret_id"] for row in api.get(url).json()["results"]] == [body["secret_id"]]
