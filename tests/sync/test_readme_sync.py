"""README "Sync: datasets that devices change offline": its example runs as written, after the
identity pools example it continues (URL and key substituted), against a live server."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from identities.models import AccessKey
from sync.models import Dataset, Record
from tests.cognitoadmin.test_readme_aws import substituted
from tests.identities.test_readme_identity_pools import fenced as identity_fenced

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(__file__).resolve().parents[2] / "README.md"


def fenced(language: str, heading: str = "## Sync: datasets that devices change offline") -> str:
    """The one ```language block under `heading`, up to the next heading of any level (the
    section's subsections have examples of their own)."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    ends = (text.find(f"\n{level} ", start + 1) for level in ("##", "###"))
    section = text[start : min(end for end in ends if end != -1)]
    blocks = re.findall(rf"^```{language}\n(.*?)^```$", section, re.M | re.S)
    assert len(blocks) == 1, f"expected one ```{language} block"
    block: str = blocks[0]
    return block


def test_the_readme_sync_example_syncs_and_meets_a_conflict(
    aws_url: str, operator_key: tuple[AccessKey, str], capsys: pytest.CaptureFixture[str]
) -> None:
    setup = substituted(identity_fenced("python"), aws_url, operator_key)
    namespace: dict[str, Any] = {}
    exec(compile(setup, str(README), "exec"), namespace)  # noqa: S102 - the README's own example
    capsys.readouterr()

    exec(compile(fenced("python"), str(README), "exec"), namespace)  # noqa: S102

    assert capsys.readouterr().out.splitlines() == [
        "[('theme', 'dark', 1)]",
        "ResourceConflictException",
    ]
    dataset = Dataset.objects.get(name="settings")
    assert dataset.identity.identity_id == namespace["identity_id"]
    assert dataset.sync_count == 1
    assert list(Record.objects.values_list("key", "value")) == [("theme", "dark")]


def test_the_readme_offline_client_example_converges_two_devices(
    aws_url: str,
    operator_key: tuple[AccessKey, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # the example's SQLite files
    setup = substituted(identity_fenced("python"), aws_url, operator_key)
    namespace: dict[str, Any] = {}
    exec(compile(setup, str(README), "exec"), namespace)  # noqa: S102 - the README's own example
    exec(compile(fenced("python"), str(README), "exec"), namespace)  # noqa: S102
    capsys.readouterr()

    client = fenced("python", "### The Python offline client")
    exec(compile(client, str(README), "exec"), namespace)  # noqa: S102

    assert capsys.readouterr().out.splitlines() == [
        "{'theme': 'dark'}",
        "[('light', 'blue')] blue",
        "9 9",
    ]
    assert dict(Record.objects.values_list("key", "value")) == {"theme": "blue", "level": "9"}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["phone.db", "tablet.db"]
    for device in ("phone", "tablet"):
        namespace[device].close()
