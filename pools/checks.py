"""System checks for the user pools' settings: a wrong value fails `check`, `migrate` and the
server at start-up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error

from pools.services.domains import domain_form_parse, public_host
from pools.services.log_sinks import destinations_check


def check_domain_url(
    *, app_configs: Sequence[AppConfig] | None, databases: Sequence[str] | None, **kwargs: Any
) -> list[CheckMessage]:
    try:
        form = domain_form_parse(settings.COGNITOADMIN_DOMAIN_URL)
        public = public_host()
        if form.host_suffix and public.endswith(form.host_suffix):
            # A pool whose prefix is the public host's first label would take the AWS endpoint.
            raise ValueError(f"the public URL's host {public} is under its hosts")
    except ValueError as problem:
        return [
            Error(
                f"COGNITOADMIN_DOMAIN_URL {settings.COGNITOADMIN_DOMAIN_URL!r}: {problem}.",
                hint="For example https://{domain}.auth.example.com or "
                "http://127.0.0.1:8000/domain/{domain}.",
                id="pools.E001",
            )
        ]
    return []


def check_log_destinations(
    *, app_configs: Sequence[AppConfig] | None, databases: Sequence[str] | None, **kwargs: Any
) -> list[CheckMessage]:
    return [
        Error(
            f"COGNITOADMIN_LOG_DESTINATIONS: {problem}.",
            hint="For example arn:aws:logs:us-east-1:000000000000:log-group:app=file:///var/log/"
            "app.jsonl,arn:aws:firehose:=redis://127.0.0.1:6379/0?stream=activity",
            id="pools.E002",
        )
        for problem in destinations_check(settings.COGNITOADMIN_LOG_DESTINATIONS)
    ]
