from __future__ import annotations

import json
from typing import Any

import pytest

from identities.errors import MalformedPolicyDocumentException
from identities.services.policies import (
    MAX_DOCUMENT_CHARS,
    Decision,
    Policy,
    Statement,
    policy_evaluate,
    policy_parse,
)

POOL_ARN = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_AbCdEf123"
OTHER_POOL_ARN = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_Other9999"


def statement(**elements: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "cognito-idp:ListUsers", "Resource": "*", **elements}


def document(*statements: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements), **top}


def decide(*statements: dict[str, Any], action: str, resource: str = POOL_ARN) -> Decision:
    policy = policy_parse(document=document(*statements))
    return policy_evaluate(policies=[policy], action=action, resource=resource)


def test_allows_an_exact_action_on_an_exact_resource() -> None:
    allow = statement(Action="cognito-idp:ListUsers", Resource=POOL_ARN)

    assert decide(allow, action="cognito-idp:ListUsers") is Decision.ALLOW
    assert decide(allow, action="cognito-idp:ListGroups") is Decision.IMPLICIT_DENY
    assert decide(allow, action="cognito-idp:ListUsers", resource=OTHER_POOL_ARN) is (
        Decision.IMPLICIT_DENY
    )


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("cognito-idp:*", "cognito-idp:AdminDeleteUser", Decision.ALLOW),
        ("cognito-idp:*", "cognito-identity:GetId", Decision.IMPLICIT_DENY),
        ("cognito-idp:Admin*", "cognito-idp:AdminCreateUser", Decision.ALLOW),
        ("cognito-idp:Admin*", "cognito-idp:Admin", Decision.ALLOW),
        ("cognito-idp:Admin*", "cognito-idp:ListUsers", Decision.IMPLICIT_DENY),
        ("cognito-idp:List?sers", "cognito-idp:ListUsers", Decision.ALLOW),
        ("cognito-idp:List?sers", "cognito-idp:ListXsers", Decision.ALLOW),
        ("cognito-idp:List?sers", "cognito-idp:Listsers", Decision.IMPLICIT_DENY),
        ("cognito-idp:*User*", "cognito-idp:AdminGetUser", Decision.ALLOW),
        ("*", "cognito-idp:ListUsers", Decision.ALLOW),
        ("*", "sts:GetCallerIdentity", Decision.ALLOW),
    ],
)
def test_action_wildcards_match_as_iam_does(pattern: str, action: str, expected: Decision) -> None:
    assert decide(statement(Action=pattern), action=action) is expected


@pytest.mark.parametrize(
    ("pattern", "action"),
    [
        ("COGNITO-IDP:listusers", "cognito-idp:ListUsers"),
        ("cognito-idp:ListUsers", "Cognito-Idp:LISTUSERS"),
        ("COGNITO-IDP:list*", "cognito-idp:ListUsers"),
    ],
)
def test_action_matching_ignores_case(pattern: str, action: str) -> None:
    assert decide(statement(Action=pattern), action=action) is Decision.ALLOW


def test_action_case_folding_is_ascii_only() -> None:
    # "K" (Kelvin sign) folds to "k" under Unicode rules; an action name is never spelled with it.
    assert decide(statement(Action="s3:Kick"), action="s3:\u212aick") is Decision.IMPLICIT_DENY


def test_resource_matching_is_case_sensitive() -> None:
    allow = statement(Resource=POOL_ARN)

    assert decide(allow, action="cognito-idp:ListUsers", resource=POOL_ARN.lower()) is (
        Decision.IMPLICIT_DENY
    )
    assert decide(allow, action="cognito-idp:ListUsers", resource=POOL_ARN) is Decision.ALLOW


def test_resource_wildcard_covers_every_pool_in_the_region_and_nothing_else() -> None:
    allow = statement(Resource="arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_*")

    for arn in (POOL_ARN, OTHER_POOL_ARN):
        assert decide(allow, action="cognito-idp:ListUsers", resource=arn) is Decision.ALLOW
    for arn in (
        "arn:aws:cognito-idp:eu-west-1:000000000000:userpool/eu-west-1_AbCdEf123",
        "arn:aws:cognito-idp:us-east-1:111111111111:userpool/us-east-1_AbCdEf123",
    ):
        assert decide(allow, action="cognito-idp:ListUsers", resource=arn) is (
            Decision.IMPLICIT_DENY
        )


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("arn:aws:s3:::bucket-?", "arn:aws:s3:::bucket-a", Decision.ALLOW),
        ("arn:aws:s3:::bucket-?", "arn:aws:s3:::bucket-", Decision.IMPLICIT_DENY),
        ("arn:aws:s3:::bucket-?", "arn:aws:s3:::bucket-ab", Decision.IMPLICIT_DENY),
        ("arn:aws:s3:::b??", "arn:aws:s3:::b/:", Decision.ALLOW),
    ],
)
def test_question_mark_matches_exactly_one_character(
    pattern: str, resource: str, expected: Decision
) -> None:
    allow = statement(Resource=pattern)

    assert decide(allow, action="cognito-idp:ListUsers", resource=resource) is expected


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:s3:::",
        "arn:aws:s3:::a/b/c",
        "arn:aws:s3:::a:b:c",
        "arn:aws:s3:::multi\nline",
    ],
)
def test_star_matches_any_run_including_none_colons_and_slashes(resource: str) -> None:
    allow = statement(Resource="arn:aws:s3:::*")

    assert decide(allow, action="cognito-idp:ListUsers", resource=resource) is Decision.ALLOW


@pytest.mark.parametrize("special", [".", "+", "(", ")", "[", "]", "|", "\\", "^", "$", "{", "}"])
def test_regex_special_characters_in_a_pattern_are_literal(special: str) -> None:
    allow = statement(Resource=f"arn:aws:s3:::a{special}b*")

    assert (
        decide(allow, action="cognito-idp:ListUsers", resource=f"arn:aws:s3:::a{special}b-key")
        is Decision.ALLOW
    )
    for lookalike in ("arn:aws:s3:::axb-key", "arn:aws:s3:::ab-key", "arn:aws:s3:::aab-key"):
        assert decide(allow, action="cognito-idp:ListUsers", resource=lookalike) is (
            Decision.IMPLICIT_DENY
        )


def test_bracket_is_not_a_character_class() -> None:
    allow = statement(Action="s3:GetObject", Resource="arn:aws:s3:::[ab]")

    assert decide(allow, action="s3:GetObject", resource="arn:aws:s3:::a") is Decision.IMPLICIT_DENY
    assert decide(allow, action="s3:GetObject", resource="arn:aws:s3:::[ab]") is Decision.ALLOW


def test_not_action_allows_everything_except_the_listed_actions() -> None:
    allow = {
        "Effect": "Allow",
        "NotAction": ["cognito-idp:Delete*", "cognito-idp:Admin*"],
        "Resource": "*",
    }

    assert decide(allow, action="cognito-idp:ListUsers") is Decision.ALLOW
    assert decide(allow, action="cognito-identity:GetId") is Decision.ALLOW
    assert decide(allow, action="cognito-idp:DeleteUserPool") is Decision.IMPLICIT_DENY
    assert decide(allow, action="cognito-idp:adminDeleteUser") is Decision.IMPLICIT_DENY


def test_not_resource_allows_everything_except_the_listed_resources() -> None:
    allow = {"Effect": "Allow", "Action": "*", "NotResource": POOL_ARN}

    assert decide(allow, action="cognito-idp:ListUsers", resource=OTHER_POOL_ARN) is (
        Decision.ALLOW
    )
    assert decide(allow, action="cognito-idp:ListUsers", resource=POOL_ARN) is (
        Decision.IMPLICIT_DENY
    )


def test_deny_with_not_resource_confines_a_key_to_one_pool() -> None:
    allow_all = {"Effect": "Allow", "Action": "cognito-idp:*", "Resource": "*"}
    deny_elsewhere = {"Effect": "Deny", "Action": "*", "NotResource": POOL_ARN}

    assert decide(allow_all, deny_elsewhere, action="cognito-idp:AdminGetUser") is Decision.ALLOW
    assert (
        decide(
            allow_all, deny_elsewhere, action="cognito-idp:AdminGetUser", resource=OTHER_POOL_ARN
        )
        is Decision.EXPLICIT_DENY
    )


def test_explicit_deny_beats_allow_in_the_same_policy() -> None:
    allow = statement(Action="cognito-idp:*")
    deny = statement(Effect="Deny", Action="cognito-idp:AdminDelete*")

    assert decide(allow, deny, action="cognito-idp:AdminDeleteUser") is Decision.EXPLICIT_DENY
    assert decide(deny, allow, action="cognito-idp:AdminDeleteUser") is Decision.EXPLICIT_DENY
    assert decide(allow, deny, action="cognito-idp:AdminGetUser") is Decision.ALLOW


def test_explicit_deny_in_one_policy_beats_allow_in_another() -> None:
    allowing = policy_parse(document=document(statement(Action="*")))
    denying = policy_parse(document=document(statement(Effect="Deny", Action="cognito-idp:List*")))

    for policies in ([allowing, denying], [denying, allowing]):
        assert (
            policy_evaluate(policies=policies, action="cognito-idp:ListUsers", resource=POOL_ARN)
            is Decision.EXPLICIT_DENY
        )
    assert (
        policy_evaluate(
            policies=[allowing, denying], action="cognito-idp:GetUser", resource=POOL_ARN
        )
        is Decision.ALLOW
    )


def test_a_deny_that_does_not_match_denies_nothing() -> None:
    assert decide(statement(Effect="Deny"), action="cognito-idp:ListUsers") is (
        Decision.EXPLICIT_DENY
    )
    assert decide(statement(Effect="Deny"), action="cognito-idp:ListGroups") is (
        Decision.IMPLICIT_DENY
    )


def test_no_matching_statement_is_an_implicit_deny() -> None:
    assert decide(statement(Action="cognito-idp:GetUser"), action="cognito-idp:ListUsers") is (
        Decision.IMPLICIT_DENY
    )


def test_no_policies_is_an_implicit_deny() -> None:
    decision = policy_evaluate(policies=[], action="cognito-idp:ListUsers", resource=POOL_ARN)

    assert decision is Decision.IMPLICIT_DENY


def test_a_single_statement_object_stands_for_a_list_of_one() -> None:
    single = policy_parse(document={"Version": "2012-10-17", "Statement": statement()})

    assert single == policy_parse(document=document(statement()))
    assert policy_evaluate(policies=[single], action="cognito-idp:ListUsers", resource="*") is (
        Decision.ALLOW
    )


def test_json_text_and_mapping_give_the_same_policy() -> None:
    mapping = document(statement(Sid="ReadOnly"))

    assert policy_parse(document=json.dumps(mapping, indent=4)) == policy_parse(document=mapping)


def test_parsed_policy_holds_what_the_document_says() -> None:
    policy = policy_parse(
        document={
            "Version": "2008-10-17",
            "Id": "key-policy",
            "Statement": [
                {"Sid": "Read", "Effect": "Allow", "Action": "cognito-idp:List*", "Resource": "*"},
                {"Effect": "Deny", "NotAction": ["cognito-idp:Get*"], "NotResource": [POOL_ARN]},
            ],
        }
    )

    assert policy == Policy(
        version="2008-10-17",
        id="key-policy",
        statements=(
            Statement(sid="Read", effect="Allow", actions=("cognito-idp:List*",), resources=("*",)),
            Statement(effect="Deny", not_actions=("cognito-idp:Get*",), not_resources=(POOL_ARN,)),
        ),
    )


@pytest.mark.parametrize(
    "source",
    [
        document(statement()),
        {"Statement": statement(Sid="")},
        {
            "Version": "2008-10-17",
            "Id": "Policy 1",
            "Statement": [
                statement(Sid="One", Action=["cognito-idp:List*", "cognito-idp:Get?ser"]),
                {"Effect": "Deny", "NotAction": "*", "NotResource": [POOL_ARN, OTHER_POOL_ARN]},
            ],
        },
    ],
)
def test_canonical_document_parses_back_to_an_equal_policy(source: dict[str, Any]) -> None:
    policy = policy_parse(document=source)
    canonical = policy.to_document()

    assert policy_parse(document=canonical) == policy
    assert policy_parse(document=json.dumps(canonical)) == policy
    assert policy_parse(document=canonical).to_document() == canonical


def test_canonical_document_uses_lists_and_keeps_an_absent_version_absent() -> None:
    policy = policy_parse(document={"Statement": statement(Sid="A")})

    assert policy.version is None
    assert policy.to_document() == {
        "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": ["cognito-idp:ListUsers"], "Resource": ["*"]}
        ]
    }


def test_a_statement_needs_exactly_one_of_each_pair() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Statement(effect="Allow", actions=("*",), not_actions=("*",), resources=("*",))
    with pytest.raises(ValueError, match="exactly one"):
        Statement(effect="Allow", actions=(), resources=("*",))


def test_json_text_up_to_the_size_limit_is_accepted_and_longer_is_refused() -> None:
    text = json.dumps(document(statement()))
    padded = text + " " * (MAX_DOCUMENT_CHARS - len(text))

    assert policy_parse(document=padded) == policy_parse(document=text)
    with pytest.raises(MalformedPolicyDocumentException, match="longer than 10240 characters"):
        policy_parse(document=padded + " ")


NESTED_LIST: Any = "cognito-idp:ListUsers"
NESTED_DICT: Any = "cognito-idp:ListUsers"
for _ in range(200):
    NESTED_LIST = [NESTED_LIST]
    NESTED_DICT = {"Action": NESTED_DICT}
SELF_REFERENCING: list[Any] = []
SELF_REFERENCING.append(SELF_REFERENCING)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        # the document itself
        ("[]", "must be a JSON object, not a list"),
        ('"policy"', "must be a JSON object"),
        ("null", "must be a JSON object, not null"),
        ("{", "not valid JSON"),
        ("{'Statement': []}", "not valid JSON"),
        ("", "not valid JSON"),
        ('{"Statement": {}, "Statement": {}}', 'repeats the key "Statement"'),
        (
            '{"Statement": {"Effect": "Deny", "Effect": "Allow", "Action": "*", "Resource": "*"}}',
            'repeats the key "Effect"',
        ),
        (document(statement(), Extra=1), 'Unknown policy element "Extra"'),
        (document(statement(), version="2012-10-17"), 'Unknown policy element "version"'),
        (document(statement(), Version="2012-10-18"), 'Version must be .* not "2012-10-18"'),
        (document(statement(), Version=20121017), "Version must be .* not a number"),
        (document(statement(), Version=None), "Version must be .* not null"),
        (document(statement(), Id=7), "Id must be a string, not a number"),
        ({"Version": "2012-10-17"}, "has no Statement"),
        (document(), "Statement must be an object or a list of 1 to 100"),
        (document(*[statement()] * 101), "list of 1 to 100"),
        (document(statement(), Statement="Allow"), 'Statement must be .* not "Allow"'),
        (document(statement(), Statement=None), "Statement must be .* not null"),
        (document(statement(), Statement=(statement(),)), "Statement must be .* not a tuple"),
        # a statement's shape
        ({"Statement": [statement(), "Allow"]}, r"Statement\[1\] must be an object"),
        ({"Statement": [[statement()]]}, r"Statement\[0\] must be an object, not a list"),
        (
            document(statement(Condition={"Bool": {"aws:SecureTransport": "yes"}})),
            r'Condition: Bool: aws:SecureTransport: "yes" is not "true" or "false"',
        ),
        (document(statement(Condition={})), "Condition must be a non-empty object"),
        (document(statement(Principal="*")), "Principal is not allowed"),
        (document(statement(NotPrincipal={"AWS": "*"})), "NotPrincipal is not allowed"),
        (document(statement(Sid="S1", Extra=1)), r'Statement\[0\] \(Sid "S1"\): unknown .*"Extra"'),
        (document(statement(effect="Allow")), 'unknown statement element "effect"'),
        (document(statement(Sid="has space")), "Sid must be a string of letters and digits"),
        (document(statement(Sid=1)), "Sid must be .* not a number"),
        (document(statement(Sid="A"), statement(Sid="A")), "Sid.* must be unique"),
        # Effect
        ({"Statement": {"Action": "*", "Resource": "*"}}, "Statement has no Effect"),
        (document(statement(Effect="allow")), 'Effect must be "Allow" or "Deny", not "allow"'),
        (document(statement(Effect="Allow ")), "Effect must be"),
        (document(statement(Effect=None)), "Effect must be .* not null"),
        (document(statement(Effect=True)), "Effect must be .* not a boolean"),
        (document(statement(Effect=["Allow"])), "Effect must be .* not a list"),
        # Action / NotAction
        (document(statement(NotAction="*")), "exactly one of Action and NotAction"),
        (
            {"Statement": {"Effect": "Allow", "Resource": "*"}},
            "exactly one of Action and NotAction",
        ),
        (document(statement(Action=[])), "Action must be a string or a non-empty list"),
        (document(statement(Action="")), "Action must be a non-empty string"),
        (document(statement(Action=[""])), r"Action\[0\] must be a non-empty string"),
        (document(statement(Action=1)), "Action must be .* not a number"),
        (document(statement(Action=None)), "Action must be .* not null"),
        (document(statement(Action={"a": "b"})), "Action must be .* not an object"),
        (document(statement(Action=("s3:Get",))), "Action must be .* not a tuple"),
        (document(statement(Action=["s3:Get", 1])), r"Action\[1\] must be .* not a number"),
        (document(statement(Action=["s3:Get", None])), r"Action\[1\] must be .* not null"),
        (document(statement(Action=NESTED_LIST)), r"Action\[0\] must be .* not a list"),
        (document(statement(Action=NESTED_DICT)), "Action must be .* not an object"),
        (document(statement(Action=SELF_REFERENCING)), r"Action\[0\] must be .* not a list"),
        (document(statement(Action="ListUsers")), r'"ListUsers" is not "\*" or "<service>'),
        (document(statement(Action="cognito-idp:")), "is not"),
        (document(statement(Action=":ListUsers")), "is not"),
        (document(statement(Action="cognito idp:ListUsers")), "is not"),
        (document(statement(Action="cognito-idp:List Users")), "is not"),
        (document(statement(Action="cognito-idp:List.Users")), "is not"),
        (document(statement(Action="cognito-idp:*:x")), "is not"),
        (document(statement(Action="cognito_idp:ListUsers")), "is not"),
        (document(statement(Action="cognito-*:ListUsers")), "is not"),
        (document(statement(Action="cognito-idp:ListUsers\n")), "is not"),
        (document(statement(Action="**")), "is not"),
        # Resource / NotResource
        (document(statement(NotResource="*")), "exactly one of Resource and NotResource"),
        (
            {"Statement": {"Effect": "Allow", "Action": "*"}},
            "exactly one of Resource and NotResource",
        ),
        (document(statement(Resource=[])), "Resource must be a string or a non-empty list"),
        (document(statement(Resource=False)), "Resource must be .* not a boolean"),
        (document(statement(Resource="userpool/us-east-1_x")), r'is not "\*" or an ARN'),
        (document(statement(Resource="ARN:aws:s3:::b")), "is not"),
        (document(statement(Resource=["*", "s3:::b"])), r"Resource\[1\]: \"s3:::b\" is not"),
        (
            document(statement(Resource="arn:aws:${aws:username}:::b")),
            "policy variable may stand only in the resource part",
        ),
        # an enormous mapping, refused by size before it is walked
        (document(statement(Action=["s3:GetObject"] * 10**6)), "longer than 10240"),
        (document(statement(Resource="arn:" + "x" * MAX_DOCUMENT_CHARS)), "longer than 10240"),
        (
            document(*[statement(Sid=f"S{n}", Resource="arn:" + "x" * 200) for n in range(60)]),
            "longer than 10240",
        ),
    ],
)
def test_malformed_documents_are_refused(source: Any, message: str) -> None:
    with pytest.raises(MalformedPolicyDocumentException, match=message) as caught:
        policy_parse(document=source)

    assert caught.value.aws_type == "MalformedPolicyDocument"


@pytest.mark.parametrize("nested", [NESTED_LIST, NESTED_DICT])
def test_deep_nesting_in_json_text_is_refused_cleanly(nested: Any) -> None:
    text = json.dumps(document(statement(Action=nested)))

    with pytest.raises(MalformedPolicyDocumentException, match="Action"):
        policy_parse(document=text)


def test_nesting_deeper_than_the_json_parser_can_go_is_refused_cleanly() -> None:
    text = '{"Statement": ' + "[" * 5000 + "]" * 5000 + "}"

    with pytest.raises(MalformedPolicyDocumentException, match="nested too deeply"):
        policy_parse(document=text)


def test_refusals_name_the_statement_by_index_and_sid() -> None:
    source = document(statement(Sid="First"), statement(Sid="Second", Action="bad"))

    with pytest.raises(MalformedPolicyDocumentException) as caught:
        policy_parse(document=source)

    assert caught.value.message.startswith('Statement[1] (Sid "Second"): Action: "bad" is not')


def test_policy_variables_are_literal_in_a_2008_policy() -> None:
    arn = "arn:aws:s3:::home/${aws:username}"
    policy = policy_parse(document=document(statement(Resource=arn), Version="2008-10-17"))

    assert policy_evaluate(policies=[policy], action="cognito-idp:ListUsers", resource=arn) is (
        Decision.ALLOW
    )


def test_many_wildcards_are_matched_without_exponential_backtracking() -> None:
    # A plain `.*a.*a...` regex would backtrack for hours here (the suite's timeout would fail).
    pattern = "arn:aws:s3:::" + "*a" * 40 + "*b"
    policy = policy_parse(document=document(statement(Resource=pattern)))
    resource = "arn:aws:s3:::" + "a" * 5000

    decision = policy_evaluate(policies=[policy], action="cognito-idp:ListUsers", resource=resource)

    assert decision is Decision.IMPLICIT_DENY
    assert (
        policy_evaluate(policies=[policy], action="cognito-idp:ListUsers", resource=resource + "b")
        is Decision.ALLOW
    )
