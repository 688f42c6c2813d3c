"""README "OAuth 2.0 endpoints": its client_credentials example runs against a live server as
written (URL and key substituted), the token it gets verifies through the pool's JWKS, and the
block is as `ruff format` writes it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest
from pytest_django import Settings

from identities.models import AccessKey
from tests.cognitoadmin.test_readme_aws import substituted

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(__file__).resolve().parents[2] / "README.md"
RUFF = Path(sys.executable).parent / "ruff"


def readme_python_block(heading: str) -> str:
    """The one ```python block of the README section whose heading starts with `heading`."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}")
    section = text[start : text.index("\n## ", start + 1)]
    (block,) = re.findall(r"^```python\n(.*?)^```$", section, re.M | re.S)
    code: str = block
    return code


def assert_ruff_formatted(code: str) -> None:
    done = subprocess.run(
        [str(RUFF), "format", "--check", "--stdin-filename", "example.py", "-"],
        input=code,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr


def python_block() -> str:
    return readme_python_block("OAuth 2.0 endpoints\n")


def test_the_readme_client_credentials_example_gets_a_token_the_jwks_verifies(
    aws_url: str,
    operator_key: tuple[AccessKey, str],
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings.COGNITOADMIN_PUBLIC_URL = aws_url
    namespace: dict[str, Any] = {}

    code = substituted(python_block(), aws_url, operator_key)
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - the README's own example

    assert capsys.readouterr().out.splitlines() == ["Bearer 3600"]
    issuer = f"{aws_url}/{namespace['pool_id']}"
    access = namespace["token"]["access_token"]
    key = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json").get_signing_key_from_jwt(access)
    claims = jwt.decode(access, key.key, algorithms=["RS256"], issuer=issuer)
    assert claims["scope"] == "https://api.example.com/orders.read"
    assert claims["sub"] == namespace["app"]["ClientId"]


def test_the_readme_example_is_ruff_formatted() -> None:
    assert_ruff_formatted(python_block())
