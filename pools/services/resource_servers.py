"""Resource servers and their custom scopes: CreateResourceServer, UpdateResourceServer and
DeleteResourceServer. A scope is granted as `<identifier>/<scope name>`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from cognitoadmin.awsmodel import model_validate
from pools.errors import InvalidParameterException
from pools.models import ResourceServer, UserPool
from pools.selectors.pools import user_pool_locked
from pools.services.clients import app_clients_remove_scopes
from pools.services.limits import pool_quota_check

MAX_RESOURCE_SERVERS_PER_POOL = 25


def _checked_scopes(
    operation: str, params: dict[str, Any], scopes: Sequence[Mapping[str, str]]
) -> list[dict[str, str]]:
    """Validate the request, and return the scopes as stored: ScopeName and ScopeDescription."""
    params["Scopes"] = [dict(scope) for scope in scopes]
    checked = model_validate(operation, params)
    stored: list[dict[str, str]] = [
        {"ScopeName": scope["ScopeName"], "ScopeDescription": scope["ScopeDescription"]}
        for scope in checked["Scopes"]
    ]
    names = [scope["ScopeName"] for scope in stored]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidParameterException(f"Duplicate scope names: {', '.join(duplicates)}.")
    return stored


def _scope_strings(server: ResourceServer, scopes: Sequence[Mapping[str, str]]) -> set[str]:
    return {f"{server.identifier}/{scope['ScopeName']}" for scope in scopes}


@transaction.atomic
def resource_server_create(
    *,
    pool: UserPool,
    identifier: str,
    name: str,
    scopes: Sequence[Mapping[str, str]] = (),
) -> ResourceServer:
    stored = _checked_scopes(
        "CreateResourceServer",
        {"UserPoolId": pool.pool_id, "Identifier": identifier, "Name": name},
        scopes,
    )
    user_pool_locked(pool=pool)
    if ResourceServer.objects.filter(pool=pool, identifier=identifier).exists():
        raise InvalidParameterException(f"{identifier} already exists in user pool {pool.pool_id}.")
    pool_quota_check(
        pool=pool,
        rows=ResourceServer.objects.filter(pool=pool),
        limit=MAX_RESOURCE_SERVERS_PER_POOL,
        noun="resource servers",
    )
    return ResourceServer.objects.create(pool=pool, identifier=identifier, name=name, scopes=stored)


@transaction.atomic
def resource_server_update(
    *, server: ResourceServer, name: str, scopes: Sequence[Mapping[str, str]] = ()
) -> ResourceServer:
    """Replace the name and the scopes (UpdateResourceServer is a full replacement). Scopes that
    disappear are taken away from the app clients that allowed them."""
    stored = _checked_scopes(
        "UpdateResourceServer",
        {"UserPoolId": server.pool.pool_id, "Identifier": server.identifier, "Name": name},
        scopes,
    )
    removed = _scope_strings(server, server.scopes) - _scope_strings(server, stored)
    server.name = name
    server.scopes = stored
    server.save(update_fields=["name", "scopes", "updated_at"])
    app_clients_remove_scopes(pool=server.pool, scopes=removed)
    return server


@transaction.atomic
def resource_server_delete(*, server: ResourceServer) -> None:
    app_clients_remove_scopes(pool=server.pool, scopes=_scope_strings(server, server.scopes))
    server.delete()
