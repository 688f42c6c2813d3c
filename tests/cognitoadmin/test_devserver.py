from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django import Settings

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS_RE = re.compile(r"username +(?P<username>\S+)\n +password +(?P<password>.+)")


def devserver(*args: str) -> str:
    out = StringIO()
    call_command("devserver", "--setup-only", *args, stdout=out)
    return out.getvalue()


def credentials(output: str) -> tuple[str, str]:
    match = CREDENTIALS_RE.search(output)
    assert match is not None, output
    return match["username"], match["password"]


def test_first_run_creates_an_operator_whose_printed_password_signs_in() -> None:
    output = devserver()

    username, password = credentials(output)
    assert username == "admin"
    user = authenticate(username=username, password=password)
    assert user is not None
    assert user.is_superuser
    assert user.is_staff
    assert "http://127.0.0.1:8000/admin/" in output
    assert "http://127.0.0.1:8000/api/v1/docs/" in output
    assert "AWS endpoint  http://127.0.0.1:8000/" in output


def test_a_second_run_creates_nothing_and_prints_no_password() -> None:
    devserver()
    before = list(User.objects.values_list("pk", "password"))

    output = devserver()

    assert CREDENTIALS_RE.search(output) is None
    assert "an account exists" in output
    assert list(User.objects.values_list("pk", "password")) == before


def test_username_and_password_can_be_given() -> None:
    output = devserver("--username", "ops", "--password", "a long passphrase 42")

    assert credentials(output) == ("ops", "(the one you gave)")
    assert "a long passphrase 42" not in output
    assert authenticate(username="ops", password="a long passphrase 42") is not None


def test_username_and_password_default_to_djangos_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root-operator")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "another long passphrase 7")

    devserver()

    assert authenticate(username="root-operator", password="another long passphrase 7")


def test_a_weak_given_password_is_rejected_and_nothing_is_created() -> None:
    with pytest.raises(CommandError, match=r"Password rejected: .*too common"):
        devserver("--password", "password")

    assert not User.objects.exists()


def test_a_non_operator_holding_the_username_is_left_alone() -> None:
    User.objects.create_user(username="admin", password="x")

    with pytest.raises(CommandError, match="'admin' exists but is not a superuser"):
        devserver()

    assert list(User.objects.values_list("username", "is_superuser")) == [("admin", False)]


def test_urls_follow_the_address_and_wildcards_print_as_localhost() -> None:
    output = devserver("--addrport", "0.0.0.0:9000")

    assert "http://localhost:9000/admin/" in output


def test_without_a_configured_public_url_the_served_address_is_the_token_issuer(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.delenv("COGNITOADMIN_PUBLIC_URL")
    # Through the fixture first, so what the command sets is undone after the test.
    settings.COGNITOADMIN_PUBLIC_URL = "http://testserver"
    output = devserver("--addrport", "127.0.0.1:8765")

    assert "token issuer  http://127.0.0.1:8765/<user pool id>" in output
    assert "COGNITOADMIN_PUBLIC_URL is" not in output
    assert settings.COGNITOADMIN_PUBLIC_URL == "http://127.0.0.1:8765"


def test_a_configured_public_url_is_kept_and_a_mismatch_is_pointed_out(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv("COGNITOADMIN_PUBLIC_URL", "https://auth.example.com")
    settings.COGNITOADMIN_PUBLIC_URL = "https://auth.example.com"
    output = devserver("--addrport", "127.0.0.1:8765")

    assert "token issuer  https://auth.example.com/<user pool id>" in output
    warning = "COGNITOADMIN_PUBLIC_URL is https://auth.example.com, not http://127.0.0.1:8765"
    assert warning in output


@pytest.mark.parametrize("addrport", ["localhost", "127.0.0.1:port", ":8000"])
def test_a_bad_address_is_refused_before_anything_is_done(addrport: str) -> None:
    with pytest.raises(CommandError, match="is not a port or an address:port pair"):
        devserver("--addrport", addrport)

    assert not User.objects.exists()


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def fresh_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a fresh checkout: no configuration, state under `tmp_path`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "COGNITOADMIN_", "CELERY_"))
        and k not in {"SECRET_KEY", "DEBUG", "RUN_MAIN"}
    }
    return env | {
        "COGNITOADMIN_LOCAL_DIR": str(tmp_path / "local"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        # Empty values keep a developer's .env out of the way.
        "SECRET_KEY": "",
        "COGNITOADMIN_MASTER_KEY": "",
    }


def test_a_command_without_secrets_says_in_a_line_how_to_use_the_development_ones(
    tmp_path: Path,
) -> None:
    result = run_manage(fresh_env(tmp_path), "accesskey", "list")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("SECRET_KEY is not set.")
    assert line.endswith("COGNITOADMIN_DEV=1 python manage.py accesskey list")


@pytest.mark.slow  # three Django start-ups and all migrations, in real processes
def test_the_readme_command_sets_up_a_fresh_checkout(tmp_path: Path) -> None:
    """The real command in its own process: local secrets, migrations, a working operator."""
    env = fresh_env(tmp_path)

    first = run_manage(env, "devserver", "--setup-only")
    assert first.returncode == 0, first.stderr
    username, password = credentials(first.stdout)
    assert (tmp_path / "local" / "secrets.json").is_file()

    second = run_manage(env, "devserver", "--setup-only")
    assert second.returncode == 0, second.stderr
    assert "(0 migrations applied)" in second.stdout
    assert CREDENTIALS_RE.search(second.stdout) is None

    probe = (
        "import json\n"
        "from django.contrib.auth import authenticate\n"
        "from django.contrib.auth.models import User\n"
        f"user = authenticate(username={username!r}, password={password!r})\n"
        "print(json.dumps({'operator': bool(user and user.is_superuser),"
        " 'users': User.objects.count()}))\n"
    )
    check = run_manage(env | {"COGNITOADMIN_DEV": "1"}, "shell", "--verbosity", "0", "-c", probe)
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout.splitlines()[-1]) == {"operator": True, "users": 1}
