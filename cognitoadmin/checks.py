"""System checks for the deployment settings: a wrong value fails `check`, `migrate` and the server.

Identifiers, ARNs and token issuers are built from these values, and SDKs reject ones that are not
shaped as AWS's, so a typo is caught at start-up rather than in a client far away.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error

from cognitoadmin.regions import REGION_RE

ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
MASTER_KEY_MIN_LENGTH = 32


def check_settings(
    *, app_configs: Sequence[AppConfig] | None, databases: Sequence[str] | None, **kwargs: Any
) -> list[CheckMessage]:
    return [
        *_check_region(settings.COGNITOADMIN_REGION),
        *_check_regions(settings.COGNITOADMIN_REGIONS, default=settings.COGNITOADMIN_REGION),
        *_check_account_id(settings.COGNITOADMIN_ACCOUNT_ID),
        *_check_public_url(settings.COGNITOADMIN_PUBLIC_URL),
        *_check_master_key(settings.COGNITOADMIN_MASTER_KEY, debug=settings.DEBUG),
    ]


def _check_region(region: str) -> list[CheckMessage]:
    if REGION_RE.fullmatch(region):
        return []
    return [
        Error(
            f"COGNITOADMIN_REGION {region!r} is not an AWS region name.",
            hint="Use a name such as us-east-1 or eu-west-2.",
            id="cognitoadmin.E001",
        )
    ]


def _check_regions(regions: Sequence[str], *, default: str) -> list[CheckMessage]:
    errors: list[CheckMessage] = [
        Error(
            f"COGNITOADMIN_REGIONS names {name!r}, which is not an AWS region name.",
            hint="List names such as us-east-1,eu-west-2, or leave it empty for every region.",
            id="cognitoadmin.E005",
        )
        for name in regions
        if not REGION_RE.fullmatch(name)
    ]
    if regions and default not in regions:
        errors.append(
            Error(
                f"COGNITOADMIN_REGIONS does not list COGNITOADMIN_REGION {default!r}.",
                hint="New resources are made in COGNITOADMIN_REGION: list it too.",
                id="cognitoadmin.E006",
            )
        )
    return errors


def _check_account_id(account_id: str) -> list[CheckMessage]:
    if ACCOUNT_ID_RE.fullmatch(account_id):
        return []
    return [
        Error(
            f"COGNITOADMIN_ACCOUNT_ID {account_id!r} is not a 12-digit AWS account id.",
            hint="Use 12 digits, such as 000000000000.",
            id="cognitoadmin.E002",
        )
    ]


def _check_public_url(url: str) -> list[CheckMessage]:
    parts = urlsplit(url)
    problem = ""
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        problem = "is not an absolute http(s) URL"
    elif parts.query or parts.fragment:
        problem = "has a query or fragment"
    elif url.endswith("/"):
        problem = "ends with a slash"
    if not problem:
        return []
    return [
        Error(
            f"COGNITOADMIN_PUBLIC_URL {url!r} {problem}.",
            hint="Use the URL clients reach this server at, such as https://auth.example.com "
            "(token issuers and the AWS endpoint are built from it).",
            id="cognitoadmin.E003",
        )
    ]


def _check_master_key(master_key: str, *, debug: bool) -> list[CheckMessage]:
    if debug or len(master_key) >= MASTER_KEY_MIN_LENGTH:
        return []
    return [
        Error(
            f"COGNITOADMIN_MASTER_KEY is shorter than {MASTER_KEY_MIN_LENGTH} characters.",
            hint='Generate one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'
            " (changing it makes secrets already encrypted with the old key unreadable).",
            id="cognitoadmin.E004",
        )
    ]
