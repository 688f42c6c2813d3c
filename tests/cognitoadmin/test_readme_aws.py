"""README "Use it from AWS SDKs": its examples run against a live server exactly as written (URL
and keys substituted), the AWS CLI and the JavaScript SDK v3 work as real processes, and the list
of supported operations is the one `manage.py awsops --markdown` prints."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from cognitoadmin.management.commands.awsops import README_END, README_START, markdown
from identities.models import AccessKey
from identities.services.access_keys import access_key_authenticate
from pools.models import Group, PoolUser, UserPool
from tests.builders import make_operator

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
JS_DIR = ROOT / "tests" / "js"
JS_EXAMPLE = JS_DIR / "cognito_example.mjs"
# The README's placeholders, replaced by the live server's URL and a real key before running.
EXAMPLE_URL = "http://127.0.0.1:8000"
EXAMPLE_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AWS_CLI = Path(sys.executable).parent / "aws"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Use it from AWS SDKs\n")
    return text[start : text.index("\n## ", start + 1)]


def fenced(language: str) -> str:
    """The one fenced block of `language` in the section."""
    blocks = re.findall(rf"^```{language}\n(.*?)^```$", section(), re.M | re.S)
    assert len(blocks) == 1, f"expected one ```{language} block"
    block: str = blocks[0]
    return block


def substituted(code: str, url: str, key: tuple[AccessKey, str]) -> str:
    for placeholder in (EXAMPLE_URL, EXAMPLE_KEY_ID, EXAMPLE_SECRET):
        assert placeholder in code
    return (
        code.replace(EXAMPLE_URL, url)
        .replace(EXAMPLE_KEY_ID, key[0].access_key_id)
        .replace(EXAMPLE_SECRET, key[1])
    )


def isolated_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No AWS profile, config or endpoint from the machine; the venv's `aws` first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(tmp_path),
        AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        PATH=f"{AWS_CLI.parent}{os.pathsep}{env.get('PATH', '')}",
    )
    env.update(extra)
    return env


# --- The list of operations ---


def test_the_readme_lists_the_served_operations_as_awsops_prints_them() -> None:
    text = README.read_text(encoding="utf-8")
    listed = text.split(README_START, 1)[1].split(README_END, 1)[0]

    assert listed == "\n" + markdown(), (
        "README.md's operation list is stale: run `DJANGO_SETTINGS_MODULE=cognitoadmin."
        "settings_test .venv/bin/python manage.py awsops --update-readme README.md`"
    )
    assert README_START in section()


# --- boto3 ---


def test_the_readme_boto3_example_runs_against_the_server(
    aws_url: str, operator_key: tuple[AccessKey, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = substituted(fenced("python"), aws_url, operator_key)

    namespace: dict[str, Any] = {}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - the README's own example

    pool = UserPool.objects.get(pool_id=namespace["pool_id"])
    assert pool.name == "customers"
    assert namespace["app"]["ClientSecret"]
    ana = PoolUser.objects.get(pool=pool, username="ana")
    groups = Group.objects.filter(pool=pool, memberships__user=ana)
    assert list(groups.values_list("name", flat=True)) == ["admins"]
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("ana FORCE_CHANGE_PASSWORD ")
    assert printed[1] == "User does not exist."


# --- AWS CLI ---


def aws_cli(
    tmp_path: Path, url: str, key: tuple[AccessKey, str], *args: str
) -> subprocess.CompletedProcess[str]:
    env = isolated_env(
        tmp_path, AWS_ACCESS_KEY_ID=key[0].access_key_id, AWS_SECRET_ACCESS_KEY=key[1]
    )
    return subprocess.run(
        [str(AWS_CLI), "--endpoint-url", url, "--region", "us-east-1", "--output", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_the_aws_cli_manages_pools_and_users(
    aws_url: str, operator_key: tuple[AccessKey, str], tmp_path: Path
) -> None:
    created = aws_cli(
        tmp_path, aws_url, operator_key, "cognito-idp", "create-user-pool", "--pool-name", "x"
    )
    assert created.returncode == 0, created.stderr
    pool_id = json.loads(created.stdout)["UserPool"]["Id"]

    listed = aws_cli(
        tmp_path, aws_url, operator_key, "cognito-idp", "list-user-pools", "--max-results", "10"
    )
    assert listed.returncode == 0, listed.stderr
    assert [p["Id"] for p in json.loads(listed.stdout)["UserPools"]] == [pool_id]

    user = aws_cli(
        tmp_path,
        aws_url,
        operator_key,
        "cognito-idp",
        "admin-create-user",
        "--user-pool-id",
        pool_id,
        "--username",
        "ana",
        "--temporary-password",
        "Temp0rary!pass",
        "--message-action",
        "SUPPRESS",
    )
    assert user.returncode == 0, user.stderr
    assert json.loads(user.stdout)["User"]["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert PoolUser.objects.filter(pool__pool_id=pool_id, username="ana").exists()


@pytest.mark.slow
def test_the_aws_cli_reports_a_refused_call_with_its_error_and_exit_status(
    aws_url: str, operator_key: tuple[AccessKey, str], tmp_path: Path
) -> None:
    missing = aws_cli(
        tmp_path,
        aws_url,
        operator_key,
        "cognito-idp",
        "describe-user-pool",
        "--user-pool-id",
        "us-east-1_missing0",
    )
    assert missing.returncode == 255  # the AWS CLI v1's status for a service error
    assert missing.stderr.strip() == (
        "An error occurred (ResourceNotFoundException) when calling the DescribeUserPool "
        "operation: User pool us-east-1_missing0 does not exist."
    )

    forged = aws_cli(
        tmp_path,
        aws_url,
        (operator_key[0], "x" * 40),
        "cognito-idp",
        "create-user-pool",
        "--pool-name",
        "never",
    )
    assert forged.returncode == 255
    assert "(InvalidSignatureException) when calling the CreateUserPool operation" in (
        forged.stderr
    )
    assert UserPool.objects.count() == 0


@pytest.mark.slow
def test_the_readme_cli_example_runs_against_the_server(
    aws_url: str, operator_key: tuple[AccessKey, str], tmp_path: Path
) -> None:
    script = substituted(fenced("sh"), aws_url, operator_key)
    bash = shutil.which("bash")
    assert bash is not None

    result = subprocess.run(
        [bash, "-euo", "pipefail", "-c", script],
        env=isolated_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    pool = UserPool.objects.get(name="customers")
    assert "ana\tFORCE_CHANGE_PASSWORD" in result.stdout.splitlines()
    assert pool.pool_id in result.stdout  # the table of pools
    assert PoolUser.objects.get(pool=pool, username="ana").email == "ana@example.com"


# --- JavaScript SDK v3 ---


def test_the_readme_js_example_is_the_file_the_test_runs() -> None:
    assert fenced("js") == JS_EXAMPLE.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_js_sdk_v3_creates_and_lists_a_pool(
    aws_url: str, operator_key: tuple[AccessKey, str], node: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [node, str(JS_EXAMPLE), aws_url, operator_key[0].access_key_id, operator_key[1]],
        env=isolated_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    pool = UserPool.objects.get(pool_id=out["created"])
    assert pool.name == "js-customers"
    assert out["listed"] == [pool.pool_id]
    assert out["createdAt"].startswith(f"{pool.created_at:%Y-%m-%dT%H:%M:%S}")
    assert out["missing"] == "User pool us-east-1_missing0 does not exist."


def test_the_readme_gives_the_development_server_the_examples_key(db: None) -> None:
    """The one command the section says to run first: the examples' key pair, for `admin`."""
    [command] = fenced("text").strip().splitlines()
    words = shlex.split(command)
    make_operator(username="admin", with_device=False)

    assert words[:4] == ["COGNITOADMIN_DEV=1", ".venv/bin/python", "manage.py", "accesskey"]
    call_command("accesskey", *words[4:], stdout=io.StringIO(), stderr=io.StringIO())

    key = access_key_authenticate(access_key_id=EXAMPLE_KEY_ID, secret=EXAMPLE_SECRET)
    assert key.operator.get_username() == "admin"
