"""AWS endpoint, boto3 against a live server: AdminCreateUser, the other Admin* user operations and
ListUsers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.contrib.auth.hashers import check_password
from django.core import mail

from pools.models import PoolUser, UserPool, UserStatus, VerificationCode
from tests.builders import make_user, make_user_pool

pytestmark = pytest.mark.django_db

NOWHERE = "us-east-1_nothere12"


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    message: str = error.value.response["Error"]["Message"]
    return message


def _users() -> list[dict[str, Any]]:
    """Every stored field of every user, to show that a refused call changed nothing."""
    return [dict(row) for row in PoolUser.objects.order_by("pk").values()]


def _attributes(shape: list[dict[str, str]]) -> dict[str, str]:
    return {item["Name"]: item["Value"] for item in shape}


def _all_users(idp: Any, **params: Any) -> list[dict[str, Any]]:
    """Every page of ListUsers through boto3's paginator, one user a page; the last page must
    carry no token."""
    pages = list(
        idp.get_paginator("list_users").paginate(**params, PaginationConfig={"PageSize": 1})
    )
    assert "PaginationToken" not in pages[-1]
    return [user for page in pages for user in page["Users"]]


# AdminCreateUser ------------------------------------------------------------------------------


def test_admin_create_user_returns_the_new_user(idp: Any, pool: UserPool) -> None:
    created = idp.admin_create_user(
        UserPoolId=pool.pool_id,
        Username="Bob",
        TemporaryPassword="Temp0rary!",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "bob@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )["User"]

    stored = PoolUser.objects.get(pool=pool)
    assert created == {
        "Username": "Bob",
        "Attributes": [
            {"Name": "sub", "Value": str(stored.sub)},
            {"Name": "email", "Value": "bob@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
        "UserCreateDate": created["UserCreateDate"],
        "UserLastModifiedDate": created["UserLastModifiedDate"],
        "Enabled": True,
        "UserStatus": "FORCE_CHANGE_PASSWORD",
    }
    assert isinstance(created["UserCreateDate"], dt.datetime)
    assert abs(created["UserCreateDate"] - stored.created_at) < dt.timedelta(seconds=1)
    assert check_password("Temp0rary!", stored.password)
    assert mail.outbox == []


def test_admin_create_user_invites_and_resends(idp: Any, pool: UserPool) -> None:
    idp.admin_create_user(
        UserPoolId=pool.pool_id,
        Username="bob",
        UserAttributes=[{"Name": "email", "Value": "bob@example.com"}],
        DesiredDeliveryMediums=["EMAIL"],
    )
    first = PoolUser.objects.get(pool=pool).password

    resent = idp.admin_create_user(
        UserPoolId=pool.pool_id,
        Username="BOB",
        MessageAction="RESEND",
        TemporaryPassword="N3w-temp!",
        DesiredDeliveryMediums=["EMAIL"],
    )["User"]

    assert resent["Username"] == "bob"
    assert [m.to for m in mail.outbox] == [["bob@example.com"], ["bob@example.com"]]
    stored = PoolUser.objects.get(pool=pool)
    assert stored.password != first
    assert check_password("N3w-temp!", stored.password)


def test_force_alias_creation_moves_a_verified_alias(idp: Any) -> None:
    pool = make_user_pool(AliasAttributes=["email"])
    holder = make_user(pool=pool, username="jo", email="jo@example.com", email_verified="true")
    verified_email = [
        {"Name": "email", "Value": "jo@example.com"},
        {"Name": "email_verified", "Value": "true"},
    ]
    with pytest.raises(idp.exceptions.AliasExistsException):
        idp.admin_create_user(
            UserPoolId=pool.pool_id,
            Username="joanna",
            UserAttributes=verified_email,
            MessageAction="SUPPRESS",
        )

    idp.admin_create_user(
        UserPoolId=pool.pool_id,
        Username="joanna",
        UserAttributes=verified_email,
        MessageAction="SUPPRESS",
        ForceAliasCreation=True,
    )

    assert PoolUser.objects.get(pk=holder.pk).email_verified is False
    assert PoolUser.objects.get(pool=pool, username="joanna").email_verified is True


def test_admin_create_user_errors_change_nothing(idp: Any, pool: UserPool) -> None:
    make_user(pool=pool, username="taken")
    make_user(pool=pool, username="done", password="Passw0rd!")
    before = _users()
    create = {"UserPoolId": pool.pool_id, "MessageAction": "SUPPRESS"}

    with pytest.raises(idp.exceptions.UsernameExistsException):
        idp.admin_create_user(**create, Username="TAKEN")
    with pytest.raises(idp.exceptions.InvalidPasswordException):
        idp.admin_create_user(**create, Username="new", TemporaryPassword="short")
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.admin_create_user(**create, Username="x" * 129)
    assert "'username'" in _message(error)
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.admin_create_user(
            **create, Username="new", UserAttributes=[{"Name": "custom:nope", "Value": "1"}]
        )
    assert "custom:nope" in _message(error)
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_create_user(UserPoolId=pool.pool_id, Username="nobody", MessageAction="RESEND")
    with pytest.raises(idp.exceptions.UnsupportedUserStateException):
        idp.admin_create_user(UserPoolId=pool.pool_id, Username="done", MessageAction="RESEND")
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.admin_create_user(UserPoolId=NOWHERE, Username="new")

    assert _users() == before
    assert mail.outbox == []


# AdminGetUser and who Username names -----------------------------------------------------------


def test_admin_get_user_by_username_verified_alias_or_sub(idp: Any) -> None:
    pool = make_user_pool(AliasAttributes=["email"])
    user = make_user(
        pool=pool,
        username="jo",
        password="Passw0rd!",
        email="jo@example.com",
        email_verified="true",
    )

    for name in ("JO", "jo@example.com", str(user.sub)):
        found = idp.admin_get_user(UserPoolId=pool.pool_id, Username=name)
        found.pop("ResponseMetadata")
        assert found == {
            "Username": "jo",
            "UserAttributes": [
                {"Name": "sub", "Value": str(user.sub)},
                {"Name": "email", "Value": "jo@example.com"},
                {"Name": "email_verified", "Value": "true"},
            ],
            "UserCreateDate": found["UserCreateDate"],
            "UserLastModifiedDate": found["UserLastModifiedDate"],
            "Enabled": True,
            "UserStatus": "CONFIRMED",
        }
        assert isinstance(found["UserLastModifiedDate"], dt.datetime)


def test_admin_get_user_by_email_in_an_email_username_pool(idp: Any) -> None:
    pool = make_user_pool(UsernameAttributes=["email"])
    user = make_user(pool=pool, username="jo@example.com")

    found = idp.admin_get_user(UserPoolId=pool.pool_id, Username="jo@example.com")

    assert found["Username"] == user.username == str(user.sub)


def test_admin_user_operations_never_reach_another_pools_user(idp: Any, pool: UserPool) -> None:
    other = make_user_pool(name="other")
    stranger = make_user(pool=other, username="jo", email="jo@example.com", email_verified="true")
    before = _users()
    calls: list[tuple[str, dict[str, Any]]] = [
        ("admin_get_user", {}),
        ("admin_delete_user", {}),
        ("admin_enable_user", {}),
        ("admin_disable_user", {}),
        ("admin_reset_user_password", {}),
        ("admin_confirm_sign_up", {}),
        ("admin_set_user_password", {"Password": "Passw0rd!"}),
        ("admin_update_user_attributes", {"UserAttributes": [{"Name": "name", "Value": "Jo"}]}),
        ("admin_delete_user_attributes", {"UserAttributeNames": ["email"]}),
    ]

    for method, extra in calls:
        with pytest.raises(idp.exceptions.UserNotFoundException):
            getattr(idp, method)(UserPoolId=pool.pool_id, Username="jo", **extra)
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_get_user(UserPoolId=pool.pool_id, Username=str(stranger.sub))
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.admin_get_user(UserPoolId=NOWHERE, Username="jo")

    assert _users() == before


# Attributes -----------------------------------------------------------------------------------


def test_admin_update_and_delete_user_attributes(idp: Any, pool: UserPool) -> None:
    user = make_user(pool=pool, username="jo", email="jo@example.com", email_verified="true")
    ids = {"UserPoolId": pool.pool_id, "Username": "jo"}

    updated = idp.admin_update_user_attributes(
        **ids,
        UserAttributes=[
            {"Name": "email", "Value": "new@example.com"},
            {"Name": "name", "Value": "Jo"},
        ],
    )
    assert set(updated) == {"ResponseMetadata"}
    stored = PoolUser.objects.get(pk=user.pk)
    # A new email is unverified unless the same call says otherwise.
    assert (stored.email, stored.email_verified, stored.name) == ("new@example.com", False, "Jo")

    idp.admin_delete_user_attributes(**ids, UserAttributeNames=["name"])
    attributes = _attributes(idp.admin_get_user(**ids)["UserAttributes"])
    assert "name" not in attributes
    assert attributes["email"] == "new@example.com"


def test_admin_update_user_attributes_errors_change_nothing(idp: Any) -> None:
    pool = make_user_pool(AliasAttributes=["email"])
    make_user(pool=pool, username="jo", email="jo@example.com", email_verified="true")
    make_user(pool=pool, username="al", email="al@example.com")
    before = _users()
    ids = {"UserPoolId": pool.pool_id, "Username": "al"}

    with pytest.raises(idp.exceptions.AliasExistsException):
        idp.admin_update_user_attributes(
            **ids,
            UserAttributes=[
                {"Name": "email", "Value": "jo@example.com"},
                {"Name": "email_verified", "Value": "true"},
            ],
        )
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.admin_update_user_attributes(
            **ids,
            UserAttributes=[{"Name": "name", "Value": "Al"}, {"Name": "sub", "Value": "x"}],
        )
    assert "sub" in _message(error)
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.admin_delete_user_attributes(**ids, UserAttributeNames=["name", "custom:nope"])
    # Each name the schema lacks, in the words moto reproduces for AWS
    # (test_admin_delete_user_attributes_non_existing_attribute); the known one stays.
    assert _message(error) == (
        "Invalid user attributes: user.custom:nope: Attribute does not exist in the schema.\n"
    )

    assert _users() == before


# Enable, disable, delete, confirm -------------------------------------------------------------


def test_admin_disable_enable_and_delete_user(idp: Any, pool: UserPool) -> None:
    user = make_user(pool=pool, username="jo")
    ids = {"UserPoolId": pool.pool_id, "Username": "jo"}

    idp.admin_disable_user(**ids)
    assert idp.admin_get_user(**ids)["Enabled"] is False
    idp.admin_enable_user(**ids)
    assert PoolUser.objects.get(pk=user.pk).enabled is True

    idp.admin_delete_user(**ids)
    assert not PoolUser.objects.filter(pk=user.pk).exists()
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_delete_user(**ids)


def test_admin_confirm_sign_up(idp: Any, pool: UserPool) -> None:
    user = make_user(pool=pool, username="jo")
    ids = {"UserPoolId": pool.pool_id, "Username": "jo"}
    before = _users()

    with pytest.raises(idp.exceptions.NotAuthorizedException) as error:
        idp.admin_confirm_sign_up(**ids)
    assert _message(error) == "User cannot be confirmed. Current status is FORCE_CHANGE_PASSWORD"
    assert _users() == before

    # Self sign-up is another issue; the state is set directly to reach this rule.
    PoolUser.objects.filter(pk=user.pk).update(status=UserStatus.UNCONFIRMED)
    idp.admin_confirm_sign_up(**ids)
    assert PoolUser.objects.get(pk=user.pk).status == UserStatus.CONFIRMED


# Passwords ------------------------------------------------------------------------------------


def test_admin_set_user_password_permanent_or_temporary(idp: Any, pool: UserPool) -> None:
    user = make_user(pool=pool, username="jo")
    ids = {"UserPoolId": pool.pool_id, "Username": "jo"}

    idp.admin_set_user_password(**ids, Password="Passw0rd!", Permanent=True)
    stored = PoolUser.objects.get(pk=user.pk)
    assert (stored.status, check_password("Passw0rd!", stored.password)) == ("CONFIRMED", True)

    idp.admin_set_user_password(**ids, Password="Temp0rary!")
    assert PoolUser.objects.get(pk=user.pk).status == UserStatus.FORCE_CHANGE_PASSWORD

    before = _users()
    with pytest.raises(idp.exceptions.InvalidPasswordException):
        idp.admin_set_user_password(**ids, Password="password", Permanent=True)
    assert _users() == before


def test_admin_reset_user_password(idp: Any, pool: UserPool) -> None:
    make_user(
        pool=pool, username="jo", password="Passw0rd!", email="jo@x.com", email_verified="true"
    )
    make_user(pool=pool, username="al", password="Passw0rd!")

    idp.admin_reset_user_password(UserPoolId=pool.pool_id, Username="jo")
    assert PoolUser.objects.get(username="jo").status == UserStatus.RESET_REQUIRED

    before = _users()
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.admin_reset_user_password(UserPoolId=pool.pool_id, Username="al")
    assert "no registered/verified email or phone_number" in _message(error)
    assert _users() == before


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("disabled", "User is disabled."),
        ("never chose a password", "User password cannot be reset in the current state."),
    ],
)
def test_admin_reset_user_password_refuses_disabled_users_and_users_without_a_password(
    idp: Any, pool: UserPool, state: str, message: str
) -> None:
    if state == "disabled":
        user = make_user(
            pool=pool, username="jo", password="Passw0rd!", email="jo@x.com", email_verified="true"
        )
        idp.admin_disable_user(UserPoolId=pool.pool_id, Username="jo")
    else:
        user = make_user(pool=pool, username="jo", email="jo@x.com", email_verified="true")
        assert user.status == UserStatus.FORCE_CHANGE_PASSWORD
    before = _users()

    with pytest.raises(idp.exceptions.NotAuthorizedException) as error:
        idp.admin_reset_user_password(UserPoolId=pool.pool_id, Username="jo")

    assert _message(error) == message
    assert _users() == before
    assert not VerificationCode.objects.filter(user=user).exists()


# ListUsers ------------------------------------------------------------------------------------


def test_list_users_pages_through_every_user_once(idp: Any, pool: UserPool) -> None:
    names = [make_user(pool=pool, username=f"user{i}").username for i in range(3)]
    make_user(pool=make_user_pool(name="other"), username="stranger")

    users = _all_users(idp, UserPoolId=pool.pool_id)

    assert [u["Username"] for u in users] == names
    assert isinstance(users[0]["UserCreateDate"], dt.datetime)
    assert users[0]["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_list_users_filters_and_gets_chosen_attributes(idp: Any, pool: UserPool) -> None:
    for name in ("ann", "abe", "bob"):
        make_user(pool=pool, username=name, email=f"{name}@example.com", name=name.title())

    users = _all_users(
        idp, UserPoolId=pool.pool_id, Filter='email ^= "a"', AttributesToGet=["email"]
    )

    assert [(u["Username"], u["Attributes"]) for u in users] == [
        ("ann", [{"Name": "email", "Value": "ann@example.com"}]),
        ("abe", [{"Name": "email", "Value": "abe@example.com"}]),
    ]


def test_list_users_refuses_bad_filters_and_missing_attributes(idp: Any, pool: UserPool) -> None:
    make_user(pool=pool, username="ann", email="ann@example.com")
    make_user(pool=pool, username="bob")

    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.list_users(UserPoolId=pool.pool_id, Filter='custom:tier = "gold"')
    assert _message(error) == "Invalid search attribute: custom:tier"
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.list_users(UserPoolId=pool.pool_id, AttributesToGet=["email"])
    assert _message(error) == "One or more requested attributes do not exist."
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.list_users(UserPoolId=pool.pool_id, Limit=61)
    assert "'limit'" in _message(error)
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.list_users(UserPoolId=NOWHERE)
