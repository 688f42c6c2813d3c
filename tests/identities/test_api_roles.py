"""Management API: IAM roles, their inline and attached policies, managed policies
(/api/v1/iam/roles/, /api/v1/iam/policies/)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from identities.models import ManagedPolicy, Role, RolePolicy
from identities.services.roles import role_policy_attach, role_policy_put
from tests.builders import make_operator
from tests.identities.test_roles import (
    ACCOUNT,
    ANYONE,
    READ,
    TRUST,
    WRITE,
    make_managed_policy,
    make_role,
    rows,
)

pytestmark = pytest.mark.django_db

ROLES = "/api/v1/iam/roles/"
POLICIES = "/api/v1/iam/policies/"


def _refused(api: APIClient, method: str, url: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    """The status and error body of a refused request, which changed no row."""
    before = rows()
    response = getattr(api, method)(url, body, format="json")
    assert rows() == before
    assert response.status_code >= 400, response.json()
    return response.status_code, response.json()


def test_create_a_role_with_its_trust_policy_and_tags(api: APIClient) -> None:
    response = api.post(
        ROLES,
        {
            "name": "reader",
            "path": "/app/",
            "assume_role_policy_document": TRUST,
            "description": "Reads",
            "max_session_duration": 7200,
            "tags": [{"key": "team", "value": "web"}],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    role = Role.objects.get()
    assert response.json() == {
        "name": "reader",
        "role_id": role.role_id,
        "arn": f"arn:aws:iam::{ACCOUNT}:role/app/reader",
        "path": "/app/",
        "description": "Reads",
        "assume_role_policy_document": role.assume_role_policy,
        "max_session_duration": 7200,
        "tags": {"team": "web"},
        "created_at": response.json()["created_at"],
        "last_used_at": None,
    }


def test_a_trust_policy_may_come_as_json_text(api: APIClient) -> None:
    response = api.post(
        ROLES, {"name": "reader", "assume_role_policy_document": json.dumps(TRUST)}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert Role.objects.get().assume_role_policy["Statement"][0]["Effect"] == "Allow"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"name": "r" * 65, "assume_role_policy_document": TRUST},
            400,
            "InvalidParameterException",
        ),
        (
            {"name": "x", "path": "app", "assume_role_policy_document": TRUST},
            400,
            "InvalidParameterException",
        ),
        ({"name": "x", "assume_role_policy_document": READ}, 400, "MalformedPolicyDocument"),
        ({"name": "x", "assume_role_policy_document": "{"}, 400, "MalformedPolicyDocument"),
        ({"name": "x", "assume_role_policy_document": [1]}, 400, "MalformedPolicyDocument"),
        ({"name": "x"}, 400, "InvalidParameterException"),
        ({"name": 5, "assume_role_policy_document": TRUST}, 400, "InvalidParameterException"),
        (
            {"name": "x", "assume_role_policy_document": TRUST, "max_session_duration": "long"},
            400,
            "InvalidParameterException",
        ),
        (
            {"name": "x", "assume_role_policy_document": TRUST, "max_session_duration": 60},
            400,
            "InvalidParameterException",
        ),
        (
            {
                "name": "x",
                "assume_role_policy_document": TRUST,
                "tags": [{"key": "aws:a", "value": ""}],
            },
            400,
            "InvalidInputException",
        ),
        (
            {"name": "x", "assume_role_policy_document": TRUST, "owner": "me"},
            400,
            "InvalidParameterException",
        ),
        (
            {"name": "READER", "assume_role_policy_document": TRUST},
            409,
            "EntityAlreadyExistsException",
        ),
    ],
)
def test_create_role_refusals_change_nothing(
    api: APIClient, body: dict[str, Any], status: int, code: str
) -> None:
    make_role("reader")

    answered, error = _refused(api, "post", ROLES, body)

    assert (answered, error["code"]) == (status, code)
    assert error["message"]


def test_get_list_update_and_delete_a_role(api: APIClient) -> None:
    make_role("reader", path="/app/", description="first", max_session_duration=7200)
    make_role("ops", path="/ops/")

    got = api.get(f"{ROLES}READER/")
    listed = api.get(ROLES, {"path_prefix": "/app/"}).json()
    patched = api.patch(f"{ROLES}reader/", {"description": "second"}, format="json")

    assert got.json()["arn"] == f"arn:aws:iam::{ACCOUNT}:role/app/reader"
    assert [role["name"] for role in listed["results"]] == ["reader"]
    assert listed["next"] is None
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["description"], patched.json()["max_session_duration"]) == (
        "second",
        7200,
    )
    assert api.delete(f"{ROLES}reader/").status_code == 204
    assert list(Role.objects.values_list("name", flat=True)) == ["ops"]
    assert api.get(f"{ROLES}reader/").json() == {
        "code": "NoSuchEntityException",
        "message": "The role with name reader cannot be found.",
    }


def test_list_roles_pages(api: APIClient) -> None:
    names = [make_role(f"r{i}").name for i in range(5)]

    seen: list[str] = []
    url: str | None = f"{ROLES}?limit=2"
    while url:
        body = api.get(url).json()
        seen += [role["name"] for role in body["results"]]
        url = body["next"]

    assert seen == names
    assert api.get(ROLES, {"limit": 1001}).json()["code"] == "InvalidParameterException"


def test_role_update_refusals_change_nothing(api: APIClient) -> None:
    make_role("reader")

    assert _refused(api, "patch", f"{ROLES}reader/", {"max_session_duration": 1})[0] == 400
    assert _refused(api, "patch", f"{ROLES}reader/", {"name": "other"})[0] == 400
    assert _refused(api, "patch", f"{ROLES}nobody/", {"description": "x"})[0] == 404


def test_trust_policy_get_and_replace(api: APIClient) -> None:
    role = make_role("reader")

    got = api.get(f"{ROLES}reader/trust-policy/")
    put = api.put(f"{ROLES}reader/trust-policy/", {"document": ANYONE}, format="json")
    status, error = _refused(api, "put", f"{ROLES}reader/trust-policy/", {"document": READ})

    assert got.json() == {"document": role.assume_role_policy}
    assert put.status_code == 200, put.json()
    assert put.json()["document"]["Statement"][0]["Principal"] == "*"
    assert (status, error["code"]) == (400, "MalformedPolicyDocument")


def test_delete_of_a_role_with_policies_is_a_conflict(api: APIClient) -> None:
    role = make_role("reader")
    role_policy_put(role=role, name="s3", document=READ)

    status, error = _refused(api, "delete", f"{ROLES}reader/")

    assert (status, error) == (
        409,
        {
            "code": "DeleteConflictException",
            "message": "Cannot delete entity, must delete policies first.",
        },
    )


def test_inline_policies_put_get_list_and_delete(api: APIClient) -> None:
    make_role("reader")
    url = f"{ROLES}reader/policies/"

    created = api.put(f"{url}s3/", {"document": READ}, format="json")
    replaced = api.put(f"{url}s3/", {"document": json.dumps(WRITE)}, format="json")
    api.put(f"{url}more/", {"document": READ}, format="json")

    assert created.status_code == 200, created.json()
    assert replaced.json() == {"name": "s3", "document": WRITE}
    assert api.get(f"{url}s3/").json() == {"name": "s3", "document": WRITE}
    assert api.get(url).json() == {"results": [{"name": "s3"}, {"name": "more"}], "next": None}
    assert api.delete(f"{url}s3/").status_code == 204
    assert list(RolePolicy.objects.values_list("name", flat=True)) == ["more"]
    assert _refused(api, "get", f"{url}s3/") == (
        404,
        {
            "code": "NoSuchEntityException",
            "message": "The role policy with name s3 cannot be found.",
        },
    )
    assert _refused(api, "put", f"{url}more/", {"document": TRUST})[1]["code"] == (
        "MalformedPolicyDocument"
    )
    assert _refused(api, "put", f"{url}more/", {})[1]["code"] == "InvalidParameterException"
    assert _refused(api, "put", f"{url}{'p' * 129}/", {"document": READ})[0] == 400
    assert _refused(api, "put", f"{ROLES}nobody/policies/p/", {"document": READ})[0] == 404


def test_attach_list_and_detach_policies(api: APIClient) -> None:
    make_role("reader")
    read = make_managed_policy("read", path="/app/")
    url = f"{ROLES}reader/attached-policies/"

    attached = api.post(url, {"policy_arn": read.arn}, format="json")

    assert attached.status_code == 200, attached.json()
    assert attached.json()["results"] == [{"name": "read", "arn": read.arn}]
    assert api.get(url).json()["results"] == [{"name": "read", "arn": read.arn}]
    assert api.get(f"{POLICIES}read/").json()["attachment_count"] == 1
    assert api.delete(f"{url}read/").status_code == 204
    assert not Role.objects.get().attached_policies.exists()
    assert _refused(api, "delete", f"{url}read/")[0] == 404


@pytest.mark.parametrize(
    ("arn", "status", "code"),
    [
        ("arn:aws:iam::123456789012:policy/app/read", 404, "NoSuchEntityException"),
        ("arn:aws:iam::aws:policy/ReadOnlyAccess", 404, "NoSuchEntityException"),
        (f"arn:aws:iam::{ACCOUNT}:policy/read", 404, "NoSuchEntityException"),
        ("not-an-arn", 400, "InvalidInputException"),
    ],
)
def test_attach_refusals_change_nothing(api: APIClient, arn: str, status: int, code: str) -> None:
    make_role("reader")
    make_managed_policy("read", path="/app/")

    answered, error = _refused(
        api, "post", f"{ROLES}reader/attached-policies/", {"policy_arn": arn}
    )

    assert (answered, error["code"]) == (status, code)


def test_managed_policies_create_get_update_list_and_delete(api: APIClient) -> None:
    created = api.post(
        POLICIES,
        {
            "name": "read",
            "path": "/app/",
            "document": READ,
            "description": "Reads",
            "tags": [{"key": "team", "value": "web"}],
        },
        format="json",
    )

    assert created.status_code == 201, created.json()
    policy = ManagedPolicy.objects.get()
    assert created.json() == {
        "name": "read",
        "policy_id": policy.policy_id,
        "arn": f"arn:aws:iam::{ACCOUNT}:policy/app/read",
        "path": "/app/",
        "description": "Reads",
        "document": policy.document,
        "default_version_id": "v1",
        "attachment_count": 0,
        "tags": {"team": "web"},
        "created_at": created.json()["created_at"],
        "updated_at": created.json()["updated_at"],
    }
    patched = api.patch(f"{POLICIES}READ/", {"document": WRITE}, format="json")
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["document"], patched.json()["description"]) == (WRITE, "Reads")
    make_managed_policy("loose")
    role_policy_attach(role=make_role(), policy=policy)
    assert [p["name"] for p in api.get(POLICIES).json()["results"]] == ["read", "loose"]
    only = api.get(POLICIES, {"only_attached": "true"}).json()["results"]
    assert [(p["name"], p["attachment_count"]) for p in only] == [("read", 1)]
    assert [p["name"] for p in api.get(POLICIES, {"path_prefix": "/app/"}).json()["results"]] == [
        "read"
    ]
    assert _refused(api, "delete", f"{POLICIES}read/") == (
        409,
        {
            "code": "DeleteConflictException",
            "message": "Cannot delete a policy attached to entities.",
        },
    )
    assert api.delete(f"{POLICIES}loose/").status_code == 204
    assert _refused(api, "get", f"{POLICIES}loose/")[0] == 404


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "READ", "document": READ}, 409, "EntityAlreadyExistsException"),
        ({"name": "p", "document": TRUST}, 400, "MalformedPolicyDocument"),
        ({"name": "p", "document": "not json"}, 400, "MalformedPolicyDocument"),
        ({"name": "p", "path": "/a b/", "document": READ}, 400, "InvalidParameterException"),
        ({"name": "p"}, 400, "InvalidParameterException"),
        ({"name": ["p"], "document": READ}, 400, "InvalidParameterException"),
    ],
)
def test_managed_policy_refusals_change_nothing(
    api: APIClient, body: dict[str, Any], status: int, code: str
) -> None:
    make_managed_policy("read")

    answered, error = _refused(api, "post", POLICIES, body)

    assert (answered, error["code"]) == (status, code)


def test_managed_policy_update_refusals_change_nothing(api: APIClient) -> None:
    make_managed_policy("read")

    assert _refused(api, "patch", f"{POLICIES}read/", {"document": "["})[0] == 400
    assert _refused(api, "patch", f"{POLICIES}read/", {"description": "d" * 1001})[0] == 400
    assert _refused(api, "patch", f"{POLICIES}nobody/", {"description": ""})[0] == 404


def test_an_operator_needs_the_permissions(operator_groups: None) -> None:
    support = make_operator(username="support", superuser=False, groups=("Support (read only)",))
    api = APIClient()
    api.force_authenticate(user=support)
    make_role("reader")
    make_managed_policy("read")

    assert api.get(ROLES).status_code == 200
    assert api.get(f"{ROLES}reader/policies/").status_code == 200
    assert api.get(POLICIES).status_code == 200
    status, error = _refused(
        api, "post", ROLES, {"name": "x", "assume_role_policy_document": TRUST}
    )
    assert (status, error["code"]) == (403, "AccessDeniedException")
    assert "iam:CreateRole" in error["message"]
    assert _refused(api, "patch", f"{POLICIES}read/", {"description": "x"})[0] == 403
    assert _refused(api, "put", f"{ROLES}reader/policies/p/", {"document": READ})[0] == 403
