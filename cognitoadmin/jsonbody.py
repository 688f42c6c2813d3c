"""JSON request bodies, parsed with the limits every JSON door keeps (the AWS endpoint, the
management API): valid UTF-8 and JSON, no NaN or Infinity, no integer beyond Python's
4,300-digit conversion limit, nesting no deeper than any AWS or API shape needs, and only strings
that are valid Unicode without NUL. A lone surrogate (`"\\ud800"`) is valid JSON but no valid
text, and NUL is text no PostgreSQL column holds: neither could reach a database or a header.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from cognitoadmin.awsmodel import SerializationException
from cognitoadmin.errors import InvalidParameterException

# The deepest input shape of the three AWS models and of the API is under 10 levels.
MAX_DEPTH = 32
NOT_JSON = "The request body is not valid JSON."


def _constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def json_body_load(raw: bytes) -> Any:
    """The value `raw` holds, or SerializationException (InvalidParameterException for text
    that is not valid Unicode)."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        # ValueError also covers integers beyond the digit limit; RecursionError, nesting deeper
        # than the parser can go.
        raise SerializationException(NOT_JSON) from None
    _check(value)
    return value


def _check(value: Any) -> None:
    """Depth and text of everything in `value`, without recursion."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _text_check(item)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise SerializationException(f"The request body nests deeper than {MAX_DEPTH}.")
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str):
                    _text_check(key)
                pending.append((child, depth + 1))


def _text_check(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidParameterException(
            "1 validation error detected: a string in the request is not valid Unicode "
            "(it holds a lone surrogate)."
        ) from None
    if "\x00" in text:
        # Valid Unicode, but no text a database column holds (PostgreSQL refuses it).
        raise InvalidParameterException(
            "1 validation error detected: a string in the request holds a NUL character."
        )
