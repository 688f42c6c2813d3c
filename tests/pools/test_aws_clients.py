"""AWS endpoint, boto3 against a live server: app clients and their secrets."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pools.models import AppClient, AppClientSecret, PoolUser, UserPool
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


# --- client secret rotation ------------------------------------------------------------------


def _secret_rows() -> list[dict[str, Any]]:
    return [dict(row) for row in AppClientSecret.objects.order_by("pk").values()]


def _hash(secret: str, username: str, client: AppClient) -> str:
    mac = hmac.new(secret.encode(), (username + client.client_id).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def _password_sign_in(idp_public: Any, client: AppClient, secret_hash: str) -> Any:
    return idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": "Passw0rd!", "SECRET_HASH": secret_hash},
    )


def test_rotation_keeps_both_secrets_valid_until_the_old_one_is_deleted(
    idp: Any, idp_public: Any, pool: UserPool, user: PoolUser
) -> None:
    client = make_app_client(
        pool=pool, GenerateSecret=True, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )
    ids = {"UserPoolId": pool.pool_id, "ClientId": client.client_id}
    old = app_client_secret(client=client)
    assert old is not None
    (first,) = idp.list_user_pool_client_secrets(**ids)["ClientSecrets"]

    added = idp.add_user_pool_client_secret(**ids)["ClientSecretDescriptor"]

    new = added["ClientSecretValue"]
    assert new != old
    assert 24 <= len(new) <= 64
    assert added["ClientSecretId"].startswith(f"{client.client_id}--")
    assert isinstance(added["ClientSecretCreateDate"], dt.datetime)
    listed = idp.list_user_pool_client_secrets(**ids)
    assert "NextToken" not in listed
    # Ids and dates, never a value.
    assert listed["ClientSecrets"] == [
        first,
        {k: v for k, v in added.items() if k != "ClientSecretValue"},
    ]
    assert set(first) == {"ClientSecretId", "ClientSecretCreateDate"}
    for secret in (old, new):
        result = _password_sign_in(idp_public, client, _hash(secret, "alice", client))
        assert "AccessToken" in result["AuthenticationResult"]
    # DescribeUserPoolClient shows the newest secret.
    described = idp.describe_user_pool_client(**ids)["UserPoolClient"]
    assert described["ClientSecret"] == new

    idp.delete_user_pool_client_secret(**ids, ClientSecretId=first["ClientSecretId"])

    assert [
        s["ClientSecretId"] for s in idp.list_user_pool_client_secrets(**ids)["ClientSecrets"]
    ] == [added["ClientSecretId"]]
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        _password_sign_in(idp_public, client, _hash(old, "alice", client))
    assert _password_sign_in(idp_public, client, _hash(new, "alice", client))[
        "AuthenticationResult"
    ]


def test_a_chosen_secret_is_accepted_and_never_echoed(idp: Any, pool: UserPool) -> None:
    client = make_app_client(pool=pool, GenerateSecret=True)
    ids = {"UserPoolId": pool.pool_id, "ClientId": client.client_id}
    chosen = "my+chosen_secret_0123456789"

    added = idp.add_user_pool_client_secret(**ids, ClientSecret=chosen)["ClientSecretDescriptor"]

    # Cognito returns ClientSecretValue only for a secret it generated.
    assert "ClientSecretValue" not in added
    row = AppClientSecret.objects.get(secret_id=added["ClientSecretId"])
    assert chosen not in row.secret_sealed
    assert app_client_secret(client=client) == chosen


def test_secret_rotation_errors_change_nothing(
    idp: Any, idp_unchecked: Any, pool: UserPool
) -> None:
    client = make_app_client(pool=pool, GenerateSecret=True)
    public = make_app_client(pool=pool)
    stranger = make_app_client(pool=make_user_pool(name="other"), GenerateSecret=True)
    ids = {"UserPoolId": pool.pool_id, "ClientId": client.client_id}
    (only,) = idp.list_user_pool_client_secrets(**ids)["ClientSecrets"]
    clients_before, secrets_before = _clients(), _secret_rows()

    # The last secret can't be deleted.
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.delete_user_pool_client_secret(**ids, ClientSecretId=only["ClientSecretId"])
    # A public client has no secret to rotate.
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.add_user_pool_client_secret(UserPoolId=pool.pool_id, ClientId=public.client_id)
    assert (
        idp.list_user_pool_client_secrets(UserPoolId=pool.pool_id, ClientId=public.client_id)[
            "ClientSecrets"
        ]
        == []
    )
    # Bad input, by the model: too short, too long, outside [\w+].
    for bad in (
        "short_secret",
        "x" * 65,
        "has-a-dash-0123456789abcdef",
        "spaces in it 0123456789ab",
    ):
        with pytest.raises(idp.exceptions.InvalidParameterException):
            idp_unchecked.add_user_pool_client_secret(**ids, ClientSecret=bad)
    # The same secret twice is no rotation.
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.add_user_pool_client_secret(**ids, ClientSecret=app_client_secret(client=client))
    for secret_id in ("nothere", f"{client.client_id}--1", "x" * 129, ""):
        error = (
            idp.exceptions.ResourceNotFoundException
            if secret_id and len(secret_id) <= 128
            else idp.exceptions.InvalidParameterException
        )
        with pytest.raises(error):
            idp_unchecked.delete_user_pool_client_secret(**ids, ClientSecretId=secret_id)
    # Another pool's client, an unknown client, an unknown pool: not found.
    for where in (
        {"UserPoolId": pool.pool_id, "ClientId": stranger.client_id},
        {"UserPoolId": pool.pool_id, "ClientId": "nosuchclient0000000000000"},
        {"UserPoolId": NOWHERE, "ClientId": client.client_id},
    ):
        with pytest.raises(idp.exceptions.ResourceNotFoundException):
            idp.add_user_pool_client_secret(**where)
        with pytest.raises(idp.exceptions.ResourceNotFoundException):
            idp.list_user_pool_client_secrets(**where)
        with pytest.raises(idp.exceptions.ResourceNotFoundException):
            idp.delete_user_pool_client_secret(**where, ClientSecretId=only["ClientSecretId"])
    # Another client's secret is not this client's.
    theirs = AppClientSecret.objects.get(client=stranger).secret_id
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.delete_user_pool_client_secret(**ids, ClientSecretId=theirs)

    assert (_clients(), _secret_rows()) == (clients_before, secrets_before)


def test_a_third_secret_is_refused(idp: Any, pool: UserPool) -> None:
    client = make_app_client(pool=pool, GenerateSecret=True)
    ids = {"UserPoolId": pool.pool_id, "ClientId": client.client_id}
    idp.add_user_pool_client_secret(**ids)
    before = _secret_rows()

    with pytest.raises(idp.exceptions.LimitExceededException):
        idp.add_user_pool_client_secret(**ids)
    with pytest.raises(idp.exceptions.LimitExceededException):
        idp.add_user_pool_client_secret(**ids, ClientSecret="a_third_secret_0123456789")

    assert _secret_rows() == before
