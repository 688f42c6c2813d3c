"""IAM-style identity policies: parse a policy document, and decide a request against policies.

Used for the optional policy on an operator's access key, which narrows what the key may do, and
later for identity-pool roles. Evaluation is IAM's for identity policies: a matching Deny wins over
everything, then a matching Allow allows, and anything else is denied by default.

Deliberately not done yet, and refused rather than ignored, so that a policy never grants more
than its author wrote (an ignored Deny would): `Condition`; policy variables (`${aws:username}`) in
a 2012-10-17 policy (a 2008-10-17 policy matches them literally, as IAM does). `Principal` and
`NotPrincipal` are refused for good: identity policies have none.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from identities.errors import MalformedPolicyDocumentException

# IAM's limit for an inline policy.
MAX_DOCUMENT_CHARS = 10_240
MAX_STATEMENTS = 100
VERSIONS = ("2012-10-17", "2008-10-17")

_ACTION = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9*?]+")
# IAM's own rule for statement ids in identity policies.
_SID = re.compile(r"[A-Za-z0-9]*")
_POLICY_KEYS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_KEYS = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource"})

Effect = Literal["Allow", "Deny"]


class Decision(enum.Enum):
    """The outcome, valued as IAM's policy simulator names it."""

    ALLOW = "allowed"
    EXPLICIT_DENY = "explicitDeny"
    IMPLICIT_DENY = "implicitDeny"


@dataclass(frozen=True, slots=True)
class _Matcher:
    regex: re.Pattern[str]
    negated: bool

    def __call__(self, text: str) -> bool:
        return (self.regex.fullmatch(text) is not None) != self.negated


@dataclass(frozen=True, kw_only=True)
class Statement:
    """One statement; exactly one of `actions`/`not_actions` and of `resources`/`not_resources`."""

    effect: Effect
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    sid: str | None = None
    # Compiled once here, not per request: evaluation runs on every signed call.
    _action: _Matcher = field(init=False, repr=False, compare=False)
    _resource: _Matcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_action", _matcher(self.actions, self.not_actions, True))
        object.__setattr__(self, "_resource", _matcher(self.resources, self.not_resources, False))

    def matches(self, *, action: str, resource: str) -> bool:
        return self._action(action) and self._resource(resource)

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
        return document


@dataclass(frozen=True, kw_only=True)
class Policy:
    """A parsed policy; `version` is None when the document had none (IAM reads 2008-10-17)."""

    statements: tuple[Statement, ...]
    version: str | None = "2012-10-17"
    id: str | None = None

    def to_document(self) -> dict[str, Any]:
        """The canonical document to store: lists everywhere, IAM's key order, nothing added."""
        document: dict[str, Any] = {}
        if self.version is not None:
            document["Version"] = self.version
        if self.id is not None:
            document["Id"] = self.id
        document["Statement"] = [statement.to_document() for statement in self.statements]
        return document


def policy_evaluate(*, policies: Sequence[Policy], action: str, resource: str) -> Decision:
    allowed = False
    for policy in policies:
        for statement in policy.statements:
            # Once allowed, only a Deny can still change the answer.
            if allowed and statement.effect == "Allow":
                continue
            if statement.matches(action=action, resource=resource):
                if statement.effect == "Deny":
                    return Decision.EXPLICIT_DENY
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def policy_parse(*, document: str | Mapping[str, Any]) -> Policy:
    """Check a policy document (JSON text or already parsed) as IAM would, refusing what we lack."""
    if isinstance(document, str):
        document = _json_load(document)
    if not isinstance(document, Mapping):
        raise _malformed(f"The policy document must be a JSON object, not {_show(document)}.")
    for key in document:
        if key not in _POLICY_KEYS:
            raise _malformed(
                f"Unknown policy element {_show(key)}: expected Version, Id, Statement."
            )
    budget = _Budget()
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
    statements = _statements_parse(
        document["Statement"], budget=budget, variables=version == "2012-10-17"
    )
    return Policy(statements=statements, version=version, id=policy_id)


def _statements_parse(raw: object, *, budget: _Budget, variables: bool) -> tuple[Statement, ...]:
    if isinstance(raw, Mapping):
        entries = [("Statement", raw)]
    elif isinstance(raw, list) and 0 < len(raw) <= MAX_STATEMENTS:
        entries = [(f"Statement[{index}]", entry) for index, entry in enumerate(raw)]
    else:
        raise _malformed(
            f"Statement must be an object or a list of 1 to {MAX_STATEMENTS} objects, "
            f"not {_show(raw)}."
        )
    statements = tuple(
        _statement_parse(entry, where=where, budget=budget, variables=variables)
        for where, entry in entries
    )
    sids = [statement.sid for statement in statements if statement.sid]
    if len(set(sids)) != len(sids):
        raise _malformed("Statement IDs (Sid) in a policy must be unique.")
    return statements


def _statement_parse(raw: object, *, where: str, budget: _Budget, variables: bool) -> Statement:
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
        if key in ("Principal", "NotPrincipal"):
            raise _malformed(f"{where}: {key} is not allowed in an identity policy.")
        if key == "Condition":
            raise _malformed(f"{where}: Condition is not supported by this server yet.")
        if key not in _STATEMENT_KEYS:
            raise _malformed(f"{where}: unknown statement element {_show(key)}.")
    effect: Effect
    match raw.get("Effect"):
        case "Allow":
            effect = "Allow"
        case "Deny":
            effect = "Deny"
        case None if "Effect" not in raw:
            raise _malformed(f"{where} has no Effect.")
        case other:
            raise _malformed(f'{where}: Effect must be "Allow" or "Deny", not {_show(other)}.')

    def check_resource(resource: str, at: str) -> None:
        if resource != "*" and not resource.startswith("arn:"):
            raise _malformed(f'{at}: {_show(resource)} is not "*" or an ARN ("arn:...").')
        if variables and "${" in resource:
            raise _malformed(f"{at}: policy variables are not supported by this server yet.")

    actions, not_actions = _either(raw, "Action", where=where, budget=budget, check=_check_action)
    resources, not_resources = _either(
        raw, "Resource", where=where, budget=budget, check=check_resource
    )
    return Statement(
        effect=effect,
        actions=actions,
        not_actions=not_actions,
        resources=resources,
        not_resources=not_resources,
        sid=sid,
    )


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

    def __init__(self) -> None:
        self.left = MAX_DOCUMENT_CHARS

    def charge(self, text: str) -> None:
        self.left -= len(text)
        if self.left < 0:
            raise self.exceeded()

    @staticmethod
    def exceeded() -> MalformedPolicyDocumentException:
        return _malformed(f"The policy document is longer than {MAX_DOCUMENT_CHARS} characters.")


def _json_load(text: str) -> Any:
    if len(text) > MAX_DOCUMENT_CHARS:
        raise _Budget.exceeded()
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
        return _Matcher(_compile(patterns, ignore_case), negated=False)
    if negated_patterns and patterns is None:
        return _Matcher(_compile(negated_patterns, ignore_case), negated=True)
    raise ValueError("A statement needs exactly one non-empty list of each pair (X or NotX).")


@functools.lru_cache(maxsize=1024)
def _compile(patterns: tuple[str, ...], ignore_case: bool) -> re.Pattern[str]:
    # Cached across parses too: a stored policy read again for each request reuses its regexes.
    # ASCII keeps case folding to A-Z: Unicode folding would let "K" (Kelvin) stand for "k".
    flags = re.DOTALL | (re.IGNORECASE | re.ASCII if ignore_case else 0)
    return re.compile("|".join(_wildcard_regex(pattern) for pattern in patterns), flags)


def _wildcard_regex(pattern: str) -> str:
    """`*` any run, `?` one character, the rest literal, without exponential backtracking.

    Between two `*`s a piece has a fixed length, so its earliest occurrence is always the right
    one; an atomic group commits to it, so `a*b*c*...` scans the text once per piece where a plain
    `.*b.*c.*` backtracks exponentially in the number of stars.
    """

    def literal(piece: str) -> str:
        return "".join("." if char == "?" else re.escape(char) for char in piece)

    first, *rest = pattern.split("*")
    if not rest:
        return f"(?:{literal(first)})"
    *middle, last = rest
    committed = "".join(f"(?>.*?{literal(piece)})" for piece in middle if piece)
    return f"(?:{literal(first)}{committed}.*{literal(last)})"


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
