"""IAM roles and managed policies through boto3's `iam` client (and the AWS CLI) against a live
server: the Query door, IAM's shapes (documents URL-encoded, so boto3 gives dicts) and errors."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.contrib.auth.models import User

from identities.models import AccessKey, ManagedPolicy, Role
from identities.selectors.roles import role_get
from tests.builders import make_access_key, make_operator
from tests.conftest import _boto3_client
from tests.identities.test_roles import (
    ACCOUNT,
    READ,
    TRUST,
    WRITE,
    make_managed_policy,
    make_role,
    rows,
)

pytestmark = pytest.mark.django_db
AWS_CLI = Path(sys.executable).with_name("aws")


@pytest.fixture
def iam(aws_url: str, operator_key: tuple[AccessKey, str]) -> Any:
    """boto3 `iam` client signing with a superuser operator's access key."""
    key, secret = operator_key
    return _boto3_client(
        "iam", aws_url, aws_access_key_id=key.access_key_id, aws_secret_access_key=secret
    )


def _error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def _refused(call: Any, **params: Any) -> tuple[str, int, str]:
    """The error `call(**params)` answers, after which every role and policy row is as it was."""
    before = rows()
    with pytest.raises(ClientError) as raised:
        call(**params)
    assert rows() == before
    return _error(raised)


def _walk(iam: Any, operation: str, member: str, **params: Any) -> list[Any]:
    """Every page through boto3's paginator, one item a page."""
    paginator = iam.get_paginator(operation)
    pages = list(paginator.paginate(**params, PaginationConfig={"PageSize": 1}))
    assert all(page["IsTruncated"] for page in pages[:-1])
    assert not pages[-1]["IsTruncated"]
    assert "Marker" not in pages[-1]
    return [item for page in pages for item in page[member]]


def test_create_get_update_and_delete_a_role(iam: Any) -> None:
    created = iam.create_role(
        RoleName="reader",
        Path="/app/",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        Description="Reads the bucket",
        MaxSessionDuration=7200,
        Tags=[{"Key": "team", "Value": "web"}],
    )["Role"]

    role = Role.objects.get()
    assert created == {
        "Path": "/app/",
        "RoleName": "reader",
        "RoleId": role.role_id,
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/app/reader",
        "CreateDate": created["CreateDate"],
        # Decoded and parsed by boto3: the canonical document, lists everywhere.
        "AssumeRolePolicyDocument": role.assume_role_policy,
        "Description": "Reads the bucket",
        "MaxSessionDuration": 7200,
        "Tags": [{"Key": "team", "Value": "web"}],
        "RoleLastUsed": {},
    }
    assert isinstance(created["CreateDate"], dt.datetime)
    assert created["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Federated": ["cognito-identity.amazonaws.com"]
    }
    assert iam.get_role(RoleName="READER")["Role"] == created

    iam.update_role(RoleName="reader", Description="Reads", MaxSessionDuration=3600 * 4)
    iam.update_assume_role_policy(
        RoleName="reader",
        PolicyDocument=json.dumps(
            {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}}
        ),
    )
    got = iam.get_role(RoleName="reader")["Role"]
    assert (got["Description"], got["MaxSessionDuration"]) == ("Reads", 14400)
    assert got["AssumeRolePolicyDocument"] == {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["sts:AssumeRole"]}]
    }

    iam.delete_role(RoleName="reader")
    assert not Role.objects.exists()
    with pytest.raises(iam.exceptions.NoSuchEntityException) as missing:
        iam.get_role(RoleName="reader")
    assert _error(missing) == ("NoSuchEntity", 404, "The role with name reader cannot be found.")


def test_list_roles_pages_and_leaves_out_tags(iam: Any) -> None:
    for name in ("a", "b", "c"):
        make_role(name, path="/app/", tags=[{"Key": "k", "Value": "v"}])
    make_role("ops", path="/ops/")

    listed = _walk(iam, "list_roles", "Roles", PathPrefix="/app/")

    assert [role["RoleName"] for role in listed] == ["a", "b", "c"]
    assert all("Tags" not in role and "RoleLastUsed" not in role for role in listed)
    assert listed[0]["AssumeRolePolicyDocument"] == Role.objects.get(name="a").assume_role_policy
    everything = iam.list_roles()
    assert (len(everything["Roles"]), everything["IsTruncated"]) == (4, False)


def test_role_errors_change_nothing(iam_unchecked: Any) -> None:
    iam = iam_unchecked
    role = make_role("reader")
    make_role("other")
    make_managed_policy("read")

    assert _refused(
        iam.create_role, RoleName="READER", AssumeRolePolicyDocument=json.dumps(TRUST)
    ) == (
        "EntityAlreadyExists",
        409,
        "Role with name READER already exists.",
    )
    code, status, message = _refused(
        iam.create_role, RoleName="r" * 65, AssumeRolePolicyDocument=json.dumps(TRUST)
    )
    assert (code, status) == ("ValidationError", 400)
    assert "at 'roleName' failed to satisfy constraint" in message
    code, _, message = _refused(
        iam.create_role, RoleName="new", Path="app", AssumeRolePolicyDocument=json.dumps(TRUST)
    )
    assert (code, "at 'path'" in message) == ("ValidationError", True)
    code, status, message = _refused(
        iam.create_role, RoleName="new", AssumeRolePolicyDocument=json.dumps(READ)
    )
    assert (code, status) == ("MalformedPolicyDocument", 400)
    assert "Resource is not allowed in a trust policy" in message
    assert _refused(
        iam.create_role,
        RoleName="new",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        PermissionsBoundary=f"arn:aws:iam::{ACCOUNT}:policy/read",
    ) == ("InvalidInput", 400, "PermissionsBoundary is not supported by this server.")
    assert _refused(
        iam.create_role,
        RoleName="new",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}],
    )[:2] == ("InvalidInput", 400)
    assert _refused(iam.update_role, RoleName="reader", MaxSessionDuration=60)[0] == (
        "ValidationError"
    )
    assert _refused(iam.update_role, RoleName="nobody")[:2] == ("NoSuchEntity", 404)
    assert (
        _refused(iam.update_assume_role_policy, RoleName="reader", PolicyDocument="{")[0]
        == "MalformedPolicyDocument"
    )
    iam.put_role_policy(RoleName="reader", PolicyName="inline", PolicyDocument=json.dumps(WRITE))
    assert _refused(iam.delete_role, RoleName="reader") == (
        "DeleteConflict",
        409,
        "Cannot delete entity, must delete policies first.",
    )
    assert role_get(name="reader") == role


def test_inline_policies_come_back_as_documents(iam: Any) -> None:
    make_role("reader")

    iam.put_role_policy(RoleName="reader", PolicyName="s3", PolicyDocument=json.dumps(READ))
    iam.put_role_policy(RoleName="reader", PolicyName="more", PolicyDocument=json.dumps(WRITE))

    got = iam.get_role_policy(RoleName="READER", PolicyName="s3")
    assert {key: got[key] for key in ("RoleName", "PolicyName", "PolicyDocument")} == {
        "RoleName": "reader",
        "PolicyName": "s3",
        "PolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
            ],
        },
    }
    assert _walk(iam, "list_role_policies", "PolicyNames", RoleName="reader") == ["s3", "more"]
    iam.delete_role_policy(RoleName="reader", PolicyName="s3")
    assert iam.list_role_policies(RoleName="reader")["PolicyNames"] == ["more"]
    assert _refused(iam.get_role_policy, RoleName="reader", PolicyName="s3") == (
        "NoSuchEntity",
        404,
        "The role policy with name s3 cannot be found.",
    )
    assert _refused(iam.delete_role_policy, RoleName="reader", PolicyName="s3")[0] == (
        "NoSuchEntity"
    )
    assert (
        _refused(
            iam.put_role_policy,
            RoleName="reader",
            PolicyName="more",
            PolicyDocument=json.dumps(TRUST),
        )[0]
        == "MalformedPolicyDocument"
    )
    assert (
        _refused(
            iam.put_role_policy, RoleName="nobody", PolicyName="p", PolicyDocument=json.dumps(READ)
        )[0]
        == "NoSuchEntity"
    )


def test_managed_policies_create_get_version_list_and_delete(iam: Any) -> None:
    created = iam.create_policy(
        PolicyName="read",
        Path="/app/",
        PolicyDocument=json.dumps(READ),
        Description="Reads",
        Tags=[{"Key": "team", "Value": "web"}],
    )["Policy"]

    policy = ManagedPolicy.objects.get()
    arn = f"arn:aws:iam::{ACCOUNT}:policy/app/read"
    assert created == {
        "PolicyName": "read",
        "PolicyId": policy.policy_id,
        "Arn": arn,
        "Path": "/app/",
        "DefaultVersionId": "v1",
        "AttachmentCount": 0,
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True,
        "Description": "Reads",
        "CreateDate": created["CreateDate"],
        "UpdateDate": created["UpdateDate"],
        "Tags": [{"Key": "team", "Value": "web"}],
    }
    assert iam.get_policy(PolicyArn=arn)["Policy"] == created
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version == {
        "Document": policy.document,
        "VersionId": "v1",
        "IsDefaultVersion": True,
        "CreateDate": created["UpdateDate"],
    }
    make_managed_policy("other")
    listed = _walk(iam, "list_policies", "Policies", Scope="Local")
    assert [p["PolicyName"] for p in listed] == ["read", "other"]
    assert all("Description" not in p and "Tags" not in p for p in listed)
    assert iam.list_policies(Scope="AWS")["Policies"] == []
    assert iam.list_policies(OnlyAttached=True)["Policies"] == []
    assert [p["PolicyName"] for p in iam.list_policies(PathPrefix="/app/")["Policies"]] == ["read"]

    iam.delete_policy(PolicyArn=arn)
    assert list(ManagedPolicy.objects.values_list("name", flat=True)) == ["other"]


def test_managed_policy_errors_change_nothing(iam_unchecked: Any) -> None:
    iam = iam_unchecked
    policy = make_managed_policy("read")
    make_role("reader")

    assert _refused(iam.create_policy, PolicyName="READ", PolicyDocument=json.dumps(READ)) == (
        "EntityAlreadyExists",
        409,
        "A policy called READ already exists. Duplicate names are not allowed.",
    )
    assert _refused(iam.create_policy, PolicyName="p", PolicyDocument=json.dumps(TRUST))[:2] == (
        "MalformedPolicyDocument",
        400,
    )
    assert (
        _refused(iam.create_policy, PolicyName="p", Path="/a b/", PolicyDocument=json.dumps(READ))[
            0
        ]
        == "ValidationError"
    )
    for arn in ("arn:aws:iam::123456789012:policy/read", "arn:aws:iam::aws:policy/ReadOnly"):
        assert _refused(iam.get_policy, PolicyArn=arn) == (
            "NoSuchEntity",
            404,
            f"Policy {arn} was not found.",
        )
        assert _refused(iam.attach_role_policy, RoleName="reader", PolicyArn=arn) == (
            "NoSuchEntity",
            404,
            f"Policy {arn} does not exist or is not attachable.",
        )
    not_an_arn = "arn:aws:s3:::some-bucket-name"
    assert _refused(iam.get_policy, PolicyArn=not_an_arn) == (
        "InvalidInput",
        400,
        f"ARN {not_an_arn} is not valid.",
    )
    assert _refused(iam.get_policy_version, PolicyArn=policy.arn, VersionId="v2") == (
        "NoSuchEntity",
        404,
        f"Policy {policy.arn} version v2 does not exist or is not attachable.",
    )
    iam.attach_role_policy(RoleName="reader", PolicyArn=policy.arn)
    assert _refused(iam.delete_policy, PolicyArn=policy.arn) == (
        "DeleteConflict",
        409,
        "Cannot delete a policy attached to entities.",
    )
    assert _refused(iam.delete_role, RoleName="reader") == (
        "DeleteConflict",
        409,
        "Cannot delete entity, must detach all policies first.",
    )


def test_attach_list_and_detach_role_policies(iam: Any) -> None:
    make_role("reader")
    read = make_managed_policy("read", path="/app/")
    write = make_managed_policy("write", document=WRITE)

    iam.attach_role_policy(RoleName="reader", PolicyArn=read.arn)
    iam.attach_role_policy(RoleName="reader", PolicyArn=write.arn)
    iam.attach_role_policy(RoleName="reader", PolicyArn=write.arn)

    assert _walk(iam, "list_attached_role_policies", "AttachedPolicies", RoleName="reader") == [
        {"PolicyName": "read", "PolicyArn": read.arn},
        {"PolicyName": "write", "PolicyArn": write.arn},
    ]
    assert iam.list_attached_role_policies(RoleName="reader", PathPrefix="/app/")[
        "AttachedPolicies"
    ] == [{"PolicyName": "read", "PolicyArn": read.arn}]
    assert iam.get_policy(PolicyArn=write.arn)["Policy"]["AttachmentCount"] == 1
    assert [p["PolicyName"] for p in iam.list_policies(OnlyAttached=True)["Policies"]] == [
        "read",
        "write",
    ]
    iam.detach_role_policy(RoleName="reader", PolicyArn=write.arn)
    assert _refused(iam.detach_role_policy, RoleName="reader", PolicyArn=write.arn) == (
        "NoSuchEntity",
        404,
        f"Policy {write.arn} was not found.",
    )
    assert iam.get_policy(PolicyArn=write.arn)["Policy"]["AttachmentCount"] == 0


def test_role_tags(iam: Any) -> None:
    make_role("reader", tags=[{"Key": "Team", "Value": "web"}])

    iam.tag_role(
        RoleName="reader", Tags=[{"Key": "team", "Value": "ops"}, {"Key": "a", "Value": ""}]
    )

    assert _walk(iam, "list_role_tags", "Tags", RoleName="reader") == [
        {"Key": "a", "Value": ""},
        {"Key": "team", "Value": "ops"},
    ]
    iam.untag_role(RoleName="reader", TagKeys=["TEAM"])
    assert iam.list_role_tags(RoleName="reader")["Tags"] == [{"Key": "a", "Value": ""}]
    too_many = [{"Key": f"k{i}", "Value": ""} for i in range(50)]
    assert _refused(iam.tag_role, RoleName="reader", Tags=too_many) == (
        "LimitExceeded",
        409,
        "Cannot exceed quota for TagsPerRole: 50.",
    )
    assert _refused(iam.tag_role, RoleName="reader", Tags=[{"Key": "aws:x", "Value": ""}])[0] == (
        "InvalidInput"
    )


def test_an_operator_without_the_permission_is_denied(aws_url: str, operator_groups: None) -> None:
    reader: User = make_operator(
        username="support", superuser=False, groups=("Support (read only)",)
    )
    key, secret = make_access_key(operator=reader)
    iam = _boto3_client(
        "iam", aws_url, aws_access_key_id=key.access_key_id, aws_secret_access_key=secret
    )
    make_role("reader")

    assert iam.get_role(RoleName="reader")["Role"]["RoleName"] == "reader"
    code, status, message = _refused(
        iam.create_role, RoleName="new", AssumeRolePolicyDocument=json.dumps(TRUST)
    )
    assert (code, status) == ("AccessDenied", 403)
    assert f"iam:CreateRole on resource: arn:aws:iam::{ACCOUNT}:role/new" in message


def test_the_aws_cli_creates_and_reads_a_role(
    aws_url: str, operator_key: tuple[AccessKey, str], tmp_path: Path
) -> None:
    if not AWS_CLI.exists():
        pytest.skip("the AWS CLI is not installed in this environment")
    key, secret = operator_key
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(TRUST))
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": key.access_key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }

    def aws(*arguments: str) -> Any:
        done = subprocess.run(
            [str(AWS_CLI), "--endpoint-url", aws_url, "--output", "json", "iam", *arguments],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    created = aws(
        "create-role", "--role-name", "cli", "--assume-role-policy-document", f"file://{trust}"
    )["Role"]
    got = aws("get-role", "--role-name", "cli")["Role"]

    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/cli"
    assert got["AssumeRolePolicyDocument"] == Role.objects.get().assume_role_policy
