"""The operations this server claims: each known to botocore with the same members, and listed by
`manage.py awsops` (counts per service, the README's Markdown list)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
from django.core.management import CommandError, call_command

from cognitoadmin.awsjson import REGISTRY
from cognitoadmin.management.commands.awsops import (
    NOT_SERVED_REASONS,
    README_END,
    README_START,
    markdown,
)

ROOT = Path(__file__).resolve().parents[2]

# Issue 3: every signed management operation of cognito-idp whose data exists.
ISSUE_3_OPERATIONS = {
    # user pools
    "CreateUserPool",
    "DescribeUserPool",
    "UpdateUserPool",
    "DeleteUserPool",
    "ListUserPools",
    "AddCustomAttributes",
    "GetUserPoolMfaConfig",
    "SetUserPoolMfaConfig",
    # app clients
    "CreateUserPoolClient",
    "DescribeUserPoolClient",
    "UpdateUserPoolClient",
    "DeleteUserPoolClient",
    "ListUserPoolClients",
    # groups
    "CreateGroup",
    "GetGroup",
    "UpdateGroup",
    "DeleteGroup",
    "ListGroups",
    "ListUsersInGroup",
    "AdminAddUserToGroup",
    "AdminRemoveUserFromGroup",
    "AdminListGroupsForUser",
    # users
    "AdminCreateUser",
    "AdminGetUser",
    "AdminUpdateUserAttributes",
    "AdminDeleteUserAttributes",
    "AdminDeleteUser",
    "AdminEnableUser",
    "AdminDisableUser",
    "AdminSetUserPassword",
    "AdminResetUserPassword",
    "AdminConfirmSignUp",
    "ListUsers",
    # resource servers, domains, identity providers
    "CreateResourceServer",
    "DescribeResourceServer",
    "UpdateResourceServer",
    "DeleteResourceServer",
    "ListResourceServers",
    "CreateUserPoolDomain",
    "DescribeUserPoolDomain",
    "UpdateUserPoolDomain",
    "DeleteUserPoolDomain",
    "CreateIdentityProvider",
    "DescribeIdentityProvider",
    "UpdateIdentityProvider",
    "DeleteIdentityProvider",
    "ListIdentityProviders",
    "GetIdentityProviderByIdentifier",
    # tags, CSV header
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "GetCSVHeader",
}


def run_awsops(*args: str) -> str:
    out = io.StringIO()
    call_command("awsops", *args, stdout=out)
    return out.getvalue()


def test_every_registered_operation_is_known_to_botocore_with_the_same_members() -> None:
    # A fresh session: the registry's models must not be private copies that drifted.
    session = botocore.session.get_session()

    assert REGISTRY
    for (service, name), op in REGISTRY.items():
        model = session.get_service_model(service)
        assert name in model.operation_names, f"{service}.{name}"
        fresh = model.operation_model(name)
        assert (op.service, op.name) == (service, name)
        for ours, theirs in [
            (op.model.input_shape, fresh.input_shape),
            (op.model.output_shape, fresh.output_shape),
        ]:
            assert (ours and list(ours.members)) == (theirs and list(theirs.members)), name
        assert op.signed is (fresh.auth_type != "none"), name


def test_the_issue_3_management_operations_are_all_served_and_signed() -> None:
    served = {name for (service, name) in REGISTRY if service == "cognito-idp"}

    assert sorted(ISSUE_3_OPERATIONS - served) == []
    assert all(REGISTRY[("cognito-idp", name)].signed for name in ISSUE_3_OPERATIONS)


def test_awsops_prints_the_count_per_service_and_every_operation() -> None:
    output = run_awsops()

    session = botocore.session.get_session()
    for service in ("cognito-idp", "cognito-identity"):
        names = sorted(name for (s, name) in REGISTRY if s == service)
        total = len(session.get_service_model(service).operation_names)
        unsigned = sum(1 for name in names if not REGISTRY[(service, name)].signed)
        header = (
            f"{service}: {len(names)} of {total} operations "
            f"({len(names) - unsigned} signed, {unsigned} unsigned)"
        )
        assert header in output.splitlines()
    listed = re.findall(r"^  (\w+)(?: \(unsigned\))?$", output, re.M)
    assert sorted(listed) == sorted(name for (_s, name) in REGISTRY)


def test_awsops_missing_lists_the_rest_of_botocores_operations() -> None:
    output = run_awsops("--missing")

    block = output.split("cognito-idp: ", 1)[1].split("cognito-identity: ", 1)[0]
    served = re.findall(r"^  (\w+)(?: \(unsigned\))?$", block, re.M)
    missing = re.findall(r"^    (\w+)", block, re.M)
    model = botocore.session.get_session().get_service_model("cognito-idp")
    assert sorted(served + missing) == sorted(model.operation_names)
    assert f"  not served ({len(missing)}):" in block


def test_every_cognito_idp_operation_not_served_has_a_reason() -> None:
    # Fails when botocore grows an operation nobody classified, or when a classified one is
    # served (its reason would then be stale).
    names = set(botocore.session.get_session().get_service_model("cognito-idp").operation_names)
    served = {name for (service, name) in REGISTRY if service == "cognito-idp"}

    assert sorted(names - served - set(NOT_SERVED_REASONS)) == []
    assert sorted(set(NOT_SERVED_REASONS) & served) == []
    assert sorted(set(NOT_SERVED_REASONS) - names) == []
    assert all(NOT_SERVED_REASONS.values())


def test_awsops_missing_prints_each_reason() -> None:
    output = run_awsops("--missing")

    block = output.split("cognito-idp: ", 1)[1].split("cognito-identity: ", 1)[0]
    printed = dict(re.findall(r"^    (\w+)(?:: (.+))?$", block, re.M))
    served = {name for (service, name) in REGISTRY if service == "cognito-idp"}
    assert {name: reason for name, reason in printed.items() if reason} == {
        name: reason for name, reason in NOT_SERVED_REASONS.items() if name not in served
    }
    assert [name for name, reason in printed.items() if not reason] == []


def test_awsops_markdown_gives_the_reason_for_each_operation_not_served() -> None:
    output = markdown()

    block = output.split("**cognito-idp**", 1)[1].split("**cognito-identity**", 1)[0]
    groups = dict(re.findall(r"^  - (?:(.+?): )?(`.+)$", block, re.M))
    served = {name for (service, name) in REGISTRY if service == "cognito-idp"}
    by_reason = {reason: sorted(re.findall(r"`(\w+)`", names)) for reason, names in groups.items()}
    expected: dict[str, list[str]] = {}
    for name, reason in NOT_SERVED_REASONS.items():
        if name not in served:
            expected.setdefault(reason, []).append(name)
    assert by_reason == {reason: sorted(names) for reason, names in expected.items()}


def test_awsops_markdown_lists_signed_and_unsigned_operations_per_service() -> None:
    output = run_awsops("--markdown")

    assert output == markdown()
    assert output.startswith("**cognito-idp**: ")
    listed = "".join(re.findall(r"^- (?:un)?signed .*$", output, re.M))
    served = set(re.findall(r"`(\w+)`", listed))
    assert served == {name for (_s, name) in REGISTRY}
    assert "- signed (" in output
    assert "- unsigned (" in output


def test_awsops_update_readme_rewrites_only_between_the_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\n{README_START}\nold list\n{README_END}\n\nAfter.\n")

    assert "updated" in run_awsops("--update-readme", str(readme))
    text = readme.read_text()
    assert text == f"# Title\n\n{README_START}\n{markdown()}{README_END}\n\nAfter.\n"

    assert "already current" in run_awsops("--update-readme", str(readme))
    assert readme.read_text() == text


def test_awsops_update_readme_needs_the_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n{README_END}\n{README_START}\n")

    with pytest.raises(CommandError, match="markers"):
        run_awsops("--update-readme", str(readme))
    assert readme.read_text() == f"# Title\n{README_END}\n{README_START}\n"


def test_manage_py_awsops_runs_with_the_test_settings_as_the_readme_says() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "COGNITOADMIN_"))}
    env["DJANGO_SETTINGS_MODULE"] = "cognitoadmin.settings_test"

    result = subprocess.run(
        [sys.executable, "manage.py", "awsops", "--markdown"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == markdown()
