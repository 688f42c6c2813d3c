"""Regions as namespaces, as on AWS: one server answers for every region, and a resource lives in
the region it was created in.

The region of a signed call is its SigV4 credential scope; the AWS doors hold it for the call
(`in_region`), so that `region()` names it when a pool is created and the lookups see only that
region's resources. An unsigned call has no region of its own: it names a client, a pool or an
identity that carries one, and the lookups leave it unchecked. Outside a call (the admin, the
management API, tasks) every region is visible and new resources go to COGNITOADMIN_REGION unless
the caller names another.

Pool ids (`us-east-1_Ab12`), identity pool and identity ids (`us-east-1:<uuid>`) begin with their
region, so the check costs no query.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

from cognitoadmin.errors import InvalidParameterException

REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")

_call_region: ContextVar[str | None] = ContextVar("cognitoadmin_call_region", default=None)


def default_region() -> str:
    value: str = settings.COGNITOADMIN_REGION
    return value


def region_served(name: str) -> bool:
    """Whether this server answers for region `name`: any AWS region name, or only those of
    COGNITOADMIN_REGIONS when that is set."""
    if not REGION_RE.fullmatch(name):
        return False
    allowed: list[str] = settings.COGNITOADMIN_REGIONS
    return not allowed or name in allowed


def call_region() -> str | None:
    """The region of the AWS call being served, if it was signed; else None."""
    return _call_region.get()


@contextmanager
def in_region(name: str | None) -> Iterator[None]:
    """Serve what runs inside as a call of region `name` (None: of no region)."""
    token = _call_region.set(name)
    try:
        yield
    finally:
        _call_region.reset(token)


def region_for_new(name: str | None = None) -> str:
    """The region a new resource is made in: `name` when the caller chose one (the admin, the
    management API), else the signed call's, else COGNITOADMIN_REGION."""
    if name is None:
        return _call_region.get() or default_region()
    return region_check(name)


def region_check(name: str) -> str:
    """`name`, if this server serves that region; InvalidParameterException otherwise."""
    if not REGION_RE.fullmatch(name):
        raise InvalidParameterException("Not an AWS region name (such as us-east-1).")
    if not region_served(name):
        raise InvalidParameterException(f"{name} is not a region this server serves.")
    return name


def resource_region(resource_id: str) -> str:
    """The region a pool id (`<region>_<id>`) or identity id (`<region>:<uuid>`) was made in."""
    head = re.match(r"[a-z0-9-]*", resource_id)
    return head.group(0) if head else ""


def region_visible(resource_id: str) -> bool:
    """Whether the call being served may see the resource `resource_id`: always outside a signed
    call; within one, only a resource of the call's region (another's is "not found", as AWS)."""
    current = _call_region.get()
    return current is None or resource_region(resource_id) == current
