"""Regions as namespaces: boto3 clients configured for three regions against one live server each
see their own region's pools, identity pools and identities, as on AWS."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import botocore
import jwt
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from pytest_django import Settings

from identities.models import AccessKey, Identity, IdentityPool
from pools.models import PoolUser, UserPool

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
PASSWORD = "Correct-Horse-9"
README = Path(__file__).resolve().parents[2] / "README.md"


def _client(service: str, url: str, region: str, key: tuple[AccessKey, str] | None) -> Any:
    credentials: dict[str, Any] = {}
    if key is not None:
        credentials = {
            "aws_access_key_id": key[0].access_key_id,
            "aws_secret_access_key": key[1],
        }
    config = Config(
        retries={"max_attempts": 1},
        **({} if key else {"signature_version": botocore.UNSIGNED}),
    )
    return boto3.client(service, endpoint_url=url, region_name=region, config=config, **credentials)


@pytest.fixture
def idps(aws_url: str, operator_key: tuple[AccessKey, str]) -> dict[str, Any]:
    return {region: _client("cognito-idp", aws_url, region, operator_key) for region in REGIONS}


@pytest.fixture
def identity_admins(aws_url: str, operator_key: tuple[AccessKey, str]) -> dict[str, Any]:
    return {
        region: _client("cognito-identity", aws_url, region, operator_key) for region in REGIONS
    }


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    code: str = excinfo.value.response["Error"]["Code"]
    return code


def _pool_with_user(idp: Any) -> tuple[str, str]:
    """A pool of `idp`'s region with an app client and a confirmed user `ana`."""
    pool_id = idp.create_user_pool(PoolName="shop")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool_id, Username="ana", MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username="ana", Password=PASSWORD, Permanent=True
    )
    return pool_id, client_id


def test_a_pool_lives_in_the_region_of_the_client_that_made_it(idps: dict[str, Any]) -> None:
    made = {
        region: idps[region].create_user_pool(PoolName="shop")["UserPool"] for region in REGIONS
    }

    for region, pool in made.items():
        assert pool["Id"].startswith(f"{region}_")
        assert pool["Arn"] == f"arn:aws:cognito-idp:{region}:000000000000:userpool/{pool['Id']}"
        listed = idps[region].list_user_pools(MaxResults=60)["UserPools"]
        assert [p["Id"] for p in listed] == [pool["Id"]]
        assert idps[region].describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["Name"] == "shop"


def test_another_regions_pool_is_not_found_and_nothing_changes(idps: dict[str, Any]) -> None:
    eu_pool = idps["eu-west-1"].create_user_pool(PoolName="shop")["UserPool"]
    us = idps["us-east-1"]

    calls: list[Callable[[], Any]] = [
        lambda: us.describe_user_pool(UserPoolId=eu_pool["Id"]),
        lambda: us.admin_create_user(UserPoolId=eu_pool["Id"], Username="mallory"),
        lambda: us.create_group(UserPoolId=eu_pool["Id"], GroupName="admins"),
        lambda: us.delete_user_pool(UserPoolId=eu_pool["Id"]),
        lambda: us.tag_resource(ResourceArn=eu_pool["Arn"], Tags={"team": "red"}),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert _error(excinfo) == "ResourceNotFoundException"

    # A domain of another region's pool is described as no domain, as Cognito answers one.
    idps["eu-west-1"].create_user_pool_domain(UserPoolId=eu_pool["Id"], Domain="dublin-shop")
    assert us.describe_user_pool_domain(Domain="dublin-shop")["DomainDescription"] == {}
    described = idps["eu-west-1"].describe_user_pool_domain(Domain="dublin-shop")
    assert described["DomainDescription"]["UserPoolId"] == eu_pool["Id"]

    pool = UserPool.objects.get(pool_id=eu_pool["Id"])
    assert not PoolUser.objects.filter(pool=pool).exists()
    assert not pool.groups.exists()
    assert pool.tags == {}


def test_users_sign_in_to_a_pool_of_any_region(aws_url: str, idps: dict[str, Any]) -> None:
    eu = idps["eu-west-1"]
    pool_id, client_id = _pool_with_user(eu)
    # Unsigned calls carry no region: the client id names the pool, whatever the SDK's region.
    anonymous = _client("cognito-idp", aws_url, "ap-southeast-2", None)

    tokens = anonymous.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ana", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]

    claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
    assert claims["iss"].endswith(f"/{pool_id}")
    user = anonymous.get_user(AccessToken=tokens["AccessToken"])
    assert user["Username"] == "ana"
    admin = eu.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ana", "PASSWORD": PASSWORD},
    )
    assert "AuthenticationResult" in admin
    with pytest.raises(ClientError) as excinfo:
        idps["us-east-1"].admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "ana", "PASSWORD": PASSWORD},
        )
    assert _error(excinfo) == "ResourceNotFoundException"


def test_identity_pools_and_identities_live_in_their_region(
    aws_url: str, idps: dict[str, Any], identity_admins: dict[str, Any]
) -> None:
    pool_id, client_id = _pool_with_user(idps["eu-west-1"])
    provider = f"cognito-idp.eu-west-1.amazonaws.com/{pool_id}"
    eu, us = identity_admins["eu-west-1"], identity_admins["us-east-1"]
    identity_pool = eu.create_identity_pool(
        IdentityPoolName="shop",
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[{"ProviderName": provider, "ClientId": client_id}],
    )
    identity_pool_id = identity_pool["IdentityPoolId"]
    assert re.fullmatch(r"eu-west-1:[0-9a-f-]{36}", identity_pool_id)
    assert [
        p["IdentityPoolId"] for p in eu.list_identity_pools(MaxResults=60)["IdentityPools"]
    ] == [identity_pool_id]
    assert us.list_identity_pools(MaxResults=60)["IdentityPools"] == []

    id_token = _client("cognito-idp", aws_url, "eu-west-1", None).initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ana", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["IdToken"]
    anonymous = _client("cognito-identity", aws_url, "us-east-1", None)
    identity_id = anonymous.get_id(IdentityPoolId=identity_pool_id, Logins={provider: id_token})[
        "IdentityId"
    ]

    assert identity_id.startswith("eu-west-1:")
    assert eu.describe_identity(IdentityId=identity_id)["Logins"] == [provider]
    calls: list[Callable[[], Any]] = [
        lambda: us.describe_identity(IdentityId=identity_id),
        lambda: us.describe_identity_pool(IdentityPoolId=identity_pool_id),
        lambda: us.delete_identity_pool(IdentityPoolId=identity_pool_id),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert _error(excinfo) == "ResourceNotFoundException"
    # As for an id of no identity, Cognito reports nothing unprocessed and deletes nothing.
    assert us.delete_identities(IdentityIdsToDelete=[identity_id])["UnprocessedIdentityIds"] == []
    assert IdentityPool.objects.filter(identity_pool_id=identity_pool_id).exists()
    assert Identity.objects.filter(identity_id=identity_id).exists()


def test_sync_sees_only_its_regions_identity_pools(
    aws_url: str, operator_key: tuple[AccessKey, str], identity_admins: dict[str, Any]
) -> None:
    eu_pool_id = identity_admins["eu-west-1"].create_identity_pool(
        IdentityPoolName="notes", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]

    eu_sync = _client("cognito-sync", aws_url, "eu-west-1", operator_key)
    us_sync = _client("cognito-sync", aws_url, "us-east-1", operator_key)

    usage = eu_sync.describe_identity_pool_usage(IdentityPoolId=eu_pool_id)
    assert usage["IdentityPoolUsage"]["IdentityPoolId"] == eu_pool_id
    with pytest.raises(ClientError) as excinfo:
        us_sync.describe_identity_pool_usage(IdentityPoolId=eu_pool_id)
    assert _error(excinfo) == "ResourceNotFoundException"


def test_a_server_limited_to_some_regions_refuses_calls_signed_for_others(
    aws_url: str, operator_key: tuple[AccessKey, str], settings: Settings
) -> None:
    settings.COGNITOADMIN_REGIONS = ["us-east-1", "eu-west-1"]
    served = _client("cognito-idp", aws_url, "eu-west-1", operator_key)
    other = _client("cognito-idp", aws_url, "ap-southeast-2", operator_key)

    assert served.list_user_pools(MaxResults=10)["UserPools"] == []
    with pytest.raises(ClientError) as excinfo:
        other.create_user_pool(PoolName="shop")
    assert _error(excinfo) == "InvalidSignatureException"
    assert "valid region, not 'ap-southeast-2'" in excinfo.value.response["Error"]["Message"]
    assert not UserPool.objects.exists()


def test_the_readmes_regions_example(
    aws_url: str, operator_key: tuple[AccessKey, str], capsys: pytest.CaptureFixture[str]
) -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n### Regions\n")
    [code] = re.findall(
        r"^```python\n(.*?)^```$", text[start : text.index("\n## ", start)], re.M | re.S
    )
    code = (
        code.replace("http://127.0.0.1:8000", aws_url)
        .replace("AKIAIOSFODNN7EXAMPLE", operator_key[0].access_key_id)
        .replace("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", operator_key[1])
    )

    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the README's own example

    printed = capsys.readouterr().out.split()
    assert printed[0].startswith("eu-west-1_")
    assert printed[1:] == ["[]", "ResourceNotFoundException"]
