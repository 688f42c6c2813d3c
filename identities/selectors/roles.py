"""IAM roles, their inline and attached policies, and customer-managed policies, as IAM finds them.

Names are looked up without regard to case, as IAM's are. Lists come in keyset pages (creation
order) whose `Marker` is an opaque token bound to its list, so a marker of one role's list is no
marker of another's. Selectors check their arguments against botocore's `iam` model, so every door
gets IAM's validation messages.
"""

from __future__ import annotations

import re
from typing import TypeVar

from django.db.models import Count, Exists, Model, OuterRef, QuerySet

from cognitoadmin.awsmodel import model_validate
from cognitoadmin.errors import InvalidParameterException
from cognitoadmin.ids import account_id
from cognitoadmin.pagination import decode_token, encode_token
from identities.errors import InvalidInputException, NoSuchEntityException
from identities.models import ManagedPolicy, Role, RolePolicy
from pools.selectors.pages import keyset_page

_M = TypeVar("_M", bound=Model)

# A managed policy has one version, its default.
DEFAULT_VERSION_ID = "v1"
# IAM's page when MaxItems is not given.
DEFAULT_MAX_ITEMS = 100
MAX_ITEMS = 1000

# `arn:aws:iam::<account>:<kind><path><name>`; the path keeps its slashes (`/` or `/a/b/`).
_IAM_ARN = re.compile(
    r"arn:aws:iam::(?P<account>[^:]*):(?P<kind>role|policy)(?P<path>/(?:.*/)?)(?P<name>[^/]+)"
)


def _keyset_page(
    queryset: QuerySet[_M], *, max_items: int | None, marker: str | None, scope: str
) -> tuple[list[_M], str | None]:
    """One page in creation order and the next page's marker (None on the last page): the
    user pools' keyset pages, with IAM's names for the limit and the token."""
    return keyset_page(
        queryset, limit=max_items or DEFAULT_MAX_ITEMS, next_token=marker, scope=scope
    )


def _iam_arn(arn: str, *, kind: str) -> tuple[str, str] | None:
    """The path and name of one of this account's roles or policies named by `arn`, or None
    when the ARN names anything else (another account's, AWS's own, another kind)."""
    found = _IAM_ARN.fullmatch(arn)
    if found is None or found["kind"] != kind or found["account"] != account_id():
        return None
    return found["path"], found["name"]


# --- Roles ---------------------------------------------------------------------------------------


def role_get(*, name: str) -> Role:
    try:
        return Role.objects.get(name__iexact=name)
    except Role.DoesNotExist:
        raise NoSuchEntityException(f"The role with name {name} cannot be found.") from None


def role_get_by_arn(*, arn: str) -> Role:
    """The role an ARN names, path included (`arn:aws:iam::<account>:role/app/reader`)."""
    parts = _iam_arn(arn, kind="role")
    if parts is not None:
        path, name = parts
        role = Role.objects.filter(path=path, name__iexact=name).first()
        if role is not None:
            return role
    raise NoSuchEntityException(f"The role with ARN {arn} cannot be found.")


def roles_page(
    *, path_prefix: str | None = None, marker: str | None = None, max_items: int | None = None
) -> tuple[list[Role], str | None]:
    """ListRoles: without a prefix, every role."""
    model_validate(
        "ListRoles",
        {"PathPrefix": path_prefix, "Marker": marker, "MaxItems": max_items},
        service="iam",
    )
    roles = Role.objects.all()
    if path_prefix:
        roles = roles.filter(path__startswith=path_prefix)
    return _keyset_page(roles, max_items=max_items, marker=marker, scope=f"iam-roles:{path_prefix}")


def role_tags_page(
    *, role: Role, marker: str | None = None, max_items: int | None = None
) -> tuple[list[tuple[str, str]], str | None]:
    """ListRoleTags: `(key, value)` pairs sorted by key, as IAM sorts them."""
    model_validate(
        "ListRoleTags",
        {"RoleName": role.name, "Marker": marker, "MaxItems": max_items},
        service="iam",
    )
    return tags_page(
        role.tags, scope=f"iam-role-tags:{role.pk}", marker=marker, max_items=max_items
    )


def tags_page(
    tags: dict[str, str], *, scope: str, marker: str | None, max_items: int | None
) -> tuple[list[tuple[str, str]], str | None]:
    """A page of an IAM entity's `tags` as `(key, value)` pairs sorted by key, as IAM sorts
    them; `scope` binds the marker to the entity's list."""
    ordered = sorted(tags.items())
    start = 0
    if marker is not None:
        start = decode_token(marker, scope=scope).get("offset", -1)
        if not isinstance(start, int) or start < 0:
            raise InvalidParameterException("Invalid pagination token.")
    end = start + (max_items or DEFAULT_MAX_ITEMS)
    next_marker = encode_token({"offset": end}, scope=scope) if end < len(ordered) else None
    return ordered[start:end], next_marker


# --- Inline policies -----------------------------------------------------------------------------


def role_policy_get(*, role: Role, name: str) -> RolePolicy:
    try:
        return RolePolicy.objects.select_related("role").get(role=role, name=name)
    except RolePolicy.DoesNotExist:
        raise NoSuchEntityException(f"The role policy with name {name} cannot be found.") from None


def role_policies_page(
    *, role: Role, marker: str | None = None, max_items: int | None = None
) -> tuple[list[RolePolicy], str | None]:
    """ListRolePolicies: the role's inline policies (their names are what IAM lists)."""
    model_validate(
        "ListRolePolicies",
        {"RoleName": role.name, "Marker": marker, "MaxItems": max_items},
        service="iam",
    )
    return _keyset_page(
        RolePolicy.objects.filter(role=role).select_related("role"),
        max_items=max_items,
        marker=marker,
        scope=f"iam-role-policies:{role.pk}",
    )


# --- Managed policies ----------------------------------------------------------------------------


def _counted() -> QuerySet[ManagedPolicy]:
    # Each policy carries its attachment count, so a page of them costs one query.
    return ManagedPolicy.objects.annotate(attachment_count=Count("roles"))


def managed_policy_attachment_count(policy: ManagedPolicy) -> int:
    """How many roles `policy` is attached to: the selectors' annotation, else one query."""
    count = getattr(policy, "attachment_count", None)
    return (
        count if isinstance(count, int) else Role.objects.filter(attached_policies=policy).count()
    )


def managed_policy_get(*, name: str) -> ManagedPolicy:
    """A policy by name (names are unique in the account), for doors that name policies so."""
    try:
        return _counted().get(name__iexact=name)
    except ManagedPolicy.DoesNotExist:
        raise NoSuchEntityException(f"Policy {name} was not found.") from None


def managed_policy_get_by_arn(*, arn: str, attachable: bool = False) -> ManagedPolicy:
    """The policy an ARN names, path included. `attachable`: the lookup of AttachRolePolicy,
    which IAM answers "does not exist or is not attachable" rather than "was not found".

    An ARN that is no IAM policy ARN at all is invalid input, as IAM answers; another account's
    policy, or one of AWS's managed policies, does not exist here.
    """
    found = _IAM_ARN.fullmatch(arn)
    if found is None or found["kind"] != "policy":
        raise InvalidInputException(f"ARN {arn} is not valid.")
    parts = _iam_arn(arn, kind="policy")
    if parts is not None:
        path, name = parts
        policy = _counted().filter(path=path, name__iexact=name).first()
        if policy is not None:
            return policy
    if attachable:
        raise NoSuchEntityException(f"Policy {arn} does not exist or is not attachable.")
    raise NoSuchEntityException(f"Policy {arn} was not found.")


def managed_policy_version_get(*, arn: str, version_id: str) -> ManagedPolicy:
    """GetPolicyVersion: the policy, if `version_id` names its one version."""
    model_validate("GetPolicyVersion", {"PolicyArn": arn, "VersionId": version_id}, service="iam")
    policy = managed_policy_get_by_arn(arn=arn)
    if version_id != DEFAULT_VERSION_ID:
        raise NoSuchEntityException(
            f"Policy {arn} version {version_id} does not exist or is not attachable."
        )
    return policy


def managed_policies_page(
    *,
    scope: str | None = None,
    only_attached: bool = False,
    path_prefix: str | None = None,
    usage_filter: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> tuple[list[ManagedPolicy], str | None]:
    """ListPolicies. Every policy here is the account's own (`Local`): none is AWS's, and none
    sets a permissions boundary (this server has none)."""
    model_validate(
        "ListPolicies",
        {
            "Scope": scope,
            "OnlyAttached": only_attached,
            "PathPrefix": path_prefix,
            "PolicyUsageFilter": usage_filter,
            "Marker": marker,
            "MaxItems": max_items,
        },
        service="iam",
    )
    policies = _counted()
    if scope == "AWS" or usage_filter == "PermissionsBoundary":
        policies = policies.none()
    if only_attached:
        policies = policies.filter(Exists(Role.objects.filter(attached_policies=OuterRef("pk"))))
    if path_prefix:
        policies = policies.filter(path__startswith=path_prefix)
    return _keyset_page(
        policies,
        max_items=max_items,
        marker=marker,
        scope=f"iam-policies:{scope}:{only_attached}:{path_prefix}:{usage_filter}",
    )


def role_attached_policies_page(
    *,
    role: Role,
    path_prefix: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> tuple[list[ManagedPolicy], str | None]:
    """ListAttachedRolePolicies: the managed policies attached to `role`."""
    model_validate(
        "ListAttachedRolePolicies",
        {"RoleName": role.name, "PathPrefix": path_prefix, "Marker": marker, "MaxItems": max_items},
        service="iam",
    )
    policies = ManagedPolicy.objects.filter(roles=role)
    if path_prefix:
        policies = policies.filter(path__startswith=path_prefix)
    return _keyset_page(
        policies,
        max_items=max_items,
        marker=marker,
        scope=f"iam-attached-policies:{role.pk}:{path_prefix}",
    )
