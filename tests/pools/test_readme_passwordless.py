"""README "Passwordless sign-in": its boto3 example runs against a live server as written (URL and
key substituted, `input` answered with the codes the server sent), and the block is as
`ruff format` writes it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from identities.models import AccessKey
from pools.models import PoolUser
from tests.builders import sent_code
from tests.cognitoadmin.test_readme_aws import substituted

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(__file__).resolve().parents[2] / "README.md"
RUFF = Path(sys.executable).parent / "ruff"


def python_block() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Passwordless sign-in")
    section = text[start : text.index("\n## ", start + 1)]
    (block,) = re.findall(r"^```python\n(.*?)^```$", section, re.M | re.S)
    code: str = block
    return code


def test_the_readme_example_signs_up_and_in_without_a_password(
    aws_url: str, operator_key: tuple[AccessKey, str], capsys: pytest.CaptureFixture[str]
) -> None:
    namespace: dict[str, Any] = {"input": lambda prompt: sent_code(str(mail.outbox[-1].body))}

    code = substituted(python_block(), aws_url, operator_key)
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - the README's own example

    assert capsys.readouterr().out.splitlines() == ["EMAIL_OTP", "['EMAIL_OTP']"]
    assert [message.to for message in mail.outbox] == [["lea@example.com"]] * 2
    assert PoolUser.objects.get(username="lea").password == ""


def test_the_readme_example_is_ruff_formatted() -> None:
    done = subprocess.run(
        [str(RUFF), "format", "--check", "--stdin-filename", "example.py", "-"],
        input=python_block(),
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
