"""Operators' permissions on the AWS endpoint, with boto3 signing as operators who are not
superusers: allowed exactly what their group grants, refused with AccessDeniedException, and a
refused call changes nothing."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from identities.models import AccessKey
from identities.services.access_keys import access_key_set_policy
from pools.models import PoolUser, UserPool
from tests.builders import (
    make_access_key,
    make_app_client,
    make_operator,
    make_user,
    make_user_pool,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("operator_groups")]


def client_for(
    url: str, username: str, *groups: str, superuser: bool = False
) -> tuple[AccessKey, Any]:
    """An operator in `groups` (a superuser, if asked), their key, and boto3 signing with it."""
    operator = make_operator(
        username=username, superuser=superuser, with_device=False, groups=groups
    )
    key, secret = make_access_key(operator=operator)
    return key, boto3.client(
        "cognito-idp",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key.access_key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def denied(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    message: str = error["Message"]
    return message


def test_support_reads_pools_and_users_and_is_refused_every_change(aws_url: str) -> None:
    pool = make_user_pool(name="customers")
    make_user(pool=pool, username="ana")
    _, support = client_for(aws_url, "sue", "Support (read only)")

    listed = support.list_user_pools(MaxResults=10)["UserPools"]
    users = support.list_users(UserPoolId=pool.pool_id)["Users"]
    message = denied(support.delete_user_pool, UserPoolId=pool.pool_id)
    denied(support.create_user_pool, PoolName="mine")
    denied(support.admin_create_user, UserPoolId=pool.pool_id, Username="bob")
    denied(support.admin_disable_user, UserPoolId=pool.pool_id, Username="ana")

    assert [p["Id"] for p in listed] == [pool.pool_id]
    assert [u["Username"] for u in users] == ["ana"]
    assert message == (
        "User: arn:aws:iam::000000000000:user/sue is not authorized to perform: "
        f"cognito-idp:DeleteUserPool on resource: {pool.arn} because no identity-based "
        "policy allows the cognito-idp:DeleteUserPool action"
    )
    assert list(UserPool.objects.values_list("name", flat=True)) == ["customers"]
    assert list(PoolUser.objects.values_list("username", "enabled")) == [("ana", True)]


def test_a_refusal_does_not_tell_whether_the_pool_exists(aws_url: str) -> None:
    make_user_pool()
    _, nobody = client_for(aws_url, "nobody")

    message = denied(nobody.describe_user_pool, UserPoolId="us-east-1_Missing00")

    assert "userpool/us-east-1_Missing00" in message


def test_administrators_manage_pools_and_users(aws_url: str) -> None:
    _, admin = client_for(aws_url, "ada", "Administrators")

    pool_id = admin.create_user_pool(PoolName="shop")["UserPool"]["Id"]
    admin.admin_create_user(UserPoolId=pool_id, Username="bob", MessageAction="SUPPRESS")
    admin.admin_delete_user(UserPoolId=pool_id, Username="bob")
    admin.delete_user_pool(UserPoolId=pool_id)

    assert not UserPool.objects.exists()


def test_a_key_policy_keeps_a_ci_key_to_one_pool(aws_url: str) -> None:
    mine = make_user_pool(name="mine")
    theirs = make_user_pool(name="theirs")
    key, ci = client_for(aws_url, "root", superuser=True)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "cognito-idp:*", "Resource": mine.arn}],
    }
    access_key_set_policy(key=key, policy=json.dumps(policy))

    ci.admin_create_user(UserPoolId=mine.pool_id, Username="bob", MessageAction="SUPPRESS")
    denied(ci.admin_create_user, UserPoolId=theirs.pool_id, Username="bob")
    denied(ci.list_user_pools, MaxResults=10)

    assert list(PoolUser.objects.values_list("pool__name", "username")) == [("mine", "bob")]


def test_unsigned_operations_ask_no_operator(idp_public: Any) -> None:
    app = make_app_client(pool=make_user_pool())

    result = idp_public.sign_up(ClientId=app.client_id, Username="ana", Password="Passw0rd!")

    assert result["UserConfirmed"] is False
