"""`manage.py awsops`: the AWS operations served here, per service, against botocore's total."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cognitoadmin.awsjson import REGISTRY, TARGET_PREFIXES, Operation
from cognitoadmin.awsmodel import service_model

README_START = "<!-- awsops:start -->"
README_END = "<!-- awsops:end -->"

_CONSOLE = "issue 18 (admin console: user import jobs, sign-in history)"
_NO_RISK = "not planned (threat protection: this server rates no risk)"
_ONE_SERVER = (
    "not planned (replicas, point-in-time recovery: one server, its database's own backups)"
)
_BRANDING = (
    "not planned (managed-login branding: the classic hosted UI's SetUICustomization is served)"
)
_CIMD = (
    "no issue yet (client ID metadata documents: OAuth clients named by an HTTPS URL whose "
    "document the server fetches)"
)
_M2M_API = (
    "no issue yet (GetClientToken is the API form of the client_credentials grant, which "
    "/oauth2/token serves)"
)
_EXCHANGE = "no issue yet (OAuth 2.0 token exchange, RFC 8693)"

# Why each cognito-idp operation is not served, and the issue that will serve it: the README's
# list and `--missing` print these. A test fails when botocore has an operation nobody classified.
NOT_SERVED_REASONS: dict[str, str] = {
    "CreateUserImportJob": _CONSOLE,
    "StartUserImportJob": _CONSOLE,
    "StopUserImportJob": _CONSOLE,
    "DescribeUserImportJob": _CONSOLE,
    "ListUserImportJobs": _CONSOLE,
    "AdminListUserAuthEvents": _CONSOLE,
    "DescribeRiskConfiguration": _NO_RISK,
    "SetRiskConfiguration": _NO_RISK,
    "AdminUpdateAuthEventFeedback": _NO_RISK,
    "UpdateAuthEventFeedback": _NO_RISK,
    "CreateUserPoolReplica": _ONE_SERVER,
    "DeleteUserPoolReplica": _ONE_SERVER,
    "ListUserPoolReplicas": _ONE_SERVER,
    "UpdateUserPoolReplica": _ONE_SERVER,
    "InitiatePointInTimeRecovery": _ONE_SERVER,
    "StartPointInTimeRecovery": _ONE_SERVER,
    "CancelPointInTimeRecovery": _ONE_SERVER,
    "DescribePointInTimeRecovery": _ONE_SERVER,
    "ListPointInTimeRecoveries": _ONE_SERVER,
    "CreateManagedLoginBranding": _BRANDING,
    "DescribeManagedLoginBranding": _BRANDING,
    "DescribeManagedLoginBrandingByClient": _BRANDING,
    "UpdateManagedLoginBranding": _BRANDING,
    "DeleteManagedLoginBranding": _BRANDING,
    "CreateCIMDPolicy": _CIMD,
    "DescribeCIMDPolicy": _CIMD,
    "ListCIMDPolicies": _CIMD,
    "UpdateCIMDPolicy": _CIMD,
    "DeleteCIMDPolicy": _CIMD,
    "ListClientMetadataURLs": _CIMD,
    "UpdateClientMetadataURLState": _CIMD,
    "GetClientToken": _M2M_API,
    "GetDerivedToken": _EXCHANGE,
}


def operations_by_service() -> dict[str, list[Operation]]:
    """Every registered operation, by service: the JSON services first (each listed even when it
    has none), then the others by name, whatever order the apps registered them in."""
    served: dict[str, list[Operation]] = {service: [] for service in TARGET_PREFIXES.values()}
    for service in sorted({service for service, _name in REGISTRY} - set(served)):
        served[service] = []
    for (service, _name), op in REGISTRY.items():
        served[service].append(op)
    return {service: sorted(ops, key=lambda op: op.name) for service, ops in served.items()}


def not_served(service: str, ops: list[Operation]) -> list[str]:
    names = {op.name for op in ops}
    return sorted(name for name in service_model(service).operation_names if name not in names)


def _names(ops: list[Operation]) -> str:
    return ", ".join(f"`{op.name}`" for op in ops) if ops else "none yet"


def _not_served_lines(service: str, ops: list[Operation]) -> list[str]:
    """cognito-idp's unserved operations grouped by reason, in the table's order; any the table
    does not name yet (a newer botocore's) close the list."""
    if service != "cognito-idp":
        return []
    missing = not_served(service, ops)
    groups: dict[str, list[str]] = {}
    for name, reason in NOT_SERVED_REASONS.items():
        if name in missing:
            groups.setdefault(reason, []).append(name)
    lines = [f"- not served ({len(missing)}):"]
    lines += [
        f"  - {reason}: " + ", ".join(f"`{n}`" for n in names) for reason, names in groups.items()
    ]
    unclassified = [name for name in missing if name not in NOT_SERVED_REASONS]
    if unclassified:
        lines.append("  - not classified yet: " + ", ".join(f"`{n}`" for n in unclassified))
    return lines


def markdown() -> str:
    """The README's list of supported operations (a test keeps the README equal to this)."""
    lines = []
    for service, ops in operations_by_service().items():
        total = len(service_model(service).operation_names)
        signed = [op for op in ops if op.signed]
        unsigned = [op for op in ops if not op.signed]
        lines.append(f"**{service}**: {len(ops)} of botocore's {total} operations.")
        lines.append("")
        lines.append(f"- signed ({len(signed)}): {_names(signed)}")
        lines.append(f"- unsigned ({len(unsigned)}): {_names(unsigned)}")
        lines.extend(_not_served_lines(service, ops))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def replace_between_markers(text: str, block: str) -> str:
    """`text` with what stands between the awsops markers replaced by `block`."""
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise CommandError(f"The file has no {README_START} ... {README_END} markers, in order.")
    return f"{text[: start + len(README_START)]}\n{block}{text[end:]}"


class Command(BaseCommand):
    help = "List the AWS operations this server serves, with counts per service."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--markdown", action="store_true", help="Print the README's Markdown list."
        )
        parser.add_argument(
            "--missing", action="store_true", help="List botocore's operations not served."
        )
        parser.add_argument(
            "--update-readme",
            metavar="PATH",
            help=f"Write the Markdown list between {README_START} and {README_END} in PATH.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["update_readme"]:
            path = Path(options["update_readme"])
            text = path.read_text(encoding="utf-8")
            updated = replace_between_markers(text, markdown())
            if updated != text:
                path.write_text(updated, encoding="utf-8")
            self.stdout.write(f"{path}: {'updated' if updated != text else 'already current'}")
            return
        if options["markdown"]:
            self.stdout.write(markdown(), ending="")
            return
        for service, ops in operations_by_service().items():
            total = len(service_model(service).operation_names)
            unsigned = sum(1 for op in ops if not op.signed)
            self.stdout.write(
                f"{service}: {len(ops)} of {total} operations "
                f"({len(ops) - unsigned} signed, {unsigned} unsigned)"
            )
            for op in ops:
                self.stdout.write(f"  {op.name}{'' if op.signed else ' (unsigned)'}")
            if options["missing"]:
                missing = not_served(service, ops)
                self.stdout.write(f"  not served ({len(missing)}):")
                for name in missing:
                    reason = NOT_SERVED_REASONS.get(name) if service == "cognito-idp" else None
                    self.stdout.write(f"    {name}: {reason}" if reason else f"    {name}")
