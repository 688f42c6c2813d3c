"""Whether an operator may do what they ask: the decision behind `cognitoadmin.authorization`.

Django's permissions and groups decide for operators: each action names the model permission it
needs, and superusers hold them all. An access key may carry a policy that narrows what its
operator may do through that key (never widens it): the action must also be allowed by the policy,
and an explicit Deny there always wins. Only active staff members are operators, and an operator
who is not a superuser acts on no other operator's IAM identity (their access keys).

Refusals are AWS's `AccessDeniedException`, with IAM's wording, on every door.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User

from cognitoadmin.authorization import Action, Caller
from cognitoadmin.errors import AccessDeniedException
from cognitoadmin.ids import account_id
from identities.models import AccessKey
from identities.services.policies import Decision, Policy, policy_evaluate, policy_parse

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


def _key_decision(credential: Any, *, action: str, resource: str) -> Decision:
    if not isinstance(credential, AccessKey) or credential.policy is None:
        return Decision.ALLOW
    policy = _policy(json.dumps(credential.policy, sort_keys=True))
    return policy_evaluate(policies=[policy], action=action, resource=resource)


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


class OperatorAuthorizer:
    """Registered with `cognitoadmin.authorization` by the identities app."""

    def authorize(self, caller: Caller, *, action: Action, resource: str) -> None:
        operator = caller.operator
        allowed = isinstance(operator, User) and _operator_allows(operator, action, resource)
        decision = _key_decision(caller.credential, action=action.name, resource=resource)
        if allowed and decision is Decision.ALLOW:
            return
        reason = (
            _DENIED
            if decision is Decision.EXPLICIT_DENY
            else _NOT_ALLOWED.format(action=action.name)
        )
        raise AccessDeniedException(
            f"User: {operator_arn(operator)} is not authorized to perform: {action.name} "
            f"on resource: {resource} {reason}"
        )
