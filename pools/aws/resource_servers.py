"""Resource servers and their scopes over the AWS JSON protocol."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import pool_arn
from pools.models import ResourceServer
from pools.selectors.pools import user_pool_get
from pools.selectors.resource_servers import resource_server_get, resource_servers_page
from pools.services.resource_servers import (
    resource_server_create,
    resource_server_delete,
    resource_server_update,
)
from pools.shapes.resource_servers import resource_server_shape


def _server(params: dict[str, Any]) -> ResourceServer:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    return resource_server_get(pool=pool, identifier=params["Identifier"])


@operation("CreateResourceServer", permission="pools.add_resourceserver", resource=pool_arn)
def create_resource_server(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    server = resource_server_create(
        pool=user_pool_get(pool_id=params["UserPoolId"]),
        identifier=params["Identifier"],
        name=params["Name"],
        scopes=params.get("Scopes", []),
    )
    return {"ResourceServer": resource_server_shape(server)}


@operation("DescribeResourceServer", permission="pools.view_resourceserver", resource=pool_arn)
def describe_resource_server(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return {"ResourceServer": resource_server_shape(_server(params))}


@operation("UpdateResourceServer", permission="pools.change_resourceserver", resource=pool_arn)
def update_resource_server(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    server = resource_server_update(
        server=_server(params), name=params["Name"], scopes=params.get("Scopes", [])
    )
    return {"ResourceServer": resource_server_shape(server)}


@operation("DeleteResourceServer", permission="pools.delete_resourceserver", resource=pool_arn)
def delete_resource_server(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    resource_server_delete(server=_server(params))
    return {}


@operation("ListResourceServers", permission="pools.view_resourceserver", resource=pool_arn)
def list_resource_servers(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    servers, next_token = resource_servers_page(
        pool=user_pool_get(pool_id=params["UserPoolId"]),
        max_results=params.get("MaxResults"),
        next_token=params.get("NextToken"),
    )
    result: dict[str, Any] = {"ResourceServers": [resource_server_shape(s) for s in servers]}
    if next_token is not None:
        result["NextToken"] = next_token
    return result
