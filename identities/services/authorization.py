"""Whether an operator may do what they ask: the decision behind `cognitoadmin.authorization`.

Django's permissions and groups decide for operators: each action names the model permission it
needs, and superusers hold them all. An access key may carry a policy that narrows what its
operator may do through that key (never widens it): the action must also be allowed by the policy,
and an explicit Deny there always wins. Only active staff members are operators, and an operator
who is not a superuser acts on no other operator's IAM identity (their access keys).

Temporary credentials of an identity are no operator: their role's policies decide alone, with
the identity's condition keys (`cognito-identity.amazonaws.com:sub`, `:aud`, `:amr`), and deny by
default.

Refusals are AWS's `AccessDeniedException`, with IAM's wording, on every door.
"""

from __future__ import annotations

import functools
import json

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.utils import timezone

from cognitoadmin.authorization import EVERY_CALLER, Action, Caller
from cognitoadmin.errors import AccessDeniedException
from cognitoadmin.ids import account_id
from identities.errors import NoSuchEntityException
from identities.models import AccessKey
from identities.selectors.roles import role_get_by_arn
from identities.services.credentials import SessionCredentials
from identities.services.policies import Decision, Policy, policy_evaluate, policy_parse
from identities.services.roles import role_effective_policies

_NOT_ALLOWED = "because no identity-based policy allows the {action} action"
_DENIED = "with an explicit deny in an identity-based policy"


def operator_arn(operator: AbstractBaseUser | AnonymousUser | None) -> str:
    """The operator as IAM would name them: a user of this server's account."""
    name = operator.get_username() if operator is not None else ""
    return f"arn:aws:iam::{account_id()}:user/{name or 'anonymous'}"


@functools.lru_cache(maxsize=256)
def _policy(document: str) -> Policy:
    # Keys are read again for every request; their policies are parsed once per process.
    return policy_parse(document=document)


def _request_context(caller: Caller) -> dict[str, str | None]:
    """The global condition keys of a request, as IAM fills them."""
    now = timezone.now()
    secure = caller.secure_transport
    return {
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:SourceIp": caller.source_ip,
        "aws:SecureTransport": None if secure is None else str(secure).lower(),
    }


def _key_decision(caller: Caller, *, action: str, resource: str) -> Decision:
    credential = caller.credential
    if not isinstance(credential, AccessKey) or credential.policy is None:
        return Decision.ALLOW
    policy = _policy(json.dumps(credential.policy, sort_keys=True))
    operator = caller.operator
    context = {
        **_request_context(caller),
        "aws:username": operator.get_username() if operator is not None else None,
        "aws:userid": credential.access_key_id,
    }
    return policy_evaluate(policies=[policy], action=action, resource=resource, context=context)


def _operator_allows(operator: User, action: Action, resource: str) -> bool:
    if not (operator.is_active and operator.is_staff):
        return False
    if operator.is_superuser:
        return True
    if resource.startswith(f"arn:aws:iam::{account_id()}:user/") and resource != operator_arn(
        operator
    ):
        return False
    return operator.has_perm(action.permission)


def _session_decision(caller: Caller, *, action: str, resource: str) -> Decision:
    credentials: SessionCredentials = caller.credential
    try:
        role = role_get_by_arn(arn=credentials.role_arn)
    except NoSuchEntityException:
        return Decision.IMPLICIT_DENY  # a role deleted since: its credentials may do nothing
    context = {
        **_request_context(caller),
        "cognito-identity.amazonaws.com:sub": credentials.identity_id,
        "cognito-identity.amazonaws.com:aud": credentials.identity_pool_id,
        "cognito-identity.amazonaws.com:amr": credentials.amr,
        "aws:userid": f"{role.role_id}:{credentials.session_name}",
        **{f"aws:PrincipalTag/{key}": value for key, value in credentials.tags},
    }
    return policy_evaluate(
        policies=role_effective_policies(role=role),
        action=action,
        resource=resource,
        context=context,
    )


class OperatorAuthorizer:
    """Registered with `cognitoadmin.authorization` by the identities app."""

    def authorize(self, caller: Caller, *, action: Action, resource: str) -> None:
        if action.permission == EVERY_CALLER and _signed_in(caller):
            return
        if isinstance(caller.credential, SessionCredentials):
            # Temporary credentials: their role's policies alone decide, and deny by default.
            decision = _session_decision(caller, action=action.name, resource=resource)
            if decision is Decision.ALLOW:
                return
            raise AccessDeniedException(
                f"User: {caller.credential.assumed_role_arn} is not authorized to perform: "
                f"{action.name} on resource: {resource} {_reason(decision, action)}"
            )
        operator = caller.operator
        allowed = isinstance(operator, User) and _operator_allows(operator, action, resource)
        decision = _key_decision(caller, action=action.name, resource=resource)
        if allowed and decision is Decision.ALLOW:
            return
        raise AccessDeniedException(
            f"User: {operator_arn(operator)} is not authorized to perform: {action.name} "
            f"on resource: {resource} {_reason(decision, action)}"
        )


def _signed_in(caller: Caller) -> bool:
    if isinstance(caller.credential, SessionCredentials):
        return True  # the verifier let only live credentials through
    operator = caller.operator
    return isinstance(operator, User) and operator.is_active and operator.is_staff


def _reason(decision: Decision, action: Action) -> str:
    if decision is Decision.EXPLICIT_DENY:
        return _DENIED
    return _NOT_ALLOWED.format(action=action.name)
