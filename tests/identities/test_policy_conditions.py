"""Conditions, policy variables and the request context, as IAM's documentation describes them.

The tables follow "IAM JSON policy elements: Condition operators", "Single-valued vs. multivalued
context keys" (the set operators) and "IAM policy elements: Variables and tags".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from identities.errors import MalformedPolicyDocumentException
from identities.services.policies import (
    Condition,
    ContextValue,
    Decision,
    Statement,
    policy_evaluate,
    policy_parse,
)

BUCKET = "arn:aws:s3:::bucket"
ALLOW = Decision.ALLOW
NO = Decision.IMPLICIT_DENY
DENY = Decision.EXPLICIT_DENY


def allow(condition: dict[str, Any] | None = None, **elements: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    if condition is not None:
        statement["Condition"] = condition
    return {**statement, **elements}


def decide(
    *statements: dict[str, Any],
    context: Mapping[str, ContextValue] | None = None,
    resource: str = BUCKET,
    action: str = "s3:GetObject",
    version: str = "2012-10-17",
) -> Decision:
    policy = policy_parse(document={"Version": version, "Statement": list(statements)})
    return policy_evaluate(
        policies=[policy], action=action, resource=resource, context=context or {}
    )


def holds(operator: str, key: str, values: Any, context: Mapping[str, ContextValue]) -> bool:
    return decide(allow({operator: {key: values}}), context=context) is ALLOW


# -- Every operator: match, no match, missing key, wrong type --------------------------------

OPERATOR_CASES = [
    # operator, policy value(s), request value, holds
    ("StringEquals", "alice", "alice", True),
    ("StringEquals", "alice", "Alice", False),
    ("StringEquals", ["bob", "alice"], "alice", True),
    ("StringEquals", "a*", "alice", False),  # no wildcards in StringEquals
    ("StringEquals", "", "", True),
    ("StringNotEquals", "alice", "bob", True),
    ("StringNotEquals", "alice", "alice", False),
    ("StringNotEquals", ["bob", "alice"], "alice", False),  # negated: none may match
    ("StringNotEquals", ["bob", "carol"], "alice", True),
    ("StringEqualsIgnoreCase", "ALICE", "alice", True),
    ("StringEqualsIgnoreCase", "ALICE", "alicia", False),
    ("StringNotEqualsIgnoreCase", "ALICE", "alice", False),
    ("StringNotEqualsIgnoreCase", "ALICE", "bob", True),
    ("StringLike", "home/*", "home/alice/notes", True),
    ("StringLike", "home/*", "Home/alice", False),  # case-sensitive
    ("StringLike", "t?.micro", "t2.micro", True),
    ("StringLike", "t?.micro", "t22.micro", False),
    ("StringLike", ["t1.*", "t2.*", "m3.*"], "m3.large", True),
    ("StringLike", "", "", True),
    ("StringNotLike", "home/*", "etc/passwd", True),
    ("StringNotLike", "home/*", "home/alice", False),
    ("NumericEquals", "10", "10", True),
    ("NumericEquals", "10", "10.0", True),
    ("NumericEquals", 10, "10", True),
    ("NumericEquals", "10", "11", False),
    ("NumericEquals", "1e2", "100", True),
    ("NumericNotEquals", "10", "11", True),
    ("NumericNotEquals", "10", "10", False),
    ("NumericLessThan", "10", "9", True),
    ("NumericLessThan", "10", "10", False),
    ("NumericLessThanEquals", "10", "10", True),
    ("NumericLessThanEquals", "10", "10.5", False),
    ("NumericGreaterThan", "10", "10.5", True),
    ("NumericGreaterThan", "10", "10", False),
    ("NumericGreaterThanEquals", "10", "10", True),
    ("NumericGreaterThanEquals", "-1.5", "-2", False),
    ("NumericLessThanEquals", ["1", "10"], "5", True),  # ORed: less than or equal to 10
    ("DateEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
    ("DateEquals", "2020-01-01T00:00:00Z", "2020-01-01T01:00:00+01:00", True),
    ("DateEquals", "2020-01-01", "2020-01-01T00:00:00Z", True),
    ("DateEquals", "2020-01", "2020-01-01T00:00:00", True),
    ("DateEquals", "2020-01-01T00:00:00Z", "1577836800", True),  # epoch seconds
    ("DateNotEquals", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z", True),
    ("DateNotEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", False),
    ("DateLessThan", "2020-01-01T00:00:00Z", "2019-12-31T23:59:59Z", True),
    ("DateLessThan", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", False),
    ("DateLessThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
    ("DateGreaterThan", "2020-01-01T00:00:01Z", "2020-06-01T12:00:00.250Z", True),
    ("DateGreaterThan", "2020-01-01T00:00:01Z", "2020-01-01T00:00:00.999Z", False),
    ("DateGreaterThanEquals", "1577836800", "2020-01-01T00:00:00Z", True),
    ("DateGreaterThanEquals", "2020-01-01T00:00:00Z", "1577836799", False),
    ("Bool", "true", "true", True),
    ("Bool", "true", "TRUE", True),
    ("Bool", True, "true", True),
    ("Bool", "false", "true", False),
    ("Bool", False, "false", True),
    ("BinaryEquals", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", True),
    ("BinaryEquals", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "QmluYXJ5VmFsdWU=", False),
    ("IpAddress", "203.0.113.0/24", "203.0.113.7", True),
    ("IpAddress", "203.0.113.0/24", "203.0.114.7", False),
    ("IpAddress", "203.0.113.7", "203.0.113.7", True),  # no prefix: /32
    ("IpAddress", "203.0.113.7", "203.0.113.8", False),
    ("IpAddress", ["203.0.113.0/24", "2001:DB8:1234:5678::/64"], "2001:db8:1234:5678::1", True),
    ("IpAddress", "2001:DB8:1234:5678::/64", "203.0.113.7", False),
    ("NotIpAddress", "203.0.113.0/24", "198.51.100.1", True),
    ("NotIpAddress", "203.0.113.0/24", "203.0.113.1", False),
    (
        "ArnEquals",
        "arn:aws:sns:us-east-1:123456789012:topic",
        "arn:aws:sns:us-east-1:123456789012:topic",
        True,
    ),
    ("ArnEquals", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:us-east-1:123456789012:topic", True),
    ("ArnLike", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:us-east-1:123456789012:topic", True),
    ("ArnLike", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:us-east-1:210987654321:topic", False),
    ("ArnLike", "arn:aws:sns:us-east-?:*:t", "arn:aws:sns:us-east-2:1:t", True),
    ("ArnLike", "arn:aws:sqs:*:*:queue", "arn:aws:SQS:us-east-1:1:queue", False),  # case-sensitive
    ("ArnLike", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a:b:c", True),
    ("ArnNotEquals", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:us-east-1:210987654321:t", True),
    ("ArnNotLike", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:us-east-1:123456789012:t", False),
    ("Null", "true", None, True),
    ("Null", "true", "2020-01-01T00:00:00Z", False),
    ("Null", "false", "2020-01-01T00:00:00Z", True),
    ("Null", False, None, False),
    ("Null", "false", "", True),  # present, if empty
]


@pytest.mark.parametrize(("operator", "values", "request_value", "expected"), OPERATOR_CASES)
def test_each_operator_matches_as_iam_documents(
    operator: str, values: Any, request_value: str | None, expected: bool
) -> None:
    assert holds(operator, "aws:Key", values, {"aws:Key": request_value}) is expected


def test_arn_like_matches_each_component_on_its_own_where_string_like_does_not() -> None:
    # IAM's own example: StringLike's first `*` crosses colons; ArnLike's stays in "region".
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    context: dict[str, ContextValue] = {"aws:SourceArn": value}

    assert holds("StringLike", "aws:SourceArn", pattern, context) is True
    assert holds("ArnLike", "aws:SourceArn", pattern, context) is False


POSITIVE = [
    ("StringEquals", "a"),
    ("StringEqualsIgnoreCase", "a"),
    ("StringLike", "*"),
    ("NumericEquals", "1"),
    ("NumericLessThan", "1"),
    ("NumericLessThanEquals", "1"),
    ("NumericGreaterThan", "1"),
    ("NumericGreaterThanEquals", "1"),
    ("DateEquals", "2020-01-01"),
    ("DateLessThan", "2020-01-01"),
    ("DateLessThanEquals", "2020-01-01"),
    ("DateGreaterThan", "2020-01-01"),
    ("DateGreaterThanEquals", "2020-01-01"),
    ("Bool", "true"),
    ("BinaryEquals", "QQ=="),
    ("IpAddress", "0.0.0.0/0"),
    ("ArnEquals", "arn:*:*:*:*:*"),
    ("ArnLike", "arn:*:*:*:*:*"),
]
NEGATED = [
    ("StringNotEquals", "a"),
    ("StringNotEqualsIgnoreCase", "a"),
    ("StringNotLike", "a"),
    ("NumericNotEquals", "1"),
    ("DateNotEquals", "2020-01-01"),
    ("NotIpAddress", "10.0.0.0/8"),
    ("ArnNotEquals", "arn:aws:s3:::a"),
    ("ArnNotLike", "arn:aws:s3:::a"),
]


@pytest.mark.parametrize(("operator", "value"), POSITIVE)
def test_a_missing_key_fails_an_operator_and_passes_its_if_exists_form(
    operator: str, value: str
) -> None:
    absent: list[dict[str, ContextValue]] = [{}, {"aws:Key": None}, {"aws:Key": []}, {"aws:x": "a"}]
    for context in absent:
        assert holds(operator, "aws:Key", value, context) is False
        assert holds(f"{operator}IfExists", "aws:Key", value, context) is True


@pytest.mark.parametrize(("operator", "value"), NEGATED)
def test_a_missing_key_passes_a_negated_operator(operator: str, value: str) -> None:
    # IAM: "If the policy condition requires that the key is not matched, such as StringNotLike
    # or ArnNotLike, and the right key is not present, the condition is true."
    assert holds(operator, "aws:Key", value, {}) is True
    assert holds(f"{operator}IfExists", "aws:Key", value, {}) is True


@pytest.mark.parametrize(
    ("operator", "value", "present"),
    [
        ("StringEqualsIfExists", "t2.micro", "t2.micro"),
        ("StringLikeIfExists", "t2.*", "t2.large"),
        ("NumericLessThanIfExists", "10", "3"),
        ("BoolIfExists", "true", "true"),
        ("IpAddressIfExists", "10.0.0.0/8", "10.1.2.3"),
        ("ArnLikeIfExists", "arn:aws:s3:::*", "arn:aws:s3:::b"),
        ("DateLessThanIfExists", "2030-01-01", "2020-01-01T00:00:00Z"),
    ],
)
def test_if_exists_checks_a_present_key_as_usual(operator: str, value: str, present: str) -> None:
    assert holds(operator, "aws:Key", value, {"aws:Key": present}) is True
    assert holds(operator, "aws:Key", value, {"aws:Key": "not-" + present}) is False


@pytest.mark.parametrize(
    ("operator", "value", "wrong"),
    [
        ("NumericEquals", "10", "ten"),
        ("NumericNotEquals", "10", "ten"),
        ("NumericLessThan", "10", ""),
        ("NumericGreaterThanEquals", "10", "0x10"),
        ("NumericLessThan", "10", "NaN"),
        ("DateLessThan", "2020-01-01", "yesterday"),
        ("DateNotEquals", "2020-01-01", "2020-13-01"),
        ("DateGreaterThan", "2020-01-01", "9" * 30),  # beyond any date
        ("Bool", "true", "yes"),
        ("Bool", "false", "0"),
        ("BinaryEquals", "QQ==", "not base64!"),
        ("IpAddress", "0.0.0.0/0", "localhost"),
        ("NotIpAddress", "10.0.0.0/8", "300.1.1.1"),
        ("ArnLike", "arn:*:*:*:*:*", "not-an-arn"),
        ("ArnNotLike", "arn:aws:s3:::a", "arn:aws:s3"),
    ],
)
def test_a_request_value_of_the_wrong_type_is_no_match(
    operator: str, value: str, wrong: str
) -> None:
    # Whatever the operator's negation: a value that is not a number does not "not equal" 10.
    assert holds(operator, "aws:Key", value, {"aws:Key": wrong}) is False
    assert holds(f"{operator}IfExists", "aws:Key", value, {"aws:Key": wrong}) is False


# -- Several keys, operators and values --------------------------------------------------------


def test_keys_and_operators_are_anded_and_values_ored() -> None:
    condition = {
        "StringEquals": {"aws:username": ["alice", "bob"], "aws:PrincipalType": "User"},
        "Bool": {"aws:SecureTransport": "true"},
    }
    base: dict[str, ContextValue] = {
        "aws:username": "bob",
        "aws:PrincipalType": "User",
        "aws:SecureTransport": "true",
    }

    assert decide(allow(condition), context=base) is ALLOW
    for key, value in [
        ("aws:username", "carol"),
        ("aws:PrincipalType", "AssumedRole"),
        ("aws:SecureTransport", "false"),
        ("aws:username", None),
    ]:
        assert decide(allow(condition), context={**base, key: value}) is NO, key


def test_condition_keys_ignore_case_and_values_do_not() -> None:
    condition = {"StringEquals": {"AWS:UserName": "Alice"}}

    assert decide(allow(condition), context={"aws:username": "Alice"}) is ALLOW
    assert decide(allow(condition), context={"Aws:Username": "Alice"}) is ALLOW
    assert decide(allow(condition), context={"aws:username": "alice"}) is NO


def test_a_context_naming_one_key_twice_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="twice"):
        decide(allow(), context={"aws:Key": "a", "AWS:KEY": "b"})


def test_existing_callers_without_a_context_see_every_key_absent() -> None:
    policy = policy_parse(document={"Statement": allow({"Null": {"aws:SourceIp": "true"}})})

    assert policy_evaluate(policies=[policy], action="s3:GetObject", resource=BUCKET) is ALLOW


# -- Set operators ---------------------------------------------------------------------------

ATTRIBUTES = ["PostDateTime", "Message", "Tags"]
SET_CASES = [
    # prefix+operator, policy values, request value(s), holds
    # IAM: ForAllValues is true "if there are no context keys in the request" or an empty set.
    ("ForAllValues:StringLike", ATTRIBUTES, None, True),
    ("ForAllValues:StringLike", ATTRIBUTES, [], True),
    ("ForAllValues:StringLike", ATTRIBUTES, "", True),
    ("ForAllValues:StringLike", ATTRIBUTES, ["PostDateTime", "Message"], True),
    ("ForAllValues:StringLike", ATTRIBUTES, ["PostDateTime", "UserName"], False),
    ("ForAllValues:StringLike", ATTRIBUTES, "Tags", True),
    ("ForAllValues:StringLike", ["Post*"], ["PostDateTime", "PostBody"], True),
    ("ForAllValues:StringEquals", ATTRIBUTES, [""], False),
    # ...and ForAnyValue false.
    ("ForAnyValue:StringLike", ["ID", "PostDateTime"], None, False),
    ("ForAnyValue:StringLike", ["ID", "PostDateTime"], [], False),
    ("ForAnyValue:StringLike", ["ID", "PostDateTime"], "", False),
    (
        "ForAnyValue:StringLike",
        ["ID", "PostDateTime"],
        ["UserName", "Message", "PostDateTime"],
        True,
    ),
    ("ForAnyValue:StringLike", ["ID", "PostDateTime"], ["UserName"], False),
    ("ForAnyValue:StringEquals", ["ID"], "ID", True),
    # Negated operators test each request value on its own.
    ("ForAllValues:StringNotEquals", ["ID", "UserName"], ["Message", "Tags"], True),
    ("ForAllValues:StringNotEquals", ["ID", "UserName"], ["Message", "ID"], False),
    ("ForAllValues:StringNotEquals", ["ID"], None, True),
    ("ForAnyValue:StringNotEquals", ["ID", "UserName"], ["ID", "Message"], True),
    ("ForAnyValue:StringNotEquals", ["ID", "UserName"], ["ID", "UserName"], False),
    ("ForAnyValue:StringNotEquals", ["ID"], None, False),
    # IfExists: an absent key passes either way.
    ("ForAnyValue:StringLikeIfExists", ["ID"], None, True),
    ("ForAllValues:StringLikeIfExists", ["ID"], ["ID", "X"], False),
    # Other kinds, and values of the wrong type.
    ("ForAnyValue:NumericLessThan", ["5"], ["10", "3"], True),
    ("ForAllValues:NumericLessThan", ["5"], ["10", "3"], False),
    ("ForAllValues:NumericLessThan", ["5"], ["3", "four"], False),
    ("ForAnyValue:IpAddress", ["10.0.0.0/8"], ["192.0.2.1", "10.0.0.1"], True),
    ("ForAllValues:ArnLike", ["arn:aws:iam::*:role/app-*"], ["arn:aws:iam::1:role/app-a"], True),
]


@pytest.mark.parametrize(("operator", "values", "request_value", "expected"), SET_CASES)
def test_set_operators_follow_iams_truth_table(
    operator: str, values: list[str], request_value: ContextValue, expected: bool
) -> None:
    context = {"dynamodb:requestedAttributes": request_value}

    assert holds(operator, "dynamodb:requestedAttributes", values, context) is expected


@pytest.mark.parametrize(
    ("operator", "values", "request_value", "expected"),
    [
        # Without a set operator a multi-valued key matches when any value does...
        ("StringEquals", ["a"], ["b", "a"], True),
        ("StringEquals", ["a"], ["b", "c"], False),
        # ...and a negated operator holds only when none does.
        ("StringNotEquals", ["a"], ["b", "a"], False),
        ("StringNotEquals", ["a"], ["b", "c"], True),
        ("NumericNotEquals", ["1"], ["2", "x"], False),
    ],
)
def test_a_multi_valued_key_under_a_plain_operator(
    operator: str, values: list[str], request_value: ContextValue, expected: bool
) -> None:
    assert holds(operator, "aws:TagKeys", values, {"aws:TagKeys": request_value}) is expected


def test_iams_dynamodb_examples_allow_only_listed_attributes_and_deny_listed_updates() -> None:
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/Thread"
    read = allow(
        {"ForAllValues:StringLike": {"dynamodb:requestedAttributes": ATTRIBUTES}},
        Action="dynamodb:GetItem",
        Resource=table,
    )
    forbid = {
        "Effect": "Deny",
        "Action": "dynamodb:PutItem",
        "Resource": table,
        "Condition": {
            "ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID", "PostDateTime"]}
        },
    }
    write = allow(Action="dynamodb:PutItem", Resource=table)

    def attributes(*names: str) -> dict[str, ContextValue]:
        return {"dynamodb:requestedAttributes": list(names)}

    get = {"action": "dynamodb:GetItem", "resource": table}
    put = {"action": "dynamodb:PutItem", "resource": table}
    assert decide(read, context=attributes("PostDateTime", "Message"), **get) is ALLOW
    assert decide(read, context=attributes("PostDateTime", "UserName"), **get) is NO
    assert (
        decide(write, forbid, context=attributes("UserName", "Message", "PostDateTime"), **put)
        is DENY
    )
    assert decide(write, forbid, context=attributes("UserName"), **put) is ALLOW


# -- Deny with conditions ------------------------------------------------------------------------


def test_a_deny_whose_condition_matches_wins_over_an_allow() -> None:
    # IAM's BooleanExample: deny every S3 action unless the request came over TLS.
    deny = {
        "Sid": "BooleanExample",
        "Effect": "Deny",
        "Action": "s3:*",
        "Resource": [BUCKET, f"{BUCKET}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }

    assert decide(allow(), deny, context={"aws:SecureTransport": "false"}) is DENY
    assert decide(deny, allow(), context={"aws:SecureTransport": "false"}) is DENY
    assert decide(allow(), deny, context={"aws:SecureTransport": "true"}) is ALLOW
    assert decide(deny, context={"aws:SecureTransport": "false"}) is DENY
    assert decide(deny, context={"aws:SecureTransport": "true"}) is NO


def test_a_deny_outside_an_ip_range_confines_access_and_denies_when_the_key_is_absent() -> None:
    deny = {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}},
    }

    assert decide(allow(), deny, context={"aws:SourceIp": "203.0.113.9"}) is ALLOW
    assert decide(allow(), deny, context={"aws:SourceIp": "198.51.100.1"}) is DENY
    assert decide(allow(), deny, context={}) is DENY


def test_a_deny_with_a_negated_if_exists_operator_still_denies_when_the_key_is_missing() -> None:
    # IAM: "If you are using an "Effect": "Deny" element with a negated condition operator like
    # StringNotEqualsIfExists, the request is still denied even if the tag is missing."
    deny = {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalTag/team": "blue"}},
    }

    assert decide(allow(), deny, context={}) is DENY
    assert decide(allow(), deny, context={"aws:PrincipalTag/team": "red"}) is DENY
    assert decide(allow(), deny, context={"aws:PrincipalTag/team": "blue"}) is ALLOW


def test_null_tells_long_term_from_temporary_credentials() -> None:
    only_long_term = allow({"Null": {"aws:TokenIssueTime": "true"}}, Action="ec2:*")

    assert decide(only_long_term, action="ec2:RunInstances") is ALLOW
    assert (
        decide(
            only_long_term,
            action="ec2:RunInstances",
            context={"aws:TokenIssueTime": "2024-05-01T10:00:00Z"},
        )
        is NO
    )


# -- Policy variables ----------------------------------------------------------------------------

SUB = "cognito-identity.amazonaws.com:sub"
AUD = "cognito-identity.amazonaws.com:aud"
IDENTITY = "us-east-1:11111111-2222-3333-4444-555555555555"


@pytest.mark.parametrize(
    ("pattern", "context", "resource", "expected"),
    [
        (
            "arn:aws:s3:::bucket/${aws:username}/*",
            {"aws:username": "alice"},
            "arn:aws:s3:::bucket/alice/a",
            ALLOW,
        ),
        (
            "arn:aws:s3:::bucket/${aws:username}/*",
            {"aws:username": "alice"},
            "arn:aws:s3:::bucket/bob/a",
            NO,
        ),
        ("arn:aws:s3:::bucket/${aws:username}/*", {}, "arn:aws:s3:::bucket/${aws:username}/a", NO),
        (
            "arn:aws:s3:::bucket/${AWS:UserName}",
            {"aws:username": "alice"},
            "arn:aws:s3:::bucket/alice",
            ALLOW,
        ),
        (
            "arn:aws:s3:::bucket/${aws:userid}",
            {"aws:userid": "AIDAEXAMPLE"},
            "arn:aws:s3:::bucket/AIDAEXAMPLE",
            ALLOW,
        ),
        (
            f"arn:aws:s3:::bucket/${{{SUB}}}/*",
            {SUB: IDENTITY},
            f"arn:aws:s3:::bucket/{IDENTITY}/x",
            ALLOW,
        ),
        (f"arn:aws:s3:::bucket/${{{SUB}}}/*", {SUB: IDENTITY}, "arn:aws:s3:::bucket/other/x", NO),
        (
            f"arn:aws:s3:::bucket/${{{AUD}}}",
            {AUD: "us-east-1:pool"},
            "arn:aws:s3:::bucket/us-east-1:pool",
            ALLOW,
        ),
        (
            "arn:aws:s3:::bucket/${aws:PrincipalTag/team}",
            {"aws:principaltag/team": "blue"},
            "arn:aws:s3:::bucket/blue",
            ALLOW,
        ),
        # Defaults, with the spaces IAM ignores and a quote doubled inside.
        (
            "arn:aws:s3:::bucket/${aws:userid, 'anonymous'}",
            {},
            "arn:aws:s3:::bucket/anonymous",
            ALLOW,
        ),
        (
            "arn:aws:s3:::bucket/${aws:userid, 'anonymous'}",
            {"aws:userid": "AID1"},
            "arn:aws:s3:::bucket/AID1",
            ALLOW,
        ),
        (
            "arn:aws:s3:::bucket/${aws:userid, 'anonymous'}",
            {"aws:userid": "AID1"},
            "arn:aws:s3:::bucket/anonymous",
            NO,
        ),
        ("arn:aws:s3:::bucket/${ aws:userid ,  'it''s' }", {}, "arn:aws:s3:::bucket/it's", ALLOW),
        ("arn:aws:s3:::bucket/${aws:userid, ''}x", {}, "arn:aws:s3:::bucket/x", ALLOW),
        # A multi-valued key cannot be a variable: it resolves like an absent one.
        ("arn:aws:s3:::bucket/${aws:TagKeys}", {"aws:TagKeys": ["a"]}, "arn:aws:s3:::bucket/a", NO),
        (
            "arn:aws:s3:::bucket/${aws:TagKeys, 'none'}",
            {"aws:TagKeys": ["a"]},
            "arn:aws:s3:::bucket/none",
            ALLOW,
        ),
        # A substituted value is literal text: its `*` is no wildcard.
        (
            "arn:aws:s3:::bucket/${aws:username}",
            {"aws:username": "*"},
            "arn:aws:s3:::bucket/alice",
            NO,
        ),
        (
            "arn:aws:s3:::bucket/${aws:username}",
            {"aws:username": "*"},
            "arn:aws:s3:::bucket/*",
            ALLOW,
        ),
        (
            "arn:aws:s3:::bucket/${aws:username}",
            {"aws:username": "a?c"},
            "arn:aws:s3:::bucket/abc",
            NO,
        ),
        ("arn:aws:s3:::bucket/${aws:userid, '*'}", {}, "arn:aws:s3:::bucket/abc", NO),
        # Escapes: a literal `*`, `?` and `$`.
        ("arn:aws:s3:::bucket/${*}", {}, "arn:aws:s3:::bucket/*", ALLOW),
        ("arn:aws:s3:::bucket/${*}", {}, "arn:aws:s3:::bucket/anything", NO),
        ("arn:aws:s3:::bucket/what${?}", {}, "arn:aws:s3:::bucket/what?", ALLOW),
        ("arn:aws:s3:::bucket/what${?}", {}, "arn:aws:s3:::bucket/whats", NO),
        (
            "arn:aws:s3:::bucket/${$}{aws:username}",
            {"aws:username": "a"},
            "arn:aws:s3:::bucket/${aws:username}",
            ALLOW,
        ),
        ("arn:aws:s3:::bucket/${$}5*", {}, "arn:aws:s3:::bucket/$5 off", ALLOW),
        # Only one round of substitution: a value that looks like a variable stays as it is.
        (
            "arn:aws:s3:::bucket/${aws:username}",
            {"aws:username": "${aws:userid}", "aws:userid": "x"},
            "arn:aws:s3:::bucket/${aws:userid}",
            ALLOW,
        ),
        # Wildcards still work around a variable.
        ("arn:aws:s3:::*/${aws:username}?", {"aws:username": "al"}, "arn:aws:s3:::any/al1", ALLOW),
    ],
)
def test_policy_variables_in_resource(
    pattern: str, context: dict[str, ContextValue], resource: str, expected: Decision
) -> None:
    assert decide(allow(Resource=pattern), context=context, resource=resource) is expected


def test_an_unresolved_variable_makes_the_statement_not_match_even_under_not_resource() -> None:
    deny = {"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:s3:::home/${aws:username}"}

    assert decide(allow(), deny, context={"aws:username": "a"}, resource="arn:aws:s3:::x") is DENY
    assert decide(allow(), deny, context={}, resource="arn:aws:s3:::x") is ALLOW


def test_an_unresolved_variable_in_a_negated_condition_does_not_match_either() -> None:
    deny = {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"s3:prefix": "home/${aws:username}"}},
    }

    assert decide(allow(), deny, context={"aws:username": "a", "s3:prefix": "x"}) is DENY
    assert decide(allow(), deny, context={"s3:prefix": "x"}) is ALLOW


@pytest.mark.parametrize(
    ("operator", "value", "context", "expected"),
    [
        (
            "StringLike",
            "home/${aws:username}/*",
            {"aws:username": "alice", "aws:Key": "home/alice/x"},
            True,
        ),
        (
            "StringLike",
            "home/${aws:username}/*",
            {"aws:username": "alice", "aws:Key": "home/bob/x"},
            False,
        ),
        ("StringLike", "home/${aws:username}/*", {"aws:Key": "home/alice/x"}, False),
        ("StringEquals", "${aws:username}", {"aws:username": "alice", "aws:Key": "alice"}, True),
        ("StringEquals", "${aws:username, 'guest'}", {"aws:Key": "guest"}, True),
        (
            "StringEqualsIgnoreCase",
            "${aws:username}",
            {"aws:username": "Alice", "aws:Key": "ALICE"},
            True,
        ),
        ("StringNotEquals", "${aws:username}", {"aws:username": "alice", "aws:Key": "bob"}, True),
        ("StringNotLike", "${aws:username}*", {"aws:username": "al", "aws:Key": "alice"}, False),
        ("StringEquals", "${*}", {"aws:Key": "*"}, True),
        ("StringLike", "${*}", {"aws:Key": "x"}, False),
        ("StringLike", "a${?}", {"aws:Key": "a?"}, True),
        (
            "ArnLike",
            "arn:aws:s3:::${aws:username}/*",
            {"aws:username": "b", "aws:Key": "arn:aws:s3:::b/k"},
            True,
        ),
        (
            "ArnEquals",
            "arn:aws:iam::${aws:account}:role/x",
            {"aws:account": "1", "aws:Key": "arn:aws:iam::1:role/x"},
            True,
        ),
        (
            "ArnLike",
            "arn:aws:iam::${aws:account}:role/x",
            {"aws:account": "1:2", "aws:Key": "arn:aws:iam::1:role/x"},
            False,
        ),
        ("Bool", "${aws:flag}", {"aws:flag": "true", "aws:Key": "true"}, True),
        ("Bool", "${aws:flag}", {"aws:flag": "maybe", "aws:Key": "true"}, False),
        ("StringEquals", f"${{{AUD}}}", {AUD: "pool-1", "aws:Key": "pool-1"}, True),
    ],
)
def test_policy_variables_in_condition_values(
    operator: str, value: str, context: dict[str, ContextValue], expected: bool
) -> None:
    assert holds(operator, "aws:Key", value, context) is expected


def test_a_2008_policy_matches_variables_literally_in_conditions_too() -> None:
    condition = {"StringEquals": {"s3:prefix": "home/${aws:username}"}}
    literal = {"s3:prefix": "home/${aws:username}", "aws:username": "alice"}

    assert decide(allow(condition), context=literal, version="2008-10-17") is ALLOW
    assert decide(allow(condition), context=literal) is NO
    assert decide(allow(condition), context={**literal, "s3:prefix": "home/alice"}) is ALLOW


def test_iams_home_directory_example() -> None:
    statements = [
        allow(Action=["s3:ListAllMyBuckets", "s3:GetBucketLocation"], Resource="arn:aws:s3:::*"),
        allow(
            {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}},
            Action="s3:ListBucket",
            Resource="arn:aws:s3:::BUCKET-NAME",
        ),
        allow(
            Action="s3:*",
            Resource=[
                "arn:aws:s3:::BUCKET-NAME/home/${aws:username}",
                "arn:aws:s3:::BUCKET-NAME/home/${aws:username}/*",
            ],
        ),
    ]
    david = {"aws:username": "David"}

    def as_david(action: str, resource: str, **context: str) -> Decision:
        return decide(*statements, action=action, resource=resource, context={**david, **context})

    assert as_david("s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", **{"s3:prefix": "home/"}) is ALLOW
    assert (
        as_david("s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", **{"s3:prefix": "home/David/"})
        is ALLOW
    )
    assert (
        as_david("s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", **{"s3:prefix": "home/Adele/"}) is NO
    )
    assert as_david("s3:GetObject", "arn:aws:s3:::BUCKET-NAME/home/David/cv.pdf") is ALLOW
    assert as_david("s3:GetObject", "arn:aws:s3:::BUCKET-NAME/home/Adele/cv.pdf") is NO


def test_a_cognito_identity_reaches_only_its_own_prefix() -> None:
    # The shape of AWS's "Amazon S3: Allows Amazon Cognito users to access objects in their bucket".
    statements = [
        allow(
            {"StringLike": {"s3:prefix": [f"${{{SUB}}}/*"]}},
            Action="s3:ListBucket",
            Resource="arn:aws:s3:::app-data",
        ),
        allow(
            Action=["s3:GetObject", "s3:PutObject"], Resource=f"arn:aws:s3:::app-data/${{{SUB}}}/*"
        ),
    ]
    mine = {SUB: IDENTITY, "cognito-identity.amazonaws.com:amr": ["authenticated"]}

    assert (
        decide(*statements, context=mine, resource=f"arn:aws:s3:::app-data/{IDENTITY}/a") is ALLOW
    )
    assert decide(*statements, context=mine, resource="arn:aws:s3:::app-data/us-east-1:x/a") is NO
    assert decide(*statements, context={}, resource=f"arn:aws:s3:::app-data/{IDENTITY}/a") is NO
    assert (
        decide(
            *statements,
            action="s3:ListBucket",
            resource="arn:aws:s3:::app-data",
            context={**mine, "s3:prefix": f"{IDENTITY}/photos"},
        )
        is ALLOW
    )


# -- Parsing: the canonical document, and what is refused ---------------------------------------


def test_conditions_parse_into_the_statement_and_back() -> None:
    source = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:username": "alice", "aws:PrincipalType": ["User", "Role"]},
                "NumericLessThan": {"s3:max-keys": 10},
                "Bool": {"aws:SecureTransport": True},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
            },
        },
    }
    policy = policy_parse(document=source)

    assert policy.statements[0] == Statement(
        effect="Allow",
        actions=("s3:GetObject",),
        resources=("*",),
        variables=True,
        conditions=(
            Condition(
                operator="StringEquals", key="aws:username", values=("alice",), variables=True
            ),
            Condition(
                operator="StringEquals",
                key="aws:PrincipalType",
                values=("User", "Role"),
                variables=True,
            ),
            Condition(
                operator="NumericLessThan", key="s3:max-keys", values=("10",), variables=True
            ),
            Condition(operator="Bool", key="aws:SecureTransport", values=("true",), variables=True),
            Condition(
                operator="ForAnyValue:StringLike",
                key="cognito-identity.amazonaws.com:amr",
                values=("authenticated",),
                variables=True,
            ),
        ),
    )
    canonical = policy.to_document()
    assert canonical["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:username": ["alice"], "aws:PrincipalType": ["User", "Role"]},
        "NumericLessThan": {"s3:max-keys": ["10"]},
        "Bool": {"aws:SecureTransport": ["true"]},
        "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": ["authenticated"]},
    }
    assert policy_parse(document=json.dumps(canonical)) == policy
    assert policy_parse(document=canonical).to_document() == canonical


def test_a_condition_built_directly_is_checked_too() -> None:
    with pytest.raises(ValueError, match="unknown condition operator"):
        Condition(operator="StringSortOf", key="aws:a", values=("x",))
    with pytest.raises(ValueError, match="at least one value"):
        Condition(operator="StringEquals", key="aws:a", values=())
    with pytest.raises(ValueError, match="is not a number"):
        Condition(operator="NumericEquals", key="aws:a", values=("x",))


def test_every_operator_is_accepted_with_if_exists_and_both_set_prefixes() -> None:
    for operator, value in [*POSITIVE, *NEGATED]:
        for name in (operator, f"{operator}IfExists"):
            for prefix in ("", "ForAnyValue:", "ForAllValues:"):
                policy_parse(document={"Statement": allow({f"{prefix}{name}": {"aws:k": value}})})


def cond(condition: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [allow(), allow(condition, Sid="Second")]}


WHERE = r'Statement\[1\] \(Sid "Second"\): Condition'
DEEP: Any = "x"
for _ in range(200):
    DEEP = [DEEP]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        # the block and its operators
        (cond({}), f"{WHERE} must be a non-empty object of condition operators, not an object"),
        (cond([]), f"{WHERE} must be a non-empty object .* not a list"),
        (cond("StringEquals"), f'{WHERE} must be .* not "StringEquals"'),
        ({"Statement": {**allow(), "Condition": None}}, "Statement: Condition must be .* not null"),
        (
            cond({"StringEqual": {"aws:a": "x"}}),
            f'{WHERE}: unknown condition operator "StringEqual"',
        ),
        (cond({"stringequals": {"aws:a": "x"}}), 'unknown condition operator "stringequals"'),
        (cond({"StringEqualsIfexists": {"aws:a": "x"}}), "unknown condition operator"),
        (cond({"NullIfExists": {"aws:a": "true"}}), 'unknown condition operator "NullIfExists"'),
        (cond({"ForAnyValue:Null": {"aws:a": "true"}}), "unknown condition operator"),
        (cond({"ForAllValue:StringLike": {"aws:a": "x"}}), "unknown condition operator"),
        (cond({"ForAnyValue:": {"aws:a": "x"}}), "unknown condition operator"),
        (
            cond({"ForAnyValue:ForAllValues:StringLike": {"aws:a": "x"}}),
            "unknown condition operator",
        ),
        (cond({"IfExists": {"aws:a": "x"}}), "unknown condition operator"),
        (cond({"BinaryNotEquals": {"aws:a": "QQ=="}}), "unknown condition operator"),
        (cond({"StringEquals": {}}), f"{WHERE}: StringEquals must be a non-empty object"),
        (cond({"StringEquals": "x"}), f'{WHERE}: StringEquals must be .* not "x"'),
        (cond({"StringEquals": ["aws:a", "x"]}), "StringEquals must be .* not a list"),
        # keys
        (cond({"StringEquals": {"username": "x"}}), '"username" is not a condition key'),
        (cond({"StringEquals": {"": "x"}}), '"" is not a condition key'),
        (cond({"StringEquals": {"aws:": "x"}}), "is not a condition key"),
        (cond({"StringEquals": {"aws:${aws:a}": "x"}}), "is not a condition key"),
        (cond({"StringEquals": {"aws:a": "x", "AWS:A": "y"}}), 'the key "AWS:A" is given twice'),
        # values
        (
            cond({"StringEquals": {"aws:a": []}}),
            f"{WHERE}: StringEquals: aws:a must be a value or a non-empty list",
        ),
        (
            cond({"StringEquals": {"aws:a": None}}),
            "aws:a must be a string, a number or a boolean, not null",
        ),
        (cond({"StringEquals": {"aws:a": {"b": "c"}}}), "aws:a must be .* not an object"),
        (cond({"StringEquals": {"aws:a": ["x", None]}}), r"aws:a\[1\] must be .* not null"),
        (cond({"StringEquals": {"aws:a": [["x"]]}}), r"aws:a\[0\] must be .* not a list"),
        (cond({"StringEquals": {"aws:a": DEEP}}), r"aws:a\[0\] must be .* not a list"),
        (
            cond({"StringEquals": {"aws:a": float("nan")}}),
            "must be a string, a number or a boolean",
        ),
        (cond({"NumericEquals": {"aws:a": "ten"}}), 'NumericEquals: aws:a: "ten" is not a number'),
        (cond({"NumericLessThan": {"aws:a": ["1", "0x2"]}}), '"0x2" is not a number'),
        (cond({"NumericLessThan": {"aws:a": True}}), '"true" is not a number'),
        (cond({"NumericLessThan": {"aws:a": "${aws:b}"}}), "is not a number"),  # no variables
        (cond({"DateLessThan": {"aws:CurrentTime": "tomorrow"}}), "is not an ISO 8601 date"),
        (cond({"DateLessThan": {"aws:CurrentTime": "2020-02-30"}}), "is not an ISO 8601 date"),
        (cond({"DateLessThan": {"aws:CurrentTime": "2020-01-01T25:00:00Z"}}), "is not an ISO"),
        (cond({"Bool": {"aws:SecureTransport": "yes"}}), 'is not "true" or "false"'),
        (cond({"Bool": {"aws:SecureTransport": 1}}), '"1" is not "true" or "false"'),
        (cond({"Null": {"aws:a": "maybe"}}), 'is not "true" or "false"'),
        (cond({"Null": {"aws:a": "${aws:b}"}}), 'is not "true" or "false"'),
        (cond({"BinaryEquals": {"aws:a": "not base64!"}}), "is not base64"),
        (cond({"IpAddress": {"aws:SourceIp": "203.0.113.0/33"}}), "is not an IP address or CIDR"),
        (cond({"NotIpAddress": {"aws:SourceIp": "example.com"}}), "is not an IP address"),
        (cond({"ArnLike": {"aws:SourceArn": "*"}}), r'"\*" is not an ARN'),
        (cond({"ArnEquals": {"aws:SourceArn": "arn:aws:s3"}}), "is not an ARN"),
        # variables
        (
            cond({"StringEquals": {"aws:a": "${aws:username"}}),
            "malformed policy variable at character 1",
        ),
        (cond({"StringEquals": {"aws:a": "x${}"}}), "malformed policy variable at character 2"),
        (cond({"StringEquals": {"aws:a": "${aws:b, default}"}}), "malformed policy variable"),
        (cond({"StringEquals": {"aws:a": "${aws:b, 'default}"}}), "malformed policy variable"),
        (cond({"StringEquals": {"aws:a": "${aws:b, 'a'b'}"}}), "malformed policy variable"),
        (cond({"StringEquals": {"aws:a": "${**}"}}), "malformed policy variable"),
        (cond({"StringEquals": {"aws:a": "${${aws:b}}"}}), "malformed policy variable"),
        (
            {"Version": "2012-10-17", "Statement": allow(Resource="arn:aws:s3:::${aws:a")},
            r'Statement: Resource: "arn:aws:s3:::\$\{aws:a" has a malformed policy variable',
        ),
        (
            {"Version": "2012-10-17", "Statement": allow(Resource="arn:aws:s3:${aws:region}::b")},
            "only in the resource part of an ARN",
        ),
        (
            {"Version": "2012-10-17", "Statement": allow(Resource="arn:${*}:s3:::b")},
            "only in the resource part of an ARN",
        ),
        # size
        (cond({"StringEquals": {"aws:a": ["x"] * 10**6}}), "longer than 10240"),
        (cond({"StringEquals": {f"aws:k{n}": "x" for n in range(10**5)}}), "longer than 10240"),
        (cond({"StringEquals": {"aws:a": "x" * 10_240}}), "longer than 10240"),
        (cond({f"StringEquals{n}": {} for n in range(10**5)}), "longer than 10240"),
    ],
)
def test_malformed_conditions_are_refused_naming_where(source: Any, message: str) -> None:
    with pytest.raises(MalformedPolicyDocumentException, match=message) as caught:
        policy_parse(document=source)

    assert caught.value.aws_type == "MalformedPolicyDocument"


def test_malformed_variables_are_plain_text_in_a_2008_policy() -> None:
    literal = "arn:aws:s3:${x::b/${aws:username"
    policy = policy_parse(document={"Version": "2008-10-17", "Statement": allow(Resource=literal)})

    assert policy_evaluate(policies=[policy], action="s3:GetObject", resource=literal) is ALLOW


def test_deeply_nested_condition_text_is_refused_cleanly() -> None:
    text = json.dumps(cond({"StringEquals": {"aws:a": DEEP}}))

    with pytest.raises(MalformedPolicyDocumentException, match=r"aws:a\[0\] must be"):
        policy_parse(document=text)


def test_many_wildcards_in_a_condition_do_not_backtrack_exponentially() -> None:
    pattern = "*a" * 40 + "*b"
    context: dict[str, ContextValue] = {"aws:Key": "a" * 5000}

    assert holds("StringLike", "aws:Key", pattern, context) is False
    assert holds("StringLike", "aws:Key", pattern, {"aws:Key": "a" * 5000 + "b"}) is True
