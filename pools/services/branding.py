"""The classic hosted UI's branding: SetUICustomization's rules, and what the hosted pages show.

Cognito takes a logo (PNG or JPEG, 100 KB at most) and CSS for its documented `-customizable`
classes only, and only on a pool that has a domain. The pool's customization (ClientId "ALL") is
every client's default; a client's own one replaces it on that client's pages. One call sets the
CSS and the logo together: what a call leaves out is removed, and a call with neither removes
that level's customization (a client's pages then show the pool's again).

The CSS is parsed (tinycss2) and checked against the documented classes, their pseudo-classes
and properties, each value against a small grammar (lengths, colours, a few keywords), so no
at-rule, `url()`, string, escape into another selector or `</style>` gets through. The pages get
the rules re-written from the parsed values, never the text as given, inside the style element
their Content-Security-Policy allows by nonce.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# tinycss2 ships no type hints: its nodes are Any here.
import tinycss2  # type: ignore[import-untyped]
import tinycss2.color3  # type: ignore[import-untyped]
from django.conf import settings
from django.db import transaction
from PIL import Image

from pools.errors import InvalidParameterException
from pools.models import AppClient, UICustomization, UserPool
from pools.selectors.branding import ALL_CLIENTS
from pools.selectors.domains import pool_domains_active
from pools.selectors.pools import user_pool_locked

logger = logging.getLogger(__name__)

# CSSType's maximum in botocore's model, for the doors that do not check the model (the admin).
MAX_CSS_LENGTH = 131072
MAX_IMAGE_BYTES = 100 * 1024
# Cognito shows the logo at 350 by 178 pixels; larger images only cost memory to decode.
MAX_IMAGE_SIDE = 4096
# The image's URL carries this much of its SHA-256: a new logo is a new URL.
IMAGE_VERSION_LENGTH = 16
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
# Pillow's format name -> (Content-Type, file extension).
IMAGE_TYPES = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg")}
EXTENSIONS = {content_type: extension for content_type, extension in IMAGE_TYPES.values()}

NO_DOMAIN = "A domain must be associated with this user pool."


# --- the CSS grammar ----------------------------------------------------------------------

Token = Any  # a tinycss2 node
Check = Callable[[Sequence[Token]], bool]

_UNITS = frozenset({"px", "em", "rem", "pt", "vh", "vw"})


def _length(token: Token, *, negative: bool = False) -> bool:
    """A length: a number with a unit, a percentage, or 0."""
    if token.type not in {"dimension", "percentage", "number"}:
        return False
    if not math.isfinite(token.value) or (token.value < 0 and not negative):
        return False
    if token.type == "dimension":
        return bool(token.lower_unit in _UNITS)
    return bool(token.type == "percentage" or token.value == 0)


def _keyword(token: Token, words: frozenset[str]) -> bool:
    return bool(token.type == "ident" and token.lower_value in words)


def _color(token: Token) -> bool:
    """A colour: a name, `#rgb`..`#rrggbbaa`, rgb(), rgba(), hsl() or hsla() of numbers."""
    if token.type not in {"ident", "hash", "function"}:
        return False
    if token.type == "function" and token.lower_name not in {"rgb", "rgba", "hsl", "hsla"}:
        return False
    return tinycss2.color3.parse_color(token) is not None


def _one(check: Callable[[Token], bool]) -> Check:
    return lambda values: len(values) == 1 and check(values[0])


def _keywords(*words: str) -> Check:
    known = frozenset(words)
    return _one(lambda token: _keyword(token, known))


_BORDER_STYLES = frozenset({"none", "solid", "dashed", "dotted", "double"})
_BORDER_WIDTHS = frozenset({"thin", "medium", "thick"})


def _border(values: Sequence[Token]) -> bool:
    """`border` and `outline`: a width, a style and a colour, each at most once, in any order."""
    if not 1 <= len(values) <= 3:
        return False
    seen: set[str] = set()
    for token in values:
        if _keyword(token, _BORDER_STYLES):
            part = "style"
        elif _length(token) or _keyword(token, _BORDER_WIDTHS):
            part = "width"
        elif _color(token):
            part = "color"
        else:
            return False
        if part in seen:
            return False
        seen.add(part)
    return True


def _box(*, negative: bool, auto: bool) -> Check:
    """`margin` and `padding`: one to four lengths (top, right, bottom, left)."""

    def check(values: Sequence[Token]) -> bool:
        return 1 <= len(values) <= 4 and all(
            _length(token, negative=negative) or (auto and _keyword(token, frozenset({"auto"})))
            for token in values
        )

    return check


COLOR = _one(_color)
LENGTH = _one(_length)
MARGIN = _box(negative=True, auto=True)
PADDING = _box(negative=False, auto=False)
BORDER = _border
# Cognito's guide lists italic among the submit button's weights; browsers ignore it.
FONT_WEIGHT = _keywords("normal", "bold", "bolder", "lighter", "italic")
_WEIGHTS = frozenset(float(weight) for weight in range(100, 1000, 100))


def _font_weight(values: Sequence[Token]) -> bool:
    if len(values) == 1 and values[0].type == "number" and values[0].value in _WEIGHTS:
        return True
    return FONT_WEIGHT(values)


DISPLAY = _keywords("block", "inline")
TEXT_ALIGN = _keywords("left", "right", "center")
BOX_SIZING = _keywords("content-box", "border-box")

# The classes and properties of Cognito's guide ("Customizing hosted UI (classic) branding") and
# of the console's CSS template; a property of one class is not allowed on another.
_TEXT = {"padding-top": LENGTH, "padding-bottom": LENGTH, "display": DISPLAY, "font-size": LENGTH}
_HOVER = {"color": COLOR, "background-color": COLOR}
ALLOWED: dict[str, dict[str, Check]] = {
    ".background-customizable": {"background-color": COLOR},
    ".banner-customizable": {"padding": PADDING, "background-color": COLOR},
    ".errorMessage-customizable": {
        "margin": MARGIN,
        "padding": PADDING,
        "font-size": LENGTH,
        "width": LENGTH,
        "background": COLOR,
        "background-color": COLOR,
        "border": BORDER,
        "border-radius": LENGTH,
        "color": COLOR,
        "box-sizing": BOX_SIZING,
    },
    ".idpButton-customizable": {
        "height": LENGTH,
        "width": LENGTH,
        "text-align": TEXT_ALIGN,
        "margin-bottom": LENGTH,
        "color": COLOR,
        "background-color": COLOR,
        "border-color": COLOR,
        "border-radius": LENGTH,
    },
    ".idpButton-customizable:hover": _HOVER,
    ".idpDescription-customizable": _TEXT,
    ".inputField-customizable": {
        "width": LENGTH,
        "height": LENGTH,
        "color": COLOR,
        "background-color": COLOR,
        "border": BORDER,
        "border-radius": LENGTH,
    },
    ".inputField-customizable:focus": {"border-color": COLOR, "outline": BORDER},
    ".label-customizable": {"font-weight": _font_weight, "color": COLOR},
    ".legalText-customizable": {"color": COLOR, "font-size": LENGTH},
    ".logo-customizable": {"max-width": LENGTH, "max-height": LENGTH},
    ".passwordCheck-notValid-customizable": {"color": COLOR},
    ".passwordCheck-valid-customizable": {"color": COLOR},
    ".redirect-customizable": {"text-align": TEXT_ALIGN},
    ".socialButton-customizable": {
        "height": LENGTH,
        "text-align": TEXT_ALIGN,
        "width": LENGTH,
        "margin-bottom": LENGTH,
        "border-radius": LENGTH,
        "padding": PADDING,
    },
    ".submitButton-customizable": {
        "font-size": LENGTH,
        "font-weight": _font_weight,
        "margin": MARGIN,
        "width": LENGTH,
        "height": LENGTH,
        "color": COLOR,
        "background-color": COLOR,
        "border-radius": LENGTH,
    },
    ".submitButton-customizable:hover": _HOVER,
    ".textDescription-customizable": _TEXT,
}
CLASSES = sorted({selector.split(":")[0][1:] for selector in ALLOWED})


def _bare(tokens: Sequence[Token]) -> list[Token]:
    return [token for token in tokens if token.type not in {"whitespace", "comment"}]


def _strip(tokens: Sequence[Token]) -> list[Token]:
    """`tokens` without the whitespace and comments at either end."""
    items = list(tokens)
    while items and items[0].type in {"whitespace", "comment"}:
        items.pop(0)
    while items and items[-1].type in {"whitespace", "comment"}:
        items.pop()
    return items


def _selector(tokens: Sequence[Token]) -> str:
    """`.name` or `.name:pseudo-class` as one piece (whitespace inside a selector would be a
    combinator), else ""."""
    kinds = [(token.type, getattr(token, "value", None)) for token in tokens]
    if len(kinds) not in {2, 4} or kinds[0] != ("literal", ".") or kinds[1][0] != "ident":
        return ""
    if len(kinds) == 2:
        return f".{tokens[1].value}"
    if kinds[2] != ("literal", ":") or kinds[3][0] != "ident":
        return ""
    return f".{tokens[1].value}:{tokens[3].lower_value}"


def _selectors(prelude: Sequence[Token]) -> list[str]:
    """The rule's selectors, comma-separated, each one of the allowed ones."""
    groups: list[list[Token]] = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            groups.append([])
        else:
            groups[-1].append(token)
    selectors = []
    for group in groups:
        tokens = _strip(group)
        # Class names are case-sensitive in HTML's standards mode: only Cognito's spelling.
        name = _selector(tokens)
        if name not in ALLOWED:
            text = tinycss2.serialize(tokens)[:100]
            raise InvalidParameterException(
                f"The CSS selector {text!r} is not one of the classes Cognito's hosted UI "
                f"allows: {', '.join(sorted(ALLOWED))}."
            )
        selectors.append(name)
    return selectors


def _declarations(selectors: list[str], content: Sequence[Token]) -> list[str]:
    declarations = []
    for item in tinycss2.parse_declaration_list(content, skip_comments=True, skip_whitespace=True):
        if item.type == "error":
            raise InvalidParameterException(f"The CSS is not valid: {item.message.rstrip('.')}.")
        if item.type != "declaration":
            raise InvalidParameterException(
                f"The CSS of {', '.join(selectors)} may hold only declarations, no nested rule "
                "or at-rule."
            )
        name = item.lower_name
        values = _bare(item.value)
        for selector in selectors:
            check = ALLOWED[selector].get(name)
            if check is None:
                raise InvalidParameterException(
                    f"The CSS property {name[:64]!r} is not allowed for {selector}: use "
                    f"{', '.join(sorted(ALLOWED[selector]))}."
                )
            if not check(values):
                raise InvalidParameterException(
                    f"The CSS value {tinycss2.serialize(item.value).strip()[:100]!r} of "
                    f"{name} is not allowed for {selector}."
                )
        value = " ".join(tinycss2.serialize([token]) for token in values)
        declarations.append(f"{name}: {value}{' !important' if item.important else ''}")
    return declarations


# A rule's block holds a function's parentheses at most (`rgb(...)`): deeper nesting is never
# allowed CSS, and tinycss2 recurses once per level when it serializes it.
MAX_CSS_NESTING = 8
_OPENING, _CLOSING = frozenset("({["), frozenset(")}]")


def _nesting_check(css: str) -> None:
    depth = 0
    for character in css:
        if character in _OPENING:
            depth += 1
            if depth > MAX_CSS_NESTING:
                raise InvalidParameterException(
                    f"The CSS nests brackets more than {MAX_CSS_NESTING} deep."
                )
        elif character in _CLOSING:
            depth = max(depth - 1, 0)


def css_check(css: str) -> str:
    """The CSS re-written from its parsed rules (what a page may include), or
    InvalidParameterException saying what Cognito's hosted UI does not allow."""
    if len(css) > MAX_CSS_LENGTH:
        raise InvalidParameterException(f"The CSS is longer than {MAX_CSS_LENGTH} characters.")
    if "<" in css:
        # Never in any rule that is allowed; in a comment it could still end the style element.
        raise InvalidParameterException("The CSS must not contain '<'.")
    if "\x00" in css:
        raise InvalidParameterException("The CSS must not contain NUL characters.")
    _nesting_check(css)
    rules = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule":
            raise InvalidParameterException(
                f"The CSS at-rule @{rule.at_keyword[:64]} is not allowed: "
                "no @import, @media, @supports, @page or any other."
            )
        if rule.type == "error":
            raise InvalidParameterException(f"The CSS is not valid: {rule.message.rstrip('.')}.")
        selectors = _selectors(rule.prelude)
        declarations = _declarations(selectors, rule.content)
        if declarations:
            rules.append(f"{', '.join(selectors)} {{ {'; '.join(declarations)}; }}")
    return "\n".join(rules)


# --- the logo ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    content_type: str
    digest: str


def image_check(data: bytes) -> CheckedImage:
    """A PNG or JPEG of at most 100 KB whose pixels decode, or InvalidParameterException."""
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidParameterException(
            f"The image file is larger than {MAX_IMAGE_BYTES} bytes (100 KB)."
        )
    if not data.startswith((_PNG_MAGIC, _JPEG_MAGIC)):
        raise InvalidParameterException("The image file must be a PNG or a JPEG image.")
    undecodable = "The image file is not a PNG or JPEG image that decodes."
    try:
        image = Image.open(io.BytesIO(data), formats=list(IMAGE_TYPES))
    except Exception:  # Pillow's parsers raise many kinds on hostile bytes
        raise InvalidParameterException(undecodable) from None
    with image:
        width, height = image.size
        if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
            raise InvalidParameterException(
                f"The image is {width} by {height} pixels: at most {MAX_IMAGE_SIDE} by "
                f"{MAX_IMAGE_SIDE} are allowed."
            )
        try:
            image.load()
        except Exception:
            raise InvalidParameterException(undecodable) from None
        kind = image.format or ""
    if kind not in IMAGE_TYPES:
        raise InvalidParameterException("The image file must be a PNG or a JPEG image.")
    return CheckedImage(
        data=data, content_type=IMAGE_TYPES[kind][0], digest=hashlib.sha256(data).hexdigest()
    )


# --- SetUICustomization --------------------------------------------------------------------


@transaction.atomic
def ui_customization_set(
    *, pool: UserPool, client: AppClient | None, css: str | None, image: bytes | None
) -> UICustomization | None:
    """SetUICustomization for the pool's default (`client` None) or for `client` (of `pool`):
    the CSS and the logo together. Neither removes that level's customization (None)."""
    if client is not None and client.pool_id != pool.pk:
        raise InvalidParameterException("The app client is not one of this user pool's.")
    css = css or ""
    css_check(css)
    checked = image_check(image) if image else None
    user_pool_locked(pool=pool)
    if not pool_domains_active(pool=pool):
        raise InvalidParameterException(NO_DOMAIN)
    rows = UICustomization.objects.select_for_update().filter(pool=pool)
    rows = rows.filter(client=client) if client is not None else rows.filter(client__isnull=True)
    row = rows.first()
    if not css and checked is None:
        if row is not None:
            row.delete()
        return None
    if row is None:
        row = UICustomization(pool=pool, client=client)
    row.css = css
    row.image = checked.data if checked else b""
    row.image_content_type = checked.content_type if checked else ""
    row.image_digest = checked.digest if checked else ""
    row.save()
    return row


# --- what the pages and the API show -------------------------------------------------------


def ui_customization_client_id(row: UICustomization) -> str:
    return row.client.client_id if row.client is not None else ALL_CLIENTS


def ui_customization_image_url(row: UICustomization) -> str | None:
    """Where the logo is served, on the public URL; its version changes with the image."""
    if not row.image_digest:
        return None
    extension = EXTENSIONS.get(row.image_content_type, "png")
    return (
        f"{settings.COGNITOADMIN_PUBLIC_URL}/{row.pool.pool_id}/{ui_customization_client_id(row)}"
        f"/{row.image_digest[:IMAGE_VERSION_LENGTH]}/assets/images/image.{extension}"
    )


def ui_customization_css_version(row: UICustomization) -> str:
    """Cognito's CSSVersion: when the customization last changed, as digits."""
    moment: dt.datetime = row.updated_at
    return moment.strftime("%Y%m%d%H%M%S")


@dataclass(frozen=True)
class PageBranding:
    """What a hosted page includes: the checked CSS and the logo's URL."""

    css: str
    image_url: str | None


def ui_customization_page(row: UICustomization | None) -> PageBranding | None:
    """The branding of a page, from the customization its client shows. CSS that no longer
    passes the check (stored before a stricter rule) is left out, never included as it is."""
    if row is None:
        return None
    try:
        css = css_check(row.css)
    except InvalidParameterException as error:
        logger.warning("UI customization %s: CSS left out: %s", row.pk, error.message)
        css = ""
    return PageBranding(css=css, image_url=ui_customization_image_url(row))
