"""Management API: user pools (/api/v1/pools/), and the API's authentication and error shape."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from identities.models import AccessKey
from pools.models import SchemaAttribute, UserPool
from pools.shapes.pools import user_pool_shape
from tests.builders import (
    make_app_client,
    make_domain,
    make_group,
    make_resource_server,
    make_user,
    make_user_pool,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/pools/"


def detail(pool: UserPool) -> str:
    return f"{URL}{pool.pool_id}/"


def test_create_maps_snake_case_settings_to_the_pool(api: APIClient) -> None:
    response = api.post(
        URL,
        {
            "name": "customers",
            "password_policy": {"minimum_length": 12, "require_symbols": False},
            "username_attributes": ["email"],
            "auto_verified_attributes": ["email"],
            "required_attributes": ["email"],
            "custom_attributes": [
                {"name": "tenant", "type": "String", "min_length": 1, "max_length": 64}
            ],
            "mfa_configuration": "OFF",
            "deletion_protection": "ACTIVE",
            "allow_admin_create_user_only": True,
            "account_recovery": [{"name": "verified_email", "priority": 1}],
            "tags": {"team": "identity"},
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    pool = UserPool.objects.get(pool_id=body["id"])
    assert pool.name == "customers"
    assert pool.password_minimum_length == 12
    assert pool.password_require_symbols is False
    assert pool.username_attributes == ["email"]
    assert pool.allow_admin_create_user_only is True
    assert pool.deletion_protection == "ACTIVE"
    assert pool.tags == {"team": "identity"}
    tenant = SchemaAttribute.objects.get(pool=pool, name="tenant", is_custom=True)
    assert (tenant.min_length, tenant.max_length) == (1, 64)

    assert body["arn"] == pool.arn
    assert body["password_policy"]["minimum_length"] == 12
    assert body["username_attributes"] == ["email"]
    assert body["required_attributes"] == ["sub", "email"]
    assert body["custom_attributes"] == [
        {
            "name": "tenant",
            "type": "String",
            "mutable": True,
            "developer_only": False,
            "min_length": 1,
            "max_length": 64,
        }
    ]
    assert body["account_recovery"] == [{"name": "verified_email", "priority": 1}]
    assert body["estimated_number_of_users"] == 0
    assert body["created_at"] and body["updated_at"]


def test_create_rejects_unknown_members_and_creates_nothing(api: APIClient) -> None:
    response = api.post(URL, {"name": "p", "usernameAttributes": ["email"]}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"
    assert "usernameAttributes" in response.json()["fields"]
    assert not UserPool.objects.exists()


def test_create_rejects_a_value_of_the_wrong_type(api: APIClient) -> None:
    response = api.post(
        URL, {"name": "p", "password_policy": {"minimum_length": "long"}}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameterException"
    assert "password_policy.minimum_length" in body["message"]
    assert not UserPool.objects.exists()


def test_create_reports_the_services_error_and_creates_nothing(api: APIClient) -> None:
    response = api.post(
        URL,
        {"name": "p", "username_attributes": ["email"], "alias_attributes": ["phone_number"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"
    assert "mutually exclusive" in response.json()["message"]
    assert not UserPool.objects.exists()


def test_retrieve_describes_the_pool(api: APIClient) -> None:
    pool = make_user_pool(name="shop", UserPoolTags={"env": "test"})
    make_user(pool=pool)

    body = api.get(detail(pool)).json()

    assert body["id"] == pool.pool_id
    assert body["name"] == "shop"
    assert body["tags"] == {"env": "test"}
    assert body["estimated_number_of_users"] == 1
    assert body["username_case_sensitive"] is False


def test_retrieve_unknown_pool_is_not_found(api: APIClient) -> None:
    response = api.get(f"{URL}us-east-1_nothing00/")

    assert response.status_code == 404
    assert response.json()["code"] == "ResourceNotFoundException"


def test_list_pages_with_a_cursor_until_the_end(api: APIClient) -> None:
    created = {make_user_pool(name=f"pool{i}").pool_id for i in range(5)}

    seen: list[str] = []
    url: str | None = f"{URL}?limit=2"
    pages = 0
    while url:
        body = api.get(url).json()
        assert set(body) == {"results", "next"}
        assert len(body["results"]) <= 2
        seen += [p["id"] for p in body["results"]]
        url = body["next"]
        pages += 1

    assert pages == 3
    assert sorted(seen) == sorted(created)
    assert set(api.get(URL).json()["results"][0]) == {
        "id",
        "arn",
        "region",
        "name",
        "status",
        "estimated_number_of_users",
        "created_at",
        "updated_at",
    }


def test_list_narrows_to_a_region_and_shows_each_pools(api: APIClient) -> None:
    home = make_user_pool(name="home")
    dublin = make_user_pool(name="dublin", region="eu-west-1")

    everything = api.get(URL).json()["results"]
    narrowed = api.get(f"{URL}?region=eu-west-1").json()["results"]

    assert {(p["id"], p["region"]) for p in everything} == {
        (home.pool_id, "us-east-1"),
        (dublin.pool_id, "eu-west-1"),
    }
    assert [p["id"] for p in narrowed] == [dublin.pool_id]
    assert api.get(detail(dublin)).json()["region"] == "eu-west-1"


@pytest.mark.parametrize("region", ["moon-1", "", "x" * 300])
def test_list_refuses_what_is_no_region(api: APIClient, region: str) -> None:
    response = api.get(URL, {"region": region})

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"
    assert "region" in response.json()["message"]


def test_create_makes_the_pool_in_the_region_asked_else_the_default(api: APIClient) -> None:
    asked = api.post(URL, {"name": "tokyo", "region": "ap-northeast-1"}, format="json")
    default = api.post(URL, {"name": "home"}, format="json")

    assert asked.status_code == 201, asked.json()
    assert asked.json()["id"].startswith("ap-northeast-1_")
    assert asked.json()["arn"].startswith("arn:aws:cognito-idp:ap-northeast-1:")
    assert default.json()["region"] == "us-east-1"


def test_create_in_a_region_not_served_is_refused_and_creates_nothing(
    api: APIClient, settings: Any
) -> None:
    settings.COGNITOADMIN_REGIONS = ["us-east-1"]

    response = api.post(URL, {"name": "tokyo", "region": "ap-northeast-1"}, format="json")

    assert response.status_code == 400
    assert (
        "region: ap-northeast-1 is not a region this server serves." in response.json()["message"]
    )
    assert not UserPool.objects.exists()


def test_list_never_counts_rows(api: APIClient) -> None:
    make_user_pool()

    with CaptureQueriesContext(connection) as queries:
        assert api.get(URL).status_code == 200

    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


@pytest.mark.parametrize(
    "query", ["?cursor=forged", "?limit=0", "?limit=61", "?limit=many"], ids=str
)
def test_list_rejects_bad_page_arguments(api: APIClient, query: str) -> None:
    response = api.get(f"{URL}{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"


def test_patch_changes_only_the_members_sent(api: APIClient) -> None:
    pool = make_user_pool(
        name="shop",
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireSymbols": True}},
        AutoVerifiedAttributes=["email"],
        UserPoolTags={"env": "test"},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
    )

    response = api.patch(
        detail(pool),
        {"password_policy": {"require_symbols": False}, "deletion_protection": "ACTIVE"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    pool.refresh_from_db()
    assert pool.password_require_symbols is False
    assert pool.deletion_protection == "ACTIVE"
    # Everything not sent keeps its value, though UpdateUserPool resets what it is not given.
    assert pool.password_minimum_length == 12
    assert pool.name == "shop"
    assert pool.auto_verified_attributes == ["email"]
    assert pool.tags == {"env": "test"}
    assert pool.allow_admin_create_user_only is True
    assert response.json()["password_policy"]["minimum_length"] == 12


def test_patch_rejects_a_member_fixed_at_creation(api: APIClient) -> None:
    pool = make_user_pool()

    response = api.patch(detail(pool), {"username_attributes": ["email"]}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"
    pool.refresh_from_db()
    assert pool.username_attributes == []


def test_patch_reports_the_services_error_and_changes_nothing(api: APIClient) -> None:
    pool = make_user_pool(Policies={"PasswordPolicy": {"MinimumLength": 10}})

    response = api.patch(detail(pool), {"password_policy": {"minimum_length": 3}}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"
    pool.refresh_from_db()
    assert pool.password_minimum_length == 10


def test_delete_removes_the_pool(api: APIClient) -> None:
    pool = make_user_pool()

    response = api.delete(detail(pool))

    assert response.status_code == 204
    assert not UserPool.objects.filter(pk=pool.pk).exists()


def test_delete_of_a_protected_pool_fails_and_keeps_it(api: APIClient) -> None:
    pool = make_user_pool(DeletionProtection="ACTIVE")

    response = api.delete(detail(pool))

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"
    assert UserPool.objects.filter(pk=pool.pk).exists()


def test_custom_attributes_are_added(api: APIClient) -> None:
    pool = make_user_pool()

    response = api.post(
        f"{detail(pool)}custom-attributes/",
        {"attributes": [{"name": "score", "type": "Number", "min_value": 0, "max_value": 9}]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["custom_attributes"] == [
        {
            "name": "score",
            "type": "Number",
            "mutable": True,
            "developer_only": False,
            "min_value": 0,
            "max_value": 9,
        }
    ]
    assert SchemaAttribute.objects.filter(pool=pool, name="score", is_custom=True).exists()


def test_custom_attribute_that_exists_is_refused_and_nothing_is_added(api: APIClient) -> None:
    pool = make_user_pool(Schema=[{"Name": "score", "AttributeDataType": "Number"}])
    before = SchemaAttribute.objects.filter(pool=pool).count()

    response = api.post(
        f"{detail(pool)}custom-attributes/",
        {"attributes": [{"name": "level"}, {"name": "score"}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"
    assert SchemaAttribute.objects.filter(pool=pool).count() == before


# --- Authentication -------------------------------------------------------------------------


def test_unauthenticated_request_is_refused_with_401() -> None:
    response = APIClient().get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "NotAuthorizedException"
    assert response["WWW-Authenticate"]


def test_non_operator_is_refused(db: None) -> None:
    client = APIClient()
    client.force_authenticate(user=User.objects.create_user(username="someone"))

    response = client.post(URL, {"name": "p"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "AccessDeniedException"
    assert not UserPool.objects.exists()


def _basic(key_id: str, secret: str) -> dict[str, Any]:
    token = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def test_http_basic_with_an_access_key_is_accepted(operator_key: tuple[AccessKey, str]) -> None:
    key, secret = operator_key

    response = APIClient().post(
        URL, {"name": "from-curl"}, format="json", **_basic(key.access_key_id, secret)
    )

    assert response.status_code == 201, response.json()
    assert UserPool.objects.filter(name="from-curl").exists()


def test_http_basic_with_a_wrong_secret_is_refused(operator_key: tuple[AccessKey, str]) -> None:
    key, _secret = operator_key

    response = APIClient().post(
        URL, {"name": "p"}, format="json", **_basic(key.access_key_id, "wrong")
    )

    assert response.status_code == 401
    assert response.json()["code"] == "NotAuthorizedException"
    assert not UserPool.objects.exists()


def test_browsable_api_renders_every_resource_for_operators(api: APIClient) -> None:
    pool = make_user_pool()
    make_user(pool=pool, username="bob")
    make_group(pool=pool, name="admins")
    client = make_app_client(pool=pool)
    make_resource_server(pool=pool, identifier="https://api.example.com")
    make_domain(pool=pool, domain="my-shop")
    base = detail(pool)
    paths = [
        URL,
        "",
        "users/",
        "users/bob/",
        "users/bob/groups/",
        "groups/",
        "groups/admins/",
        "groups/admins/users/",
        "clients/",
        f"clients/{client.client_id}/",
        "resource-servers/",
        "resource-servers/https%3A%2F%2Fapi.example.com/",
        "domains/",
        "domains/my-shop/",
    ]

    for path in paths:
        url = path if path.startswith("/") else f"{base}{path}"
        response = api.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert b"<html" in response.content


def test_patch_keeps_a_fully_configured_pool_as_it_was(api: APIClient) -> None:
    pool = make_user_pool(
        name="full",
        AliasAttributes=["email", "preferred_username"],
        AutoVerifiedAttributes=["email", "phone_number"],
        MfaConfiguration="OPTIONAL",
        SmsConfiguration={"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"},
        SmsAuthenticationMessage="Your code is {####}",
        VerificationMessageTemplate={
            "DefaultEmailOption": "CONFIRM_WITH_LINK",
            "EmailMessageByLink": "Click {##here##}",
            "EmailSubjectByLink": "Verify",
        },
        EmailVerificationMessage="Code {####}",
        EmailVerificationSubject="Your code",
        DeviceConfiguration={"ChallengeRequiredOnNewDevice": True},
        AdminCreateUserConfig={
            "AllowAdminCreateUserOnly": True,
            "InviteMessageTemplate": {
                "EmailMessage": "Hi {username}, {####}",
                "EmailSubject": "Hi",
            },
        },
        AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
        UserPoolTags={"env": "test"},
        DeletionProtection="ACTIVE",
    )
    before = user_pool_shape(pool)

    response = api.patch(detail(pool), {"name": "renamed"}, format="json")

    assert response.status_code == 200, response.json()
    pool.refresh_from_db()
    after = user_pool_shape(pool)
    changed = {"Name", "LastModifiedDate"}
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }
    assert after["Name"] == "renamed"
