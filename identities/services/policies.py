"""IAM-style policies: parse a policy document, and decide a request against policies.

Used for the optional policy on an operator's access key, which narrows what the key may do, and
for identity-pool roles: their permission policies (`policy_parse`, `policy_evaluate`) and their
trust policies (`trust_policy_parse`, `trust_policy_allows`). Evaluation is IAM's for identity
policies: a matching Deny wins over everything, then a matching Allow allows, and anything else
is denied by default.

A statement matches when its Action, its Resource and every clause of its `Condition` match the
request. Supported, as IAM's documentation describes them:
- Action/NotAction (case-insensitive) and Resource/NotResource (case-sensitive) with `*` and `?`.
- `Condition`: String(Not)Equals, String(Not)EqualsIgnoreCase, String(Not)Like, Numeric(Not)Equals,
  Numeric{Less,Greater}Than(Equals), Date(Not)Equals, Date{Less,Greater}Than(Equals), Bool,
  BinaryEquals, (Not)IpAddress, Arn(Not)Equals, Arn(Not)Like, Null; the `...IfExists` suffix
  (not on Null); the `ForAnyValue:` and `ForAllValues:` prefixes (not on Null). Values of one key
  are ORed (a negated operator is true when none matches); keys and operators are ANDed. Condition
  keys are case-insensitive; values compare case-sensitively except in the IgnoreCase operators
  and Bool. A key absent from the request context makes a condition false, a negated one true,
  an `...IfExists` one true; `ForAllValues:` over an absent or empty key is true and
  `ForAnyValue:` false. A request value of the wrong type (not a number for Numeric*) is no match.
- Policy variables in a 2012-10-17 policy, in the resource part of a Resource ARN and in the values
  of the String, Arn and Bool operators: `${key}` for any single-valued key of the request context
  (`${aws:username}`, `${cognito-identity.amazonaws.com:sub}`...), `${key, 'default'}`, and the
  escapes `${*}`, `${?}`, `${$}`. A substituted value is always literal text, never a wildcard. A
  variable that cannot be resolved (key absent or multi-valued, no default) makes its statement
  not match. A 2008-10-17 policy matches `${...}` literally, as IAM does.
- The request context is a mapping of condition keys to a string, a sequence of strings (a
  multi-valued key, such as `cognito-identity.amazonaws.com:amr`) or None (absent). Binary values
  are given base64-encoded, dates as ISO 8601 or epoch seconds.

Refused at parse (MalformedPolicyDocumentException, naming where), so that a policy never means
more or less than its author wrote: unknown operators, condition values of the wrong type for
their operator (stricter than IAM, which may store such a value and then never match it), empty
blocks, malformed variables, a variable before an ARN's fifth colon.
`Principal` and `NotPrincipal` are refused in identity policies; trust policies need a Principal
and refuse Resource, as IAM does. Deliberately not done: BinaryNotEquals (not in IAM's reference),
principals other than `Federated` and `*` in `trust_policy_allows` (nothing here assumes roles as
an AWS account or service yet).
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import ipaddress
import json
import math
import operator as _op
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from identities.errors import MalformedPolicyDocumentException

# IAM's limit for an inline policy.
MAX_DOCUMENT_CHARS = 10_240
# IAM's largest quota for a role trust policy (2048 by default, raised on request up to this).
MAX_TRUST_DOCUMENT_CHARS = 4_096
MAX_STATEMENTS = 100
VERSIONS = ("2012-10-17", "2008-10-17")

_ACTION = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9*?]+")
# IAM's own rule for statement ids in identity policies.
_SID = re.compile(r"[A-Za-z0-9]*")
# `service:name`, the name possibly with a tag key after a slash (`aws:PrincipalTag/cost center`).
_CONDITION_KEY = re.compile(r"[A-Za-z0-9.-]+:[^\s{}$,'][^{}$]*")
_POLICY_KEYS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
_TRUST_STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Principal", "Action", "NotAction", "Condition"}
)
_PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")

Effect = Literal["Allow", "Deny"]
ContextValue: TypeAlias = str | Sequence[str] | None
Context: TypeAlias = Mapping[str, ContextValue]
_NO_CONTEXT: Context = MappingProxyType({})


class Decision(enum.Enum):
    """The outcome, valued as IAM's policy simulator names it."""

    ALLOW = "allowed"
    EXPLICIT_DENY = "explicitDeny"
    IMPLICIT_DENY = "implicitDeny"


# -- Patterns and policy variables -------------------------------------------------------------

# A piece of a pattern: its text, and whether `*` and `?` in it are wildcards (policy text) or
# literal (a substituted value, an escape such as `${*}`).
_Segment = tuple[str, bool]


@dataclass(frozen=True, slots=True)
class _Variable:
    key: str  # lower-cased: condition keys are case-insensitive
    default: str | None


_Template = tuple[_Segment | _Variable, ...]


class _UnresolvedError(Exception):
    """A policy variable has no value and no default: its statement does not match."""


# `${*}`, `${?}`, `${$}`, `${key}` or `${key, 'default'}` (a quote doubled inside the default).
_VARIABLE = re.compile(
    r"\$\{(?:(?P<escape>[*?$])\}|\s*(?P<key>[^\s,'{}$*?]+(?: +[^\s,'{}$*?]+)*)\s*"
    r"(?:,\s*'(?P<default>(?:[^']|'')*)'\s*)?\})"
)


def _template_parse(text: str, *, variables: bool) -> _Template:
    """The text as a template; ValueError for a malformed `${`. Without variables, all literal."""
    if not variables or "${" not in text:
        return ((text, True),)
    parts: list[_Segment | _Variable] = []
    position = 0
    while (start := text.find("${", position)) != -1:
        if start > position:
            parts.append((text[position:start], True))
        found = _VARIABLE.match(text, start)
        if found is None:
            raise ValueError(
                f"{_show(text)} has a malformed policy variable at character {start + 1} "
                "(expected ${key}, ${key, 'default'}, ${*}, ${?} or ${$})."
            )
        if found["escape"]:
            parts.append((found["escape"], False))
        else:
            default = found["default"]
            parts.append(
                _Variable(
                    key=found["key"].lower(),
                    default=None if default is None else default.replace("''", "'"),
                )
            )
        position = found.end()
    if position < len(text):
        parts.append((text[position:], True))
    return tuple(parts)


def _has_variables(template: _Template) -> bool:
    return any(isinstance(part, _Variable) for part in template)


def _resolve(template: _Template, context: _RequestContext) -> tuple[_Segment, ...]:
    segments: list[_Segment] = []
    for part in template:
        if not isinstance(part, _Variable):
            segments.append(part)
            continue
        # IAM: a multi-valued key cannot be a variable; like an absent one, it takes the default.
        value = context.get(part.key)
        if isinstance(value, str):
            segments.append((value, False))
        elif part.default is not None:
            segments.append((part.default, False))
        else:
            raise _UnresolvedError(part.key)
    return tuple(segments)


def _text(segments: Iterable[_Segment]) -> str:
    return "".join(text for text, _ in segments)


@dataclass(frozen=True, slots=True)
class _Matcher:
    regex: re.Pattern[str]
    negated: bool

    def __call__(self, text: str) -> bool:
        return (self.regex.fullmatch(text) is not None) != self.negated


def _patterns(values: Iterable[str]) -> tuple[tuple[_Segment, ...], ...]:
    return tuple(((value, True),) for value in values)


@functools.lru_cache(maxsize=1024)
def _compile(patterns: tuple[tuple[_Segment, ...], ...], ignore_case: bool) -> re.Pattern[str]:
    # Cached across parses too: a stored policy read again for each request reuses its regexes.
    # ASCII keeps case folding to A-Z: Unicode folding would let "K" (Kelvin) stand for "k".
    flags = re.DOTALL | (re.IGNORECASE | re.ASCII if ignore_case else 0)
    return re.compile("|".join(_wildcard_regex(pattern) for pattern in patterns), flags)


def _wildcard_regex(segments: Iterable[_Segment]) -> str:
    """`*` any run, `?` one character, the rest literal, without exponential backtracking.

    Between two `*`s a piece has a fixed length, so its earliest occurrence is always the right
    one; an atomic group commits to it, so `a*b*c*...` scans the text once per piece where a plain
    `.*b.*c.*` backtracks exponentially in the number of stars.
    """
    pieces: list[list[str]] = [[]]
    for text, wild in segments:
        for char in text:
            if wild and char == "*":
                pieces.append([])
            elif wild and char == "?":
                pieces[-1].append(".")
            else:
                pieces[-1].append(re.escape(char))
    first, *rest = ("".join(piece) for piece in pieces)
    if not rest:
        return f"(?:{first})"
    *middle, last = rest
    committed = "".join(f"(?>.*?{piece})" for piece in middle if piece)
    return f"(?:{first}{committed}.*{last})"


# -- The request context -----------------------------------------------------------------------


class _RequestContext:
    """The caller's context with keys lower-cased; a value is None, a string or a tuple."""

    __slots__ = ("_values",)

    def __init__(self, context: Context) -> None:
        values: dict[str, str | tuple[str, ...] | None] = {}
        for key, value in context.items():
            folded = key.lower()
            if folded in values:
                raise ValueError(f"The request context names the key {key!r} twice.")
            values[folded] = value if value is None or isinstance(value, str) else tuple(value)
        self._values = values

    def get(self, key: str) -> str | tuple[str, ...] | None:
        return self._values.get(key)


# -- Conditions ---------------------------------------------------------------------------------


class _Kind(enum.Enum):
    STRING = "String"
    NUMERIC = "Numeric"
    DATE = "Date"
    BOOL = "Bool"
    BINARY = "Binary"
    IP = "IpAddress"
    ARN = "Arn"
    NULL = "Null"


# The kinds whose values may hold policy variables (IAM's condition operator reference).
_VARIABLE_KINDS = frozenset({_Kind.STRING, _Kind.ARN, _Kind.BOOL})

_Compare = Callable[[Any, Any], bool]


@dataclass(frozen=True, slots=True)
class _OperatorSpec:
    kind: _Kind
    compare: _Compare
    negated: bool = False
    test: str = "equals"  # "equals", "ignore_case", "like" for strings; "order" for the others


def _operators() -> dict[str, _OperatorSpec]:
    table = {
        "StringEquals": _OperatorSpec(_Kind.STRING, _op.eq),
        "StringNotEquals": _OperatorSpec(_Kind.STRING, _op.eq, negated=True),
        "StringEqualsIgnoreCase": _OperatorSpec(_Kind.STRING, _op.eq, test="ignore_case"),
        "StringNotEqualsIgnoreCase": _OperatorSpec(
            _Kind.STRING, _op.eq, negated=True, test="ignore_case"
        ),
        "StringLike": _OperatorSpec(_Kind.STRING, _op.eq, test="like"),
        "StringNotLike": _OperatorSpec(_Kind.STRING, _op.eq, negated=True, test="like"),
        "Bool": _OperatorSpec(_Kind.BOOL, _op.eq),
        "BinaryEquals": _OperatorSpec(_Kind.BINARY, _op.eq),
        "IpAddress": _OperatorSpec(_Kind.IP, _op.eq),
        "NotIpAddress": _OperatorSpec(_Kind.IP, _op.eq, negated=True),
        # IAM: "The ArnEquals and ArnLike condition operators behave identically."
        "ArnEquals": _OperatorSpec(_Kind.ARN, _op.eq),
        "ArnLike": _OperatorSpec(_Kind.ARN, _op.eq),
        "ArnNotEquals": _OperatorSpec(_Kind.ARN, _op.eq, negated=True),
        "ArnNotLike": _OperatorSpec(_Kind.ARN, _op.eq, negated=True),
        "Null": _OperatorSpec(_Kind.NULL, _op.eq),
    }
    for kind in (_Kind.NUMERIC, _Kind.DATE):
        for suffix, compare, negated in (
            ("Equals", _op.eq, False),
            ("NotEquals", _op.eq, True),
            ("LessThan", _op.lt, False),
            ("LessThanEquals", _op.le, False),
            ("GreaterThan", _op.gt, False),
            ("GreaterThanEquals", _op.ge, False),
        ):
            table[f"{kind.value}{suffix}"] = _OperatorSpec(kind, compare, negated, "order")
    return table


_OPERATORS = _operators()
_SET_PREFIXES = ("ForAnyValue:", "ForAllValues:")
SetOperator = Literal["ForAnyValue", "ForAllValues"]


@dataclass(frozen=True, slots=True)
class _Operator:
    spec: _OperatorSpec
    set_operator: SetOperator | None
    if_exists: bool


def _operator_parse(name: str) -> _Operator | None:
    """`[ForAnyValue:|ForAllValues:]<operator>[IfExists]`, or None if that is not an operator."""
    set_operator: SetOperator | None = None
    base = name
    if name.startswith("ForAnyValue:"):
        set_operator, base = "ForAnyValue", name.removeprefix("ForAnyValue:")
    elif name.startswith("ForAllValues:"):
        set_operator, base = "ForAllValues", name.removeprefix("ForAllValues:")
    if_exists = base.endswith("IfExists")
    spec = _OPERATORS.get(base.removesuffix("IfExists"))
    if spec is None or (spec.kind is _Kind.NULL and (if_exists or set_operator)):
        return None
    return _Operator(spec=spec, set_operator=set_operator, if_exists=if_exists)


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# The W3C profile of ISO 8601 (YYYY-MM, YYYY-MM-DD, ...Thh:mm, ...:ss, ...:ss.s, with a zone).
_DATE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})(?:-(?P<day>\d{2})(?:T(?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?"
)
_EPOCH = re.compile(r"\d+(?:\.\d+)?")
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _number(text: str) -> Decimal | None:
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return None


def _date(text: str) -> datetime | None:
    """An aware datetime from ISO 8601 (no zone: UTC) or epoch seconds (an all-digit value)."""
    if _EPOCH.fullmatch(text):
        try:
            return _UNIX_EPOCH + timedelta(seconds=float(text))
        except (OverflowError, ValueError):
            return None
    found = _DATE.fullmatch(text)
    if found is None:
        return None
    zone = found["zone"] or "Z"
    offset = timedelta(0)
    if zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    try:
        moment = datetime(
            int(found["year"]),
            int(found["month"]),
            int(found["day"] or 1),
            int(found["hour"] or 0),
            int(found["minute"] or 0),
            int(found["second"] or 0),
            int((found["fraction"] or "0")[:6].ljust(6, "0")),
            tzinfo=UTC,
        )
        return moment - offset
    except (ValueError, OverflowError):
        return None


def _boolean(text: str) -> bool | None:
    return {"true": True, "false": False}.get(text.lower())


def _binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)  # a bare address is /32 (/128), as IAM's
    except ValueError:
        return None


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _arn_parts(segments: tuple[_Segment, ...]) -> list[tuple[_Segment, ...]] | None:
    """The six colon-separated components of an ARN pattern (the last keeps its colons)."""
    parts: list[list[_Segment]] = [[]]
    for text, wild in segments:
        pieces = text.split(":")
        for index, piece in enumerate(pieces):
            if index and len(parts) < 6:
                parts.append([])
            elif index:
                parts[-1].append((":", False))
            if piece:
                parts[-1].append((piece, wild))
    return [tuple(part) for part in parts] if len(parts) == 6 else None


# How a request value is read for each kind; None for a value of the wrong type.
_READERS: dict[_Kind, Callable[[str], Any]] = {
    _Kind.NUMERIC: _number,
    _Kind.DATE: _date,
    _Kind.BOOL: _boolean,
    _Kind.BINARY: _binary,
    _Kind.IP: _address,
}
# How a policy value is read, where it differs from a request value's reading.
_POLICY_READERS: dict[_Kind, Callable[[str], Any]] = {**_READERS, _Kind.IP: _network}
_TYPE_NAMES = {
    _Kind.NUMERIC: "a number",
    _Kind.DATE: "an ISO 8601 date or epoch seconds",
    _Kind.BOOL: '"true" or "false"',
    _Kind.BINARY: "base64",
    _Kind.IP: "an IP address or CIDR range",
    _Kind.ARN: 'an ARN ("arn:partition:service:region:account:resource")',
    _Kind.NULL: '"true" or "false"',
}

# A test of one request value against the clause's values: True, False, or None when the request
# value has the wrong type for the operator (no match, whatever the operator's negation).
_Test = Callable[[str], bool | None]


@dataclass(frozen=True, kw_only=True)
class Condition:
    """One key of one operator in a `Condition` block, with its values (ORed)."""

    operator: str
    key: str
    values: tuple[str, ...]
    variables: bool = False
    _operator: _Operator = field(init=False, repr=False, compare=False)
    _templates: tuple[_Template, ...] = field(init=False, repr=False, compare=False)
    _static: _Test | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        operator = _operator_parse(self.operator)
        if operator is None:
            raise ValueError(f"unknown condition operator {_show(self.operator)}.")
        if not self.values:
            raise ValueError("a condition needs at least one value.")
        kind = operator.spec.kind
        variables = self.variables and kind in _VARIABLE_KINDS
        templates = tuple(_template_parse(value, variables=variables) for value in self.values)
        for value, template in zip(self.values, templates, strict=True):
            if not _has_variables(template):
                _check_value(kind, _resolve(template, _EMPTY_CONTEXT), value)
        object.__setattr__(self, "_operator", operator)
        object.__setattr__(self, "_templates", templates)
        dynamic = any(_has_variables(template) for template in templates)
        static = None if dynamic or kind is _Kind.NULL else self._test(_EMPTY_CONTEXT)
        object.__setattr__(self, "_static", static)

    @property
    def set_operator(self) -> SetOperator | None:
        return self._operator.set_operator

    def holds(self, context: _RequestContext) -> bool:
        operator = self._operator
        raw = context.get(self.key.lower())
        if operator.spec.kind is _Kind.NULL:
            absent = raw is None or raw == ()
            return any(_boolean(value) == absent for value in self.values)
        values = (raw,) if isinstance(raw, str) else raw
        # IAM: set operators over "an empty data set (for example, an empty string)".
        if not values or (operator.set_operator and raw == ""):
            if operator.if_exists:
                return True
            if operator.set_operator is not None:
                return operator.set_operator == "ForAllValues"
            return operator.spec.negated
        test = self._static or self._test(context)
        results = [test(value) for value in values]
        negated = operator.spec.negated
        if operator.set_operator is None:
            # A negated operator holds when no value matches; a value of the wrong type fails it.
            return all(r is False for r in results) if negated else any(r is True for r in results)
        wanted = [(r is False) if negated else (r is True) for r in results]
        return any(wanted) if operator.set_operator == "ForAnyValue" else all(wanted)

    def _test(self, context: _RequestContext) -> _Test:
        """The positive test (negation is applied by `holds`), policy variables resolved."""
        spec = self._operator.spec
        resolved = [_resolve(template, context) for template in self._templates]
        if spec.kind is _Kind.STRING:
            return _string_test(spec.test, resolved)
        if spec.kind is _Kind.ARN:
            return _arn_test(resolved)
        read = _READERS[spec.kind]
        wanted = [_POLICY_READERS[spec.kind](_text(segments)) for segments in resolved]
        expected = [value for value in wanted if value is not None]
        compare = spec.compare
        if spec.kind is _Kind.IP:
            compare = _contains

        def test(text: str) -> bool | None:
            actual = read(text)
            if actual is None:
                return None
            return any(compare(actual, value) for value in expected)

        return test

    def to_document(self) -> list[str]:
        return list(self.values)


def _contains(address: Any, network: Any) -> bool:
    return bool(address in network)


_EMPTY_CONTEXT = _RequestContext(_NO_CONTEXT)


def _check_value(kind: _Kind, segments: tuple[_Segment, ...], value: str) -> None:
    text = _text(segments)
    if kind is _Kind.STRING:
        return
    if kind is _Kind.ARN:
        ok = _arn_parts(segments) is not None
    elif kind is _Kind.NULL:
        ok = _boolean(text) is not None
    else:
        ok = _POLICY_READERS[kind](text) is not None
    if not ok:
        raise ValueError(f"{_show(value)} is not {_TYPE_NAMES[kind]}.")


def _string_test(test: str, resolved: list[tuple[_Segment, ...]]) -> _Test:
    if test == "like":
        regex = _compile(tuple(resolved), False)
        return lambda text: regex.fullmatch(text) is not None
    if test == "ignore_case":
        folded = {_text(segments).casefold() for segments in resolved}
        return lambda text: text.casefold() in folded
    exact = {_text(segments) for segments in resolved}
    return lambda text: text in exact


def _arn_test(resolved: list[tuple[_Segment, ...]]) -> _Test:
    # IAM: "Each of the six colon-delimited components of the ARN is checked separately", so a
    # `*` never reaches across a colon into the next component (StringLike's would).
    patterns = []
    for segments in resolved:
        parts = _arn_parts(segments)
        if parts is not None:  # a substituted value may have broken the ARN's shape
            patterns.append([_compile((part,), False) for part in parts])

    def test(text: str) -> bool | None:
        components = text.split(":", 5)
        if len(components) != 6:
            return None
        return any(
            all(regex.fullmatch(part) for regex, part in zip(pattern, components, strict=True))
            for pattern in patterns
        )

    return test


def _conditions_to_document(conditions: Sequence[Condition]) -> dict[str, dict[str, list[str]]]:
    document: dict[str, dict[str, list[str]]] = {}
    for condition in conditions:
        document.setdefault(condition.operator, {})[condition.key] = condition.to_document()
    return document


# -- Identity policies ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Statement:
    """One statement; exactly one of `actions`/`not_actions` and of `resources`/`not_resources`.

    `variables` says whether `${...}` in Resource and condition values are policy variables (a
    2012-10-17 policy) or literal text (2008-10-17).
    """

    effect: Effect
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    conditions: tuple[Condition, ...] = ()
    sid: str | None = None
    variables: bool = False
    # Compiled once here, not per request: evaluation runs on every signed call.
    _action: _Matcher = field(init=False, repr=False, compare=False)
    _resource: _Matcher | None = field(init=False, repr=False, compare=False)
    _resource_templates: tuple[_Template, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_action", _matcher(self.actions, self.not_actions, True))
        resource = _matcher(self.resources, self.not_resources, False)
        templates = tuple(
            _template_parse(pattern, variables=self.variables)
            for pattern in (self.resources or self.not_resources or ())
        )
        if any(_has_variables(template) for template in templates):
            object.__setattr__(self, "_resource", None)
        elif self.variables:  # escapes such as `${*}` only: resolved once, here
            patterns = tuple(_resolve(template, _EMPTY_CONTEXT) for template in templates)
            regex = _compile(patterns, False)
            object.__setattr__(self, "_resource", _Matcher(regex, resource.negated))
        else:
            object.__setattr__(self, "_resource", resource)
        object.__setattr__(self, "_resource_templates", templates)

    def matches(self, *, action: str, resource: str, context: Context = _NO_CONTEXT) -> bool:
        return self._matches(action, resource, _RequestContext(context))

    def _matches(self, action: str, resource: str, context: _RequestContext) -> bool:
        if not self._action(action):
            return False
        try:
            return self._resource_matches(resource, context) and all(
                condition.holds(context) for condition in self.conditions
            )
        except _UnresolvedError:
            return False  # IAM: a variable without a value makes its statement not match

    def _resource_matches(self, resource: str, context: _RequestContext) -> bool:
        if self._resource is not None:
            return self._resource(resource)
        patterns = tuple(_resolve(template, context) for template in self._resource_templates)
        regex = _compile(patterns, False)
        return (regex.fullmatch(resource) is not None) != (self.not_resources is not None)

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {} if self.sid is None else {"Sid": self.sid}
        document["Effect"] = self.effect
        for key, values in (
            ("Action", self.actions),
            ("NotAction", self.not_actions),
            ("Resource", self.resources),
            ("NotResource", self.not_resources),
        ):
            if values is not None:
                document[key] = list(values)
        if self.conditions:
            document["Condition"] = _conditions_to_document(self.conditions)
        return document


@dataclass(frozen=True, kw_only=True)
class Policy:
    """A parsed policy; `version` is None when the document had none (IAM reads 2008-10-17)."""

    statements: tuple[Statement, ...]
    version: str | None = "2012-10-17"
    id: str | None = None

    def to_document(self) -> dict[str, Any]:
        """The canonical document to store: lists everywhere, IAM's key order, nothing added."""
        return _policy_document(self.version, self.id, self.statements)


def policy_evaluate(
    *,
    policies: Sequence[Policy],
    action: str,
    resource: str,
    context: Context = _NO_CONTEXT,
) -> Decision:
    """Decide `action` on `resource`; `context` holds the request's condition keys."""
    request = _RequestContext(context)
    allowed = False
    for policy in policies:
        for statement in policy.statements:
            # Once allowed, only a Deny can still change the answer.
            if allowed and statement.effect == "Allow":
                continue
            if statement._matches(action, resource, request):
                if statement.effect == "Deny":
                    return Decision.EXPLICIT_DENY
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def policy_parse(*, document: str | Mapping[str, Any]) -> Policy:
    """Check a policy document (JSON text or already parsed) as IAM would, refusing what we lack."""
    version, policy_id, entries, budget = _document_parse(document, limit=MAX_DOCUMENT_CHARS)
    variables = version == "2012-10-17"
    statements = tuple(
        _statement_parse(entry, where=where, budget=budget, variables=variables)
        for where, entry in entries
    )
    _check_sids(statements)
    return Policy(statements=statements, version=version, id=policy_id)


def _statement_parse(raw: object, *, where: str, budget: _Budget, variables: bool) -> Statement:
    raw, where, sid, effect = _statement_head(
        raw, where=where, budget=budget, allowed=_STATEMENT_KEYS
    )

    def check_resource(resource: str, at: str) -> None:
        if resource != "*" and not resource.startswith("arn:"):
            raise _malformed(f'{at}: {_show(resource)} is not "*" or an ARN ("arn:...").')
        if not variables or "${" not in resource:
            return
        if resource[: resource.index("${")].count(":") < 5:
            # IAM: "only in the resource portion of the ARN", after the fifth colon.
            raise _malformed(
                f"{at}: a policy variable may stand only in the resource part of an ARN "
                f"(after the fifth colon): {_show(resource)}."
            )
        try:
            _template_parse(resource, variables=True)
        except ValueError as exc:
            raise _malformed(f"{at}: {exc}") from None

    actions, not_actions = _either(raw, "Action", where=where, budget=budget, check=_check_action)
    resources, not_resources = _either(
        raw, "Resource", where=where, budget=budget, check=check_resource
    )
    conditions = _conditions_parse(raw, where=where, budget=budget, variables=variables)
    return Statement(
        effect=effect,
        actions=actions,
        not_actions=not_actions,
        resources=resources,
        not_resources=not_resources,
        conditions=conditions,
        sid=sid,
        variables=variables,
    )


# -- Trust policies -------------------------------------------------------------------------

# `"*"`, or the principal types in document order, each with its ids.
Principal: TypeAlias = Literal["*"] | tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, kw_only=True)
class TrustStatement:
    """One statement of a role's trust policy: who (Principal) may do what (Action) when."""

    effect: Effect
    principal: Principal
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    conditions: tuple[Condition, ...] = ()
    sid: str | None = None
    _action: _Matcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_action", _matcher(self.actions, self.not_actions, True))
        if self.principal != "*" and not self.principal:
            raise ValueError("A trust statement needs a principal.")

    def matches(self, *, principal_federated: str, action: str, context: Context) -> bool:
        return self._matches(principal_federated, action, _RequestContext(context))

    def _matches(self, principal_federated: str, action: str, context: _RequestContext) -> bool:
        if not (_principal_matches(self.principal, principal_federated) and self._action(action)):
            return False
        try:
            return all(condition.holds(context) for condition in self.conditions)
        except _UnresolvedError:
            return False

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {} if self.sid is None else {"Sid": self.sid}
        document["Effect"] = self.effect
        document["Principal"] = (
            "*" if self.principal == "*" else {kind: list(ids) for kind, ids in self.principal}
        )
        if self.actions is not None:
            document["Action"] = list(self.actions)
        if self.not_actions is not None:
            document["NotAction"] = list(self.not_actions)
        if self.conditions:
            document["Condition"] = _conditions_to_document(self.conditions)
        return document


@dataclass(frozen=True, kw_only=True)
class TrustPolicy:
    """A role's trust policy (AssumeRolePolicyDocument)."""

    statements: tuple[TrustStatement, ...]
    version: str | None = "2012-10-17"
    id: str | None = None

    def to_document(self) -> dict[str, Any]:
        return _policy_document(self.version, self.id, self.statements)


def trust_policy_parse(*, document: str | Mapping[str, Any]) -> TrustPolicy:
    """Check a role trust policy as IAM does: each statement names a Principal, none a Resource."""
    version, policy_id, entries, budget = _document_parse(document, limit=MAX_TRUST_DOCUMENT_CHARS)
    variables = version == "2012-10-17"
    statements = tuple(
        _trust_statement_parse(entry, where=where, budget=budget, variables=variables)
        for where, entry in entries
    )
    _check_sids(statements)
    return TrustPolicy(statements=statements, version=version, id=policy_id)


def trust_policy_allows(
    *,
    policy: TrustPolicy,
    principal_federated: str,
    action: str = "sts:AssumeRoleWithWebIdentity",
    context: Context = _NO_CONTEXT,
) -> bool:
    """Whether the federated principal may `action` (assume the role), a Deny winning.

    For Cognito's flows `principal_federated` is "cognito-identity.amazonaws.com" and `context`
    holds the identity pool token's claims: `cognito-identity.amazonaws.com:aud` (the pool id),
    `:sub` (the identity id) and the multi-valued `:amr`.
    """
    request = _RequestContext(context)
    allowed = False
    for statement in policy.statements:
        if statement._matches(principal_federated, action, request):
            if statement.effect == "Deny":
                return False
            allowed = True
    return allowed


def _principal_matches(principal: Principal, federated: str) -> bool:
    if principal == "*":
        return True
    return any(
        (kind == "Federated" and federated in ids) or (kind == "AWS" and "*" in ids)
        for kind, ids in principal
    )


def _trust_statement_parse(
    raw: object, *, where: str, budget: _Budget, variables: bool
) -> TrustStatement:
    raw, where, sid, effect = _statement_head(
        raw, where=where, budget=budget, allowed=_TRUST_STATEMENT_KEYS, trust=True
    )
    if "Principal" not in raw:
        raise _malformed(f"{where} has no Principal: a trust policy names who may assume the role.")
    principal = _principal_parse(raw["Principal"], at=f"{where}: Principal", budget=budget)
    actions, not_actions = _either(raw, "Action", where=where, budget=budget, check=_check_action)
    return TrustStatement(
        effect=effect,
        principal=principal,
        actions=actions,
        not_actions=not_actions,
        conditions=_conditions_parse(raw, where=where, budget=budget, variables=variables),
        sid=sid,
    )


def _principal_parse(raw: object, *, at: str, budget: _Budget) -> Principal:
    if raw == "*":
        return "*"
    if not isinstance(raw, Mapping) or not raw:
        raise _malformed(
            f'{at} must be "*" or an object of {", ".join(_PRINCIPAL_TYPES)}, not {_show(raw)}.'
        )
    entries: list[tuple[str, tuple[str, ...]]] = []
    for kind, ids in raw.items():
        if kind not in _PRINCIPAL_TYPES:
            raise _malformed(
                f"{at}: unknown principal type {_show(kind)}: expected "
                f"{', '.join(_PRINCIPAL_TYPES)}."
            )
        items = [ids] if isinstance(ids, str) else ids
        if not isinstance(items, list) or not items:
            raise _malformed(
                f"{at}: {kind} must be a string or a non-empty list of strings, not {_show(ids)}."
            )
        if len(items) > budget.left:
            raise budget.exceeded()
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item:
                raise _malformed(f"{at}: {kind}[{index}] must be a non-empty string.")
            budget.charge(item)
        entries.append((kind, tuple(items)))
    return tuple(entries)


# -- Shared parsing -------------------------------------------------------------------------


def _document_parse(
    document: str | Mapping[str, Any], *, limit: int
) -> tuple[str | None, str | None, list[tuple[str, object]], _Budget]:
    """The top level: Version, Id, and each statement with where it stands."""
    if isinstance(document, str):
        document = _json_load(document, limit=limit)
    if not isinstance(document, Mapping):
        raise _malformed(f"The policy document must be a JSON object, not {_show(document)}.")
    for key in document:
        if key not in _POLICY_KEYS:
            raise _malformed(
                f"Unknown policy element {_show(key)}: expected Version, Id, Statement."
            )
    budget = _Budget(limit)
    version: str | None = None
    if "Version" in document:
        version = document["Version"]
        if not isinstance(version, str) or version not in VERSIONS:
            raise _malformed(f"Version must be 2012-10-17 or 2008-10-17, not {_show(version)}.")
    policy_id: str | None = None
    if "Id" in document:
        policy_id = document["Id"]
        if not isinstance(policy_id, str):
            raise _malformed(f"Id must be a string, not {_show(policy_id)}.")
        budget.charge(policy_id)
    if "Statement" not in document:
        raise _malformed("The policy document has no Statement.")
    raw = document["Statement"]
    if isinstance(raw, Mapping):
        entries: list[tuple[str, object]] = [("Statement", raw)]
    elif isinstance(raw, list) and 0 < len(raw) <= MAX_STATEMENTS:
        entries = [(f"Statement[{index}]", entry) for index, entry in enumerate(raw)]
    else:
        raise _malformed(
            f"Statement must be an object or a list of 1 to {MAX_STATEMENTS} objects, "
            f"not {_show(raw)}."
        )
    return version, policy_id, entries, budget


def _check_sids(statements: Sequence[Statement | TrustStatement]) -> None:
    sids = [statement.sid for statement in statements if statement.sid]
    if len(set(sids)) != len(sids):
        raise _malformed("Statement IDs (Sid) in a policy must be unique.")


def _statement_head(
    raw: object,
    *,
    where: str,
    budget: _Budget,
    allowed: frozenset[str],
    trust: bool = False,
) -> tuple[Mapping[Any, Any], str, str | None, Effect]:
    """A statement's shape, Sid and Effect, with `where` naming its Sid for messages."""
    if not isinstance(raw, Mapping):
        raise _malformed(f"{where} must be an object, not {_show(raw)}.")
    sid: str | None = None
    if "Sid" in raw:
        sid = raw["Sid"]
        if not isinstance(sid, str) or not _SID.fullmatch(sid):
            raise _malformed(
                f"{where}: Sid must be a string of letters and digits, not {_show(sid)}."
            )
        budget.charge(sid)
        if sid:
            where = f"{where} (Sid {_show(sid)})"
    for key in raw:
        if key in allowed:
            continue
        if not trust and key in ("Principal", "NotPrincipal"):
            raise _malformed(f"{where}: {key} is not allowed in an identity policy.")
        if trust and key in ("Resource", "NotResource", "NotPrincipal"):
            raise _malformed(f"{where}: {key} is not allowed in a trust policy.")
        raise _malformed(f"{where}: unknown statement element {_show(key)}.")
    match raw.get("Effect"):
        case "Allow":
            return raw, where, sid, "Allow"
        case "Deny":
            return raw, where, sid, "Deny"
        case None if "Effect" not in raw:
            raise _malformed(f"{where} has no Effect.")
        case other:
            raise _malformed(f'{where}: Effect must be "Allow" or "Deny", not {_show(other)}.')


def _conditions_parse(
    raw: Mapping[Any, Any], *, where: str, budget: _Budget, variables: bool
) -> tuple[Condition, ...]:
    if "Condition" not in raw:
        return ()
    block = raw["Condition"]
    at = f"{where}: Condition"
    if not isinstance(block, Mapping) or not block:
        raise _malformed(
            f"{at} must be a non-empty object of condition operators, not {_show(block)}."
        )
    if len(block) > budget.left:
        raise budget.exceeded()
    conditions: list[Condition] = []
    for name, keys in block.items():
        if not isinstance(name, str) or _operator_parse(name) is None:
            raise _malformed(f"{at}: unknown condition operator {_show(name)}.")
        budget.charge(name)
        conditions.extend(
            _operator_block_parse(
                keys, operator=name, at=f"{at}: {name}", budget=budget, variables=variables
            )
        )
    return tuple(conditions)


def _operator_block_parse(
    keys: object, *, operator: str, at: str, budget: _Budget, variables: bool
) -> list[Condition]:
    if not isinstance(keys, Mapping) or not keys:
        raise _malformed(
            f"{at} must be a non-empty object of condition keys and values, not {_show(keys)}."
        )
    if len(keys) > budget.left:
        raise budget.exceeded()
    conditions: list[Condition] = []
    seen: set[str] = set()
    for key, value in keys.items():
        if not isinstance(key, str) or not _CONDITION_KEY.fullmatch(key):
            raise _malformed(
                f'{at}: {_show(key)} is not a condition key ("<service>:<name>", such as '
                '"aws:SourceIp").'
            )
        budget.charge(key)
        if key.lower() in seen:
            # Condition keys are case-insensitive: two spellings of one key would be ambiguous.
            raise _malformed(f"{at}: the key {_show(key)} is given twice (keys ignore case).")
        seen.add(key.lower())
        values = _condition_values(value, at=f"{at}: {key}", budget=budget)
        try:
            conditions.append(
                Condition(operator=operator, key=key, values=values, variables=variables)
            )
        except ValueError as exc:
            raise _malformed(f"{at}: {key}: {exc}") from None
    return conditions


def _condition_values(raw: object, *, at: str, budget: _Budget) -> tuple[str, ...]:
    """A condition's values as IAM reads them: strings, numbers and booleans, one or a list."""
    single = not isinstance(raw, list)
    items: list[Any] = raw if isinstance(raw, list) else [raw]
    if not items:
        raise _malformed(f"{at} must be a value or a non-empty list of values, not an empty list.")
    if len(items) > budget.left:
        raise budget.exceeded()
    values: list[str] = []
    for index, item in enumerate(items):
        where = at if single else f"{at}[{index}]"
        if isinstance(item, bool):
            text = "true" if item else "false"
        elif isinstance(item, int | float) and math.isfinite(item):
            text = str(item)
        elif isinstance(item, str):
            text = item
        else:
            raise _malformed(f"{where} must be a string, a number or a boolean, not {_show(item)}.")
        budget.charge(text or " ")  # an empty value still takes a place
        values.append(text)
    return tuple(values)


def _policy_document(
    version: str | None, policy_id: str | None, statements: Iterable[Statement | TrustStatement]
) -> dict[str, Any]:
    document: dict[str, Any] = {}
    if version is not None:
        document["Version"] = version
    if policy_id is not None:
        document["Id"] = policy_id
    document["Statement"] = [statement.to_document() for statement in statements]
    return document


_Values = tuple[str, ...] | None


def _either(
    raw: Mapping[Any, Any],
    key: str,
    *,
    where: str,
    budget: _Budget,
    check: Callable[[str, str], None],
) -> tuple[_Values, _Values]:
    """`key` or `Not<key>`, exactly one, as a tuple in the right slot of the returned pair."""
    negated_key = f"Not{key}"
    if (key in raw) == (negated_key in raw):
        raise _malformed(f"{where} must have exactly one of {key} and {negated_key}.")
    name = key if key in raw else negated_key
    value = raw[name]
    single = isinstance(value, str)
    items = [value] if single else value
    if not isinstance(items, list) or not items:
        raise _malformed(
            f"{where}: {name} must be a string or a non-empty list of strings, not {_show(value)}."
        )
    # Every entry takes at least one character, so no list longer than this can fit.
    if len(items) > budget.left:
        raise budget.exceeded()
    for index, item in enumerate(items):
        at = f"{where}: {name}" if single else f"{where}: {name}[{index}]"
        if not isinstance(item, str) or not item:
            raise _malformed(f"{at} must be a non-empty string, not {_show(item)}.")
        budget.charge(item)
        check(item, at)
    values = tuple(items)
    return (values, None) if name == key else (None, values)


def _check_action(action: str, at: str) -> None:
    if action != "*" and not _ACTION.fullmatch(action):
        raise _malformed(
            f'{at}: {_show(action)} is not "*" or "<service>:<action>" (service: letters, '
            'digits, hyphens; action: letters, digits, "*", "?").'
        )


class _Budget:
    """The characters a policy's strings may still take.

    JSON text is measured before it is parsed; a mapping given directly is measured by its strings
    as they are read, so an enormous one is refused early instead of being walked. Strings are
    shorter than the text that holds them, so whatever fits as text also fits as a mapping.
    """

    def __init__(self, limit: int = MAX_DOCUMENT_CHARS) -> None:
        self.limit = limit
        self.left = limit

    def charge(self, text: str) -> None:
        self.left -= len(text)
        if self.left < 0:
            raise self.exceeded()

    def exceeded(self) -> MalformedPolicyDocumentException:
        return _too_long(self.limit)


def _too_long(limit: int) -> MalformedPolicyDocumentException:
    return _malformed(f"The policy document is longer than {limit} characters.")


def _json_load(text: str, *, limit: int) -> Any:
    if len(text) > limit:
        raise _too_long(limit)
    try:
        return json.loads(text, object_pairs_hook=_object_without_duplicates)
    except RecursionError:
        raise _malformed("The policy document is nested too deeply.") from None
    except ValueError as exc:
        raise _malformed(f"The policy document is not valid JSON: {exc}.") from None


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Parsers disagree on which duplicate wins ("Effect" twice): refuse rather than guess.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _malformed(f"The policy document repeats the key {_show(key)}.")
        result[key] = value
    return result


def _matcher(patterns: _Values, negated_patterns: _Values, ignore_case: bool) -> _Matcher:
    if patterns and negated_patterns is None:
        return _Matcher(_compile(_patterns(patterns), ignore_case), negated=False)
    if negated_patterns and patterns is None:
        return _Matcher(_compile(_patterns(negated_patterns), ignore_case), negated=True)
    raise ValueError("A statement needs exactly one non-empty list of each pair (X or NotX).")


_JSON_TYPES: tuple[tuple[type[Any] | tuple[type[Any], ...], str], ...] = (
    (bool, "a boolean"),  # before int: a bool is an int to isinstance
    ((int, float), "a number"),
    (type(None), "null"),
    (Mapping, "an object"),
    (list, "a list"),
)


def _show(value: object) -> str:
    """A value fit for an error message: a string quoted and cut short, else its JSON type."""
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 60 else f"{value[:57]}...")
    return next(
        (name for kind, name in _JSON_TYPES if isinstance(value, kind)),
        f"a {type(value).__name__}",
    )


def _malformed(message: str) -> MalformedPolicyDocumentException:
    return MalformedPolicyDocumentException(message)
