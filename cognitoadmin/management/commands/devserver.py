"""`manage.py devserver`: the README's one command that brings up a working server on a fresh clone.

manage.py sets COGNITOADMIN_DEV=1 for this command before settings load, so the local secrets exist.
"""

from __future__ import annotations

import os
import re
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

DEFAULT_ADDRPORT = "127.0.0.1:8000"
DEFAULT_USERNAME = "admin"
_ADDRPORT_RE = re.compile(r"^(?:(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):)?(?P<port>\d+)$")
# Addresses that listen on every interface; the URLs printed for them say localhost.
_WILDCARD_HOSTS = {"0.0.0.0", "[::]", "0"}  # noqa: S104


class Command(BaseCommand):
    help = (
        "Development server on the embedded default: applies migrations, creates an operator "
        "account on first run (printed once), prints the URLs and serves with runserver."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--addrport",
            default=DEFAULT_ADDRPORT,
            help=f"Address and port to serve on, (default {DEFAULT_ADDRPORT}).",
        )
        parser.add_argument(
            "--username",
            default=os.environ.get("DJANGO_SUPERUSER_USERNAME", DEFAULT_USERNAME),
            help="Username of the operator created on first run "
            "(default: $DJANGO_SUPERUSER_USERNAME, else 'admin').",
        )
        parser.add_argument(
            "--password",
            default=os.environ.get("DJANGO_SUPERUSER_PASSWORD", ""),
            help="Password of the operator created on first run "
            "(default: $DJANGO_SUPERUSER_PASSWORD, else a random one, printed once).",
        )
        parser.add_argument(
            "--setup-only",
            action="store_true",
            help="Do everything but serve (migrations, operator account, URLs).",
        )
        parser.add_argument(
            "--noreload",
            action="store_false",
            dest="use_reloader",
            help="Do not restart the server when code changes.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = _parse_addrport(options["addrport"])
        if "COGNITOADMIN_PUBLIC_URL" not in os.environ:
            # Token issuers must be the URL clients call (pycognito compares them), so in
            # development the address served is the public URL unless one was configured.
            settings.COGNITOADMIN_PUBLIC_URL = f"http://{host}:{port}"
        # runserver's autoreloader runs this command again in a child process (and again at each
        # code change); the parent has already set up and printed everything once.
        if os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            self._migrate(verbosity=options["verbosity"])
            self._ensure_operator(username=options["username"], password=options["password"])
            self._print_urls(base=f"http://{host}:{port}")
        if options["setup_only"]:
            return
        call_command(
            "runserver",
            options["addrport"],
            use_reloader=options["use_reloader"],
            # Static files are served here whatever DEBUG says; production uses collectstatic.
            insecure_serving=True,
        )

    def _migrate(self, *, verbosity: int) -> None:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        database = settings.DATABASES[DEFAULT_DB_ALIAS]
        engine = database["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(f"Database: {engine} {database['NAME']} ({pending} migrations applied)")

    def _ensure_operator(self, *, username: str, password: str) -> None:
        user_model = get_user_model()
        if user_model.objects.filter(is_superuser=True).exists():
            self.stdout.write(
                "Operator: an account exists; sign in with it (forgotten password: "
                "COGNITOADMIN_DEV=1 python manage.py changepassword <username>)."
            )
            return
        if user_model.objects.filter(username=username).exists():
            raise CommandError(
                f"User {username!r} exists but is not a superuser: choose another with --username."
            )
        if password:
            try:
                validate_password(password, user_model(username=username))
            except ValidationError as exc:
                raise CommandError(f"Password rejected: {' '.join(exc.messages)}") from None
            shown = "(the one you gave)"
        else:
            password = secrets.token_urlsafe(16)
            shown = password
        user_model.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS("Operator account created; the password is shown only this once:")
        )
        self.stdout.write(f"  username      {username}\n  password      {shown}")

    def _print_urls(self, *, base: str) -> None:
        sign_in = (
            "password and OTP device"
            if settings.COGNITOADMIN_ADMIN_OTP_REQUIRED
            else "password only in development; COGNITOADMIN_ADMIN_OTP_REQUIRED=true adds OTP"
        )
        public_url: str = settings.COGNITOADMIN_PUBLIC_URL
        self.stdout.write(
            f"  admin         {base}/admin/  ({sign_in})\n"
            f"  API docs      {base}/api/v1/docs/\n"
            f"  AWS endpoint  {base}/  (boto3: endpoint_url={base!r}, "
            f"region_name={settings.COGNITOADMIN_REGION!r})\n"
            f"  token issuer  {public_url}/<user pool id>"
        )
        if public_url != base:
            self.stdout.write(
                self.style.WARNING(
                    f"COGNITOADMIN_PUBLIC_URL is {public_url}, not {base}: set it to the URL "
                    "clients use, or OIDC clients will reject the issuer."
                )
            )


def _parse_addrport(addrport: str) -> tuple[str, str]:
    match = _ADDRPORT_RE.fullmatch(addrport)
    if match is None:
        raise CommandError(f"{addrport!r} is not a port or an address:port pair.")
    host = match["host"] or DEFAULT_ADDRPORT.split(":", maxsplit=1)[0]
    return ("localhost" if host in _WILDCARD_HOSTS else host), match["port"]
