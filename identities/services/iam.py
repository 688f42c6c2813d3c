"""What IAM's entities (roles, managed policies, OpenID Connect providers) share: IAM's tag
rules, and the members of its operations this server refuses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cognitoadmin.errors import LimitExceededException
from identities.errors import InvalidInputException

MAX_TAGS = 50  # TagsPerRole, TagsPerOpenIdConnectProvider, ...

_DUPLICATE_TAGS = "Duplicate tag keys found. Please note that Tag keys are case insensitive."

Tags = Sequence[Mapping[str, str]]


def tags_checked(tags: Tags) -> dict[str, str]:
    """IAM's tag rules beyond its model: keys unique without regard to case, `aws:` reserved."""
    checked: dict[str, str] = {}
    seen: set[str] = set()
    for tag in tags:
        key, value = tag["Key"], tag["Value"]
        folded = key.lower()
        if folded.startswith("aws:"):
            raise InvalidInputException(
                f"Tag key {key} is invalid: keys that begin with aws: are reserved for AWS use."
            )
        if folded in seen:
            raise InvalidInputException(_DUPLICATE_TAGS)
        seen.add(folded)
        checked[key] = value
    return checked


def tags_merged(
    current: Mapping[str, str], new: Mapping[str, str], *, quota: str
) -> dict[str, str]:
    """`current` with `new` added: a key given again in another case replaces the old tag, key
    and all. Past MAX_TAGS, LimitExceededException names IAM's `quota`."""
    replaced = {key.lower() for key in new}
    merged = {key: value for key, value in current.items() if key.lower() not in replaced}
    merged.update(new)
    if len(merged) > MAX_TAGS:
        raise LimitExceededException(f"Cannot exceed quota for {quota}: {MAX_TAGS}.")
    return merged


def tags_removed(current: Mapping[str, str], keys: Sequence[str]) -> dict[str, str]:
    """`current` without `keys`, matched without regard to case; a missing key is no error."""
    removed = {key.lower() for key in keys}
    return {key: value for key, value in current.items() if key.lower() not in removed}


def unsupported(**members: object) -> None:
    """InvalidInputException for the first member given of those this server does not serve."""
    for name, value in members.items():
        if value is not None:
            raise InvalidInputException(f"{name} is not supported by this server.")
