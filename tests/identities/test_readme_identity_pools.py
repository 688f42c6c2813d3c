"""README "Identity pools, roles and temporary credentials": its boto3 example runs against a live
server as written (URL and key substituted), and its AWS CLI commands work as a real process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from identities.models import AccessKey, Identity, IdentityPool, Role
from tests.cognitoadmin.test_readme_aws import isolated_env, substituted

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(__file__).resolve().parents[2] / "README.md"
AWS_CLI = Path(sys.executable).parent / "aws"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Identity pools, roles and temporary credentials\n")
    # Up to the next heading of any level: subsections hold examples of their own.
    ends = (text.find(f"\n{level} ", start + 1) for level in ("##", "###"))
    return text[start : min(end for end in ends if end != -1)]


def fenced(language: str) -> str:
    blocks = re.findall(rf"^```{language}\n(.*?)^```$", section(), re.M | re.S)
    assert len(blocks) == 1, f"expected one ```{language} block"
    block: str = blocks[0]
    return block


def test_the_readme_boto3_example_gets_a_guest_credentials_its_role_governs(
    aws_url: str, operator_key: tuple[AccessKey, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = substituted(fenced("python"), aws_url, operator_key)

    namespace: dict[str, Any] = {}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - the README's own example

    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "arn:aws:sts::000000000000:assumed-role/guests/CognitoIdentityCredentials",
        "AccessDeniedException",
    ]
    pool = IdentityPool.objects.get(identity_pool_id=namespace["pool_id"])
    assert pool.unauthenticated_role_arn == Role.objects.get(name="guests").arn
    assert Identity.objects.filter(pool=pool, identity_id=namespace["identity_id"]).exists()


def test_the_readme_trust_policy_is_the_one_the_example_uses() -> None:
    documented = json.loads(fenced("json"))
    statement = documented["Statement"][0]

    assert statement["Principal"] == {"Federated": "cognito-identity.amazonaws.com"}
    assert "cognito-identity.amazonaws.com:aud" in statement["Condition"]["StringEquals"]


@pytest.mark.slow
def test_the_readme_aws_cli_commands_give_a_guest_credentials(
    aws_url: str, operator_key: tuple[AccessKey, str], tmp_path: Path
) -> None:
    key, secret = operator_key
    env = isolated_env(tmp_path, AWS_ACCESS_KEY_ID=key.access_key_id, AWS_SECRET_ACCESS_KEY=secret)
    commands = fenced("sh").replace("\\\n", " ").strip().splitlines()
    values: dict[str, str] = {}

    def run(command: str) -> dict[str, Any]:
        for name, value in values.items():
            command = command.replace(f'"${name}"', value)
        command = command.replace("http://127.0.0.1:8000", aws_url).replace(
            "file://trust.json", f"file://{tmp_path / 'trust.json'}"
        )
        args = command.split()
        assert args[0] == "aws"
        done = subprocess.run(
            [str(AWS_CLI), "--region", "us-east-1", "--output", "json", *args[1:]],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        answer: dict[str, Any] = json.loads(done.stdout) if done.stdout.strip() else {}
        return answer

    values["POOL_ID"] = run(commands[0])["IdentityPoolId"]
    trust = json.loads(fenced("json").replace("<identity pool id>", values["POOL_ID"]))
    trust["Statement"][0]["Condition"]["ForAnyValue:StringLike"] = {
        "cognito-identity.amazonaws.com:amr": "unauthenticated"
    }
    (tmp_path / "trust.json").write_text(json.dumps(trust))
    values["ROLE_ARN"] = run(commands[1])["Role"]["Arn"]
    run(commands[2])
    values["IDENTITY_ID"] = run(commands[3])["IdentityId"]
    credentials = run(commands[4])["Credentials"]

    assert len(commands) == 5
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert credentials["SessionToken"]
