"""Hosted-UI domains: CreateUserPoolDomain, UpdateUserPoolDomain and DeleteUserPoolDomain.

A prefix domain is a name under this server; a custom domain is a full host name that the operator
points at this server (its certificate is the operator's reverse proxy's business, so the ARN is
only recorded and echoed). Domain names are unique across all pools.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import regex
from django.conf import settings
from django.db import transaction

from cognitoadmin.awsmodel import service_model
from pools.errors import FeatureUnavailableInTierException, InvalidParameterException
from pools.models import Domain, UserPool, UserPoolTier
from pools.selectors.domains import domain_get, pool_domains_active
from pools.selectors.pools import user_pool_locked

PREFIX_PATTERN = r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$"
_PREFIX = regex.compile(PREFIX_PATTERN)
RESERVED_WORDS = ("aws", "amazon", "cognito")
MAX_HOST_NAME_LENGTH = 253
# 1 = classic hosted UI, 2 = managed login (not on the Lite plan).
MANAGED_LOGIN_VERSIONS = (1, 2)
_CUSTOM_DOMAIN_MEMBERS = frozenset({"CertificateArn"})


@cache
def _arn_pattern() -> regex.Pattern[str]:
    return regex.compile(service_model("cognito-idp").shape_for("ArnType").metadata["pattern"])


def _check_prefix(domain: str) -> None:
    if not _PREFIX.fullmatch(domain):
        raise InvalidParameterException(
            "The domain name contains an invalid character. Domain names can only contain "
            "lower-case letters, numbers, and hyphens. Please enter a different name that "
            f"follows this format: {PREFIX_PATTERN}"
        )
    for word in RESERVED_WORDS:
        if word in domain:
            raise InvalidParameterException(f"Domain cannot contain reserved word: {word}")


def _check_host_name(domain: str) -> None:
    labels = domain.split(".")
    if (
        len(domain) > MAX_HOST_NAME_LENGTH
        or len(labels) < 2
        or not all(_PREFIX.fullmatch(label) for label in labels)
    ):
        raise InvalidParameterException(
            f"The custom domain {domain} is not a valid fully-qualified domain name."
        )


def _certificate_arn(config: Mapping[str, Any]) -> str:
    unknown = sorted(set(config) - _CUSTOM_DOMAIN_MEMBERS)
    if unknown:
        raise InvalidParameterException(
            f"Unsupported CustomDomainConfig member: {', '.join(unknown)}."
        )
    arn = config.get("CertificateArn")
    if not isinstance(arn, str) or not arn:
        raise InvalidParameterException("CustomDomainConfig.CertificateArn is required.")
    if not 20 <= len(arn) <= 2048 or not _arn_pattern().fullmatch(arn):
        raise InvalidParameterException(f"Invalid CertificateArn: {arn}")
    return arn


def _check_version(pool: UserPool, version: int) -> None:
    if version not in MANAGED_LOGIN_VERSIONS:
        raise InvalidParameterException(f"ManagedLoginVersion must be 1 or 2, not {version}.")
    if version == 2 and pool.tier == UserPoolTier.LITE:
        raise FeatureUnavailableInTierException(
            "Managed login requires the Essentials or Plus feature plan."
        )


# --- where domains are served ------------------------------------------------------------


PLACEHOLDER = "{domain}"


@dataclass(frozen=True)
class DomainForm:
    """Where `COGNITOADMIN_DOMAIN_URL` puts a prefix domain: under a host or under a path."""

    template: str
    host_suffix: str  # ".auth.example.com" in the host form, else ""
    path_prefix: str  # "/domain/" in the path form, else ""
    path_host: str = ""  # the path form's host, which no custom domain may take

    def url(self, prefix: str) -> str:
        return self.template.replace(PLACEHOLDER, prefix)


def domain_form_parse(template: str) -> DomainForm:
    """The form of a `COGNITOADMIN_DOMAIN_URL`; ValueError says what is wrong with it."""
    template = template.rstrip("/")
    if template.count(PLACEHOLDER) != 1:
        raise ValueError(f"it must hold {PLACEHOLDER} exactly once")
    parts = urlsplit(template)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("it must be an absolute http or https URL")
    if parts.query or parts.fragment:
        raise ValueError("it must have no query or fragment")
    if PLACEHOLDER in parts.netloc:
        host = parts.netloc.partition(":")[0]
        if not host.startswith(PLACEHOLDER + ".") or parts.path:
            raise ValueError(
                f"in the host, {PLACEHOLDER} must be the first label and the URL have no path"
            )
        return DomainForm(template=template, host_suffix=host[len(PLACEHOLDER) :], path_prefix="")
    if not parts.path.endswith("/" + PLACEHOLDER):
        raise ValueError(f"in the path, {PLACEHOLDER} must be the last segment")
    if parts.path == "/" + PLACEHOLDER:
        # Every one-segment path (/login, /admin) would be taken for a domain.
        raise ValueError(f"in the path, {PLACEHOLDER} needs a segment before it")
    return DomainForm(
        template=template,
        host_suffix="",
        path_prefix=parts.path[: -len(PLACEHOLDER)],
        path_host=parts.hostname or "",
    )


def domain_is_ours(host: str) -> bool:
    """Whether `host` is a name this server already answers for: the public host, the path
    form's host, or a name under (or at) the host form's suffix. No custom domain may take one."""
    form = domain_form()
    names = {public_host(), form.path_host} - {""}
    suffix = form.host_suffix
    return host in names or bool(suffix and (host.endswith(suffix) or host == suffix[1:]))


@cache
def _form(template: str) -> DomainForm:
    return domain_form_parse(template)


def domain_form() -> DomainForm:
    return _form(settings.COGNITOADMIN_DOMAIN_URL)


def domain_base_url(domain: Domain) -> str:
    """Where a domain's pages are: its host for a custom domain (with the public URL's scheme and
    port, as the reverse proxy in front of this server serves it), else the configured form."""
    if domain.is_custom:
        public = urlsplit(settings.COGNITOADMIN_PUBLIC_URL)
        port = f":{public.port}" if public.port else ""
        return f"{public.scheme}://{domain.domain}{port}"
    return domain_form().url(domain.domain)


def pool_base_url(pool: UserPool) -> str | None:
    """The URL of the pool's hosted pages: its custom domain, else its prefix domain, else
    None (then the server's own root serves them)."""
    domains = pool_domains_active(pool=pool)
    return domain_base_url(domains[0]) if domains else None


@cache
def _public_host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


def public_host() -> str:
    """The public URL's host name: the AWS endpoint's, never a custom domain."""
    return _public_host_of(settings.COGNITOADMIN_PUBLIC_URL)


# --- CreateUserPoolDomain, UpdateUserPoolDomain, DeleteUserPoolDomain ------------------------


@transaction.atomic
def domain_create(
    *,
    pool: UserPool,
    domain: str,
    custom_domain_config: Mapping[str, Any] | None = None,
    managed_login_version: int | None = None,
) -> Domain:
    is_custom = custom_domain_config is not None
    certificate_arn = ""
    if custom_domain_config is not None:
        _check_host_name(domain)
        if domain_is_ours(domain):
            raise InvalidParameterException(
                f"The custom domain {domain} is a name this server serves itself."
            )
        certificate_arn = _certificate_arn(custom_domain_config)
    else:
        _check_prefix(domain)
    version = 1 if managed_login_version is None else managed_login_version
    _check_version(pool, version)

    user_pool_locked(pool=pool)
    if Domain.objects.filter(domain=domain).exists():
        raise InvalidParameterException("Domain already associated with another user pool.")
    if Domain.objects.filter(pool=pool, is_custom=is_custom).exists():
        raise InvalidParameterException("User pool already has a domain configured.")
    return Domain.objects.create(
        pool=pool,
        domain=domain,
        is_custom=is_custom,
        certificate_arn=certificate_arn,
        managed_login_version=version,
    )


@transaction.atomic
def domain_update(
    *,
    pool: UserPool,
    domain: str,
    custom_domain_config: Mapping[str, Any] | None = None,
    managed_login_version: int | None = None,
) -> Domain:
    """Replace a custom domain's certificate and/or the managed-login version; the name stays."""
    row = domain_get(pool=pool, domain=domain, for_update=True)
    fields = ["updated_at"]
    if custom_domain_config is not None:
        if not row.is_custom:
            raise InvalidParameterException(
                "CustomDomainConfig can only be given for a custom domain."
            )
        row.certificate_arn = _certificate_arn(custom_domain_config)
        fields.append("certificate_arn")
    if managed_login_version is not None:
        _check_version(pool, managed_login_version)
        row.managed_login_version = managed_login_version
        fields.append("managed_login_version")
    row.save(update_fields=fields)
    return row


@transaction.atomic
def domain_delete(*, pool: UserPool, domain: str) -> None:
    domain_get(pool=pool, domain=domain, for_update=True).delete()
