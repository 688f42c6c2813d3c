"""Settings read from the environment. Start-up is checked in a fresh interpreter each time,
because settings are read once per process."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from cognitoadmin.env import email_settings, env_bool, env_int, env_list, env_scale, load_dotenv

ROOT = Path(__file__).resolve().parents[2]
# Settings a run may be influenced by; each test sets the ones it is about.
_CLEARED = (
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "COGNITOADMIN_DEV",
    "COGNITOADMIN_ADMIN_OTP_REQUIRED",
    "ALLOWED_HOSTS",
    "COGNITOADMIN_PUBLIC_URL",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
)
_SHOWN = (
    "SECRET_KEY",
    "COGNITOADMIN_MASTER_KEY",
    "DEBUG",
    "COGNITOADMIN_ADMIN_OTP_REQUIRED",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "CELERY_TASK_ALWAYS_EAGER",
)


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Import the real settings in a new interpreter with `env`; print what the tests look at."""
    environ = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    environ.update(
        {
            "COGNITOADMIN_LOCAL_DIR": str(tmp_path / "local"),
            "SECRET_KEY": "k" * 50,
            "COGNITOADMIN_MASTER_KEY": "m" * 32,
            "COGNITOADMIN_DEV": "0",
        }
    )
    environ.update(env)
    code = (
        "import json\n"
        "from cognitoadmin import settings as s\n"
        f"shown = {{name: getattr(s, name) for name in {_SHOWN!r}}}\n"
        "shown['DATABASE'] = s.DATABASES['default']['NAME']\n"
        "print(json.dumps(shown, default=str))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def settings_of(tmp_path: Path, **env: str) -> dict[str, object]:
    result = load_settings(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    shown: dict[str, object] = json.loads(result.stdout)
    return shown


@pytest.mark.parametrize("name", ["SECRET_KEY", "COGNITOADMIN_MASTER_KEY"])
def test_a_missing_secret_stops_start_up_outside_development(tmp_path: Path, name: str) -> None:
    result = load_settings(tmp_path, **{name: ""})

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {name} is not set" in result.stderr
    assert "manage.py devserver" in result.stderr
    assert not (tmp_path / "local" / "secrets.json").exists()


def test_development_mode_creates_its_secrets_once_readable_only_by_the_owner(
    tmp_path: Path,
) -> None:
    first = settings_of(tmp_path, COGNITOADMIN_DEV="1", SECRET_KEY="", COGNITOADMIN_MASTER_KEY="")
    second = settings_of(tmp_path, COGNITOADMIN_DEV="1", SECRET_KEY="", COGNITOADMIN_MASTER_KEY="")

    path = tmp_path / "local" / "secrets.json"
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert first["SECRET_KEY"] == second["SECRET_KEY"] == stored["SECRET_KEY"]
    assert first["COGNITOADMIN_MASTER_KEY"] == stored["COGNITOADMIN_MASTER_KEY"]
    assert len(str(first["COGNITOADMIN_MASTER_KEY"])) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secrets.json"]  # no temporary left
    assert first["DEBUG"] is True


def test_secrets_from_the_environment_win_over_local_ones(tmp_path: Path) -> None:
    shown = settings_of(tmp_path, COGNITOADMIN_DEV="1", SECRET_KEY="s" * 50)

    assert shown["SECRET_KEY"] == "s" * 50
    assert shown["COGNITOADMIN_MASTER_KEY"] == "m" * 32


@pytest.mark.parametrize("value", ["", "false", "true"])
def test_admin_otp_is_required_outside_debug_whatever_the_variable_says(
    tmp_path: Path, value: str
) -> None:
    shown = settings_of(
        tmp_path, DEBUG="0", COGNITOADMIN_DEV="1", COGNITOADMIN_ADMIN_OTP_REQUIRED=value
    )

    assert shown["DEBUG"] is False
    assert shown["COGNITOADMIN_ADMIN_OTP_REQUIRED"] is True


def test_development_mode_relaxes_admin_otp_unless_asked(tmp_path: Path) -> None:
    assert settings_of(tmp_path, COGNITOADMIN_DEV="1")["COGNITOADMIN_ADMIN_OTP_REQUIRED"] is False
    assert (
        settings_of(tmp_path, COGNITOADMIN_DEV="1", COGNITOADMIN_ADMIN_OTP_REQUIRED="true")[
            "COGNITOADMIN_ADMIN_OTP_REQUIRED"
        ]
        is True
    )


def test_debug_alone_still_requires_admin_otp_by_default(tmp_path: Path) -> None:
    shown = settings_of(tmp_path, DEBUG="1")

    assert shown["COGNITOADMIN_ADMIN_OTP_REQUIRED"] is True


def test_production_hosts_and_csrf_origins_follow_the_public_url(tmp_path: Path) -> None:
    shown = settings_of(tmp_path, COGNITOADMIN_PUBLIC_URL="https://auth.example.com/")

    assert shown["ALLOWED_HOSTS"] == ["auth.example.com"]
    assert shown["CSRF_TRUSTED_ORIGINS"] == ["https://auth.example.com"]


def test_the_host_forms_domains_are_allowed_and_trusted_for_csrf(tmp_path: Path) -> None:
    shown = settings_of(
        tmp_path,
        COGNITOADMIN_PUBLIC_URL="https://cognito.example.com",
        COGNITOADMIN_DOMAIN_URL="https://{domain}.auth.example.com",
    )

    assert shown["ALLOWED_HOSTS"] == ["cognito.example.com", ".auth.example.com"]
    assert shown["CSRF_TRUSTED_ORIGINS"] == [
        "https://cognito.example.com",
        "https://*.auth.example.com",
    ]


def test_allowed_hosts_from_the_environment_win(tmp_path: Path) -> None:
    shown = settings_of(tmp_path, ALLOWED_HOSTS="a.example.com, b.example.com")

    assert shown["ALLOWED_HOSTS"] == ["a.example.com", "b.example.com"]


def test_the_embedded_default_is_sqlite_beside_the_local_secrets_and_eager_celery(
    tmp_path: Path,
) -> None:
    shown = settings_of(tmp_path)

    assert shown["DATABASE"] == str(tmp_path / "local" / "db.sqlite3")
    assert shown["CELERY_TASK_ALWAYS_EAGER"] is True


def test_a_bad_boolean_stops_start_up_with_its_name(tmp_path: Path) -> None:
    result = load_settings(tmp_path, DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_every_environment_variable_is_documented() -> None:
    source = (ROOT / "cognitoadmin" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r"env_(?:str|bool|int|list|scale)\(\s*\"([A-Z][A-Z0-9_]*)\"", source))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")

    assert "DATABASE_URL" in names
    assert [n for n in sorted(names) if f"`{n}`" not in readme] == []
    assert [n for n in sorted(names) if not re.search(rf"^#? ?{n}=", example, re.M)] == []


def test_env_bool_reads_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, expected in [("1", True), ("Yes", True), ("on", True), ("0", False), ("", False)]:
        monkeypatch.setenv("COGNITOADMIN_TEST_FLAG", value)
        assert env_bool("COGNITOADMIN_TEST_FLAG") is expected
    monkeypatch.delenv("COGNITOADMIN_TEST_FLAG")
    assert env_bool("COGNITOADMIN_TEST_FLAG", True) is True


def test_env_int_and_list_parse_and_reject(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COGNITOADMIN_TEST_INT", "12")
    monkeypatch.setenv("COGNITOADMIN_TEST_LIST", " a, ,b ")
    assert env_int("COGNITOADMIN_TEST_INT", 1) == 12
    assert env_list("COGNITOADMIN_TEST_LIST", []) == ["a", "b"]

    monkeypatch.setenv("COGNITOADMIN_TEST_INT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="COGNITOADMIN_TEST_INT must be an integer"):
        env_int("COGNITOADMIN_TEST_INT", 1)


def test_dotenv_fills_only_what_the_environment_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# comment\nexport COGNITOADMIN_TEST_A='from file'\nCOGNITOADMIN_TEST_B=from file\nnoise\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("COGNITOADMIN_TEST_A", "")
    monkeypatch.delenv("COGNITOADMIN_TEST_A")  # unset now, and after the test
    monkeypatch.setenv("COGNITOADMIN_TEST_B", "from environment")

    load_dotenv(dotenv)

    assert os.environ["COGNITOADMIN_TEST_A"] == "from file"
    assert os.environ["COGNITOADMIN_TEST_B"] == "from environment"


def test_email_url_becomes_django_smtp_settings() -> None:
    assert email_settings("smtp+tls://user%40x:p%3Ass@mail.example.com:587?timeout=5") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "user@x",
        "EMAIL_HOST_PASSWORD": "p:ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 5,
    }
    assert email_settings("")["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    with pytest.raises(ImproperlyConfigured, match="'ftp' is not supported"):
        email_settings("ftp://mail.example.com")


def test_env_scale_reads_on_off_and_factors(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, expected in [("on", 1.0), ("OFF", 0.0), ("0.5", 0.5), ("3", 3.0), ("", 1.0)]:
        monkeypatch.setenv("COGNITOADMIN_TEST_SCALE", value)
        assert env_scale("COGNITOADMIN_TEST_SCALE") == expected
    for value in ("-1", "fast", "nan", "inf"):
        monkeypatch.setenv("COGNITOADMIN_TEST_SCALE", value)
        with pytest.raises(ImproperlyConfigured):
            env_scale("COGNITOADMIN_TEST_SCALE")
