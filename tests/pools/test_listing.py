from __future__ import annotations

import pytest
from pytest_django import DjangoAssertNumQueries

from pools.errors import InvalidParameterException
from pools.models import PoolUser, UserPool
from pools.selectors.groups import groups_for_user_page
from pools.selectors.users import UserFilter, user_filter_parse, users_in_group_page, users_page
from pools.services.users import user_add_to_group, user_delete, user_disable
from tests.builders import make_group, make_user, make_user_pool

pytestmark = pytest.mark.django_db


# Filter parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "parsed"),
    [
        ('email = "jo@example.com"', UserFilter("email", False, "jo@example.com")),
        ('given_name ^= "Jo"', UserFilter("given_name", True, "Jo")),
        ('family_name="Reddy"', UserFilter("family_name", False, "Reddy")),
        ('  name\t^=\n"Jo Jo"  ', UserFilter("name", True, "Jo Jo")),
        ('name = "O\\"Brien"', UserFilter("name", False, 'O"Brien')),
        ('name = "back\\\\slash"', UserFilter("name", False, "back\\slash")),
        ('name = "a=b ^= c"', UserFilter("name", False, "a=b ^= c")),
        (
            'cognito:user_status = "confirmed"',
            UserFilter("cognito:user_status", False, "confirmed"),
        ),
        ('status = "Enabled"', UserFilter("status", False, "Enabled")),
        ('sub ^= "1f"', UserFilter("sub", True, "1f")),
        ('username = ""', UserFilter("username", False, "")),
    ],
)
def test_filters_parse_as_cognito_documents(expression: str, parsed: UserFilter) -> None:
    assert user_filter_parse(expression) == parsed


@pytest.mark.parametrize("expression", ["", "   ", "\t\n"])
def test_an_empty_filter_means_every_user(expression: str) -> None:
    assert user_filter_parse(expression) is None


@pytest.mark.parametrize("name", ["custom:tier", "Email", "locale"])
def test_a_name_outside_the_searchable_list_is_an_invalid_search_attribute(name: str) -> None:
    # AWS's words, as moto (#4407) and cognito-local reproduce them: the name, nothing more.
    with pytest.raises(InvalidParameterException) as error:
        user_filter_parse(f'{name} = "x"')
    assert error.value.message == f"Invalid search attribute: {name}"


@pytest.mark.parametrize(
    "expression",
    [
        '= "a"',
        'email "a"',
        'email != "a"',
        'email == "a"',
        "email = 'a'",
        "email = a",
        "email =",
        'email = "a',
        'email = "a\\"',
        'email = "a\\nb"',
        'email = "a" and name = "b"',
        'email = "a"x',
    ],
)
def test_malformed_filters_get_aws_words(expression: str) -> None:
    # Real AWS answers, quoted in aws/aws-sdk-php#1088 and
    # aws/aws-aspnet-cognito-identity-provider#235: the same sentence, full stop included.
    with pytest.raises(InvalidParameterException) as error:
        user_filter_parse(expression)
    assert error.value.message == "Error while parsing filter."


def test_filters_longer_than_256_characters_are_refused() -> None:
    with pytest.raises(InvalidParameterException, match="less than or equal to 256"):
        user_filter_parse('name = "' + "x" * 250 + '"')


# ListUsers ------------------------------------------------------------------------------------


def _names(users: list[PoolUser]) -> list[str]:
    return [u.username for u in users]


def _all_pages(pool: UserPool, filter: str = "", limit: int = 1) -> list[str]:
    seen: list[str] = []
    token = None
    while True:
        users, token = users_page(pool=pool, filter=filter, limit=limit, pagination_token=token)
        seen += _names(users)
        if token is None:
            return seen


def test_pages_of_one_walk_every_user_in_creation_order(pool: UserPool) -> None:
    for name in ("a", "b", "c"):
        make_user(pool=pool, username=name)
    first, token = users_page(pool=pool, limit=1)
    assert _names(first) == ["a"]
    assert token is not None
    second, token = users_page(pool=pool, limit=1, pagination_token=token)
    assert _names(second) == ["b"]
    third, token = users_page(pool=pool, limit=1, pagination_token=token)
    assert _names(third) == ["c"]
    assert token is None


def test_an_exact_last_page_has_no_token(pool: UserPool) -> None:
    make_user(pool=pool, username="a")
    make_user(pool=pool, username="b")
    users, token = users_page(pool=pool, limit=2)
    assert _names(users) == ["a", "b"]
    assert token is None


def test_an_empty_pool_has_an_empty_page(pool: UserPool) -> None:
    assert users_page(pool=pool) == ([], None)


def test_users_deleted_between_pages_neither_repeat_nor_shift_others(pool: UserPool) -> None:
    users = [make_user(pool=pool, username=n) for n in ("a", "b", "c", "d")]
    first, token = users_page(pool=pool, limit=2)
    user_delete(user=users[1])
    user_delete(user=users[2])
    rest, token = users_page(pool=pool, limit=2, pagination_token=token)
    assert (_names(first), _names(rest), token) == (["a", "b"], ["d"], None)


@pytest.mark.parametrize("limit", [0, None])
def test_limit_zero_or_none_means_60(pool: UserPool, limit: int | None) -> None:
    for _ in range(61):
        make_user(pool=pool)
    users, token = users_page(pool=pool, limit=limit)
    assert len(users) == 60
    assert token is not None


@pytest.mark.parametrize(
    ("limit", "constraint"),
    [
        (61, "Member must have value less than or equal to 60"),
        (-1, "Member must have value greater than or equal to 0"),
    ],
)
def test_limit_outside_0_to_60_is_refused(pool: UserPool, limit: int, constraint: str) -> None:
    with pytest.raises(InvalidParameterException, match=constraint):
        users_page(pool=pool, limit=limit)


def test_users_of_other_pools_are_never_listed(pool: UserPool) -> None:
    make_user(pool=make_user_pool(name="other"), username="stranger")
    make_user(pool=pool, username="member")
    assert _all_pages(pool) == ["member"]


def test_a_token_from_another_pool_is_refused(pool: UserPool) -> None:
    other = make_user_pool(name="other")
    for name in ("a", "b"):
        make_user(pool=other, username=name)
    _, token = users_page(pool=other, limit=1)
    assert token is not None
    with pytest.raises(InvalidParameterException, match="Invalid pagination token"):
        users_page(pool=pool, limit=1, pagination_token=token)


def test_a_token_from_another_filter_is_refused(pool: UserPool) -> None:
    for name in ("ann", "anna"):
        make_user(pool=pool, username=name)
    _, token = users_page(pool=pool, filter='username ^= "an"', limit=1)
    assert token is not None
    with pytest.raises(InvalidParameterException, match="Invalid pagination token"):
        users_page(pool=pool, filter='username ^= "a"', limit=1, pagination_token=token)
    with pytest.raises(InvalidParameterException, match="Invalid pagination token"):
        users_page(pool=pool, limit=1, pagination_token=token)


def test_a_tampered_token_is_refused(pool: UserPool) -> None:
    for name in ("a", "b"):
        make_user(pool=pool, username=name)
    _, token = users_page(pool=pool, limit=1)
    assert token is not None
    with pytest.raises(InvalidParameterException, match="Invalid pagination token"):
        users_page(pool=pool, limit=1, pagination_token=token[:-2] + "xx")


def test_a_filtered_list_pages_with_its_token(pool: UserPool) -> None:
    for name in ("jo1", "x", "jo2", "y", "jo3"):
        make_user(pool=pool, username=name)
    assert _all_pages(pool, 'username ^= "jo"') == ["jo1", "jo2", "jo3"]


def test_username_filter_is_case_sensitive(pool: UserPool) -> None:
    make_user(pool=pool, username="Alice")
    make_user(pool=pool, username="alicia")
    assert _all_pages(pool, 'username = "Alice"') == ["Alice"]
    assert _all_pages(pool, 'username = "alice"') == []
    assert _all_pages(pool, 'username ^= "Ali"') == ["Alice"]
    assert _all_pages(pool, 'username ^= "ali"') == ["alicia"]


@pytest.mark.parametrize(
    "attribute", ["email", "name", "given_name", "family_name", "preferred_username"]
)
def test_exact_and_prefix_filters_on_standard_attributes(pool: UserPool, attribute: str) -> None:
    make_user(pool=pool, username="one", **{attribute: "jo@example.com"})
    make_user(pool=pool, username="two", **{attribute: "jo@example.org"})
    make_user(pool=pool, username="three", **{attribute: "ann@example.com"})
    make_user(pool=pool, username="four")
    assert _all_pages(pool, f'{attribute} = "jo@example.com"') == ["one"]
    assert _all_pages(pool, f'{attribute} ^= "jo@"') == ["one", "two"]
    assert _all_pages(pool, f'{attribute} ^= ""') == ["one", "two", "three"]
    assert _all_pages(pool, f'{attribute} = ""') == []


def test_phone_number_prefix_filter(pool: UserPool) -> None:
    make_user(pool=pool, username="us", phone_number="+15551234567")
    make_user(pool=pool, username="uk", phone_number="+447700900123")
    assert _all_pages(pool, 'phone_number ^= "+1"') == ["us"]
    assert _all_pages(pool, 'phone_number = "+447700900123"') == ["uk"]


def test_escaped_quotes_and_backslashes_match_literally(pool: UserPool) -> None:
    make_user(pool=pool, username="quote", family_name='O"Brien')
    make_user(pool=pool, username="slash", family_name="back\\slash")
    assert _all_pages(pool, 'family_name = "O\\"Brien"') == ["quote"]
    assert _all_pages(pool, 'family_name ^= "back\\\\"') == ["slash"]


def test_prefix_filters_treat_like_wildcards_literally(pool: UserPool) -> None:
    make_user(pool=pool, username="percent", name="50% off")
    make_user(pool=pool, username="plain", name="500 off")
    make_user(pool=pool, username="under", name="a_b")
    make_user(pool=pool, username="other", name="axb")
    assert _all_pages(pool, 'name ^= "50%"') == ["percent"]
    assert _all_pages(pool, 'name ^= "a_"') == ["under"]


def test_user_status_filter_ignores_case(pool: UserPool) -> None:
    make_user(pool=pool, username="temp")
    make_user(pool=pool, username="done", password="Passw0rd!")
    assert _all_pages(pool, 'cognito:user_status = "Confirmed"') == ["done"]
    assert _all_pages(pool, 'cognito:user_status = "FORCE_CHANGE_PASSWORD"') == ["temp"]
    assert _all_pages(pool, 'cognito:user_status ^= "force"') == ["temp"]
    assert _all_pages(pool, 'cognito:user_status = "nonsense"') == []


def test_status_filter_is_enabled_or_disabled_case_sensitively(pool: UserPool) -> None:
    make_user(pool=pool, username="on")
    user_disable(user=make_user(pool=pool, username="off"))
    assert _all_pages(pool, 'status = "Enabled"') == ["on"]
    assert _all_pages(pool, 'status = "Disabled"') == ["off"]
    assert _all_pages(pool, 'status = "enabled"') == []
    assert _all_pages(pool, 'status ^= "Dis"') == ["off"]


def test_sub_filter(pool: UserPool) -> None:
    user = make_user(pool=pool, username="target")
    make_user(pool=pool, username="other")
    sub = str(user.sub)
    assert _all_pages(pool, f'sub = "{sub}"') == ["target"]
    assert _all_pages(pool, f'sub = "{sub.upper()}"') == ["target"]
    assert _all_pages(pool, f'sub ^= "{sub[:13]}"') == ["target"]
    assert _all_pages(pool, 'sub = "not-a-uuid"') == []
    assert _all_pages(pool, 'sub ^= "xyz"') == []


def test_list_users_costs_one_query_at_any_page(
    pool: UserPool, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for name in ("jo1", "jo2", "jo3"):
        make_user(pool=pool, username=name, email=f"{name}@example.com")
    with django_assert_max_num_queries(1):
        _, token = users_page(pool=pool, filter='email ^= "jo"', limit=1)
    with django_assert_max_num_queries(1):
        users_page(pool=pool, filter='email ^= "jo"', limit=1, pagination_token=token)
    with django_assert_max_num_queries(1):
        users_page(pool=pool, limit=60)


# AttributesToGet ------------------------------------------------------------------------------


def test_attributes_to_get_that_every_listed_user_has_are_accepted(pool: UserPool) -> None:
    make_user(pool=pool, username="jo", email="jo@example.com")
    make_user(pool=pool, username="al")

    users, _ = users_page(pool=pool, filter='email ^= "jo"', attributes_to_get=["email", "sub"])

    assert _names(users) == ["jo"]


def test_attributes_to_get_that_a_listed_user_lacks_are_refused(pool: UserPool) -> None:
    make_user(pool=pool, username="jo", email="jo@example.com")
    make_user(pool=pool, username="al")

    with pytest.raises(InvalidParameterException, match="requested attributes do not exist"):
        users_page(pool=pool, attributes_to_get=["email"])


@pytest.mark.parametrize("name", ["nickname_x", "custom:tier", "Email"])
def test_attributes_to_get_outside_the_schema_are_refused(pool: UserPool, name: str) -> None:
    make_user(pool=pool, username="jo")

    with pytest.raises(InvalidParameterException, match="requested attributes do not exist"):
        users_page(pool=pool, attributes_to_get=["sub", name])


def test_attributes_to_get_are_checked_against_the_model(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match="attributesToGet"):
        users_page(pool=pool, attributes_to_get=[""])


# ListUsersInGroup / AdminListGroupsForUser ------------------------------------------------------


def test_users_in_group_page_by_page(pool: UserPool) -> None:
    group = make_group(pool=pool)
    outsider = make_group(pool=pool)
    members = [make_user(pool=pool, username=n) for n in ("a", "b", "c")]
    for member in members:
        user_add_to_group(user=member, group=group)
    user_add_to_group(user=make_user(pool=pool, username="z"), group=outsider)
    first, token = users_in_group_page(group=group, limit=2)
    assert _names(first) == ["a", "b"]
    rest, token = users_in_group_page(group=group, limit=2, next_token=token)
    assert (_names(rest), token) == (["c"], None)


def test_users_in_group_token_belongs_to_its_group(pool: UserPool) -> None:
    group, other = make_group(pool=pool), make_group(pool=pool)
    for name in ("a", "b"):
        user = make_user(pool=pool, username=name)
        user_add_to_group(user=user, group=group)
        user_add_to_group(user=user, group=other)
    _, token = users_in_group_page(group=group, limit=1)
    with pytest.raises(InvalidParameterException, match="Invalid pagination token"):
        users_in_group_page(group=other, limit=1, next_token=token)


def test_users_in_group_limit_is_checked(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match="less than or equal to 60"):
        users_in_group_page(group=make_group(pool=pool), limit=61)


def test_groups_for_user_page_by_page(pool: UserPool) -> None:
    groups = [make_group(pool=pool, name=n) for n in ("g1", "g2", "g3")]
    make_group(pool=pool, name="unrelated")
    user, other = make_user(pool=pool), make_user(pool=pool)
    for group in groups:
        user_add_to_group(user=user, group=group)
    first, token = groups_for_user_page(user=user, limit=2)
    assert [g.name for g in first] == ["g1", "g2"]
    rest, token = groups_for_user_page(user=user, limit=2, next_token=token)
    assert ([g.name for g in rest], token) == (["g3"], None)
    assert groups_for_user_page(user=other) == ([], None)


def test_groups_for_user_token_belongs_to_its_user(pool: UserPool) -> None:
    user, other = make_user(pool=pool), make_user(pool=pool)
    for name in ("g1", "g2"):
        group = make_group(pool=pool, name=name)
        user_add_to_group(user=user, group=group)
        user_add_to_group(user=other, group=group)
    _, token = groups_for_user_page(user=user, limit=1)
    with pytest.raises(InvalidParameterException, match="Invalid pagination token"):
        groups_for_user_page(user=other, limit=1, next_token=token)
