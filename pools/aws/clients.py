"""App clients of a user pool, over the AWS JSON protocol."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import pool_arn
from pools.models import AppClient
from pools.selectors.clients import app_client_get, app_client_secrets, app_clients_page
from pools.selectors.pools import user_pool_get
from pools.services.clients import (
    app_client_create,
    app_client_delete,
    app_client_secret_add,
    app_client_secret_delete,
    app_client_update,
)
from pools.shapes.clients import (
    app_client_description_shape,
    app_client_shape,
    client_secret_descriptor_shape,
)


def _client(params: dict[str, Any]) -> AppClient:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    return app_client_get(pool=pool, client_id=params["ClientId"])


def _settings(params: dict[str, Any], *ids: str) -> dict[str, Any]:
    """The request's client settings: every member but those naming the pool and the client."""
    return {key: value for key, value in params.items() if key not in {"UserPoolId", *ids}}


@operation("CreateUserPoolClient", permission="pools.add_appclient", resource=pool_arn)
def create_user_pool_client(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    client, _secret = app_client_create(
        pool=user_pool_get(pool_id=params["UserPoolId"]),
        name=params["ClientName"],
        settings=_settings(params, "ClientName"),
    )
    return {"UserPoolClient": app_client_shape(client, include_secret=True)}


@operation("DescribeUserPoolClient", permission="pools.view_appclient", resource=pool_arn)
def describe_user_pool_client(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return {"UserPoolClient": app_client_shape(_client(params), include_secret=True)}


@operation("UpdateUserPoolClient", permission="pools.change_appclient", resource=pool_arn)
def update_user_pool_client(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    client = app_client_update(client=_client(params), settings=_settings(params, "ClientId"))
    return {"UserPoolClient": app_client_shape(client, include_secret=True)}


@operation("DeleteUserPoolClient", permission="pools.delete_appclient", resource=pool_arn)
def delete_user_pool_client(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    app_client_delete(client=_client(params))
    return {}


@operation("ListUserPoolClients", permission="pools.view_appclient", resource=pool_arn)
def list_user_pool_clients(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    clients, next_token = app_clients_page(
        pool=user_pool_get(pool_id=params["UserPoolId"]),
        max_results=params.get("MaxResults"),
        next_token=params.get("NextToken"),
        client_type=params.get("ClientType"),
    )
    result: dict[str, Any] = {"UserPoolClients": [app_client_description_shape(c) for c in clients]}
    if next_token is not None:
        result["NextToken"] = next_token
    return result


@operation("AddUserPoolClientSecret", permission="pools.change_appclient", resource=pool_arn)
def add_user_pool_client_secret(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    secret, generated = app_client_secret_add(
        client=_client(params), secret=params.get("ClientSecret")
    )
    return {"ClientSecretDescriptor": client_secret_descriptor_shape(secret, value=generated)}


@operation("DeleteUserPoolClientSecret", permission="pools.change_appclient", resource=pool_arn)
def delete_user_pool_client_secret(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    app_client_secret_delete(client=_client(params), secret_id=params["ClientSecretId"])
    return {}


@operation("ListUserPoolClientSecrets", permission="pools.view_appclient", resource=pool_arn)
def list_user_pool_client_secrets(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    # At most two secrets: one page, no NextToken, as Cognito documents.
    secrets = app_client_secrets(client=_client(params))
    return {"ClientSecrets": [client_secret_descriptor_shape(secret) for secret in secrets]}
