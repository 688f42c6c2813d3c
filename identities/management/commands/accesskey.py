"""`manage.py accesskey`: operators' access keys from the command line.

    accesskey create <operator> [--json] [--description D] [--access-key-id X --secret-access-key Y]
                                [--policy-file FILE]
    accesskey list [--operator U]
    accesskey policy <access key id> (--file FILE | --clear)
    accesskey disable|enable|delete <access key id>

The secret is printed once, by `create`; nothing else ever prints it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cognitoadmin.errors import ServiceError
from identities.selectors import access_key_get, access_key_list, operator_get
from identities.services.access_keys import (
    access_key_create,
    access_key_delete,
    access_key_disable,
    access_key_enable,
    access_key_set_policy,
)


class Command(BaseCommand):
    help = "Create, list, disable, enable or delete operators' access keys."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        create = actions.add_parser(
            "create",
            help="Create a key for an operator (or import a known pair); prints the secret once.",
        )
        create.add_argument("operator", help="The operator's user name.")
        create.add_argument("--description", default="", help="What the key is for.")
        create.add_argument(
            "--access-key-id", help="Import this access key ID (with --secret-access-key)."
        )
        create.add_argument(
            "--secret-access-key", help="Import this secret (with --access-key-id)."
        )
        create.add_argument(
            "--policy-file",
            help="An IAM policy document (JSON) that narrows what the key may do.",
        )
        create.add_argument(
            "--json",
            action="store_true",
            help='Print {"AccessKeyId": ..., "SecretAccessKey": ...} only.',
        )

        listing = actions.add_parser("list", help="List keys (never their secrets).")
        listing.add_argument("--operator", help="Only this operator's keys.")

        policy = actions.add_parser(
            "policy", help="Set or remove the IAM policy that narrows what a key may do."
        )
        policy.add_argument("access_key_id", help="The key's access key ID.")
        source = policy.add_mutually_exclusive_group(required=True)
        source.add_argument("--file", help="The policy document (JSON).")
        source.add_argument("--clear", action="store_true", help="Remove the key's policy.")

        for name, text in (
            ("disable", "Disable a key: it stops authenticating at once."),
            ("enable", "Enable a disabled key again."),
            ("delete", "Delete a key for good."),
        ):
            action = actions.add_parser(name, help=text)
            action.add_argument("access_key_id", help="The key's access key ID.")

    def handle(self, *args: Any, **options: Any) -> None:
        action: str = options["action"]
        try:
            if action == "create":
                self._create(options)
            elif action == "list":
                self._list(options)
            elif action == "policy":
                self._policy(options)
            else:
                self._change(action, options["access_key_id"])
        except ServiceError as exc:
            raise CommandError(exc.message) from None

    def _create(self, options: dict[str, Any]) -> None:
        operator = operator_get(username=options["operator"])
        key, secret = access_key_create(
            operator=operator,
            description=options["description"],
            access_key_id=options["access_key_id"],
            secret_access_key=options["secret_access_key"],
            policy=_read(options["policy_file"]) if options["policy_file"] else None,
        )
        if options["json"]:
            self.stdout.write(
                json.dumps({"AccessKeyId": key.access_key_id, "SecretAccessKey": secret})
            )
            return
        self.stdout.write(f"AccessKeyId:     {key.access_key_id}")
        self.stdout.write(f"SecretAccessKey: {secret}")
        self.stderr.write(self.style.WARNING("Store the secret now: it cannot be shown again."))

    def _list(self, options: dict[str, Any]) -> None:
        operator = operator_get(username=options["operator"]) if options["operator"] else None
        rows = [
            (
                key.access_key_id,
                key.operator.get_username(),
                "Active" if key.active else "Inactive",
                key.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                key.last_used_at.strftime("%Y-%m-%dT%H:%M:%SZ") if key.last_used_at else "-",
                "yes" if key.policy is not None else "-",
                key.description,
            )
            for key in access_key_list(operator=operator)
        ]
        header = (
            "AccessKeyId",
            "Operator",
            "Status",
            "Created",
            "LastUsed",
            "Policy",
            "Description",
        )
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
        for row in [header, *rows]:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[-1]]).rstrip())

    def _policy(self, options: dict[str, Any]) -> None:
        key = access_key_get(access_key_id=options["access_key_id"])
        if options["clear"]:
            access_key_set_policy(key=key, policy=None)
            self.stdout.write(f"Removed the policy of {key.access_key_id}.")
            return
        access_key_set_policy(key=key, policy=_read(options["file"]))
        self.stdout.write(f"Set the policy of {key.access_key_id}.")

    def _change(self, action: str, access_key_id: str) -> None:
        key = access_key_get(access_key_id=access_key_id)
        if action == "disable":
            access_key_disable(key=key)
            self.stdout.write(f"Disabled {access_key_id}.")
        elif action == "enable":
            access_key_enable(key=key)
            self.stdout.write(f"Enabled {access_key_id}.")
        else:
            access_key_delete(key=key)
            self.stdout.write(f"Deleted {access_key_id}.")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read the policy file {path}: {exc}") from None
