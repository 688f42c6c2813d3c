from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from identities.models import AccessKey
from identities.services.access_keys import access_key_authenticate, access_key_secret
from tests.builders import make_access_key, make_operator

pytestmark = pytest.mark.django_db

IMPORTED_ID = "AKIAIOSFODNN7EXAMPLE"
IMPORTED_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("accesskey", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_the_pair_once(operator: User) -> None:
    out, err = run("create", "operator", "--description", "CI")

    key = AccessKey.objects.get()
    lines = dict(line.split(":", 1) for line in out.strip().splitlines())
    assert lines["AccessKeyId"].strip() == key.access_key_id
    secret = lines["SecretAccessKey"].strip()
    assert access_key_secret(key=key) == secret
    assert key.description == "CI"
    assert key.operator == operator
    assert "cannot be shown again" in err


def test_create_json_prints_only_the_pair(operator: User) -> None:
    out, _ = run("create", "operator", "--json")

    pair = json.loads(out)
    assert set(pair) == {"AccessKeyId", "SecretAccessKey"}
    key = access_key_authenticate(access_key_id=pair["AccessKeyId"], secret=pair["SecretAccessKey"])
    assert key.operator == operator


def test_create_imports_a_known_pair(operator: User) -> None:
    out, _ = run(
        "create",
        "operator",
        "--json",
        "--access-key-id",
        IMPORTED_ID,
        "--secret-access-key",
        IMPORTED_SECRET,
    )

    assert json.loads(out) == {"AccessKeyId": IMPORTED_ID, "SecretAccessKey": IMPORTED_SECRET}
    assert access_key_secret(key=AccessKey.objects.get(access_key_id=IMPORTED_ID)) == (
        IMPORTED_SECRET
    )


def test_create_for_an_unknown_operator_fails_cleanly(operator: User) -> None:
    with pytest.raises(CommandError, match="Operator nobody does not exist"):
        run("create", "nobody")

    assert not AccessKey.objects.exists()


def test_create_with_half_a_pair_fails_cleanly(operator: User) -> None:
    with pytest.raises(CommandError, match="give both"):
        run("create", "operator", "--access-key-id", IMPORTED_ID)

    assert not AccessKey.objects.exists()


def test_create_with_a_duplicate_id_fails_cleanly(operator: User) -> None:
    make_access_key(operator=operator, access_key_id=IMPORTED_ID, secret_access_key=IMPORTED_SECRET)

    with pytest.raises(CommandError, match="already exists"):
        run(
            "create",
            "operator",
            "--access-key-id",
            IMPORTED_ID,
            "--secret-access-key",
            "a-different-secret-123",
        )

    assert access_key_secret(key=AccessKey.objects.get()) == IMPORTED_SECRET


def test_list_shows_keys_but_never_secrets(operator: User) -> None:
    other = make_operator(username="other", with_device=False)
    mine, my_secret = make_access_key(operator=operator, description="deploy")
    theirs, their_secret = make_access_key(operator=other)

    out, _ = run("list")

    assert out.splitlines()[0].split() == [
        "AccessKeyId",
        "Operator",
        "Status",
        "Created",
        "LastUsed",
        "Policy",
        "Description",
    ]
    assert mine.access_key_id in out
    assert theirs.access_key_id in out
    assert "deploy" in out
    assert my_secret not in out
    assert their_secret not in out


def test_list_filters_by_operator(operator: User) -> None:
    other = make_operator(username="other", with_device=False)
    mine, _ = make_access_key(operator=operator)
    theirs, _ = make_access_key(operator=other)

    out, _ = run("list", "--operator", "other")

    assert theirs.access_key_id in out
    assert mine.access_key_id not in out


def test_list_for_an_unknown_operator_fails(operator: User) -> None:
    with pytest.raises(CommandError, match="Operator nobody does not exist"):
        run("list", "--operator", "nobody")


def test_disable_enable_and_delete(operator_key: tuple[AccessKey, str]) -> None:
    key, _ = operator_key

    out, _ = run("disable", key.access_key_id)
    assert f"Disabled {key.access_key_id}" in out
    assert not AccessKey.objects.get(pk=key.pk).active
    assert "Inactive" in run("list")[0]

    run("enable", key.access_key_id)
    assert AccessKey.objects.get(pk=key.pk).active

    run("delete", key.access_key_id)
    assert not AccessKey.objects.exists()


@pytest.mark.parametrize("action", ["disable", "enable", "delete"])
def test_changing_an_unknown_key_fails_and_changes_nothing(
    operator_key: tuple[AccessKey, str], action: str
) -> None:
    key, _ = operator_key

    with pytest.raises(CommandError, match=f"Access key {IMPORTED_ID} does not exist"):
        run(action, IMPORTED_ID)

    assert AccessKey.objects.get(pk=key.pk).active


POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["cognito-idp:List*"], "Resource": ["*"]}],
}


def test_create_with_a_policy_file(operator: User, tmp_path: Path) -> None:
    document = tmp_path / "ci.json"
    document.write_text(json.dumps(POLICY), encoding="utf-8")

    run("create", "operator", "--policy-file", str(document))
    listed, _ = run("list")

    assert AccessKey.objects.get().policy == POLICY
    assert listed.splitlines()[1].split()[5] == "yes"


def test_policy_sets_and_clears_a_keys_policy(
    operator_key: tuple[AccessKey, str], tmp_path: Path
) -> None:
    key, _ = operator_key
    document = tmp_path / "ci.json"
    document.write_text(json.dumps(POLICY), encoding="utf-8")

    set_out, _ = run("policy", key.access_key_id, "--file", str(document))
    with_policy = AccessKey.objects.get(pk=key.pk).policy
    cleared_out, _ = run("policy", key.access_key_id, "--clear")

    assert with_policy == POLICY
    assert set_out.strip() == f"Set the policy of {key.access_key_id}."
    assert cleared_out.strip() == f"Removed the policy of {key.access_key_id}."
    assert AccessKey.objects.get(pk=key.pk).policy is None


def test_a_malformed_or_missing_policy_file_changes_nothing(
    operator_key: tuple[AccessKey, str], tmp_path: Path
) -> None:
    key, _ = operator_key
    document = tmp_path / "bad.json"
    document.write_text('{"Statement": [{"Effect": "Maybe"}]}', encoding="utf-8")

    with pytest.raises(CommandError, match="Effect must be"):
        run("policy", key.access_key_id, "--file", str(document))
    with pytest.raises(CommandError, match="Cannot read the policy file"):
        run("policy", key.access_key_id, "--file", str(tmp_path / "missing.json"))
    with pytest.raises(CommandError, match="Cannot read the policy file"):
        run("create", "operator", "--policy-file", str(tmp_path / "missing.json"))

    assert AccessKey.objects.get(pk=key.pk).policy is None
    assert AccessKey.objects.count() == 1
