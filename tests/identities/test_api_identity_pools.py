"""Management API: identity pools (/api/v1/identity-pools/), their roles and their identities."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from identities.models import Identity, IdentityPool
from tests.builders import make_access_key, make_operator
from tests.identities.test_identity_pools import (
    identity_rows,
    make_identity,
    make_identity_pool,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/identity-pools/"
USER_POOL = "cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123xyz"
SAML = "arn:aws:iam::000000000000:saml-provider/corporate"
AUTH_ROLE = "arn:aws:iam::000000000000:role/Cognito_Auth"


def pool_url(pool: IdentityPool) -> str:
    return f"{URL}{pool.identity_pool_id}/"


def _arn(pool: IdentityPool) -> str:
    return f"arn:aws:cognito-identity:us-east-1:000000000000:identitypool/{pool.identity_pool_id}"


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def test_create_returns_the_pool(api: APIClient) -> None:
    response = api.post(
        URL,
        {
            "name": "shop",
            "allow_unauthenticated_identities": True,
            "supported_login_providers": {"graph.facebook.com": "7346241598935552"},
            "developer_provider_name": "login.shop",
            "cognito_identity_providers": [
                {
                    "provider_name": USER_POOL,
                    "client_id": "client1",
                    "server_side_token_check": True,
                }
            ],
            "saml_provider_arns": [SAML],
            "tags": {"team": "shop"},
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    pool = IdentityPool.objects.get()
    assert body == {
        "id": pool.identity_pool_id,
        "arn": _arn(pool),
        "region": "us-east-1",
        "name": "shop",
        "allow_unauthenticated_identities": True,
        "allow_classic_flow": False,
        "supported_login_providers": {"graph.facebook.com": "7346241598935552"},
        "developer_provider_name": "login.shop",
        "open_id_connect_provider_arns": [],
        "saml_provider_arns": [SAML],
        "cognito_identity_providers": [
            {"provider_name": USER_POOL, "client_id": "client1", "server_side_token_check": True}
        ],
        "tags": {"team": "shop"},
        "created_at": body["created_at"],
    }


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ({"name": "shop"}, 400, "InvalidParameterException"),
        (
            {"name": "no/slash", "allow_unauthenticated_identities": False},
            400,
            "InvalidParameterException",
        ),
        (
            {"name": "x" * 100_000, "allow_unauthenticated_identities": False},
            400,
            "InvalidParameterException",
        ),
        ({"name": "p", "allow_unauthenticated_identities": [1]}, 400, "InvalidParameterException"),
        (
            {"name": "p", "allow_unauthenticated_identities": False, "secret": 1},
            400,
            "InvalidParameterException",
        ),
        (
            {
                "name": "p",
                "allow_unauthenticated_identities": False,
                "developer_provider_name": "login.taken",
            },
            409,
            "ResourceConflictException",
        ),
        (
            {"name": "p", "allow_unauthenticated_identities": False, "tags": {"aws:x": "y"}},
            400,
            "InvalidParameterException",
        ),
    ],
)
def test_create_refuses_bad_input_and_creates_nothing(
    api: APIClient, data: dict[str, Any], status: int, code: str
) -> None:
    make_identity_pool(DeveloperProviderName="login.taken")
    before = identity_rows()

    _error(api.post(URL, data, format="json"), status, code)

    assert identity_rows() == before


def test_list_pages_through_the_pools(api: APIClient) -> None:
    ids = [make_identity_pool().identity_pool_id for _ in range(5)]

    seen: list[str] = []
    url: str | None = f"{URL}?limit=2"
    while url:
        body = api.get(url).json()
        seen += [p["id"] for p in body["results"]]
        url = body["next"]

    assert seen == ids
    _error(api.get(f"{URL}?limit=61"), 400, "InvalidParameterException")
    _error(api.get(f"{URL}?cursor=forged"), 400, "InvalidParameterException")


def test_pools_are_made_listed_and_shown_by_region(api: APIClient, settings: Any) -> None:
    home = make_identity_pool("home")
    made = api.post(
        URL,
        {"name": "dublin", "allow_unauthenticated_identities": False, "region": "eu-west-1"},
        format="json",
    )

    assert made.status_code == 201, made.json()
    dublin = made.json()
    assert dublin["id"].startswith("eu-west-1:")
    assert dublin["region"] == "eu-west-1"
    assert {(p["id"], p["region"]) for p in api.get(URL).json()["results"]} == {
        (home.identity_pool_id, "us-east-1"),
        (dublin["id"], "eu-west-1"),
    }
    assert [p["id"] for p in api.get(f"{URL}?region=eu-west-1").json()["results"]] == [dublin["id"]]
    _error(api.get(f"{URL}?region=atlantis"), 400, "InvalidParameterException")
    settings.COGNITOADMIN_REGIONS = ["us-east-1"]
    refused = api.post(
        URL,
        {"name": "tokyo", "allow_unauthenticated_identities": False, "region": "ap-northeast-1"},
        format="json",
    )
    _error(refused, 400, "InvalidParameterException")
    assert IdentityPool.objects.count() == 2


def test_retrieve_put_patch_and_delete(api: APIClient) -> None:
    pool = make_identity_pool(
        "shop",
        SamlProviderARNs=[SAML],
        DeveloperProviderName="login.shop",
        IdentityPoolTags={"t": "1"},
    )
    assert api.get(pool_url(pool)).json()["name"] == "shop"

    patched = api.patch(pool_url(pool), {"allow_classic_flow": True}, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["allow_classic_flow"] is True
    assert patched.json()["saml_provider_arns"] == [SAML]

    put = api.put(
        pool_url(pool), {"name": "renamed", "allow_unauthenticated_identities": True}, format="json"
    )
    assert put.status_code == 200, put.json()
    body = put.json()
    assert (body["name"], body["allow_unauthenticated_identities"]) == ("renamed", True)
    assert (body["allow_classic_flow"], body["saml_provider_arns"]) == (False, [])
    assert (body["developer_provider_name"], body["tags"]) == ("login.shop", {"t": "1"})

    make_identity(pool=pool)
    assert api.delete(pool_url(pool)).status_code == 204
    assert not IdentityPool.objects.exists()
    assert not Identity.objects.exists()


def test_updates_that_the_service_refuses_change_nothing(api: APIClient) -> None:
    pool = make_identity_pool("shop", DeveloperProviderName="login.shop")
    before = identity_rows()

    body = _error(
        api.patch(pool_url(pool), {"developer_provider_name": "login.other"}, format="json"),
        400,
        "InvalidParameterException",
    )
    assert "cannot be changed" in body["message"]
    _error(
        api.put(pool_url(pool), {"name": "only a name"}, format="json"),
        400,
        "InvalidParameterException",
    )
    _error(
        api.patch(pool_url(pool), {"open_id_connect_provider_arns": "not a list"}, format="json"),
        400,
        "InvalidParameterException",
    )

    assert identity_rows() == before


@pytest.mark.parametrize(
    "pool_id", [f"us-east-1:{uuid.uuid4()}", "not-an-id", "us-east-1:" + "a" * 5000]
)
def test_an_unknown_pool_is_not_found(api: APIClient, pool_id: str) -> None:
    make_identity_pool()
    before = identity_rows()

    settings = {"name": "p", "allow_unauthenticated_identities": False}
    for method in ("get", "patch", "put", "delete"):
        _error(
            getattr(api, method)(f"{URL}{pool_id}/", settings, format="json"),
            404,
            "ResourceNotFoundException",
        )
    _error(api.put(f"{URL}{pool_id}/roles/", {}, format="json"), 404, "ResourceNotFoundException")
    _error(api.get(f"{URL}{pool_id}/roles/"), 404, "ResourceNotFoundException")
    _error(api.get(f"{URL}{pool_id}/identities/"), 404, "ResourceNotFoundException")

    assert identity_rows() == before


def test_roles_are_set_and_read(api: APIClient) -> None:
    pool = make_identity_pool(
        CognitoIdentityProviders=[{"ProviderName": USER_POOL, "ClientId": "web"}]
    )
    url = f"{pool_url(pool)}roles/"
    assert api.get(url).json() == {}
    mapping = {
        "type": "Rules",
        "ambiguous_role_resolution": "Deny",
        "rules": [
            {
                "claim": "cognito:groups",
                "match_type": "Contains",
                "value": "admins",
                "role_arn": "arn:aws:iam::000000000000:role/admins",
            }
        ],
    }

    response = api.put(
        url,
        {"authenticated": AUTH_ROLE, "role_mappings": {f"{USER_POOL}:web": mapping}},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "authenticated": AUTH_ROLE,
        "role_mappings": {f"{USER_POOL}:web": mapping},
    }
    assert api.get(url).json() == response.json()
    stored = IdentityPool.objects.get(pk=pool.pk)
    assert stored.role_mappings[f"{USER_POOL}:web"]["RulesConfiguration"]["Rules"][0][
        "RoleARN"
    ] == ("arn:aws:iam::000000000000:role/admins")


def test_role_errors_change_nothing(api: APIClient) -> None:
    pool = make_identity_pool(SamlProviderARNs=[SAML])
    url = f"{pool_url(pool)}roles/"
    api.put(url, {"authenticated": AUTH_ROLE}, format="json")
    before = identity_rows()

    _error(
        api.put(url, {"authenticated": "my-stack-Cognito_Auth_Role"}, format="json"),
        403,
        "NotAuthorizedException",
    )
    body = _error(
        api.put(
            url,
            {
                "role_mappings": {
                    "accounts.google.com": {"type": "Token", "ambiguous_role_resolution": "Deny"}
                }
            },
            format="json",
        ),
        400,
        "InvalidParameterException",
    )
    assert "is not a valid RoleMapping ProviderName" in body["message"]
    _error(
        api.put(url, {"role_mappings": {SAML: {"type": "Groups"}}}, format="json"),
        400,
        "InvalidParameterException",
    )
    _error(
        api.put(url, {"role_mappings": {SAML: {"type": "Token"}}}, format="json"),
        400,
        "InvalidParameterException",
    )

    assert identity_rows() == before


def test_identities_are_listed_read_and_deleted(api: APIClient) -> None:
    pool = make_identity_pool(SamlProviderARNs=[SAML])
    made = [make_identity(pool=pool, logins={SAML: f"user{n}"}) for n in range(3)]
    url = f"{pool_url(pool)}identities/"

    seen: list[dict[str, Any]] = []
    next_url: str | None = f"{url}?limit=2"
    while next_url:
        body = api.get(next_url).json()
        seen += body["results"]
        next_url = body["next"]
    assert [i["id"] for i in seen] == [i.identity_id for i in made]
    assert seen[0]["logins"] == [SAML]
    assert api.get(f"{url}{made[0].identity_id}/").json() == seen[0]

    assert api.delete(f"{url}{made[0].identity_id}/").status_code == 204
    assert list(Identity.objects.order_by("pk")) == made[1:]


def test_another_pools_identity_is_not_found(api: APIClient) -> None:
    pool, other = make_identity_pool("mine"), make_identity_pool("other")
    theirs = make_identity(pool=other)
    before = identity_rows()

    for method in ("get", "delete"):
        response = getattr(api, method)(f"{pool_url(pool)}identities/{theirs.identity_id}/")
        body = _error(response, 404, "ResourceNotFoundException")
        assert body["message"] == f"Identity '{theirs.identity_id}' not found."

    assert identity_rows() == before


def test_a_key_narrowed_to_one_pool_sees_that_pool_only(operator: User) -> None:
    mine, theirs = make_identity_pool("mine"), make_identity_pool("theirs")
    key, secret = make_access_key(
        operator=operator,
        policy={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "cognito-identity:*",
                    "Resource": _arn(mine),
                }
            ],
        },
    )
    client = APIClient()
    token = base64.b64encode(f"{key.access_key_id}:{secret}".encode()).decode("ascii")
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")

    assert client.get(pool_url(mine)).status_code == 200
    _error(client.get(pool_url(theirs)), 403, "AccessDeniedException")
    _error(client.delete(pool_url(theirs)), 403, "AccessDeniedException")
    _error(client.get(URL), 403, "AccessDeniedException")
    assert IdentityPool.objects.count() == 2


def test_an_operator_without_permissions_is_refused(db: None) -> None:
    pool = make_identity_pool()
    client = APIClient()
    client.force_authenticate(user=make_operator(username="clerk", superuser=False))

    _error(client.get(pool_url(pool)), 403, "AccessDeniedException")
    _error(
        client.post(URL, {"name": "p", "allow_unauthenticated_identities": False}, format="json"),
        403,
        "AccessDeniedException",
    )
    assert IdentityPool.objects.count() == 1
