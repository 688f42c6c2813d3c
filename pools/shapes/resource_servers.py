"""ResourceServerType, as the resource-server operations return it."""

from __future__ import annotations

from typing import Any

from pools.models import ResourceServer


def resource_server_shape(server: ResourceServer) -> dict[str, Any]:
    return {
        "UserPoolId": server.pool.pool_id,
        "Identifier": server.identifier,
        "Name": server.name,
        "Scopes": [dict(scope) for scope in server.scopes],
    }
