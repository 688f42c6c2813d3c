"""README "Linking external identities": its boto3 example runs against a live server as written
(URL and key substituted), and the block is as `ruff format` writes it."""

from __future__ import annotations

from typing import Any

import pytest

from identities.models import AccessKey
from pools.models import FederatedIdentity, PoolUser
from tests.cognitoadmin.test_readme_aws import substituted
from tests.pools.test_readme_oauth import README, assert_ruff_formatted, readme_python_block

pytestmark = pytest.mark.django_db(transaction=True)


def python_block() -> str:
    return readme_python_block("Linking external identities")


def test_the_readme_example_links_and_unlinks_a_google_account(
    aws_url: str, operator_key: tuple[AccessKey, str], capsys: pytest.CaptureFixture[str]
) -> None:
    namespace: dict[str, Any] = {}

    code = substituted(python_block(), aws_url, operator_key)
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - the README's own example

    assert capsys.readouterr().out.splitlines() == [
        "[('Google', '0000000000000000', 'false')]",
        "Google",
    ]
    assert not FederatedIdentity.objects.exists()
    assert PoolUser.objects.get(username="diego").enabled


def test_the_readme_example_is_ruff_formatted() -> None:
    assert_ruff_formatted(python_block())
