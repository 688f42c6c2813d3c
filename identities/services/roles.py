"""IAM roles and customer-managed policies: what identity pools' credentials may do.

Every operation is IAM's (CreateRole, PutRolePolicy, AttachRolePolicy, ...), with IAM's rules and
messages, whichever door calls it. Policy documents are checked by the policy evaluator's parsers
(`policy_parse` for permissions, `trust_policy_parse` for who may assume a role) and stored as
their canonical documents, so what is stored is exactly what is evaluated; a malformed one is
refused before anything is written. IAM's default quotas apply (below); IAM raises some on request,
this server does not.

A change to a role locks the role's row first: two concurrent changes (two PutRolePolicy calls
near the size quota, an attach beside a DeleteRole) run one after the other, so each sees the
other's result. Names are unique without regard to case; two concurrent creates of one name meet
the database's constraint, and the loser is told the name exists.

For temporary credentials, `role_effective_policies` and `role_trust_policy` give a role's parsed
policies, parsed once per document text and process.
"""

from __future__ import annotations

import functools
import json
import string
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from cognitoadmin.authorization import action_declare
from cognitoadmin.awsmodel import model_validate
from cognitoadmin.errors import LimitExceededException
from cognitoadmin.ids import random_string
from identities.errors import (
    DeleteConflictException,
    EntityAlreadyExistsException,
    NoSuchEntityException,
)
from identities.models import ManagedPolicy, Role, RolePolicy
from identities.services.iam import Tags, tags_checked, tags_merged, tags_removed, unsupported
from identities.services.policies import Policy, TrustPolicy, policy_parse, trust_policy_parse

# IAM's default quotas.
MAX_ROLES = 1000  # RolesPerAccount
MAX_MANAGED_POLICIES = 1500  # CustomerManagedPoliciesPerAccount
MAX_ATTACHED_POLICIES = 10  # PoliciesPerRole
MAX_INLINE_POLICIES_CHARS = 10_240  # all of a role's inline policies together
MAX_MANAGED_POLICY_CHARS = 6_144  # PolicySize

DEFAULT_MAX_SESSION_DURATION = 3600

# Replacing a managed policy's document (`managed_policy_update`) is what IAM's
# CreatePolicyVersion with SetAsDefault does: that action's name guards it on the admin and the
# API, so a key policy that denies it denies this too.
UPDATE_POLICY = action_declare(
    "iam:CreatePolicyVersion", permission="identities.change_managedpolicy"
).name

_ID_ALPHABET = string.ascii_uppercase + string.digits

Document = str | Mapping[str, Any]


def _new_id(prefix: str) -> str:
    # IAM's unique ids: a prefix telling the kind (AROA a role, ANPA a managed policy) and 17
    # upper-case letters and digits.
    return prefix + random_string(_ID_ALPHABET, 17)


def _text(document: Document) -> str:
    """The document as the request text the `iam` model measures and checks."""
    return document if isinstance(document, str) else json.dumps(document)


def _size(document: Mapping[str, Any]) -> int:
    # IAM does not count white space against its policy size quotas.
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


def _role_locked(role: Role) -> Role:
    try:
        return Role.objects.select_for_update().get(pk=role.pk)
    except Role.DoesNotExist:
        # Deleted since the caller read it.
        raise NoSuchEntityException(f"The role with name {role.name} cannot be found.") from None


def _policy_locked(policy: ManagedPolicy) -> ManagedPolicy:
    try:
        return ManagedPolicy.objects.select_for_update().get(pk=policy.pk)
    except ManagedPolicy.DoesNotExist:
        raise NoSuchEntityException(f"Policy {policy.arn} was not found.") from None


# --- Roles ---------------------------------------------------------------------------------------


@transaction.atomic
def role_create(
    *,
    name: str,
    assume_role_policy_document: Document,
    path: str = "/",
    description: str = "",
    max_session_duration: int | None = None,
    tags: Tags = (),
    permissions_boundary: str | None = None,
    max_signin_session_duration: int | None = None,
) -> Role:
    """CreateRole. Permissions boundaries and sign-in session durations are refused: this
    server does not enforce them, and a role must not seem narrower than it is."""
    model_validate(
        "CreateRole",
        {
            "RoleName": name,
            "Path": path,
            "AssumeRolePolicyDocument": _text(assume_role_policy_document),
            "Description": description or None,
            "MaxSessionDuration": max_session_duration,
            "Tags": list(tags) or None,
            "PermissionsBoundary": permissions_boundary,
            "MaxSigninSessionDuration": max_signin_session_duration,
        },
        service="iam",
    )
    unsupported(
        PermissionsBoundary=permissions_boundary,
        MaxSigninSessionDuration=max_signin_session_duration,
    )
    trust = trust_policy_parse(document=assume_role_policy_document)
    checked_tags = tags_checked(tags)
    if Role.objects.filter(name__iexact=name).exists():
        raise EntityAlreadyExistsException(f"Role with name {name} already exists.")
    if Role.objects.count() >= MAX_ROLES:
        raise LimitExceededException(f"Cannot exceed quota for RolesPerAccount: {MAX_ROLES}.")
    try:
        with transaction.atomic():
            return Role.objects.create(
                role_id=_new_id("AROA"),
                name=name,
                path=path,
                description=description,
                assume_role_policy=trust.to_document(),
                max_session_duration=max_session_duration or DEFAULT_MAX_SESSION_DURATION,
                tags=checked_tags,
                created_at=timezone.now(),
            )
    except IntegrityError:
        # Created meanwhile by a concurrent call.
        raise EntityAlreadyExistsException(f"Role with name {name} already exists.") from None


@transaction.atomic
def role_update(
    *,
    role: Role,
    description: str | None = None,
    max_session_duration: int | None = None,
    assume_role_policy_document: Document | None = None,
    max_signin_session_duration: int | None = None,
) -> Role:
    """UpdateRole: a description not given stays; a session duration not given is IAM's
    default again (one hour), as IAM documents. The admin and the API change the trust policy
    in the same call (`assume_role_policy_document`), so a refusal of either changes neither."""
    model_validate(
        "UpdateRole",
        {
            "RoleName": role.name,
            "Description": description,
            "MaxSessionDuration": max_session_duration,
            "MaxSigninSessionDuration": max_signin_session_duration,
        },
        service="iam",
    )
    unsupported(MaxSigninSessionDuration=max_signin_session_duration)
    trust = None
    if assume_role_policy_document is not None:
        trust = _trust_checked(role, assume_role_policy_document)
    role = _role_locked(role)
    if description is not None:
        role.description = description
    role.max_session_duration = max_session_duration or DEFAULT_MAX_SESSION_DURATION
    fields = ["description", "max_session_duration"]
    if trust is not None:
        role.assume_role_policy = trust.to_document()
        fields.append("assume_role_policy")
    role.save(update_fields=fields)
    return role


def _trust_checked(role: Role, document: Document) -> TrustPolicy:
    model_validate(
        "UpdateAssumeRolePolicy",
        {"RoleName": role.name, "PolicyDocument": _text(document)},
        service="iam",
    )
    return trust_policy_parse(document=document)


@transaction.atomic
def role_update_assume_role_policy(*, role: Role, document: Document) -> Role:
    """UpdateAssumeRolePolicy: credentials already issued keep working until they expire."""
    trust = _trust_checked(role, document)
    role = _role_locked(role)
    role.assume_role_policy = trust.to_document()
    role.save(update_fields=["assume_role_policy"])
    return role


@transaction.atomic
def role_delete(*, role: Role) -> None:
    """DeleteRole, refused while the role has policies (IAM's order of checks). Identity pools
    name their roles by ARN: one that names this role finds it missing at its next credentials."""
    role = _role_locked(role)
    if role.attached_policies.exists():
        raise DeleteConflictException("Cannot delete entity, must detach all policies first.")
    if role.inline_policies.exists():
        raise DeleteConflictException("Cannot delete entity, must delete policies first.")
    role.delete()


@transaction.atomic
def role_tag(*, role: Role, tags: Tags) -> Role:
    """TagRole: a key the role has (in any case) gets the new tag."""
    model_validate("TagRole", {"RoleName": role.name, "Tags": list(tags)}, service="iam")
    new = tags_checked(tags)
    role = _role_locked(role)
    role.tags = tags_merged(role.tags, new, quota="TagsPerRole")
    role.save(update_fields=["tags"])
    return role


@transaction.atomic
def role_untag(*, role: Role, keys: Sequence[str]) -> Role:
    """UntagRole: keys match without regard to case; a key the role lacks is no error."""
    model_validate("UntagRole", {"RoleName": role.name, "TagKeys": list(keys)}, service="iam")
    role = _role_locked(role)
    role.tags = tags_removed(role.tags, keys)
    role.save(update_fields=["tags"])
    return role


# --- Inline policies -----------------------------------------------------------------------------


@transaction.atomic
def role_policy_put(*, role: Role, name: str, document: Document) -> RolePolicy:
    """PutRolePolicy: adds the inline policy, or replaces the one of that name."""
    model_validate(
        "PutRolePolicy",
        {"RoleName": role.name, "PolicyName": name, "PolicyDocument": _text(document)},
        service="iam",
    )
    canonical = policy_parse(document=document).to_document()
    role = _role_locked(role)
    others = RolePolicy.objects.filter(role=role).exclude(name=name)
    total = _size(canonical) + sum(
        _size(other) for other in others.values_list("document", flat=True)
    )
    if total > MAX_INLINE_POLICIES_CHARS:
        raise LimitExceededException(
            f"Maximum policy size of {MAX_INLINE_POLICIES_CHARS} bytes exceeded for role "
            f"{role.name}"
        )
    policy, _ = RolePolicy.objects.update_or_create(
        role=role, name=name, defaults={"document": canonical}
    )
    return policy


@transaction.atomic
def role_policy_delete(*, policy: RolePolicy) -> None:
    """DeleteRolePolicy."""
    _role_locked(policy.role)
    deleted, _ = RolePolicy.objects.filter(pk=policy.pk).delete()
    if not deleted:
        raise NoSuchEntityException(f"The role policy with name {policy.name} cannot be found.")


# --- Managed policies ----------------------------------------------------------------------------


def _managed_document(document: Document) -> dict[str, Any]:
    canonical = policy_parse(document=document).to_document()
    if _size(canonical) > MAX_MANAGED_POLICY_CHARS:
        raise LimitExceededException(
            f"Cannot exceed quota for PolicySize: {MAX_MANAGED_POLICY_CHARS}"
        )
    return canonical


@transaction.atomic
def managed_policy_create(
    *,
    name: str,
    document: Document,
    path: str = "/",
    description: str = "",
    tags: Tags = (),
) -> ManagedPolicy:
    """CreatePolicy: its one version, `v1`, is its default."""
    model_validate(
        "CreatePolicy",
        {
            "PolicyName": name,
            "Path": path,
            "PolicyDocument": _text(document),
            "Description": description or None,
            "Tags": list(tags) or None,
        },
        service="iam",
    )
    canonical = _managed_document(document)
    checked_tags = tags_checked(tags)
    exists = f"A policy called {name} already exists. Duplicate names are not allowed."
    if ManagedPolicy.objects.filter(name__iexact=name).exists():
        raise EntityAlreadyExistsException(exists)
    if ManagedPolicy.objects.count() >= MAX_MANAGED_POLICIES:
        raise LimitExceededException(
            f"Cannot exceed quota for CustomerManagedPoliciesPerAccount: {MAX_MANAGED_POLICIES}."
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            return ManagedPolicy.objects.create(
                policy_id=_new_id("ANPA"),
                name=name,
                path=path,
                description=description,
                document=canonical,
                tags=checked_tags,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        raise EntityAlreadyExistsException(exists) from None


@transaction.atomic
def managed_policy_update(
    *, policy: ManagedPolicy, description: str | None = None, document: Document | None = None
) -> ManagedPolicy:
    """A change the admin and the API offer and IAM does not: the policy keeps one version,
    `v1`, whose document is replaced, and takes effect on every role it is attached to at once.
    Members not given stay."""
    model_validate(
        "CreatePolicy",
        {
            "PolicyName": policy.name,
            "PolicyDocument": _text(document if document is not None else policy.document),
            "Description": description or None,
        },
        service="iam",
    )
    canonical = _managed_document(document) if document is not None else None
    policy = _policy_locked(policy)
    if description is not None:
        policy.description = description
    if canonical is not None:
        policy.document = canonical
    policy.updated_at = timezone.now()
    policy.save(update_fields=["description", "document", "updated_at"])
    return policy


@transaction.atomic
def managed_policy_delete(*, policy: ManagedPolicy) -> None:
    """DeletePolicy, refused while the policy is attached to a role."""
    policy = _policy_locked(policy)
    if Role.objects.filter(attached_policies=policy).exists():
        raise DeleteConflictException("Cannot delete a policy attached to entities.")
    policy.delete()


@transaction.atomic
def role_policy_attach(*, role: Role, policy: ManagedPolicy) -> None:
    """AttachRolePolicy; attaching an attached policy again changes nothing, as in IAM."""
    role = _role_locked(role)
    attached = role.attached_policies.all()
    if attached.filter(pk=policy.pk).exists():
        return
    if attached.count() >= MAX_ATTACHED_POLICIES:
        raise LimitExceededException(
            f"Cannot exceed quota for PoliciesPerRole: {MAX_ATTACHED_POLICIES}"
        )
    # Locked too, so a concurrent DeletePolicy either sees this attachment or has deleted it.
    role.attached_policies.add(_policy_locked(policy))


@transaction.atomic
def role_policy_detach(*, role: Role, policy: ManagedPolicy) -> None:
    """DetachRolePolicy: a policy the role does not have is not found."""
    role = _role_locked(role)
    if not role.attached_policies.filter(pk=policy.pk).exists():
        raise NoSuchEntityException(f"Policy {policy.arn} was not found.")
    role.attached_policies.remove(policy)


# --- What credentials of a role may do -----------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _policy(document: str) -> Policy:
    # Read again for every signed request of temporary credentials; parsed once per process.
    return policy_parse(document=document)


@functools.lru_cache(maxsize=256)
def _trust_policy(document: str) -> TrustPolicy:
    return trust_policy_parse(document=document)


def role_effective_policies(*, role: Role) -> list[Policy]:
    """The role's inline policies and the managed policies attached to it, parsed."""
    inline = RolePolicy.objects.filter(role=role).values_list("document", flat=True)
    attached = ManagedPolicy.objects.filter(roles=role).values_list("document", flat=True)
    return [_policy(json.dumps(document, sort_keys=True)) for document in [*inline, *attached]]


def role_trust_policy(*, role: Role) -> TrustPolicy:
    """Who may assume the role (its AssumeRolePolicyDocument), parsed."""
    return _trust_policy(json.dumps(role.assume_role_policy, sort_keys=True))
