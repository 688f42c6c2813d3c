"""`manage.py purge`: delete expired auth sessions, verification codes, refresh tokens and old
message records."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from pools.services.purge import expired_purge


class Command(BaseCommand):
    help = (
        "Delete expired auth sessions, used or expired codes, long-expired refresh tokens, "
        "devices left unconfirmed for a day, the states of federated sign-ins never finished, and "
        "the records of messages sent or failed more than 30 days ago."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        purged = expired_purge()
        self.stdout.write(
            f"Deleted {purged.auth_sessions} auth session(s), {purged.verification_codes} "
            f"verification code(s), {purged.refresh_tokens} refresh token(s), "
            f"{purged.devices} unconfirmed device(s), {purged.authorization_codes} "
            f"authorization code(s), {purged.hosted_sessions} hosted sign-in session(s), "
            f"{purged.federation_states} federated sign-in state(s) and "
            f"{purged.deliveries} message record(s)."
        )
