"""ResourceServerType, as the resource-server operations return it."""

from __future__ import annotations

from typing import Any

from pools.models import ResourceServer


def resource_server_shape(server: ResourceServer) -> dict[str, Any]:
    """A server without scopes has no `Scopes` member, as AWS answers (moto#7163, whose fix and
    test_create_resource_server_with_no_scopes leave it out), not an empty list."""
    shape: dict[str, Any] = {
        "UserPoolId": server.pool.pool_id,
        "Identifier": server.identifier,
        "Name": server.name,
    }
    if server.scopes:
        shape["Scopes"] = [dict(scope) for scope in server.scopes]
    return shape
