"""The pools' hosted-UI domains as this server serves them.

A prefix domain (CreateUserPoolDomain without CustomDomainConfig) lives where
`COGNITOADMIN_DOMAIN_URL` says, a template holding `{domain}` once: as the first label of its host
(`https://{domain}.auth.example.com`, Cognito's own form) or as the last segment of its path
(`http://127.0.0.1:8000/domain/{domain}`, the default, which needs no DNS). A custom domain is
its own host name, pointed at this server by the operator.

A request that arrives through a domain (`HostedDomainMiddleware`) is served only the hosted
pages and the OAuth 2.0 endpoints, for that domain's pool alone: another pool's app client or
token is unknown there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponseBase
from django.http.request import split_domain_port

from pools.models import Domain, UserPool
from pools.selectors.domains import domain_active_find
from pools.services.domains import PREFIX_PATTERN, domain_form, domain_is_ours

URLCONF = "pools.hosted.domain_urls"
_LABEL = PREFIX_PATTERN.strip("^$")


@dataclass(frozen=True)
class _Route:
    domain: Domain | None  # None: a name under the domain URL that no pool has
    path_prefix: str  # what the path form strips ("/domain/shop"), else ""


def _route(request: HttpRequest) -> _Route | None:
    form = domain_form()
    host = split_domain_port(request.get_host())[0]
    if form.host_suffix:
        prefix = host.removesuffix(form.host_suffix)
        if prefix != host and re.fullmatch(_LABEL, prefix):
            return _Route(domain=domain_active_find(domain=prefix, is_custom=False), path_prefix="")
    # A custom domain is any other name; the server's own names never are one, so their
    # requests (the AWS endpoint's among them) cost no lookup. A custom domain is its pool's
    # alone: the path form never routes on it.
    if not domain_is_ours(host) and "." in host and not re.fullmatch(r"[\d.]+", host):
        custom = domain_active_find(domain=host, is_custom=True)
        if custom is not None:
            return _Route(domain=custom, path_prefix="")
    if not form.host_suffix:
        match = re.match(rf"{re.escape(form.path_prefix)}({_LABEL})(?=/|$)", request.path_info)
        if match:
            return _Route(
                domain=domain_active_find(domain=match.group(1), is_custom=False),
                path_prefix=match.group(0),
            )
    return None


def request_domain(request: HttpRequest) -> Domain | None:
    """The domain a hosted request arrived through, or None at the server's own root."""
    domain: Domain | None = getattr(request, "hosted_domain", None)
    return domain


def request_pool(request: HttpRequest) -> UserPool | None:
    """The only pool a request through a domain may name; None at the root (any pool)."""
    domain = request_domain(request)
    return domain.pool if domain is not None else None


def request_base_path(request: HttpRequest) -> str:
    """What the hosted pages' own links start with: the path form's `/domain/<prefix>`, else
    nothing."""
    base: str = getattr(request, "hosted_base_path", "")
    return base


class HostedDomainMiddleware:
    """Serves a request that arrives through a pool's domain with the hosted URLconf, its path
    without the path form's prefix; an unknown name under the domain URL is a 404."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        route = _route(request)
        if route is None:
            return self.get_response(request)
        request.urlconf = URLCONF  # type: ignore[attr-defined]
        if route.domain is None:
            # Resolves nothing in the hosted URLconf, so Django's own 404 answers.
            request.path_info = "/-"
            return self.get_response(request)
        request.hosted_domain = route.domain  # type: ignore[attr-defined]
        if route.path_prefix:
            request.hosted_base_path = route.path_prefix  # type: ignore[attr-defined]
            request.path_info = request.path_info[len(route.path_prefix) :] or "/"
        return self.get_response(request)
