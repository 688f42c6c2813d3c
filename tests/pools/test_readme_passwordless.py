"""README "Passwordless sign-in": its boto3 example runs against a live server as written (URL and
key substituted, `input` answered with the codes the server sent), and the block is as
`ruff format` writes it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from identities.models import AccessKey
from pools.models import PoolUser
from tests.builders import sent_code
from tests.cognitoadmin.test_readme_aws import substituted
from tests.pools.test_readme_oauth import README, assert_ruff_formatted, readme_python_block

pytestmark = pytest.mark.django_db(transaction=True)


def python_block() -> str:
    return readme_python_block("Passwordless sign-in")


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
    assert_ruff_formatted(python_block())
