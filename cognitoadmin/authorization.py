"""The one question every door asks before it acts: may this caller do this action on this resource?

Actions are named as IAM names them (`cognito-idp:AdminCreateUser`, `iam:CreateAccessKey`) and each
is declared once, with the Django permission an operator needs for it: the AWS operations declare
theirs where they are registered (`awsjson.operation`), other doors use those names. A resource is
an ARN, or `*` for calls that concern the whole account.

This module knows no app. The decision itself belongs to the app that keeps operators, their keys
and policies (identities), which registers its `Authorizer` at start-up; until one is registered
every question is answered no.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from rest_framework.permissions import BasePermission

from cognitoadmin.errors import AccessDeniedException
from cognitoadmin.ratelimits import client_ip

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.http import HttpRequest
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

# A resource that stands for the whole account (CreateUserPool, ListUserPools, ...).
ACCOUNT = "*"
# The "permission" of an action every signed-in caller may perform, whatever policies say
# (sts:GetCallerIdentity, as on AWS).
EVERY_CALLER = "every.caller"


@dataclass(frozen=True)
class Action:
    name: str
    # `<app label>.<codename>`, as `User.has_perm` takes it.
    permission: str


ACTIONS: dict[str, Action] = {}


def action_declare(name: str, *, permission: str) -> Action:
    """Declare `name` and the Django permission an operator needs to perform it (or
    `EVERY_CALLER`)."""
    service, _, operation = name.partition(":")
    app_label, _, codename = permission.partition(".")
    if not (service and operation and app_label and codename):
        raise ValueError(f"{name!r} needs an IAM name and {permission!r} an app.codename.")
    if name in ACTIONS:
        raise RuntimeError(f"{name} is declared twice.")
    ACTIONS[name] = Action(name=name, permission=permission)
    return ACTIONS[name]


@dataclass(frozen=True)
class Caller:
    """Who asks. `operator` is the Django user acting; `credential` the key or the temporary
    credentials they signed with, whose policy may narrow what they may do. `source_ip` and
    `secure_transport` are the request's, for policies' `aws:SourceIp` and `aws:SecureTransport`.
    """

    operator: AbstractBaseUser | AnonymousUser | None
    credential: Any = None
    source_ip: str | None = None
    secure_transport: bool | None = None
    # The region the call was signed for (`cognitoadmin.regions`); None when it names none.
    region: str | None = None


def request_caller(
    request: HttpRequest,
    *,
    operator: AbstractBaseUser | AnonymousUser | None,
    credential: Any = None,
    region: str | None = None,
) -> Caller:
    """The caller of `request`, with the request's own condition keys."""
    return Caller(
        operator=operator,
        credential=credential,
        source_ip=client_ip(request),
        secure_transport=request.is_secure(),
        region=region,
    )


class Authorizer(Protocol):
    def authorize(self, caller: Caller, *, action: Action, resource: str) -> None:
        """Return if allowed; raise AccessDeniedException otherwise."""


_authorizers: list[Authorizer] = []


def authorizer_register(authorizer: Authorizer) -> None:
    if _authorizers:
        raise RuntimeError("An authorizer is registered already.")
    _authorizers.append(authorizer)


def authorize(caller: Caller, *, action: str, resource: str) -> None:
    """Raise AccessDeniedException unless `caller` may perform `action` on `resource`."""
    declared = ACTIONS.get(action)
    if declared is None or not _authorizers:
        # A door that asks about an undeclared action is a bug; it must not become a way in.
        logger.error("No decision possible for %s (declared: %s)", action, declared is not None)
        raise AccessDeniedException(f"{action} is not an action this server authorizes.")
    _authorizers[0].authorize(caller, action=declared, resource=resource)


def is_authorized(caller: Caller, *, action: str, resource: str) -> bool:
    try:
        authorize(caller, action=action, resource=resource)
    except AccessDeniedException:
        return False
    return True


class IAMActionPermission(BasePermission):
    """DRF's door to `authorize`: each view declares, per view action, the IAM action it performs
    (`iam_actions = {"list": "cognito-idp:ListUsers", "groups": {"GET": ..., "POST": ...}}`) and
    the resource it acts on (`iam_resource()`). A view action without a declaration is refused.

    A refusal is DRF's own 403 (so the browsable API can ask about the forms it would offer),
    with the authorization's message; the API renders it as AccessDeniedException.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False  # DRF answers NotAuthenticated (401) with the challenge
        declared: Mapping[str, str | Mapping[str, str]] = getattr(view, "iam_actions", {})
        entry = declared.get(getattr(view, "action", None) or "")
        # HEAD is a GET without its body, as DRF's routers treat it.
        method = "GET" if request.method == "HEAD" else request.method or ""
        routed: Mapping[str, str] | None = getattr(view, "action_map", None)
        if routed is not None and method.lower() not in routed and method != "OPTIONS":
            return True  # a method the route does not serve: DRF answers 405, and runs nothing
        action = entry.get(method) if isinstance(entry, Mapping) else entry
        if action is None:
            self.message = f"{type(view).__name__} declares no action for {method} requests."
            return False
        resource: str = view.iam_resource() if hasattr(view, "iam_resource") else ACCOUNT
        caller = request_caller(request, operator=request.user, credential=request.auth)
        try:
            authorize(caller, action=action, resource=resource)
        except AccessDeniedException as refusal:
            self.message = refusal.message
            return False
        return True
