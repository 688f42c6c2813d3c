"""`manage.py sweep`: queue again the messages the task queue never got (what beat runs each
minute), e.g. after a broker outage or from a cron job where beat does not run."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from pools.services.delivery import deliveries_sweep


class Command(BaseCommand):
    help = (
        "Queue again the messages still waiting that the task queue never got or no worker "
        "finished; without a broker, send them now."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Queued {deliveries_sweep()} waiting message(s) again.")
