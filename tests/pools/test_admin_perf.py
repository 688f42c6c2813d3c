"""The user list's cost does not grow with the pool: a fixed handful of queries, none counting
every matching user. Timings belong to `bench/`; this guards the query plan's shape."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django import DjangoAssertNumQueries

from pools.admin.users import LookaheadPaginator, PoolUserAdmin
from pools.models import PoolUser, UserPool
from pools.services.users import user_add_to_group, user_disable
from tests.builders import make_group, make_user, make_user_pool

pytestmark = pytest.mark.django_db

USERS = 300
# Session, operator, OTP device, the pool filter's choices, the lookahead and the page itself, plus
# one for the chosen group's name or (searching without a pool) the pool ids. No room for any
# query per row.
MAX_QUERIES = 7


@pytest.fixture
def staff(client: Client, operator: User) -> Client:
    device = TOTPDevice.objects.get(user=operator, confirmed=True)
    client.force_login(operator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def crowded(pool: UserPool) -> UserPool:
    """`pool` with a few hundred users (a disabled third, one group) beside a smaller pool."""
    group = make_group(pool=pool, name="readers")
    for number in range(USERS):
        user = make_user(pool=pool, username=f"user{number:04}", email=f"u{number:04}@example.com")
        if number % 3 == 0:
            user_disable(user=user)
        if number % 10 == 0:
            user_add_to_group(user=user, group=group)
    other = make_user_pool(name="other")
    for number in range(20):
        make_user(pool=other, username=f"user{number:04}")
    return pool


def _counts_users(sql: str) -> bool:
    return "COUNT(" in sql.upper() and "pools_pooluser" in sql


def _list(staff: Client, assert_max: Any, query: dict[str, Any]) -> tuple[Any, list[str]]:
    changelist = reverse("admin:pools_pooluser_changelist")
    with assert_max(MAX_QUERIES), CaptureQueriesContext(connection) as captured:
        response = staff.get(changelist, query)
    assert response.status_code == 200
    return response.context["cl"], [query["sql"] for query in captured.captured_queries]


QUERIES: dict[str, dict[str, Any]] = {
    "plain": {},
    "second page": {"p": "2"},
    "pool": {"pool__id__exact": "<pool>"},
    "pool and status": {"pool__id__exact": "<pool>", "enabled__exact": "0"},
    "status": {"status__exact": "FORCE_CHANGE_PASSWORD"},
    "group": {"group": "<group>"},
    "username prefix": {"q": "user01"},
    "username prefix in a pool": {"q": "user01", "pool__id__exact": "<pool>"},
    "email prefix": {"q": "u0002@", "pool__id__exact": "<pool>"},
    "sub": {"q": "<sub>"},
}


def test_user_list_runs_a_few_queries_and_never_counts_the_users(
    staff: Client, crowded: UserPool, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    first = PoolUser.objects.filter(pool=crowded).earliest("id")
    values = {
        "<pool>": str(crowded.pk),
        "<group>": str(crowded.groups.get().pk),
        "<sub>": str(first.sub),
    }
    for case, template in QUERIES.items():
        query = {key: values.get(value, value) for key, value in template.items()}

        cl, statements = _list(staff, django_assert_max_num_queries, query)

        assert cl.result_list, case
        assert not [sql for sql in statements if _counts_users(sql)], case


@pytest.fixture
def paged(pool: UserPool, monkeypatch: pytest.MonkeyPatch) -> UserPool:
    """`pool` with 12 users, listed 5 a page with 2 pages of lookahead (a 10-row window)."""
    monkeypatch.setattr(PoolUserAdmin, "list_per_page", 5)
    monkeypatch.setattr(LookaheadPaginator, "lookahead_pages", 2)
    for number in range(12):
        make_user(pool=pool, username=f"user{number:02}")
    return pool


def _page(staff: Client, **query: Any) -> tuple[Any, str]:
    response = staff.get(reverse("admin:pools_pooluser_changelist"), query)
    assert response.status_code == 200
    return response.context["cl"], response.content.decode()


def test_a_count_beyond_the_lookahead_is_a_lower_bound(staff: Client, paged: UserPool) -> None:
    cl, content = _page(staff)

    assert isinstance(cl.paginator, LookaheadPaginator)
    assert (cl.result_count, cl.paginator.is_lower_bound, cl.paginator.num_pages) == (10, True, 2)
    assert "more than 10 users" in content
    # Newest first.
    assert [user.username for user in cl.result_list] == [f"user{n:02}" for n in range(11, 6, -1)]


def test_the_count_is_exact_once_the_end_is_within_the_lookahead(
    staff: Client, paged: UserPool
) -> None:
    cl, content = _page(staff, p="2")

    assert (cl.result_count, cl.paginator.is_lower_bound, cl.paginator.num_pages) == (12, False, 3)
    assert "12 pool users" in content
    last, _ = _page(staff, p="3")
    assert [user.username for user in last.result_list] == ["user01", "user00"]


def test_a_page_past_the_end_is_an_error_not_a_crash(staff: Client, paged: UserPool) -> None:
    response = staff.get(reverse("admin:pools_pooluser_changelist"), {"p": "9"})

    assert response.status_code == 302
    assert "e=1" in response["Location"]
