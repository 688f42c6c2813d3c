"""AWS endpoint, boto3 against a live server: app clients and their secrets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pools.models import AppClient, UserPool
from pools.services.clients import app_client_secret
from tests.builders import make_app_client, make_user_pool

pytestmark = pytest.mark.django_db

NOWHERE = "us-east-1_nothere12"


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    message: str = error.value.response["Error"]["Message"]
    return message


def _clients() -> list[dict[str, Any]]:
    return [dict(row) for row in AppClient.objects.order_by("pk").values()]


def test_create_and_describe_a_client_with_its_secret(idp: Any, pool: UserPool) -> None:
    created = idp.create_user_pool_client(
        UserPoolId=pool.pool_id,
        ClientName="web",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]

    stored = AppClient.objects.get(pool=pool)
    assert created["ClientId"] == stored.client_id
    assert created["ClientSecret"] == app_client_secret(client=stored)
    assert isinstance(created["CreationDate"], dt.datetime)
    assert created["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert created["TokenValidityUnits"] == {
        "AccessToken": "minutes",
        "IdToken": "minutes",
        "RefreshToken": "days",
    }
    described = idp.describe_user_pool_client(UserPoolId=pool.pool_id, ClientId=stored.client_id)
    assert described["UserPoolClient"] == created


def test_a_client_without_secret_shows_none(idp: Any, pool: UserPool) -> None:
    created = idp.create_user_pool_client(UserPoolId=pool.pool_id, ClientName="spa")

    assert "ClientSecret" not in created["UserPoolClient"]
    assert created["UserPoolClient"]["ExplicitAuthFlows"] == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_CUSTOM_AUTH",
    ]


def test_update_replaces_the_settings_and_keeps_the_secret(idp: Any, pool: UserPool) -> None:
    client = make_app_client(pool=pool, name="web", GenerateSecret=True, IdTokenValidity=2)
    ids = {"UserPoolId": pool.pool_id, "ClientId": client.client_id}

    updated = idp.update_user_pool_client(**ids, ClientName="renamed", AccessTokenValidity=2)[
        "UserPoolClient"
    ]

    assert updated["ClientName"] == "renamed"
    assert updated["ClientSecret"] == app_client_secret(client=client)
    # A member left out of an update goes back to its default, as in Cognito.
    assert (updated["AccessTokenValidity"], updated["IdTokenValidity"]) == (2, 60)
    assert idp.describe_user_pool_client(**ids)["UserPoolClient"] == updated


def test_delete_a_client(idp: Any, pool: UserPool) -> None:
    client = make_app_client(pool=pool)
    ids = {"UserPoolId": pool.pool_id, "ClientId": client.client_id}

    idp.delete_user_pool_client(**ids)

    assert not AppClient.objects.exists()
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.delete_user_pool_client(**ids)


def test_client_errors_change_nothing(idp: Any, pool: UserPool, monkeypatch: Any) -> None:
    client = make_app_client(pool=pool, name="web")
    stranger = make_app_client(pool=make_user_pool(name="other"), name="theirs")
    before = _clients()
    ids = {"UserPoolId": pool.pool_id, "ClientId": client.client_id}

    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.create_user_pool_client(
            UserPoolId=pool.pool_id, ClientName="web2", AuthSessionValidity=16
        )
    assert "'authSessionValidity'" in _message(error)
    with pytest.raises(idp.exceptions.InvalidOAuthFlowException):
        idp.create_user_pool_client(
            UserPoolId=pool.pool_id,
            ClientName="m2m",
            AllowedOAuthFlows=["client_credentials"],
            AllowedOAuthScopes=["openid"],
            AllowedOAuthFlowsUserPoolClient=True,
        )
    with pytest.raises(idp.exceptions.ScopeDoesNotExistException):
        idp.update_user_pool_client(
            **ids,
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["https://api.example.com/read"],
            AllowedOAuthFlowsUserPoolClient=True,
            CallbackURLs=["https://app.example.com/cb"],
        )
    monkeypatch.setattr("pools.services.clients.MAX_CLIENTS_PER_POOL", 1)
    with pytest.raises(idp.exceptions.LimitExceededException):
        idp.create_user_pool_client(UserPoolId=pool.pool_id, ClientName="more")
    # Another pool's client is not found from this pool, whatever the call.
    theirs = {"UserPoolId": pool.pool_id, "ClientId": stranger.client_id}
    for call in (idp.describe_user_pool_client, idp.update_user_pool_client):
        with pytest.raises(idp.exceptions.ResourceNotFoundException):
            call(**theirs)
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.delete_user_pool_client(**theirs)
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.create_user_pool_client(UserPoolId=NOWHERE, ClientName="web")

    assert _clients() == before


def test_list_clients_pages_through_the_pools_clients(idp: Any, pool: UserPool) -> None:
    ids = [make_app_client(pool=pool, name=f"app{i}").client_id for i in range(3)]
    make_app_client(pool=make_user_pool(name="other"), name="elsewhere")
    paginator = idp.get_paginator("list_user_pool_clients")

    pages = list(paginator.paginate(UserPoolId=pool.pool_id, PaginationConfig={"PageSize": 1}))

    assert "NextToken" not in pages[-1]
    clients = [c for page in pages for c in page["UserPoolClients"]]
    assert clients == [
        {"ClientId": client_id, "UserPoolId": pool.pool_id, "ClientName": f"app{i}"}
        for i, client_id in enumerate(ids)
    ]
    dcr = idp.list_user_pool_clients(UserPoolId=pool.pool_id, ClientType="DCR")
    assert dcr["UserPoolClients"] == []
