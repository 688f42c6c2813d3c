"""`manage.py purge`: delete expired auth sessions, verification codes and refresh tokens."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from pools.services.purge import expired_purge


class Command(BaseCommand):
    help = "Delete expired auth sessions, used or expired codes, and long-expired refresh tokens."

    def handle(self, *args: Any, **options: Any) -> None:
        purged = expired_purge()
        self.stdout.write(
            f"Deleted {purged.auth_sessions} auth session(s), {purged.verification_codes} "
            f"verification code(s) and {purged.refresh_tokens} refresh token(s)."
        )
