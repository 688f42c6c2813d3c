"""AWS endpoint, boto3 `cognito-identity` (and the AWS CLI) against a live server: identity
pools, their roles, principal tag maps and tags, and their identities."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.contrib.auth.models import User

from identities.models import AccessKey, Identity, IdentityPool
from tests.builders import make_access_key
from tests.cognitoadmin.test_readme_aws import aws_cli
from tests.conftest import _boto3_client, unchecked_client
from tests.identities.test_identity_pools import (
    identity_rows,
    make_identity,
    make_identity_pool,
)

pytestmark = pytest.mark.django_db

USER_POOL = "cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123xyz"
SAML = "arn:aws:iam::000000000000:saml-provider/corporate"
AUTH_ROLE = "arn:aws:iam::000000000000:role/Cognito_Auth"
UNAUTH_ROLE = "arn:aws:iam::000000000000:role/Cognito_Unauth"


def _credentials(key: tuple[AccessKey, str]) -> dict[str, str]:
    return {"aws_access_key_id": key[0].access_key_id, "aws_secret_access_key": key[1]}


@pytest.fixture
def identity(aws_url: str, operator_key: tuple[AccessKey, str]) -> Any:
    """boto3 `cognito-identity` client signing with an operator's access key (SigV4)."""
    return _boto3_client("cognito-identity", aws_url, **_credentials(operator_key))


@pytest.fixture
def unchecked(aws_url: str, operator_key: tuple[AccessKey, str]) -> Any:
    return unchecked_client("cognito-identity", aws_url, operator_key)


def _error(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    details = error.value.response["Error"]
    return details["Code"], details["Message"]


def _arn(pool_id: str) -> str:
    return f"arn:aws:cognito-identity:us-east-1:000000000000:identitypool/{pool_id}"


def _walk(client: Any, operation: str, member: str, **params: Any) -> list[Any]:
    """Every page through boto3's paginator, one item a page; the last page has no token."""
    paginator = client.get_paginator(operation)
    pages = list(paginator.paginate(**params, PaginationConfig={"PageSize": 1}))
    assert "NextToken" not in pages[-1]
    return [item for page in pages for item in page[member]]


def _follow(call: Any, member: str, **params: Any) -> list[Any]:
    """Every page of a list botocore has no paginator for, one item a page, by its NextToken."""
    items: list[Any] = []
    token: dict[str, str] = {}
    while True:
        page = call(**params, **token, MaxResults=1)
        assert len(page[member]) <= 1
        items += page[member]
        if "NextToken" not in page:
            return items
        token = {"NextToken": page["NextToken"]}


def test_create_describe_update_list_and_delete_an_identity_pool(identity: Any) -> None:
    created = identity.create_identity_pool(
        IdentityPoolName="shop",
        AllowUnauthenticatedIdentities=True,
        SupportedLoginProviders={"graph.facebook.com": "7346241598935552"},
        DeveloperProviderName="login.shop",
        CognitoIdentityProviders=[
            {"ProviderName": USER_POOL, "ClientId": "client1", "ServerSideTokenCheck": True}
        ],
        SamlProviderARNs=[SAML],
        IdentityPoolTags={"team": "shop"},
    )
    created.pop("ResponseMetadata")
    pool_id = created["IdentityPoolId"]

    assert created == {
        "IdentityPoolId": pool_id,
        "IdentityPoolName": "shop",
        "AllowUnauthenticatedIdentities": True,
        "AllowClassicFlow": False,
        "SupportedLoginProviders": {"graph.facebook.com": "7346241598935552"},
        "DeveloperProviderName": "login.shop",
        "CognitoIdentityProviders": [
            {"ProviderName": USER_POOL, "ClientId": "client1", "ServerSideTokenCheck": True}
        ],
        "SamlProviderARNs": [SAML],
        "IdentityPoolTags": {"team": "shop"},
    }
    described = identity.describe_identity_pool(IdentityPoolId=pool_id)
    described.pop("ResponseMetadata")
    assert described == created

    updated = identity.update_identity_pool(
        IdentityPoolId=pool_id,
        IdentityPoolName="shop v2",
        AllowUnauthenticatedIdentities=False,
        AllowClassicFlow=True,
    )
    assert (updated["IdentityPoolName"], updated["AllowClassicFlow"]) == ("shop v2", True)
    assert "SupportedLoginProviders" not in updated
    assert updated["DeveloperProviderName"] == "login.shop"

    other = identity.create_identity_pool(
        IdentityPoolName="other", AllowUnauthenticatedIdentities=False
    )["IdentityPoolId"]
    listed = _walk(identity, "list_identity_pools", "IdentityPools", MaxResults=60)
    assert listed == [
        {"IdentityPoolId": pool_id, "IdentityPoolName": "shop v2"},
        {"IdentityPoolId": other, "IdentityPoolName": "other"},
    ]

    identity.delete_identity_pool(IdentityPoolId=pool_id)
    assert list(IdentityPool.objects.values_list("identity_pool_id", flat=True)) == [other]
    with pytest.raises(identity.exceptions.ResourceNotFoundException) as error:
        identity.describe_identity_pool(IdentityPoolId=pool_id)
    assert _error(error)[1] == f"IdentityPool '{pool_id}' not found."


def test_identity_pool_errors_change_nothing(identity: Any, unchecked: Any) -> None:
    pool = make_identity_pool("shop", DeveloperProviderName="login.shop")
    base = {"IdentityPoolId": pool.identity_pool_id, "AllowUnauthenticatedIdentities": False}
    before = identity_rows()

    with pytest.raises(identity.exceptions.ResourceConflictException):
        identity.create_identity_pool(
            IdentityPoolName="again",
            AllowUnauthenticatedIdentities=False,
            DeveloperProviderName="login.shop",
        )
    with pytest.raises(identity.exceptions.InvalidParameterException) as error:
        identity.update_identity_pool(
            **base, IdentityPoolName="shop", DeveloperProviderName="login.other"
        )
    assert "cannot be changed" in _error(error)[1]
    with pytest.raises(identity.exceptions.InvalidParameterException) as error:
        identity.create_identity_pool(
            IdentityPoolName="x" * 100_000, AllowUnauthenticatedIdentities=False
        )
    assert "'identityPoolName'" in _error(error)[1]
    with pytest.raises(identity.exceptions.InvalidParameterException):
        identity.create_identity_pool(
            IdentityPoolName="a\x00b", AllowUnauthenticatedIdentities=False
        )
    with pytest.raises(identity.exceptions.InvalidParameterException) as error:
        identity.update_identity_pool(
            **base,
            IdentityPoolName="shop",
            CognitoIdentityProviders=[{"ProviderName": "accounts.google.com", "ClientId": "c"}],
        )
    assert "not a user pool" in _error(error)[1]
    with pytest.raises(identity.exceptions.InvalidParameterException):
        identity.update_identity_pool(
            **base,
            IdentityPoolName="shop",
            OpenIdConnectProviderARNs=["arn:aws:iam::not-an-oidc-provider"],
        )
    with pytest.raises(ClientError) as error:
        unchecked.create_identity_pool(IdentityPoolName="p", AllowUnauthenticatedIdentities="yes")
    assert _error(error)[0] == "SerializationException"
    with pytest.raises(ClientError) as error:
        unchecked.create_identity_pool(IdentityPoolName="p")
    assert _error(error)[0] == "InvalidParameterException"
    with pytest.raises(identity.exceptions.InvalidParameterException) as error:
        identity.list_identity_pools(MaxResults=61)
    assert "'maxResults'" in _error(error)[1]
    with pytest.raises(identity.exceptions.InvalidParameterException):
        identity.list_identity_pools(MaxResults=1, NextToken="forged")
    missing = f"us-east-1:{uuid.uuid4()}"
    for call in (identity.describe_identity_pool, identity.delete_identity_pool):
        with pytest.raises(identity.exceptions.ResourceNotFoundException):
            call(IdentityPoolId=missing)
    with pytest.raises(identity.exceptions.InvalidParameterException) as error:
        identity.describe_identity_pool(IdentityPoolId="us-east-1_NotAnIdentityPool")
    assert "'identityPoolId'" in _error(error)[1]

    assert identity_rows() == before


def test_roles_are_set_and_read(identity: Any) -> None:
    pool = make_identity_pool(
        CognitoIdentityProviders=[{"ProviderName": USER_POOL, "ClientId": "client1"}]
    )
    mapping = {
        "Type": "Rules",
        "AmbiguousRoleResolution": "AuthenticatedRole",
        "RulesConfiguration": {
            "Rules": [
                {
                    "Claim": "cognito:groups",
                    "MatchType": "Contains",
                    "Value": "admins",
                    "RoleARN": "arn:aws:iam::000000000000:role/admins",
                }
            ]
        },
    }
    assert identity.get_identity_pool_roles(IdentityPoolId=pool.identity_pool_id)["Roles"] == {}

    identity.set_identity_pool_roles(
        IdentityPoolId=pool.identity_pool_id,
        Roles={"authenticated": AUTH_ROLE, "unauthenticated": UNAUTH_ROLE},
        RoleMappings={f"{USER_POOL}:client1": mapping},
    )

    roles = identity.get_identity_pool_roles(IdentityPoolId=pool.identity_pool_id)
    assert roles["IdentityPoolId"] == pool.identity_pool_id
    assert roles["Roles"] == {"authenticated": AUTH_ROLE, "unauthenticated": UNAUTH_ROLE}
    assert roles["RoleMappings"] == {f"{USER_POOL}:client1": mapping}


def test_role_errors_change_nothing(identity: Any) -> None:
    pool = make_identity_pool(SamlProviderARNs=[SAML])
    ids = {"IdentityPoolId": pool.identity_pool_id}
    identity.set_identity_pool_roles(**ids, Roles={"authenticated": AUTH_ROLE})
    before = identity_rows()

    with pytest.raises(identity.exceptions.NotAuthorizedException) as error:
        identity.set_identity_pool_roles(
            **ids, Roles={"authenticated": "my-stack-Cognito_Auth_Role"}
        )
    assert _error(error)[1] == "Access to Role 'my-stack-Cognito_Auth_Role' is forbidden."
    with pytest.raises(identity.exceptions.InvalidParameterException) as error:
        identity.set_identity_pool_roles(
            **ids,
            Roles={},
            RoleMappings={
                "graph.facebook.com": {"Type": "Token", "AmbiguousRoleResolution": "Deny"}
            },
        )
    assert _error(error)[1] == (
        "graph.facebook.com is not a valid RoleMapping ProviderName or is not a configured "
        "provider."
    )
    with pytest.raises(identity.exceptions.InvalidParameterException) as error:
        identity.set_identity_pool_roles(**ids, Roles={}, RoleMappings={SAML: {"Type": "Token"}})
    assert "AmbiguousRoleResolution is required" in _error(error)[1]
    with pytest.raises(identity.exceptions.InvalidParameterException):
        identity.set_identity_pool_roles(**ids, Roles={"admin": AUTH_ROLE})
    with pytest.raises(identity.exceptions.ResourceNotFoundException):
        identity.get_identity_pool_roles(IdentityPoolId=f"us-east-1:{uuid.uuid4()}")

    assert identity_rows() == before


def test_principal_tag_maps_are_set_and_read(identity: Any) -> None:
    pool = make_identity_pool(SamlProviderARNs=[SAML])
    ids = {"IdentityPoolId": pool.identity_pool_id, "IdentityProviderName": SAML}

    assert identity.get_principal_tag_attribute_map(**ids)["UseDefaults"] is False
    answer = identity.set_principal_tag_attribute_map(
        **ids, UseDefaults=False, PrincipalTags={"department": "dept"}
    )
    answer.pop("ResponseMetadata")
    assert answer == {**ids, "UseDefaults": False, "PrincipalTags": {"department": "dept"}}
    read = identity.get_principal_tag_attribute_map(**ids)
    read.pop("ResponseMetadata")
    assert read == answer

    before = identity_rows()
    with pytest.raises(identity.exceptions.InvalidParameterException) as error:
        identity.set_principal_tag_attribute_map(
            **{**ids, "IdentityProviderName": "accounts.google.com"}, UseDefaults=True
        )
    assert "not a configured provider" in _error(error)[1]
    with pytest.raises(identity.exceptions.InvalidParameterException):
        identity.get_principal_tag_attribute_map(**{**ids, "IdentityProviderName": "nowhere"})
    assert identity_rows() == before


def test_tags_are_added_listed_and_removed(identity: Any) -> None:
    pool = make_identity_pool(IdentityPoolTags={"team": "shop"})
    arn = _arn(pool.identity_pool_id)

    identity.tag_resource(ResourceArn=arn, Tags={"env": "prod"})
    assert identity.list_tags_for_resource(ResourceArn=arn)["Tags"] == {
        "team": "shop",
        "env": "prod",
    }
    identity.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert identity.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"env": "prod"}

    before = identity_rows()
    with pytest.raises(identity.exceptions.InvalidParameterException) as error:
        identity.tag_resource(ResourceArn="arn:aws:iam::000000000000:role/x", Tags={"a": "b"})
    assert "is not a valid identity pool ARN" in _error(error)[1]
    with pytest.raises(identity.exceptions.ResourceNotFoundException):
        identity.tag_resource(ResourceArn=_arn(f"us-east-1:{uuid.uuid4()}"), Tags={"a": "b"})
    with pytest.raises(identity.exceptions.InvalidParameterException):
        identity.tag_resource(ResourceArn=arn, Tags={"aws:owner": "me"})
    with pytest.raises(identity.exceptions.InvalidParameterException):
        identity.tag_resource(ResourceArn=arn, Tags={f"k{i}": "v" for i in range(50)})
    assert identity_rows() == before


def test_identities_are_listed_described_and_deleted(identity: Any) -> None:
    pool = make_identity_pool(SamlProviderARNs=[SAML])
    made = [make_identity(pool=pool, logins={SAML: f"user{n}"}) for n in range(3)]
    make_identity(pool=make_identity_pool("other"))

    listed = _follow(identity.list_identities, "Identities", IdentityPoolId=pool.identity_pool_id)
    assert [i["IdentityId"] for i in listed] == [i.identity_id for i in made]
    assert listed[0]["Logins"] == [SAML]
    described = identity.describe_identity(IdentityId=made[0].identity_id)
    described.pop("ResponseMetadata")
    assert described == listed[0]
    assert described["CreationDate"].timestamp() == pytest.approx(
        made[0].created_at.timestamp(), abs=0.001
    )

    answer = identity.delete_identities(
        IdentityIdsToDelete=[made[0].identity_id, f"us-east-1:{uuid.uuid4()}"]
    )
    assert answer["UnprocessedIdentityIds"] == []
    assert not Identity.objects.filter(pk=made[0].pk).exists()
    with pytest.raises(identity.exceptions.ResourceNotFoundException) as error:
        identity.describe_identity(IdentityId=made[0].identity_id)
    assert _error(error)[1] == f"Identity '{made[0].identity_id}' not found."

    before = identity_rows()
    with pytest.raises(identity.exceptions.InvalidParameterException):
        identity.delete_identities(IdentityIdsToDelete=[f"us-east-1:{n:x}" for n in range(61)])
    with pytest.raises(identity.exceptions.InvalidParameterException):
        identity.list_identities(IdentityPoolId=pool.identity_pool_id, MaxResults=61)
    with pytest.raises(identity.exceptions.ResourceNotFoundException):
        identity.list_identities(IdentityPoolId=f"us-east-1:{uuid.uuid4()}", MaxResults=1)
    assert identity_rows() == before


def test_a_key_narrowed_to_one_pool_acts_on_that_pool_and_its_identities_only(
    aws_url: str, operator: User
) -> None:
    mine, theirs = make_identity_pool("mine"), make_identity_pool("theirs")
    my_identity, their_identity = make_identity(pool=mine), make_identity(pool=theirs)
    key = make_access_key(
        operator=operator,
        policy={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "cognito-identity:*",
                    "Resource": _arn(mine.identity_pool_id),
                }
            ],
        },
    )
    narrow = _boto3_client("cognito-identity", aws_url, **_credentials(key))
    before = identity_rows()

    assert narrow.describe_identity_pool(IdentityPoolId=mine.identity_pool_id)["IdentityPoolName"]
    assert narrow.describe_identity(IdentityId=my_identity.identity_id)["IdentityId"]
    refusals: list[Callable[[], Any]] = [
        lambda: narrow.describe_identity_pool(IdentityPoolId=theirs.identity_pool_id),
        lambda: narrow.describe_identity(IdentityId=their_identity.identity_id),
        lambda: narrow.delete_identities(
            IdentityIdsToDelete=[my_identity.identity_id, their_identity.identity_id]
        ),
        lambda: narrow.list_identity_pools(MaxResults=10),
        lambda: narrow.tag_resource(ResourceArn=_arn(theirs.identity_pool_id), Tags={"a": "b"}),
    ]
    for call in refusals:
        with pytest.raises(ClientError) as error:
            call()
        assert _error(error)[0] == "AccessDeniedException"
    assert identity_rows() == before

    narrow.delete_identities(IdentityIdsToDelete=[my_identity.identity_id])
    assert list(Identity.objects.all()) == [their_identity]


@pytest.mark.slow
def test_the_aws_cli_creates_and_lists_identity_pools(
    aws_url: str, operator_key: tuple[AccessKey, str], tmp_path: Path
) -> None:
    created = aws_cli(
        tmp_path,
        aws_url,
        operator_key,
        "cognito-identity",
        "create-identity-pool",
        "--identity-pool-name",
        "cli pool",
        "--no-allow-unauthenticated-identities",
    )
    assert created.returncode == 0, created.stderr
    pool_id = json.loads(created.stdout)["IdentityPoolId"]

    listed = aws_cli(
        tmp_path,
        aws_url,
        operator_key,
        "cognito-identity",
        "list-identity-pools",
        "--max-results",
        "10",
    )
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["IdentityPools"] == [
        {"IdentityPoolId": pool_id, "IdentityPoolName": "cli pool"}
    ]
