"""The bulk users' names, shared by the loaders of both servers and by the ListUsers scenario."""

from __future__ import annotations

import random

# The ListUsers filter's attribute: a standard attribute both servers can filter on.
FILTER_ATTRIBUTE = "email"
EMAIL_DOMAIN = "bench.example"


def bench_user_name(index: int) -> str:
    """The username of bulk user `index` (its email is `<name>@bench.example`). Seven digits, so
    that `bench-user` and six of them, the filter's prefix, match exactly ten users whatever the
    pool's size."""
    return f"bench-user{index:07d}"


def bench_user_email(index: int) -> str:
    return f"{bench_user_name(index)}@{EMAIL_DOMAIN}"


def list_filters(*, size: int, count: int, seed: int) -> list[str]:
    """`count` ListUsers filters `email ^= "<prefix>"`, each matching ten users spread over the
    whole pool, the same sequence for both servers."""
    chooser = random.Random(seed)  # noqa: S311 (a reproducible sample, not a secret)
    tens = max(1, size // 10)
    return [
        f'{FILTER_ATTRIBUTE} ^= "{bench_user_name(chooser.randrange(tens) * 10)[:-1]}"'
        for _ in range(count)
    ]
