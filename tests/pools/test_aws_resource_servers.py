"""AWS endpoint, boto3 against a live server: resource servers and their scopes."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from pools.models import ResourceServer, UserPool
from tests.builders import make_app_client, make_resource_server, make_user_pool

pytestmark = pytest.mark.django_db

API = "https://api.example.com"
READ = {"ScopeName": "read", "ScopeDescription": "read access"}
WRITE = {"ScopeName": "write", "ScopeDescription": "write access"}


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    message: str = error.value.response["Error"]["Message"]
    return message


def _servers() -> list[tuple[str, str, str, list[dict[str, str]]]]:
    return list(
        ResourceServer.objects.order_by("pk").values_list(
            "pool__pool_id", "identifier", "name", "scopes"
        )
    )


def test_create_then_describe_a_resource_server(idp: Any, pool: UserPool) -> None:
    created = idp.create_resource_server(
        UserPoolId=pool.pool_id, Identifier=API, Name="api", Scopes=[READ, WRITE]
    )["ResourceServer"]

    assert created == {
        "UserPoolId": pool.pool_id,
        "Identifier": API,
        "Name": "api",
        "Scopes": [READ, WRITE],
    }
    described = idp.describe_resource_server(UserPoolId=pool.pool_id, Identifier=API)
    assert described["ResourceServer"] == created


def test_create_resource_server_errors_create_nothing(idp: Any, pool: UserPool) -> None:
    make_resource_server(pool=pool, identifier=API)
    before = _servers()

    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.create_resource_server(UserPoolId=pool.pool_id, Identifier=API, Name="again")
    assert "already exists" in _message(error)
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.create_resource_server(
            UserPoolId=pool.pool_id,
            Identifier="https://other.example.com",
            Name="other",
            Scopes=[{"ScopeName": "bad scope", "ScopeDescription": "spaces"}],
        )
    assert "'scopes.1.member.scopeName'" in _message(error)
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.create_resource_server(
            UserPoolId="us-east-1_nothere12", Identifier="https://x.example.com", Name="x"
        )

    assert _servers() == before


def test_a_resource_server_without_scopes_has_no_scopes_member(idp: Any, pool: UserPool) -> None:
    # AWS leaves the member out rather than answering []: moto#7163's fix and its
    # test_create_resource_server_with_no_scopes assert "Scopes" not in the answer.
    created = idp.create_resource_server(UserPoolId=pool.pool_id, Identifier=API, Name="api")
    described = idp.describe_resource_server(UserPoolId=pool.pool_id, Identifier=API)
    emptied = idp.update_resource_server(
        UserPoolId=pool.pool_id, Identifier=API, Name="api", Scopes=[]
    )
    listed = idp.list_resource_servers(UserPoolId=pool.pool_id, MaxResults=10)

    expected = {"UserPoolId": pool.pool_id, "Identifier": API, "Name": "api"}
    assert created["ResourceServer"] == expected
    assert described["ResourceServer"] == expected
    assert emptied["ResourceServer"] == expected
    assert listed["ResourceServers"] == [expected]


def test_update_resource_server_replaces_name_and_scopes(idp: Any, pool: UserPool) -> None:
    make_resource_server(pool=pool, identifier=API, scopes=("read", "write"))
    client = make_app_client(
        pool=pool,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[f"{API}/read", f"{API}/write"],
        AllowedOAuthFlowsUserPoolClient=True,
        GenerateSecret=True,
    )

    updated = idp.update_resource_server(
        UserPoolId=pool.pool_id, Identifier=API, Name="renamed", Scopes=[READ]
    )["ResourceServer"]

    assert updated["Name"] == "renamed"
    assert updated["Scopes"] == [READ]
    client.refresh_from_db()
    assert client.allowed_oauth_scopes == [f"{API}/read"]


def test_a_resource_server_of_another_pool_is_not_found(idp: Any, pool: UserPool) -> None:
    theirs = make_user_pool(name="other")
    make_resource_server(pool=theirs, identifier=API)
    before = _servers()

    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.describe_resource_server(UserPoolId=pool.pool_id, Identifier=API)
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.update_resource_server(UserPoolId=pool.pool_id, Identifier=API, Name="mine")
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.delete_resource_server(UserPoolId=pool.pool_id, Identifier=API)
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.list_resource_servers(UserPoolId="us-east-1_nothere12", MaxResults=5)

    assert _servers() == before


def test_delete_resource_server(idp: Any, pool: UserPool) -> None:
    make_resource_server(pool=pool, identifier=API)

    response = idp.delete_resource_server(UserPoolId=pool.pool_id, Identifier=API)

    assert set(response) == {"ResponseMetadata"}
    assert _servers() == []


def test_list_resource_servers_pages_with_the_boto3_paginator(idp: Any, pool: UserPool) -> None:
    identifiers = [f"https://api{n}.example.com" for n in range(3)]
    for identifier in identifiers:
        make_resource_server(pool=pool, identifier=identifier)
    make_resource_server(pool=make_user_pool(name="other"), identifier="https://theirs.example.com")

    pages = list(
        idp.get_paginator("list_resource_servers").paginate(
            UserPoolId=pool.pool_id, PaginationConfig={"PageSize": 2}
        )
    )

    assert [len(page["ResourceServers"]) for page in pages] == [2, 1]
    assert "NextToken" in pages[0]
    assert "NextToken" not in pages[-1]
    listed = [server["Identifier"] for page in pages for server in page["ResourceServers"]]
    assert listed == identifiers
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.list_resource_servers(UserPoolId=pool.pool_id, MaxResults=51)
    assert "'maxResults'" in _message(error)
