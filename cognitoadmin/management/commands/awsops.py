"""`manage.py awsops`: the AWS operations served here, per service, against botocore's total."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cognitoadmin.awsjson import REGISTRY, TARGET_PREFIXES
from cognitoadmin.awsmodel import service_model


def operations_by_service() -> dict[str, list[str]]:
    served: dict[str, list[str]] = {service: [] for service in TARGET_PREFIXES.values()}
    for service, name in REGISTRY:
        served.setdefault(service, []).append(name)
    return {service: sorted(names) for service, names in served.items()}


def markdown() -> str:
    """The README's list of supported operations (a test keeps the README equal to this)."""
    lines = []
    for service, names in operations_by_service().items():
        total = len(service_model(service).operation_names)
        lines.append(f"**{service}** ({len(names)} of {total} operations):")
        lines.append(", ".join(f"`{name}`" for name in names) if names else "none yet")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


class Command(BaseCommand):
    help = "List the AWS operations this server serves, with counts per service."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--markdown", action="store_true", help="Print the README's Markdown list."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["markdown"]:
            self.stdout.write(markdown(), ending="")
            return
        for service, names in operations_by_service().items():
            total = len(service_model(service).operation_names)
            self.stdout.write(f"{service}: {len(names)} of {total} operations")
            for name in names:
                self.stdout.write(f"  {name}")
