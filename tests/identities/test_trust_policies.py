"""Role trust policies, as Cognito's console writes them for identity pools.

From "Role trust policies for Cognito identity pools" (Cognito Developer Guide, role trust and
permissions): the pool's id in `cognito-identity.amazonaws.com:aud`, and `authenticated` or
`unauthenticated` (or a provider such as `graph.facebook.com`) among the multi-valued `:amr`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from identities.errors import MalformedPolicyDocumentException
from identities.services.policies import (
    MAX_TRUST_DOCUMENT_CHARS,
    ContextValue,
    TrustPolicy,
    TrustStatement,
    policy_parse,
    trust_policy_allows,
    trust_policy_parse,
)

COGNITO = "cognito-identity.amazonaws.com"
AUD = f"{COGNITO}:aud"
AMR = f"{COGNITO}:amr"
POOL = "us-east-1:12345678-corner-cafe-123456790ab"
OTHER_POOL = "us-east-1:87654321-dead-beef-0000-123456790ab"
USER_POOL = "cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"


def console_trust_policy(amr: str, pool: str = POOL) -> dict[str, Any]:
    """The document Cognito's console writes for a pool's role (unauthenticated or not)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "",
                "Effect": "Allow",
                "Principal": {"Federated": COGNITO},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {AUD: pool},
                    "ForAnyValue:StringLike": {AMR: amr},
                },
            }
        ],
    }


def claims(aud: str | None = POOL, *amr: str) -> dict[str, ContextValue]:
    return {AUD: aud, AMR: list(amr), f"{COGNITO}:sub": "us-east-1:identity"}


AUTHENTICATED = ("authenticated", USER_POOL, f"{USER_POOL}:client:CognitoSignIn:sub-1")
UNAUTHENTICATED = ("unauthenticated",)


@pytest.mark.parametrize(
    ("role", "context", "allowed"),
    [
        ("unauthenticated", claims(POOL, *UNAUTHENTICATED), True),
        ("unauthenticated", claims(POOL, *AUTHENTICATED), False),
        ("unauthenticated", claims(OTHER_POOL, *UNAUTHENTICATED), False),
        ("authenticated", claims(POOL, *AUTHENTICATED), True),
        ("authenticated", claims(POOL, *UNAUTHENTICATED), False),
        ("authenticated", claims(OTHER_POOL, *AUTHENTICATED), False),
        ("authenticated", claims(POOL.upper(), *AUTHENTICATED), False),  # values are case-sensitive
        ("authenticated", claims(None, *AUTHENTICATED), False),  # no aud: StringEquals fails
        ("authenticated", claims(POOL), False),  # no amr: ForAnyValue over nothing is false
        ("authenticated", {AUD: POOL}, False),
        ("graph.facebook.com", claims(POOL, "authenticated", "graph.facebook.com"), True),
        ("graph.facebook.com", claims(POOL, *AUTHENTICATED), False),
        ("cognito-idp.*", claims(POOL, *AUTHENTICATED), True),
    ],
)
def test_console_trust_policies_admit_their_pool_and_kind_of_identity(
    role: str, context: dict[str, ContextValue], allowed: bool
) -> None:
    policy = trust_policy_parse(document=console_trust_policy(role))

    assert (
        trust_policy_allows(
            policy=policy,
            principal_federated=COGNITO,
            action="sts:AssumeRoleWithWebIdentity",
            context=context,
        )
        is allowed
    )


def test_only_the_named_principal_and_action_are_trusted() -> None:
    policy = trust_policy_parse(document=console_trust_policy("authenticated"))
    context = claims(POOL, *AUTHENTICATED)

    assert not trust_policy_allows(
        policy=policy, principal_federated="accounts.google.com", context=context
    )
    assert not trust_policy_allows(
        policy=policy, principal_federated=COGNITO, action="sts:AssumeRole", context=context
    )
    # Actions ignore case, as everywhere in IAM; AssumeRoleWithWebIdentity is the default.
    assert trust_policy_allows(
        policy=policy,
        principal_federated=COGNITO,
        action="STS:assumerolewithwebidentity",
        context=context,
    )
    assert trust_policy_allows(policy=policy, principal_federated=COGNITO, context=context)


def test_a_trust_policy_for_both_flows_with_tag_session() -> None:
    # What the console writes when principal tags are mapped: TagSession beside the assume.
    document = console_trust_policy("authenticated")
    document["Statement"][0]["Action"] = ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]
    policy = trust_policy_parse(document=document)
    context = claims(POOL, *AUTHENTICATED)

    for action in ("sts:AssumeRoleWithWebIdentity", "sts:TagSession"):
        assert trust_policy_allows(
            policy=policy, principal_federated=COGNITO, action=action, context=context
        )


def test_a_deny_in_a_trust_policy_wins() -> None:
    document = console_trust_policy("*")
    document["Statement"].append(
        {
            "Effect": "Deny",
            "Principal": {"Federated": COGNITO},
            "Action": "sts:*",
            "Condition": {"ForAnyValue:StringEquals": {AMR: "unauthenticated"}},
        }
    )
    policy = trust_policy_parse(document=document)

    assert trust_policy_allows(
        policy=policy, principal_federated=COGNITO, context=claims(POOL, *AUTHENTICATED)
    )
    assert not trust_policy_allows(
        policy=policy, principal_federated=COGNITO, context=claims(POOL, *UNAUTHENTICATED)
    )


@pytest.mark.parametrize(
    "principal", ["*", {"AWS": "*"}, {"Federated": ["accounts.google.com", COGNITO]}]
)
def test_principals_that_include_the_federated_one(principal: Any) -> None:
    policy = trust_policy_parse(
        document={
            "Statement": {
                "Effect": "Allow",
                "Principal": principal,
                "Action": "sts:AssumeRoleWithWebIdentity",
            }
        }
    )

    assert trust_policy_allows(policy=policy, principal_federated=COGNITO)


def test_principals_of_other_kinds_do_not_admit_a_web_identity() -> None:
    policy = trust_policy_parse(
        document={
            "Statement": {
                "Effect": "Allow",
                "Principal": {"Service": COGNITO, "AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRoleWithWebIdentity",
            }
        }
    )

    assert not trust_policy_allows(policy=policy, principal_federated=COGNITO)


def test_variables_work_in_trust_conditions() -> None:
    document = console_trust_policy("authenticated")
    document["Statement"][0]["Condition"]["StringLike"] = {f"{COGNITO}:sub": f"${{{AUD}}}*"}
    policy = trust_policy_parse(document=document)

    assert not trust_policy_allows(
        policy=policy, principal_federated=COGNITO, context=claims(POOL, *AUTHENTICATED)
    )
    assert trust_policy_allows(
        policy=policy,
        principal_federated=COGNITO,
        context={**claims(POOL, *AUTHENTICATED), f"{COGNITO}:sub": f"{POOL}-x"},
    )


def test_a_trust_policy_parses_back_from_its_canonical_document() -> None:
    policy = trust_policy_parse(document=json.dumps(console_trust_policy("authenticated")))
    canonical = policy.to_document()

    assert canonical == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "",
                "Effect": "Allow",
                "Principal": {"Federated": [COGNITO]},
                "Action": ["sts:AssumeRoleWithWebIdentity"],
                "Condition": {
                    "StringEquals": {AUD: [POOL]},
                    "ForAnyValue:StringLike": {AMR: ["authenticated"]},
                },
            }
        ],
    }
    assert trust_policy_parse(document=canonical) == policy
    assert isinstance(policy, TrustPolicy)
    anyone = {**canonical, "Statement": {**canonical["Statement"][0], "Principal": "*"}}
    assert trust_policy_parse(document=anyone) == (
        TrustPolicy(
            version="2012-10-17",
            statements=(
                TrustStatement(
                    sid="",
                    effect="Allow",
                    principal="*",
                    actions=("sts:AssumeRoleWithWebIdentity",),
                    conditions=policy.statements[0].conditions,
                ),
            ),
        )
    )


def test_an_identity_policy_still_refuses_a_principal() -> None:
    with pytest.raises(
        MalformedPolicyDocumentException, match="Principal is not allowed in an identity"
    ):
        policy_parse(document=console_trust_policy("authenticated"))


def statement(**elements: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": {"Federated": COGNITO},
        "Action": "sts:AssumeRoleWithWebIdentity",
        **elements,
    }


def without(key: str) -> dict[str, Any]:
    entry = statement()
    del entry[key]
    return {"Statement": entry}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (without("Principal"), "Statement has no Principal"),
        (without("Action"), "exactly one of Action and NotAction"),
        (without("Effect"), "Statement has no Effect"),
        ({"Statement": statement(Resource="*")}, "Resource is not allowed in a trust policy"),
        ({"Statement": statement(NotResource="*")}, "NotResource is not allowed in a trust policy"),
        ({"Statement": statement(NotPrincipal={"AWS": "*"})}, "NotPrincipal is not allowed"),
        ({"Statement": statement(Principal="cognito")}, 'Principal must be "\\*" or an object'),
        ({"Statement": statement(Principal={})}, "Principal must be"),
        ({"Statement": statement(Principal=None)}, "Principal must be .* not null"),
        ({"Statement": statement(Principal={"Web": COGNITO})}, 'unknown principal type "Web"'),
        (
            {"Statement": statement(Principal={"Federated": []})},
            "Federated must be a string or a non-empty list",
        ),
        (
            {"Statement": statement(Principal={"Federated": [""]})},
            r"Federated\[0\] must be a non-empty",
        ),
        ({"Statement": statement(Principal={"Federated": [1]})}, r"Federated\[0\] must be"),
        ({"Statement": statement(Principal={"Federated": ["x"] * 10**6})}, "longer than 4096"),
        ({"Statement": statement(Condition={})}, "Condition must be a non-empty object"),
        (
            {"Statement": statement(Condition={"ForAnyValue:StringLik": {AMR: "a"}})},
            "unknown condition operator",
        ),
        (
            {"Statement": statement(Condition={"StringEquals": {AUD: []}})},
            "must be a value or a non-empty list",
        ),
        ({"Statement": [statement(Sid="A"), statement(Sid="A")]}, "must be unique"),
        (
            {"Statement": statement(Sid="A", Extra=1)},
            r'Statement \(Sid "A"\): unknown statement element "Extra"',
        ),
        ({"Statement": statement(Action="sts:Assume Role")}, "is not"),
        (
            json.dumps({"Statement": statement(Sid="x" * MAX_TRUST_DOCUMENT_CHARS)}),
            "longer than 4096",
        ),
        ("[", "not valid JSON"),
    ],
)
def test_malformed_trust_policies_are_refused(source: Any, message: str) -> None:
    with pytest.raises(MalformedPolicyDocumentException, match=message):
        trust_policy_parse(document=source)


def test_a_trust_statement_needs_a_principal() -> None:
    with pytest.raises(ValueError, match="needs a principal"):
        TrustStatement(effect="Allow", principal=(), actions=("sts:*",))
