"""IAM roles and managed policies in the admin: lists, add, change (trust policy, inline and
attached policies), delete, each write through the services, and refusals that change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from identities.models import ManagedPolicy, Role, RolePolicy
from identities.services import roles as role_services
from identities.services.policies import policy_parse
from identities.services.roles import role_policy_attach, role_policy_put
from tests.builders import make_operator
from tests.identities.test_roles import (
    ANYONE,
    READ,
    TRUST,
    WRITE,
    make_managed_policy,
    make_role,
    rows,
)

pytestmark = pytest.mark.django_db

ROLES = "/admin/identities/role/"
POLICIES = "/admin/identities/managedpolicy/"
INLINE = "inline_policies"


def _signed_in(client: Client, operator: User) -> Client:
    client.force_login(operator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=operator).persistent_id
    session.save()
    return client


@pytest.fixture
def admin(client: Client, operator: User) -> Client:
    """The admin, signed in as `operator` with its authenticator (OTP-verified session)."""
    return _signed_in(client, operator)


def _role_form(role: Role, **changes: Any) -> dict[str, Any]:
    """The change form of `role` as the page posts it untouched, with `changes` laid over it."""
    policies = list(RolePolicy.objects.filter(role=role).order_by("pk"))
    data: dict[str, Any] = {
        "description": role.description,
        "max_session_duration": role.max_session_duration,
        "trust_policy": json.dumps(role.assume_role_policy, indent=2),
        "attached_policies": [p.pk for p in role.attached_policies.all()],
        f"{INLINE}-TOTAL_FORMS": len(policies),
        f"{INLINE}-INITIAL_FORMS": len(policies),
        f"{INLINE}-MIN_NUM_FORMS": 0,
        f"{INLINE}-MAX_NUM_FORMS": 1000,
    }
    for index, policy in enumerate(policies):
        data[f"{INLINE}-{index}-id"] = policy.pk
        data[f"{INLINE}-{index}-role"] = role.pk
        data[f"{INLINE}-{index}-name"] = policy.name
        data[f"{INLINE}-{index}-document_text"] = json.dumps(policy.document, indent=2)
    data.update(changes)
    return data


def _new_inline(data: dict[str, Any], role: Role, name: str, document: Any) -> dict[str, Any]:
    index = int(data[f"{INLINE}-TOTAL_FORMS"])
    data[f"{INLINE}-TOTAL_FORMS"] = index + 1
    data[f"{INLINE}-{index}-role"] = role.pk
    data[f"{INLINE}-{index}-name"] = name
    data[f"{INLINE}-{index}-document_text"] = json.dumps(document)
    return data


def _errors(response: Any) -> str:
    return str(response.context["adminform"].form.errors) if response.context else ""


def test_the_lists_show_roles_and_policies(admin: Client) -> None:
    role = make_role("reader", description="Reads the bucket")
    policy = make_managed_policy("read-bucket")
    role_policy_attach(role=role, policy=policy)

    roles = admin.get(ROLES, {"q": "reader"})
    policies = admin.get(POLICIES)

    assert roles.status_code == 200
    assert "Reads the bucket" in roles.content.decode()
    assert policies.status_code == 200
    assert "read-bucket" in policies.content.decode()


def test_add_a_role_with_its_trust_policy(admin: Client) -> None:
    page = admin.get(f"{ROLES}add/")
    response = admin.post(
        f"{ROLES}add/",
        {
            "name": "reader",
            "path": "/app/",
            "description": "Reads",
            "max_session_duration": 7200,
            "trust_policy": json.dumps(TRUST),
        },
    )

    assert page.status_code == 200
    assert response.status_code == 302, _errors(response)
    role = Role.objects.get()
    assert (role.name, role.path, role.description, role.max_session_duration) == (
        "reader",
        "/app/",
        "Reads",
        7200,
    )
    assert role.assume_role_policy["Statement"][0]["Action"] == ["sts:AssumeRoleWithWebIdentity"]


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"trust_policy": json.dumps(READ)}, "Resource is not allowed in a trust policy"),
        ({"trust_policy": "{"}, "not valid JSON"),
        ({"name": "bad name"}, "at &#x27;roleName&#x27; failed to satisfy constraint"),
        ({"path": "app"}, "at &#x27;path&#x27; failed to satisfy constraint"),
        ({"name": "Existing"}, "Role with name Existing already exists."),
    ],
)
def test_add_a_role_shows_refusals_and_creates_nothing(
    admin: Client, fields: dict[str, str], says: str
) -> None:
    make_role("existing")
    before = rows()

    response = admin.post(
        f"{ROLES}add/",
        {
            "name": "reader",
            "path": "/",
            "max_session_duration": 3600,
            "trust_policy": json.dumps(TRUST),
            **fields,
        },
    )

    assert response.status_code == 200
    assert says in response.content.decode()
    assert rows() == before


def test_a_malformed_trust_policy_is_shown_on_its_field(admin: Client) -> None:
    response = admin.post(
        f"{ROLES}add/",
        {"name": "r", "path": "/", "max_session_duration": 3600, "trust_policy": "[]"},
    )

    assert "must be a JSON object" in str(response.context["adminform"].form.errors["trust_policy"])


def test_change_a_role_its_trust_inline_and_attached_policies(admin: Client) -> None:
    role = make_role("reader", description="first")
    role_policy_put(role=role, name="old", document=READ)
    read = make_managed_policy("read")
    write = make_managed_policy("write", document=WRITE)
    role_policy_attach(role=role, policy=read)
    url = f"{ROLES}{role.pk}/change/"

    page = admin.get(url)
    data = _role_form(
        role,
        description="second",
        max_session_duration=10800,
        trust_policy=json.dumps(ANYONE),
        attached_policies=[write.pk],
    )
    data[f"{INLINE}-0-document_text"] = json.dumps(WRITE)
    response = admin.post(url, _new_inline(data, role, "new", READ))

    assert page.status_code == 200
    assert "inline policies" in page.content.decode().lower()
    assert response.status_code == 302, _errors(response)
    stored = Role.objects.get()
    assert (stored.description, stored.max_session_duration) == ("second", 10800)
    assert stored.assume_role_policy["Statement"][0]["Principal"] == "*"
    assert list(stored.attached_policies.all()) == [write]
    assert {p.name: p.document for p in stored.inline_policies.all()} == {
        "old": WRITE,
        "new": policy_parse(document=READ).to_document(),
    }


def test_rename_and_delete_inline_policies(admin: Client) -> None:
    role = make_role("reader")
    role_policy_put(role=role, name="one", document=READ)
    role_policy_put(role=role, name="two", document=WRITE)
    url = f"{ROLES}{role.pk}/change/"

    data = _role_form(role)
    data[f"{INLINE}-0-name"] = "renamed"
    data[f"{INLINE}-1-DELETE"] = "on"
    response = admin.post(url, data)

    assert response.status_code == 302, _errors(response)
    assert list(RolePolicy.objects.values_list("name", flat=True)) == ["renamed"]


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("trust_policy", json.dumps(READ), "Resource is not allowed in a trust policy"),
        (f"{INLINE}-0-document_text", json.dumps(TRUST), "Principal is not allowed"),
        (f"{INLINE}-0-document_text", "not json", "not valid JSON"),
        ("max_session_duration", "60", "Ensure this value is greater than or equal to 3600"),
    ],
)
def test_a_malformed_change_is_shown_and_saves_nothing(
    admin: Client, field: str, value: str, says: str
) -> None:
    role = make_role("reader")
    role_policy_put(role=role, name="one", document=READ)
    before = rows()

    data = _role_form(role, description="changed", **{field: value})
    response = admin.post(f"{ROLES}{role.pk}/change/", data)

    assert response.status_code == 200
    assert says in response.content.decode()
    assert rows() == before


def test_a_refusal_while_saving_rolls_the_whole_page_back(
    admin: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(role_services, "MAX_ATTACHED_POLICIES", 1)
    role = make_role("reader")
    policies = [make_managed_policy(f"p{i}").pk for i in range(2)]
    before = rows()

    data = _role_form(role, description="changed", attached_policies=policies)
    response = admin.post(f"{ROLES}{role.pk}/change/", data, follow=True)

    assert "Cannot exceed quota for PoliciesPerRole: 1" in response.content.decode()
    assert rows() == before


def test_delete_of_a_role_with_policies_is_refused_then_done(admin: Client) -> None:
    role = make_role("reader")
    role_policy_put(role=role, name="one", document=READ)
    url = f"{ROLES}{role.pk}/delete/"

    confirm = admin.get(url)
    refused = admin.post(url, {"post": "yes"}, follow=True)
    RolePolicy.objects.all().delete()
    done = admin.post(url, {"post": "yes"})

    assert "Inline policy: one" in confirm.content.decode()
    assert "Cannot delete entity, must delete policies first." in refused.content.decode()
    assert done.status_code == 302
    assert not Role.objects.exists()


def test_add_and_change_a_managed_policy(admin: Client) -> None:
    response = admin.post(
        f"{POLICIES}add/",
        {"name": "read", "path": "/app/", "description": "Reads", "document": json.dumps(READ)},
    )
    assert response.status_code == 302, _errors(response)
    policy = ManagedPolicy.objects.get()
    url = f"{POLICIES}{policy.pk}/change/"

    page = admin.get(url)
    changed = admin.post(url, {"description": "Writes", "policy_document": json.dumps(WRITE)})

    assert page.status_code == 200
    assert policy.arn in page.content.decode()
    assert changed.status_code == 302, _errors(changed)
    stored = ManagedPolicy.objects.get()
    assert (stored.description, stored.document, stored.path) == ("Writes", WRITE, "/app/")


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"document": json.dumps(TRUST)}, "Principal is not allowed"),
        ({"name": "READ"}, "A policy called READ already exists."),
        ({"path": "/a b/"}, "at &#x27;path&#x27; failed to satisfy constraint"),
    ],
)
def test_add_a_managed_policy_shows_refusals_and_creates_nothing(
    admin: Client, fields: dict[str, str], says: str
) -> None:
    make_managed_policy("read")
    before = rows()

    response = admin.post(
        f"{POLICIES}add/", {"name": "p", "path": "/", "document": json.dumps(READ), **fields}
    )

    assert response.status_code == 200
    assert says in response.content.decode()
    assert rows() == before


def test_change_a_managed_policy_to_a_malformed_document_saves_nothing(admin: Client) -> None:
    policy = make_managed_policy("read")
    before = rows()

    response = admin.post(
        f"{POLICIES}{policy.pk}/change/", {"description": "x", "policy_document": "[1]"}
    )

    assert "must be a JSON object" in response.content.decode()
    assert rows() == before


def test_delete_of_an_attached_managed_policy_is_refused(admin: Client) -> None:
    policy = make_managed_policy("read")
    role_policy_attach(role=make_role("reader"), policy=policy)
    url = f"{POLICIES}{policy.pk}/delete/"
    before = rows()

    confirm = admin.get(url)
    refused = admin.post(url, {"post": "yes"}, follow=True)

    assert "Attached to role: reader" in confirm.content.decode()
    assert "Cannot delete a policy attached to entities." in refused.content.decode()
    assert rows() == before


def test_a_read_only_operator_sees_but_changes_nothing(
    client: Client, operator_groups: None
) -> None:
    support = make_operator(username="support", superuser=False, groups=("Support (read only)",))
    admin = _signed_in(client, support)
    role = make_role("reader")
    role_policy_put(role=role, name="one", document=READ)
    before = rows()

    page = admin.get(f"{ROLES}{role.pk}/change/")
    posted = admin.post(f"{ROLES}{role.pk}/change/", _role_form(role, description="x"))
    add = admin.get(f"{ROLES}add/")

    assert page.status_code == 200
    assert "one" in page.content.decode()
    assert posted.status_code == 403
    assert add.status_code == 403
    assert rows() == before
