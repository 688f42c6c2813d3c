"""Model-driven fuzzing of the AWS JSON 1.1 endpoint (issue 14's first gate).

For every served operation, request bodies are generated from botocore's input shape, valid and
broken (wrong types, boundary and over-limit lengths, pattern-breaking strings, nulls, missing
required and unknown members, huge and deeply nested values), sent as raw HTTP, signed with an
operator's key, with a narrow or a wrong one, or unsigned. Whatever comes in, the answer is a 2xx
or a 4xx in AWS's error envelope naming one of the operation's documented errors or one the
protocol itself answers, and a refused call changes nothing in the database.

The quick run (default) sends `QUICK_EXAMPLES` requests per operation with a derandomized seed;
the thorough one (`-m slow`) sends `SLOW_EXAMPLES`. Input classes that crashed the endpoint
(issue 14's defects: lone surrogates, huge integers, deep nesting, oversized bodies) have
their own tests below.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.model import ListShape, MapShape, Shape, StructureShape
from django.apps import apps
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from cognitoadmin.awsjson import CONTENT_TYPE, REGISTRY, TARGET_PREFIXES, Operation
from tests.builders import (
    make_access_key,
    make_app_client,
    make_domain,
    make_group,
    make_operator,
    make_resource_server,
    make_user,
    make_user_pool,
)

pytestmark = pytest.mark.django_db

# Requests per operation: the quick run is derandomized (the same inputs every time).
QUICK_EXAMPLES = 8
SLOW_EXAMPLES = 60

TARGETS = {service: prefix for prefix, service in TARGET_PREFIXES.items()}
# The JSON 1.1 door's operations; the Query door's (IAM, STS) have their own malformed-form
# tests in test_awsquery.py.
OPERATIONS = sorted(
    (op for op in REGISTRY.values() if op.service in TARGETS), key=lambda op: (op.service, op.name)
)

# Errors the protocol layer answers before (or instead of) any operation: the body's JSON and
# shape and size, SigV4 (identities.sigv4) and IAM (cognitoadmin.authorization).
PROTOCOL_ERRORS = frozenset(
    {
        "SerializationException",
        "InvalidParameterException",
        "UnknownOperationException",
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
        "InvalidSignatureException",
        "UnrecognizedClientException",
        "AccessDeniedException",
        "RequestEntityTooLargeException",
    }
)

# What a refused call may still write: the count of failed attempts that lockouts and throttles
# are made of, and when a key was last used. Everything else must be as it was.
BOOKKEEPING: dict[str, frozenset[str]] = {
    "pools.pooluser": frozenset(
        {"failed_sign_in_count", "last_failed_sign_in_at", "locked_until", "updated_at"}
    ),
    "pools.authsession": frozenset({"failed_attempts"}),
    "pools.verificationcode": frozenset({"failed_attempts"}),
    "pools.softwaretoken": frozenset(
        {"throttling_failure_count", "throttling_failure_timestamp", "updated_at"}
    ),
    "identities.accesskey": frozenset({"last_used_at"}),
}
SNAPSHOT_APPS = ("pools", "identities", "sync")

PASSWORD = "Passw0rd!"
# Strings that break patterns, encodings or naive code (no lone surrogates: see below).
NASTY_STRINGS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t\n\r",
    "\u202e\u0627\u0644",
    "\U0001f600\U0001f4a9",
    "e\u0301\u0301\u0301",
    "\ufeff",
    "\uffff",
    "../../etc/passwd",
    "%00%2e%2e%2f",
    "' OR '1'='1' --",
    '"; DROP TABLE pools_userpool; --',
    "<script>alert(1)</script>",
    "${jndi:ldap://x/a}",
    "{{7*7}}",
    "\\",
    "us-east-1_",
    "_",
    "null",
    "NaN",
    "-1",
    "1e400",
)
WRONG_TYPES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1.5,
    -0.0,
    float("inf"),
    float("nan"),
    2**64,
    10**400,
    "",
    "x",
    [],
    [None],
    {},
    {"": None},
)
# Bodies that are not a JSON object, or not JSON at all.
RAW_BODIES = (
    b"",
    b" \n",
    b"null",
    b"[]",
    b"true",
    b"0",
    b'"UserPoolId"',
    b"{",
    b'{"UserPoolId":',
    b"\xff\xfe\x00",
    b"\xef\xbb\xbf{}",
    b"{}{}",
    b'{"a": 1} trailing',
    b"NaN",
    b'{"UserPoolId": NaN, "MaxResults": Infinity}',
    b"{'UserPoolId': 'x'}",
    b'{"a": "\\x41"}',
    b'{"a": "unterminated}',
)
# Deep enough to be a nested value, well inside the parser's limit (1,000 is a known defect).
MAX_NESTING = 200
HUGE = 100_000
MAX_DEPTH = 4


@dataclass
class World:
    """The objects that well-formed requests can name, so that some reach the services."""

    values: dict[str, list[str]]
    keys: dict[str, tuple[str, str]]
    client: Client = field(default_factory=lambda: Client(raise_request_exception=False))


def _sign_in(client: Client, client_id: str) -> dict[str, str]:
    response = client.post(
        "/",
        data=json.dumps(
            {
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": client_id,
                "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD},
            }
        ),
        content_type=CONTENT_TYPE,
        headers={"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"},
    )
    assert response.status_code == 200, response.content
    result: dict[str, str] = json.loads(response.content)["AuthenticationResult"]
    return result


@pytest.fixture
def world(db: None) -> World:
    operator = make_operator(with_device=False)
    full, full_secret = make_access_key(operator=operator, description="fuzz")
    narrow, narrow_secret = make_access_key(
        operator=operator,
        description="fuzz, read only",
        policy={
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "cognito-idp:ListUserPools", "Resource": "*"}
            ],
        },
    )
    pool = make_user_pool("fuzz-pool")
    app = make_app_client(
        pool=pool,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )
    make_user(
        pool=pool,
        username="alice",
        password=PASSWORD,
        email="alice@example.com",
        email_verified="true",
    )
    group = make_group(pool=pool, name="admins")
    server = make_resource_server(pool=pool)
    domain = make_domain(pool=pool, domain="fuzz-shop")
    world = World(
        values={},
        keys={
            "full": (full.access_key_id, full_secret),
            "narrow": (narrow.access_key_id, narrow_secret),
            "wrong": (full.access_key_id, full_secret[::-1]),
            "unknown": ("AKIAFUZZNOSUCHKEY000", full_secret),
        },
    )
    tokens = _sign_in(world.client, app.client_id)
    world.values = {
        "UserPoolId": [pool.pool_id],
        "ClientId": [app.client_id],
        "Username": ["alice", "alice@example.com", "nobody"],
        "GroupName": [group.name],
        "Password": [PASSWORD],
        "PreviousPassword": [PASSWORD],
        "ProposedPassword": ["N3w-Passw0rd!"],
        "AccessToken": [tokens["AccessToken"]],
        "RefreshToken": [tokens["RefreshToken"]],
        "Token": [tokens["RefreshToken"]],
        "Identifier": [server.identifier],
        "Domain": [domain.domain],
        "ResourceArn": [pool.arn],
        "AttributeName": ["email"],
        "ProviderName": ["COGNITO"],
    }
    return world


# --- The requests ------------------------------------------------------------------------------


_UNICODE_CLASSES = {
    "L": "a-zA-Z\u00e9\u4e2d",
    "M": "\u0301",
    "S": "$+<=>^`|~",
    "N": "0-9",
    "P": "!#%&'()*,./:;?@_\\-\\[\\]{}\"",
    "Z": " \u00a0",
}


def _python_pattern(pattern: str) -> str:
    """The model's Java pattern with `\\p{X}` written as a subset Python's `re` can generate."""
    return re.sub(r"\\p\{(\w)\}", lambda m: _UNICODE_CLASSES.get(m.group(1), "a-z"), pattern)


def _bounds(shape: Shape, default_max: int) -> tuple[int, int]:
    low = int(shape.metadata.get("min", 0))
    high = int(shape.metadata.get("max", default_max))
    return low, high


def _string(shape: Shape, name: str, world: World) -> st.SearchStrategy[Any]:
    enum = shape.metadata.get("enum")
    if enum:
        return st.sampled_from(list(enum))
    low, high = _bounds(shape, 2048)
    generic: st.SearchStrategy[str] = st.text(min_size=low, max_size=max(low, min(high, 40)))
    pattern = shape.metadata.get("pattern")
    if pattern:
        with suppress(re.error):
            generic = st.from_regex(_python_pattern(pattern), fullmatch=True).map(
                lambda s: s[:high]
            )
    known = world.values.get(name)
    return st.one_of(st.sampled_from(known), generic) if known else generic


# A document (CompleteWebAuthnRegistration's Credential) holds any JSON value.
_JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=20), inner, max_size=3)
    ),
    max_leaves=8,
)


def valid(  # noqa: PLR0911
    shape: Shape, name: str, world: World, depth: int = 0
) -> st.SearchStrategy[Any]:
    """Values that fit `shape` (mostly: a generated string may still miss its pattern)."""
    if shape.metadata.get("document"):
        return _JSON_VALUES
    if isinstance(shape, StructureShape):
        required = set(shape.required_members)
        members = {n: valid(m, n, world, depth + 1) for n, m in shape.members.items()}
        optional = (
            {} if depth >= MAX_DEPTH else {n: s for n, s in members.items() if n not in required}
        )
        return st.fixed_dictionaries(
            {n: s for n, s in members.items() if n in required}, optional=optional
        )
    if isinstance(shape, ListShape):
        low, high = _bounds(shape, 100)
        return st.lists(
            valid(shape.member, name, world, depth + 1),
            min_size=low,
            max_size=max(low, min(high, 3)),
        )
    if isinstance(shape, MapShape):
        low, high = _bounds(shape, 100)
        if name in {"AuthParameters", "ChallengeResponses"}:
            return st.one_of(_auth_parameters(world), st.dictionaries(st.text(), st.text()))
        return st.dictionaries(
            valid(shape.key, f"{name}.key", world, depth + 1),
            valid(shape.value, f"{name}.value", world, depth + 1),
            min_size=low,
            max_size=max(low, min(high, 3)),
        )
    kind = shape.type_name
    if kind == "string":
        return _string(shape, name, world)
    if kind in {"integer", "long"}:
        bits = 31 if kind == "integer" else 63
        low = shape.metadata.get("min", -(2**bits))
        high = shape.metadata.get("max", 2**bits - 1)
        return st.integers(min_value=low, max_value=high)
    if kind == "boolean":
        return st.booleans()
    if kind in {"double", "float"}:
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "timestamp":
        return st.integers(min_value=0, max_value=2**32)
    # blob: base64 on the wire
    return st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode("ascii"))


def _auth_parameters(world: World) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "USERNAME": st.sampled_from(world.values["Username"]),
            "PASSWORD": st.sampled_from([PASSWORD, "wrong-Passw0rd!"]),
            "REFRESH_TOKEN": st.sampled_from(world.values["RefreshToken"]),
            "SECRET_HASH": st.text(max_size=44),
            "SRP_A": st.sampled_from(["0", "1" * 512, "ab" * 192]),
            "ANSWER": st.text(max_size=8),
            "NEW_PASSWORD": st.sampled_from(world.values["ProposedPassword"]),
            "SOFTWARE_TOKEN_MFA_CODE": st.from_regex(r"[0-9]{6}", fullmatch=True),
        },
    )


def _nested(depth: int, leaf: Any, as_object: bool) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value} if as_object else [value]
    return value


def broken(shape: Shape) -> st.SearchStrategy[Any]:
    """A value to put where `shape` belongs: of another type, at or past a bound, or nasty."""
    choices: list[st.SearchStrategy[Any]] = [
        st.sampled_from(WRONG_TYPES),
        st.builds(
            _nested, st.integers(2, MAX_NESTING), st.sampled_from(WRONG_TYPES), st.booleans()
        ),
    ]
    kind = shape.type_name
    low, high = _bounds(shape, 2048)
    if kind == "string":
        lengths = sorted({0, max(low - 1, 0), low, high, high + 1, HUGE})
        choices += [
            st.builds(
                lambda n, c: c * n, st.sampled_from(lengths), st.sampled_from("a\u00e9\U0001f600 ")
            ),
            st.sampled_from(NASTY_STRINGS),
            st.text(max_size=64),
        ]
    elif kind in {"integer", "long"}:
        lo = shape.metadata.get("min", -(2**31))
        hi = shape.metadata.get("max", 2**31 - 1)
        edges = [lo - 1, lo, hi, hi + 1, -(2**31) - 1, 2**31, -(2**63) - 1, 2**63, 10**300]
        choices.append(st.sampled_from(edges))
    elif kind in {"double", "float", "timestamp"}:
        choices.append(st.sampled_from([-1, 1e308, -1e308, 1e20, 2**63, 10**300, 5e-324]))
    elif isinstance(shape, ListShape | MapShape):
        count = st.sampled_from(sorted({high + 1, 1000}))
        if isinstance(shape, ListShape):
            choices.append(st.builds(lambda n: ["x"] * n, count))
        else:
            choices.append(st.builds(lambda n: {f"k{i}": "v" for i in range(n)}, count))
    return st.one_of(choices)


UNKNOWN_MEMBERS = ("Unknown", "__proto__", "", "userPoolId", "USERPOOLID", "X" * 1000)


def mutate(  # noqa: PLR0912
    draw: Callable[..., Any], shape: Shape, value: Any, world: World, depth: int = 0
) -> Any:
    """`value` with one part of it broken, somewhere down the shape."""
    moves = ["here"]
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        # A document's structure has no members to break one of.
        moves += ["member", "member", "unknown"] if shape.members else ["unknown"]
        if shape.required_members:
            moves += ["drop-required", "null-required"]
    if isinstance(shape, ListShape) and isinstance(value, list) and value:
        moves.append("item")
    if isinstance(shape, MapShape) and isinstance(value, dict) and value:
        moves += ["map-key", "map-value"]
    move = draw(st.sampled_from(moves))
    if move == "here":
        return draw(broken(shape))
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        out = dict(value)
        if move == "unknown":
            out[draw(st.sampled_from(UNKNOWN_MEMBERS))] = draw(st.sampled_from(WRONG_TYPES))
        elif move == "drop-required":
            out.pop(draw(st.sampled_from(list(shape.required_members))), None)
        elif move == "null-required":
            out[draw(st.sampled_from(list(shape.required_members)))] = None
        else:
            name = draw(st.sampled_from(list(shape.members)))
            member = shape.members[name]
            current = out[name] if name in out else draw(valid(member, name, world, depth + 1))
            out[name] = mutate(draw, member, current, world, depth + 1)
        return out
    if isinstance(shape, ListShape) and isinstance(value, list):
        index = draw(st.integers(0, len(value) - 1))
        items = list(value)
        items[index] = mutate(draw, shape.member, items[index], world, depth + 1)
        return items
    assert isinstance(shape, MapShape) and isinstance(value, dict)
    key = draw(st.sampled_from(list(value)))
    mapping = dict(value)
    if move == "map-key":
        new_key = mutate(draw, shape.key, key, world, depth + 1)
        mapping[new_key if isinstance(new_key, str) else json.dumps(new_key)] = mapping.pop(key)
    else:
        mapping[key] = mutate(draw, shape.value, mapping[key], world, depth + 1)
    return mapping


_SURROGATE = re.compile(r"\\ud[89a-f][0-9a-f]{2}", re.IGNORECASE)


@dataclass(frozen=True)
class Request:
    body: bytes
    auth: str  # "none" or one of World.keys


def requests_for(op: Operation, world: World) -> st.SearchStrategy[Request]:
    """Bodies for `op`: valid ones, broken ones and ones that are no JSON object at all."""
    shape = op.model.input_shape
    auth = st.sampled_from(["full", "full", "none", "narrow", "wrong", "unknown"])

    @st.composite
    def build(draw: Callable[..., Any]) -> Request:
        kind = draw(st.sampled_from(["valid", "broken", "broken", "raw"]))
        if kind == "raw":
            return Request(draw(st.sampled_from(RAW_BODIES)), draw(auth))
        body: Any = draw(valid(shape, "", world)) if shape is not None else {}
        if kind == "broken" and shape is not None:
            for _ in range(draw(st.integers(1, 3))):
                body = mutate(draw, shape, body, world)
        elif kind == "broken":
            body = draw(st.sampled_from(WRONG_TYPES))
        text = json.dumps(body, ensure_ascii=draw(st.booleans()))
        return Request(text.encode("utf-8", "surrogatepass"), draw(auth))

    return build()


def send(world: World, op: Operation, request: Request) -> Any:
    headers = {"X-Amz-Target": f"{TARGETS[op.service]}.{op.name}"}
    if request.auth != "none":
        key_id, secret = world.keys[request.auth]
        aws = AWSRequest(
            method="POST",
            url="http://testserver/",
            data=request.body,
            headers={"Content-Type": CONTENT_TYPE, **headers},
        )
        SigV4Auth(
            Credentials(key_id, secret), op.service, django_settings.COGNITOADMIN_REGION
        ).add_auth(aws)
        headers = {k: v for k, v in aws.headers.items() if k.lower() != "content-type"}
    return world.client.generic(
        "POST", "/", data=request.body, content_type=CONTENT_TYPE, headers=headers
    )


# --- The checks --------------------------------------------------------------------------------


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of the product's tables, less the bookkeeping a refusal may write."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for label in SNAPSHOT_APPS:
        if label not in apps.app_configs:
            continue
        for model in apps.get_app_config(label).get_models():
            skip = BOOKKEEPING.get(model._meta.label_lower, frozenset())
            names = [f.attname for f in model._meta.concrete_fields if f.attname not in skip]
            rows[model._meta.label_lower] = list(
                model._default_manager.order_by("pk").values(*names)
            )
    return rows


def allowed_errors(op: Operation) -> frozenset[str]:
    documented = {shape.name for shape in op.model.error_shapes}
    return frozenset(documented - {"InternalErrorException"}) | PROTOCOL_ERRORS


def check_answer(op: Operation, request: Request, response: Any) -> None:
    """2xx, or a 4xx in AWS's envelope with an error this operation may answer."""
    status = response.status_code
    where = f"{op.name} ({request.auth}) {request.body[:300]!r}"
    assert status < 500, f"{status} from {where}: {response.content[:500]!r}"
    assert 200 <= status < 300 or 400 <= status < 500, f"{status} from {where}"
    assert response["Content-Type"] == CONTENT_TYPE, where
    body = json.loads(response.content)
    assert isinstance(body, dict), where
    if status >= 400:
        error = body.get("__type")
        assert error in allowed_errors(op), f"{error} is not an error of {where}: {body}"
        assert isinstance(body.get("message"), str), where
        assert response["x-amzn-ErrorType"] == f"{error}:", where


@contextmanager
def rolled_back() -> Iterator[None]:
    """Each request starts from the same world: what it wrote is rolled back after the checks."""
    cache.clear()  # rate limits and caches count nothing across examples
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def exchange(world: World, op: Operation, request: Request, status: int | None = None) -> None:
    """Send `request`, check the answer (its `status`, if given), and that a refusal left every
    table as it was."""
    with rolled_back():
        before = snapshot()
        response = send(world, op, request)
        check_answer(op, request, response)
        if status is not None:
            assert response.status_code == status, (op.name, response.content[:300])
        if response.status_code >= 400:
            assert snapshot() == before, f"{op.name} refused {request.body[:300]!r} but wrote"


FUZZ_SETTINGS = settings(
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)


# The quick run reports its first failing body as generated; the thorough one also shrinks it.
QUICK_PHASES = (Phase.explicit, Phase.reuse, Phase.generate)


def fuzz(op: Operation, world: World, *, examples: int, derandomize: bool) -> None:
    phases = QUICK_PHASES if derandomize else tuple(Phase)

    @settings(FUZZ_SETTINGS, max_examples=examples, derandomize=derandomize, phases=phases)
    @given(request=requests_for(op, world))
    def run(request: Request) -> None:
        assume(not _SURROGATE.search(request.body.decode("utf-8", "replace")))
        exchange(world, op, request)

    run()


def _op_id(op: Operation) -> str:
    return f"{op.service}.{op.name}"


@pytest.mark.parametrize("op", OPERATIONS, ids=_op_id)
def test_every_operation_answers_any_body_with_a_documented_2xx_or_4xx(
    op: Operation, world: World
) -> None:
    fuzz(op, world, examples=QUICK_EXAMPLES, derandomize=True)


@pytest.mark.slow
@pytest.mark.parametrize("op", OPERATIONS, ids=_op_id)
def test_every_operation_holds_up_under_thorough_fuzzing(op: Operation, world: World) -> None:
    fuzz(op, world, examples=SLOW_EXAMPLES, derandomize=False)


# --- Input classes that crashed the endpoint (issue 14's defects) ------------------------------
#
# The property above leaves these out so that a regression in one of them is named by its own
# test, with inputs drawn for every operation like the property's.

DEFECT_EXAMPLES = 12


def _string_leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*path, ("key", key))
            yield from _string_leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_leaves(item, (*path, index))


def _replace(value: Any, path: tuple[Any, ...], new: str) -> Any:
    if not path:
        return new
    head, *rest = path
    if isinstance(head, tuple):  # a map key
        return {(new if k == head[1] else k): v for k, v in value.items()}
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replace(value[head], tuple(rest), new) if rest else new
    return copy


@st.composite
def _defect_case(draw: Callable[..., Any], world: World) -> tuple[Operation, Any, str]:
    op = draw(st.sampled_from(OPERATIONS))
    shape = op.model.input_shape
    body = draw(valid(shape, "", world)) if shape is not None else {}
    return op, body, draw(st.sampled_from(["full", "none"]))


def _defect_fuzz(
    world: World,
    make_body: Callable[[Callable[..., Any], Any], bytes],
    examples: int = DEFECT_EXAMPLES,
) -> None:
    @settings(FUZZ_SETTINGS, max_examples=examples, derandomize=True)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        op, body, auth = data.draw(_defect_case(world))
        exchange(world, op, Request(make_body(data.draw, body), auth))

    run()


def test_strings_that_are_not_unicode_are_refused(world: World) -> None:
    def body(draw: Callable[..., Any], value: Any) -> bytes:
        paths = list(_string_leaves(value)) or [("Unknown",)]
        path = draw(st.sampled_from(paths))
        bad = draw(st.sampled_from(["\ud800", "\udfff", "a\udc00b", "\ud800\ud800", "\udbff"]))
        target = value if isinstance(value, dict) else {}
        # ensure_ascii writes the surrogate as the JSON escape `\ud800`, as a client would.
        return json.dumps(_replace(target, path, bad)).encode("ascii")

    _defect_fuzz(world, body)


def test_integers_of_thousands_of_digits_are_refused(world: World) -> None:
    def body(draw: Callable[..., Any], value: Any) -> bytes:
        digits = "9" * draw(st.sampled_from([4301, 5000, 20_000]))
        target = dict(value) if isinstance(value, dict) else {}
        target[draw(st.sampled_from([*target, "MaxResults", "Limit"]))] = "\x00BIG\x00"
        return json.dumps(target).replace('"\\u0000BIG\\u0000"', digits).encode("ascii")

    _defect_fuzz(world, body)


def test_json_nested_a_thousand_deep_is_refused(world: World) -> None:
    def body(draw: Callable[..., Any], value: Any) -> bytes:
        depth = draw(st.sampled_from([1000, 5000, 100_000]))
        opening, closing = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        target = dict(value) if isinstance(value, dict) else {}
        target[draw(st.sampled_from([*target, "Unknown"]))] = "\x00DEEP\x00"
        nested = opening * depth + "0" + closing * depth
        return json.dumps(target).replace('"\\u0000DEEP\\u0000"', nested).encode("ascii")

    _defect_fuzz(world, body)


@pytest.mark.parametrize(
    ("name", "auth"), [("InitiateAuth", "none"), ("ListUserPools", "full"), ("SignUp", "full")]
)
def test_a_body_over_the_upload_limit_is_refused(world: World, name: str, auth: str) -> None:
    # Megabytes a request, so a few requests rather than a property.
    limit = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
    body = json.dumps({"ClientId": "x", "Padding": "a" * (limit + 1)}).encode("ascii")
    exchange(world, REGISTRY[("cognito-idp", name)], Request(body, auth), status=413)
