"""IAM roles and managed policies: the services and selectors, each rule and each refusal.

`rows()` snapshots every row of roles and policies, and `make_role` / `make_managed_policy`
build through the services; the other role test modules import them from here.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from cognitoadmin.errors import InvalidParameterException, LimitExceededException, ServiceError
from identities.errors import (
    DeleteConflictException,
    EntityAlreadyExistsException,
    InvalidInputException,
    MalformedPolicyDocumentException,
    NoSuchEntityException,
)
from identities.models import ManagedPolicy, Role, RolePolicy
from identities.selectors.roles import (
    managed_policies_page,
    managed_policy_attachment_count,
    managed_policy_get,
    managed_policy_get_by_arn,
    managed_policy_version_get,
    role_attached_policies_page,
    role_get,
    role_get_by_arn,
    role_policies_page,
    role_policy_get,
    role_tags_page,
    roles_page,
)
from identities.services import roles as role_services
from identities.services.policies import Decision, policy_evaluate, trust_policy_allows
from identities.services.roles import (
    managed_policy_create,
    managed_policy_delete,
    managed_policy_update,
    role_create,
    role_delete,
    role_effective_policies,
    role_policy_attach,
    role_policy_delete,
    role_policy_detach,
    role_policy_put,
    role_tag,
    role_trust_policy,
    role_untag,
    role_update,
    role_update_assume_role_policy,
)

pytestmark = pytest.mark.django_db

ACCOUNT = "000000000000"
POOL_ID = "us-east-1:11111111-2222-3333-4444-555555555555"
TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": POOL_ID}},
        }
    ],
}
READ: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
}
ANYONE: dict[str, Any] = {
    "Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}
}
WRITE: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": ["*"]}],
}


def rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of roles, their inline and attached policies, and managed policies."""
    models: list[type[Model]] = [Role, RolePolicy, ManagedPolicy, Role.attached_policies.through]
    return {
        model._meta.label_lower: [
            dict(row) for row in model._default_manager.order_by("pk").values()
        ]
        for model in models
    }


def make_role(name: str = "reader", **fields: Any) -> Role:
    """A role made by CreateRole, trusting identity pool `POOL_ID` unless `fields` say else."""
    fields.setdefault("assume_role_policy_document", TRUST)
    return role_create(name=name, **fields)


def make_managed_policy(name: str = "read-bucket", **fields: Any) -> ManagedPolicy:
    """A managed policy made by CreatePolicy, allowing READ unless `fields` say else."""
    fields.setdefault("document", READ)
    return managed_policy_create(name=name, **fields)


def _refused(error: type[ServiceError], call: Any, **kwargs: Any) -> str:
    """The message of `error`, raised by `call(**kwargs)`, which changed nothing."""
    before = rows()
    with pytest.raises(error) as raised:
        call(**kwargs)
    assert rows() == before
    return raised.value.message


# --- Creating roles ------------------------------------------------------------------------------


def test_create_role_stores_the_canonical_trust_policy_and_iam_ids() -> None:
    role = role_create(
        name="Reader",
        path="/app/",
        assume_role_policy_document=json.dumps(TRUST, indent=4),
        description="Reads the bucket",
        max_session_duration=7200,
        tags=[{"Key": "team", "Value": "web"}],
    )

    stored = Role.objects.get()
    assert re.fullmatch(r"AROA[A-Z0-9]{17}", stored.role_id)
    assert stored.arn == f"arn:aws:iam::{ACCOUNT}:role/app/Reader"
    assert (stored.name, stored.path, stored.description) == ("Reader", "/app/", "Reads the bucket")
    assert stored.max_session_duration == 7200
    assert stored.tags == {"team": "web"}
    # Lists everywhere, IAM's key order: what the evaluator reads.
    assert stored.assume_role_policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": ["cognito-identity.amazonaws.com"]},
                "Action": ["sts:AssumeRoleWithWebIdentity"],
                "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": [POOL_ID]}},
            }
        ],
    }
    assert stored.created_at is not None
    assert role.pk == stored.pk


def test_create_role_defaults() -> None:
    role = make_role()

    assert (role.path, role.description, role.max_session_duration, role.tags) == (
        "/",
        "",
        3600,
        {},
    )


def test_role_names_are_unique_without_regard_to_case() -> None:
    make_role("Reader")

    message = _refused(
        EntityAlreadyExistsException, role_create, name="READER", assume_role_policy_document=TRUST
    )

    assert message == "Role with name READER already exists."


@pytest.mark.parametrize(
    ("fields", "member"),
    [
        ({"name": "r" * 65}, "roleName"),
        ({"name": ""}, "roleName"),
        ({"name": "bad name"}, "roleName"),
        ({"name": "bad/name"}, "roleName"),
        ({"path": "app/"}, "path"),
        ({"path": "/app"}, "path"),
        ({"path": "/a b/"}, "path"),
        ({"path": "/" + "a" * 511 + "/"}, "path"),
        ({"description": "d" * 1001}, "description"),
        ({"max_session_duration": 3599}, "maxSessionDuration"),
        ({"max_session_duration": 43201}, "maxSessionDuration"),
        ({"tags": [{"Key": "k" * 129, "Value": ""}]}, "tags.1.member.key"),
        ({"tags": [{"Key": "k", "Value": "v" * 257}]}, "tags.1.member.value"),
        ({"tags": [{"Key": "k!", "Value": ""}]}, "tags.1.member.key"),
        ({"tags": [{"Key": f"k{i}", "Value": ""} for i in range(51)]}, "tags"),
        ({"assume_role_policy_document": ""}, "assumeRolePolicyDocument"),
        ({"assume_role_policy_document": '{"Version": "\u2603"}'}, "assumeRolePolicyDocument"),
    ],
)
def test_create_role_refuses_what_the_iam_model_refuses(
    fields: dict[str, Any], member: str
) -> None:
    arguments = {"name": "reader", "assume_role_policy_document": TRUST, **fields}

    message = _refused(InvalidParameterException, role_create, **arguments)

    assert f"at '{member}' failed to satisfy constraint" in message


@pytest.mark.parametrize(
    "fields",
    [{"name": 7}, {"description": ["x"]}, {"max_session_duration": "3600"}, {"tags": "k=v"}],
)
def test_create_role_refuses_wrong_types(fields: dict[str, Any]) -> None:
    arguments = {"name": "reader", "assume_role_policy_document": TRUST, **fields}

    _refused(InvalidParameterException, role_create, **arguments)


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ("not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole"}}, "has no Principal"),
        (
            {
                "Statement": {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "sts:AssumeRole",
                    "Resource": "*",
                }
            },
            "Resource is not allowed in a trust policy",
        ),
        (READ, "Resource is not allowed in a trust policy"),
    ],
)
def test_create_role_refuses_a_malformed_trust_policy(document: Any, says: str) -> None:
    message = _refused(
        MalformedPolicyDocumentException,
        role_create,
        name="reader",
        assume_role_policy_document=document,
    )

    assert says in message


def test_create_role_refuses_a_permissions_boundary() -> None:
    message = _refused(
        InvalidInputException,
        role_create,
        name="reader",
        assume_role_policy_document=TRUST,
        permissions_boundary=f"arn:aws:iam::{ACCOUNT}:policy/boundary",
    )

    assert message == "PermissionsBoundary is not supported by this server."


def test_create_role_refuses_a_sign_in_session_duration() -> None:
    message = _refused(
        InvalidInputException,
        role_create,
        name="reader",
        assume_role_policy_document=TRUST,
        max_signin_session_duration=7200,
    )

    assert message == "MaxSigninSessionDuration is not supported by this server."


@pytest.mark.parametrize(
    ("tags", "says"),
    [
        (
            [{"Key": "Team", "Value": "a"}, {"Key": "team", "Value": "b"}],
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        ),
        ([{"Key": "AWS:owner", "Value": "x"}], "reserved for AWS use"),
    ],
)
def test_create_role_keeps_iams_tag_rules(tags: list[dict[str, str]], says: str) -> None:
    message = _refused(
        InvalidInputException,
        role_create,
        name="reader",
        assume_role_policy_document=TRUST,
        tags=tags,
    )

    assert says in message


def test_create_role_stops_at_the_account_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(role_services, "MAX_ROLES", 2)
    make_role("one")
    make_role("two")

    message = _refused(
        LimitExceededException, role_create, name="three", assume_role_policy_document=TRUST
    )

    assert message == "Cannot exceed quota for RolesPerAccount: 2."


# --- Finding roles -------------------------------------------------------------------------------


def test_role_get_ignores_case_and_names_an_unknown_role() -> None:
    role = make_role("Reader")

    assert role_get(name="rEADER") == role
    with pytest.raises(NoSuchEntityException) as missing:
        role_get(name="writer")
    assert missing.value.message == "The role with name writer cannot be found."


def test_role_get_by_arn_needs_the_path_and_this_account() -> None:
    role = make_role("reader", path="/app/web/")

    assert role_get_by_arn(arn=f"arn:aws:iam::{ACCOUNT}:role/app/web/reader") == role
    for arn in (
        f"arn:aws:iam::{ACCOUNT}:role/reader",
        f"arn:aws:iam::{ACCOUNT}:role/app/reader",
        "arn:aws:iam::123456789012:role/app/web/reader",
        f"arn:aws:iam::{ACCOUNT}:policy/app/web/reader",
        f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/s",
        "reader",
        "",
    ):
        with pytest.raises(NoSuchEntityException) as missing:
            role_get_by_arn(arn=arn)
        assert missing.value.message == f"The role with ARN {arn} cannot be found."


def test_roles_page_walks_every_role_with_a_path_prefix() -> None:
    names = [make_role(f"app{i}", path="/app/").name for i in range(5)]
    make_role("other", path="/ops/")

    seen: list[str] = []
    marker: str | None = None
    pages = 0
    while True:
        roles, marker = roles_page(path_prefix="/app/", marker=marker, max_items=2)
        seen += [role.name for role in roles]
        pages += 1
        if marker is None:
            break

    assert seen == names
    assert pages == 3
    everyone, last = roles_page()
    assert len(everyone) == 6
    assert last is None


def test_a_marker_of_another_list_is_refused() -> None:
    for i in range(3):
        make_role(f"app{i}", path="/app/")
    _, marker = roles_page(path_prefix="/app/", max_items=1)

    with pytest.raises(InvalidParameterException):
        roles_page(marker=marker, max_items=1)
    with pytest.raises(InvalidParameterException):
        roles_page(marker="forged")


@pytest.mark.parametrize(
    "arguments", [{"max_items": 0}, {"max_items": 1001}, {"path_prefix": "app"}, {"marker": ""}]
)
def test_roles_page_refuses_bad_arguments(arguments: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameterException):
        roles_page(**arguments)


# --- Changing roles ------------------------------------------------------------------------------


def test_update_role_keeps_a_description_not_given_and_resets_the_duration() -> None:
    role = make_role(description="first", max_session_duration=7200)

    role_update(role=role, max_session_duration=10800)
    assert Role.objects.get().description == "first"
    assert Role.objects.get().max_session_duration == 10800

    role_update(role=role, description="")
    stored = Role.objects.get()
    assert (stored.description, stored.max_session_duration) == ("", 3600)


def test_update_role_changes_the_trust_policy_with_the_rest_or_nothing() -> None:
    role = make_role(description="first")
    other = {**TRUST, "Statement": [{**TRUST["Statement"][0], "Condition": {}}]}

    message = _refused(
        MalformedPolicyDocumentException,
        role_update,
        role=role,
        description="second",
        assume_role_policy_document=other,
    )
    role_update(role=role, description="second", assume_role_policy_document=ANYONE)

    assert "Condition must be a non-empty object" in message
    stored = Role.objects.get()
    assert stored.description == "second"
    assert stored.assume_role_policy["Statement"][0]["Principal"] == "*"


@pytest.mark.parametrize(
    "fields",
    [{"max_session_duration": 60}, {"description": "d" * 1001}, {"description": "tab\x00"}],
)
def test_update_role_refuses_bad_values(fields: dict[str, Any]) -> None:
    role = make_role()

    _refused(InvalidParameterException, role_update, role=role, **fields)


def test_update_role_refuses_a_sign_in_session_duration() -> None:
    _refused(InvalidInputException, role_update, role=make_role(), max_signin_session_duration=3600)


def test_update_assume_role_policy_stores_it_canonical() -> None:
    role = make_role()
    role_update_assume_role_policy(role=role, document=json.dumps(ANYONE))

    assert Role.objects.get().assume_role_policy == {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["sts:AssumeRole"]}]
    }


def test_update_assume_role_policy_refuses_a_malformed_one() -> None:
    role = make_role()

    _refused(
        MalformedPolicyDocumentException, role_update_assume_role_policy, role=role, document=READ
    )
    _refused(InvalidParameterException, role_update_assume_role_policy, role=role, document="")


def test_delete_role_refuses_while_it_has_policies() -> None:
    role = make_role()
    policy = make_managed_policy()
    role_policy_attach(role=role, policy=policy)
    role_policy_put(role=role, name="inline", document=WRITE)

    attached = _refused(DeleteConflictException, role_delete, role=role)
    role_policy_detach(role=role, policy=policy)
    inline = _refused(DeleteConflictException, role_delete, role=role)
    role_policy_delete(policy=role_policy_get(role=role, name="inline"))
    role_delete(role=role)

    assert attached == "Cannot delete entity, must detach all policies first."
    assert inline == "Cannot delete entity, must delete policies first."
    assert not Role.objects.exists()
    assert ManagedPolicy.objects.get() == policy


def test_a_role_deleted_meanwhile_is_not_found() -> None:
    role = make_role()
    Role.objects.all().delete()

    with pytest.raises(NoSuchEntityException):
        role_update(role=role, description="x")


# --- Tags ----------------------------------------------------------------------------------------


def test_tag_role_replaces_a_key_given_in_another_case() -> None:
    role = make_role(tags=[{"Key": "Team", "Value": "web"}, {"Key": "cost", "Value": "1"}])

    role_tag(role=role, tags=[{"Key": "team", "Value": "ops"}, {"Key": "env", "Value": ""}])

    assert Role.objects.get().tags == {"cost": "1", "team": "ops", "env": ""}


def test_tag_role_stops_at_fifty_tags() -> None:
    role = make_role(tags=[{"Key": f"k{i}", "Value": ""} for i in range(45)])

    message = _refused(
        LimitExceededException,
        role_tag,
        role=role,
        tags=[{"Key": f"n{i}", "Value": ""} for i in range(6)],
    )
    role_tag(role=role, tags=[{"Key": f"n{i}", "Value": ""} for i in range(5)])

    assert message == "Cannot exceed quota for TagsPerRole: 50."
    assert len(Role.objects.get().tags) == 50


@pytest.mark.parametrize(
    ("tags", "error"),
    [
        ([{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}], InvalidInputException),
        ([{"Key": "aws:x", "Value": "1"}], InvalidInputException),
        ([{"Key": "", "Value": "1"}], InvalidParameterException),
        ([{"Key": "a"}], InvalidParameterException),
    ],
)
def test_tag_role_refuses_bad_tags(tags: list[dict[str, str]], error: type[ServiceError]) -> None:
    role = make_role(tags=[{"Key": "a", "Value": "0"}])

    _refused(error, role_tag, role=role, tags=tags)


def test_untag_role_matches_keys_without_regard_to_case() -> None:
    role = make_role(tags=[{"Key": "Team", "Value": "web"}, {"Key": "cost", "Value": "1"}])

    role_untag(role=role, keys=["TEAM", "absent"])

    assert Role.objects.get().tags == {"cost": "1"}
    _refused(InvalidParameterException, role_untag, role=role, keys=["k" * 129])


def test_role_tags_page_sorts_by_key_and_pages() -> None:
    role = make_role(tags=[{"Key": key, "Value": key.upper()} for key in ("b", "c", "a")])

    first, marker = role_tags_page(role=role, max_items=2)
    second, last = role_tags_page(role=role, marker=marker, max_items=2)

    assert first == [("a", "A"), ("b", "B")]
    assert second == [("c", "C")]
    assert last is None
    with pytest.raises(InvalidParameterException):
        role_tags_page(role=make_role("other"), marker=marker)


# --- Inline policies -----------------------------------------------------------------------------


def test_put_role_policy_adds_then_replaces_canonical_documents() -> None:
    role = make_role()

    role_policy_put(role=role, name="s3", document=json.dumps(READ))
    role_policy_put(role=role, name="s3", document=WRITE)
    role_policy_put(role=role, name="more", document=READ)

    assert role_policy_get(role=role, name="s3").document == WRITE
    assert role_policy_get(role=role, name="more").document == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
        ],
    }
    policies, _ = role_policies_page(role=role)
    assert [p.name for p in policies] == ["s3", "more"]


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ("{", MalformedPolicyDocumentException),
        (TRUST, MalformedPolicyDocumentException),
        (
            {"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}},
            MalformedPolicyDocumentException,
        ),
        ("", InvalidParameterException),
    ],
)
def test_put_role_policy_refuses_a_malformed_document(
    document: Any, error: type[ServiceError]
) -> None:
    role = make_role()
    role_policy_put(role=role, name="s3", document=READ)

    _refused(error, role_policy_put, role=role, name="s3", document=document)


@pytest.mark.parametrize("name", ["", "p" * 129, "bad name"])
def test_put_role_policy_refuses_a_bad_name(name: str) -> None:
    _refused(InvalidParameterException, role_policy_put, role=make_role(), name=name, document=READ)


def _statement_of(size: int) -> dict[str, Any]:
    # One Allow on a resource name padded so that the compact document has `size` characters.
    base = {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:"]}]}
    padding = size - len(json.dumps(base, separators=(",", ":")))
    return {
        "Statement": {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:" + "a" * padding,
        }
    }


def test_inline_policies_of_a_role_share_iams_size_quota() -> None:
    role = make_role()
    role_policy_put(role=role, name="one", document=_statement_of(6000))

    message = _refused(
        LimitExceededException, role_policy_put, role=role, name="two", document=_statement_of(4241)
    )
    role_policy_put(role=role, name="two", document=_statement_of(4240))
    # Replacing a policy counts its new document, not the old one too.
    role_policy_put(role=role, name="one", document=_statement_of(6000))

    assert message == "Maximum policy size of 10240 bytes exceeded for role reader"


def test_delete_role_policy_and_an_unknown_one() -> None:
    role = make_role()
    role_policy_put(role=role, name="s3", document=READ)
    policy = role_policy_get(role=role, name="s3")

    role_policy_delete(policy=policy)

    assert not RolePolicy.objects.exists()
    with pytest.raises(NoSuchEntityException) as missing:
        role_policy_get(role=role, name="s3")
    assert missing.value.message == "The role policy with name s3 cannot be found."
    with pytest.raises(NoSuchEntityException):
        role_policy_delete(policy=policy)


# --- Managed policies ----------------------------------------------------------------------------


def test_create_policy_stores_it_canonical_with_iam_ids() -> None:
    policy = managed_policy_create(
        name="ReadBucket",
        path="/app/",
        document=json.dumps(READ),
        description="Reads",
        tags=[{"Key": "team", "Value": "web"}],
    )

    assert re.fullmatch(r"ANPA[A-Z0-9]{17}", policy.policy_id)
    assert policy.arn == f"arn:aws:iam::{ACCOUNT}:policy/app/ReadBucket"
    stored = ManagedPolicy.objects.get()
    assert stored.document["Statement"] == [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
    ]
    assert (stored.description, stored.tags) == ("Reads", {"team": "web"})
    assert stored.created_at == stored.updated_at


def test_policy_names_are_unique_without_regard_to_case() -> None:
    make_managed_policy("ReadBucket")

    message = _refused(
        EntityAlreadyExistsException, managed_policy_create, name="readbucket", document=READ
    )

    assert message == "A policy called readbucket already exists. Duplicate names are not allowed."


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": "p" * 129}, InvalidParameterException),
        ({"path": "/a b/"}, InvalidParameterException),
        ({"path": "/app"}, InvalidParameterException),
        ({"description": "d" * 1001}, InvalidParameterException),
        ({"document": TRUST}, MalformedPolicyDocumentException),
        ({"document": {"Statement": []}}, MalformedPolicyDocumentException),
        ({"document": _statement_of(6145)}, LimitExceededException),
        ({"tags": [{"Key": "aws:x", "Value": ""}]}, InvalidInputException),
    ],
)
def test_create_policy_refuses_bad_input(fields: dict[str, Any], error: type[ServiceError]) -> None:
    _refused(error, managed_policy_create, **{"name": "p", "document": READ, **fields})


def test_a_policy_of_iams_largest_size_is_taken() -> None:
    assert managed_policy_create(name="big", document=_statement_of(6144)).pk


def test_update_policy_replaces_its_one_version() -> None:
    policy = make_managed_policy(description="first")

    managed_policy_update(policy=policy, document=WRITE)
    managed_policy_update(policy=policy, description="second")

    stored = ManagedPolicy.objects.get()
    assert (stored.document, stored.description) == (WRITE, "second")
    assert stored.updated_at > stored.created_at
    _refused(MalformedPolicyDocumentException, managed_policy_update, policy=policy, document="[")


def test_delete_policy_refuses_while_attached() -> None:
    role = make_role()
    policy = make_managed_policy()
    role_policy_attach(role=role, policy=policy)

    message = _refused(DeleteConflictException, managed_policy_delete, policy=policy)
    role_policy_detach(role=role, policy=policy)
    managed_policy_delete(policy=policy)

    assert message == "Cannot delete a policy attached to entities."
    assert not ManagedPolicy.objects.exists()


def test_policy_lookups_by_arn() -> None:
    policy = make_managed_policy("read", path="/app/")
    arn = f"arn:aws:iam::{ACCOUNT}:policy/app/read"

    assert managed_policy_get_by_arn(arn=arn) == policy
    assert managed_policy_get_by_arn(arn=f"arn:aws:iam::{ACCOUNT}:policy/app/READ") == policy
    assert managed_policy_get(name="READ") == policy
    for other in (
        f"arn:aws:iam::{ACCOUNT}:policy/read",
        "arn:aws:iam::123456789012:policy/app/read",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    ):
        with pytest.raises(NoSuchEntityException) as missing:
            managed_policy_get_by_arn(arn=other)
        assert missing.value.message == f"Policy {other} was not found."
        with pytest.raises(NoSuchEntityException) as missing:
            managed_policy_get_by_arn(arn=other, attachable=True)
        assert missing.value.message == f"Policy {other} does not exist or is not attachable."
    for invalid in (f"arn:aws:iam::{ACCOUNT}:role/app/read", "read", f"arn:aws:s3:::{ACCOUNT}"):
        with pytest.raises(InvalidInputException) as bad:
            managed_policy_get_by_arn(arn=invalid)
        assert bad.value.message == f"ARN {invalid} is not valid."
    with pytest.raises(NoSuchEntityException):
        managed_policy_get(name="write")


def test_policy_versions_are_v1_only() -> None:
    policy = make_managed_policy()

    assert managed_policy_version_get(arn=policy.arn, version_id="v1") == policy
    with pytest.raises(NoSuchEntityException) as missing:
        managed_policy_version_get(arn=policy.arn, version_id="v2")
    assert missing.value.message == (
        f"Policy {policy.arn} version v2 does not exist or is not attachable."
    )
    with pytest.raises(InvalidParameterException):
        managed_policy_version_get(arn=policy.arn, version_id="1")


def test_managed_policies_page_filters_as_list_policies_does() -> None:
    role = make_role()
    attached = make_managed_policy("attached", path="/app/")
    loose = make_managed_policy("loose")
    role_policy_attach(role=role, policy=attached)

    def names(**filters: Any) -> list[str]:
        policies, _ = managed_policies_page(**filters)
        return [p.name for p in policies]

    assert names() == ["attached", "loose"]
    assert names(scope="Local") == names(scope="All") == ["attached", "loose"]
    assert names(scope="AWS") == []
    assert names(only_attached=True) == ["attached"]
    assert names(path_prefix="/app/") == ["attached"]
    assert names(usage_filter="PermissionsPolicy") == ["attached", "loose"]
    assert names(usage_filter="PermissionsBoundary") == []
    policies, _ = managed_policies_page()
    assert [managed_policy_attachment_count(p) for p in policies] == [1, 0]
    assert managed_policy_attachment_count(ManagedPolicy.objects.get(pk=loose.pk)) == 0
    with pytest.raises(InvalidParameterException):
        managed_policies_page(scope="Mine")


def test_a_page_of_policies_costs_one_query() -> None:
    role = make_role()
    for i in range(5):
        role_policy_attach(role=role, policy=make_managed_policy(f"p{i}"))

    with CaptureQueriesContext(connection) as queries:
        policies, _ = managed_policies_page()
        counts = [managed_policy_attachment_count(p) for p in policies]

    assert counts == [1] * 5
    assert len(queries) == 1


# --- Attaching -----------------------------------------------------------------------------------


def test_attach_is_idempotent_and_detach_of_a_stranger_is_not_found() -> None:
    role = make_role()
    policy = make_managed_policy()

    role_policy_attach(role=role, policy=policy)
    role_policy_attach(role=role, policy=policy)

    attached, _ = role_attached_policies_page(role=role)
    assert attached == [policy]
    stranger = make_managed_policy("stranger")
    message = _refused(NoSuchEntityException, role_policy_detach, role=role, policy=stranger)
    assert message == f"Policy {stranger.arn} was not found."


def test_a_role_takes_ten_managed_policies() -> None:
    role = make_role()
    for i in range(10):
        role_policy_attach(role=role, policy=make_managed_policy(f"p{i}"))

    message = _refused(
        LimitExceededException, role_policy_attach, role=role, policy=make_managed_policy("p10")
    )

    assert message == "Cannot exceed quota for PoliciesPerRole: 10"


def test_attached_policies_page_by_path_prefix() -> None:
    role = make_role()
    web = make_managed_policy("web", path="/web/")
    role_policy_attach(role=role, policy=web)
    role_policy_attach(role=role, policy=make_managed_policy("ops", path="/ops/"))

    policies, marker = role_attached_policies_page(role=role, path_prefix="/web/")

    assert (policies, marker) == ([web], None)


# --- What a role's credentials may do ------------------------------------------------------------


def test_effective_policies_are_the_inline_and_attached_ones() -> None:
    role = make_role()
    role_policy_put(role=role, name="write", document=WRITE)
    role_policy_attach(role=role, policy=make_managed_policy(document=READ))
    deny = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/x"},
    }
    role_policy_attach(role=role, policy=make_managed_policy("deny", document=deny))
    everything = {"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}
    make_managed_policy("unattached", document=everything)

    policies = role_effective_policies(role=role)

    def decide(action: str, resource: str) -> Decision:
        return policy_evaluate(policies=policies, action=action, resource=resource)

    assert len(policies) == 3
    assert decide("s3:GetObject", "arn:aws:s3:::b/k") is Decision.ALLOW
    assert decide("s3:PutObject", "arn:aws:s3:::b/k") is Decision.ALLOW
    assert decide("s3:PutObject", "arn:aws:s3:::b/x") is Decision.EXPLICIT_DENY
    assert decide("s3:DeleteObject", "arn:aws:s3:::b/k") is Decision.IMPLICIT_DENY
    # Parsed once per document: a second read reuses the parsed policies.
    assert all(a is b for a, b in zip(policies, role_effective_policies(role=role), strict=True))


def test_effective_policies_of_a_bare_role_allow_nothing() -> None:
    assert role_effective_policies(role=make_role()) == []


def test_trust_policy_is_parsed_from_the_stored_document() -> None:
    role = make_role()

    trust = role_trust_policy(role=role)

    context = {"cognito-identity.amazonaws.com:aud": POOL_ID}
    assert trust_policy_allows(
        policy=trust, principal_federated="cognito-identity.amazonaws.com", context=context
    )
    assert not trust_policy_allows(
        policy=trust,
        principal_federated="cognito-identity.amazonaws.com",
        context={"cognito-identity.amazonaws.com:aud": "us-east-1:other"},
    )
    assert role_trust_policy(role=role) is trust
