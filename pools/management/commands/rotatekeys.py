"""`manage.py rotatekeys <pool id>...`: give pools a new signing key.

The retired key stays in the pool's JWKS until every token it signed has expired, so tokens issued
before the rotation keep verifying.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cognitoadmin.errors import ServiceError
from pools.selectors.pools import user_pool_get
from pools.services.keys import signing_key_rotate


class Command(BaseCommand):
    help = "Rotate the signing key of user pools (the old key stays published until it expires)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pool_ids", nargs="+", metavar="POOL_ID", help="A user pool's id.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            pools = [user_pool_get(pool_id=pool_id) for pool_id in options["pool_ids"]]
        except ServiceError as error:
            raise CommandError(error.message) from None
        for pool in pools:
            key = signing_key_rotate(pool=pool)
            self.stdout.write(f"{pool.pool_id}: new signing key {key.kid}")
