"""Management API: IAM OpenID Connect providers (/api/v1/iam/oidc-providers/), and the same
providers through boto3 `iam` against a live server."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from identities.api.oidc_providers import oidc_provider_id_of, oidc_provider_url_of_id
from identities.models import AccessKey, OpenIdConnectProvider
from identities.services.oidc_providers import oidc_provider_create
from tests.builders import make_access_key, make_operator
from tests.identities.test_oidc_providers import ACCOUNT, THUMBPRINT, _signed, rows

pytestmark = pytest.mark.django_db

URL = "/api/v1/iam/oidc-providers/"
ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.com/realms/app"
# `idp.example.com/realms/app`, as this API names the provider in paths.
PROVIDER_ID = "aWRwLmV4YW1wbGUuY29tL3JlYWxtcy9hcHA"


def _provider(url: str = "https://idp.example.com/realms/app", **fields: Any) -> str:
    """The API path of a provider made by CreateOpenIDConnectProvider."""
    provider = oidc_provider_create(url=url, **fields)
    return f"{URL}{oidc_provider_id_of(provider.url)}/"


def _refused(api: APIClient, method: str, url: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    """The status and JSON error of a refused request, which changed no row."""
    before = rows()
    response = getattr(api, method)(url, body, format="json")
    assert rows() == before
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"].startswith("application/json")
    error: dict[str, Any] = response.json()
    assert isinstance(error["code"], str) and error["message"], error
    return response.status_code, error


def _basic(key: AccessKey, secret: str) -> APIClient:
    client = APIClient()
    token = base64.b64encode(f"{key.access_key_id}:{secret}".encode()).decode("ascii")
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    return client


# --- Life cycle ----------------------------------------------------------------------------------


def test_create_get_list_and_delete_a_provider(api: APIClient) -> None:
    created = api.post(
        URL,
        {
            "url": "https://idp.example.com/realms/app",
            "client_id_list": ["app-1", "app-1", "app-2"],
            "thumbprint_list": [THUMBPRINT.upper()],
            "tags": [{"key": "team", "value": "web"}],
        },
        format="json",
    )

    assert created.status_code == 201, created.json()
    expected = {
        "id": PROVIDER_ID,
        "arn": ARN,
        "url": "idp.example.com/realms/app",
        "issuer": "https://idp.example.com/realms/app",
        "client_id_list": ["app-1", "app-2"],
        "thumbprint_list": [THUMBPRINT],
        "tags": {"team": "web"},
        "created_at": created.json()["created_at"],
    }
    assert created.json() == expected
    assert api.get(f"{URL}{PROVIDER_ID}/").json() == expected
    assert api.get(URL).json() == {"results": [expected], "next": None}

    assert api.delete(f"{URL}{PROVIDER_ID}/").status_code == 204
    assert OpenIdConnectProvider.objects.count() == 0
    assert api.get(f"{URL}{PROVIDER_ID}/").json() == {
        "code": "NoSuchEntityException",
        "message": f"OpenIDConnect Provider not found for arn {ARN}",
    }
    assert api.get(URL).json() == {"results": [], "next": None}


def test_a_loopback_provider_keeps_http_as_its_issuer(api: APIClient) -> None:
    created = api.post(URL, {"url": "http://127.0.0.1:8765/realm"}, format="json").json()

    assert created["url"] == "127.0.0.1:8765/realm"
    assert created["issuer"] == "http://127.0.0.1:8765/realm"
    assert created["client_id_list"] == created["thumbprint_list"] == []
    assert created["tags"] == {}
    assert oidc_provider_url_of_id(created["id"]) == "127.0.0.1:8765/realm"


def test_providers_whose_urls_share_a_prefix_have_their_own_paths(api: APIClient) -> None:
    short = _provider("https://idp.example.com", client_ids=["short"])
    long = _provider("https://idp.example.com/tags", client_ids=["long"])

    assert api.get(short).json()["client_id_list"] == ["short"]
    assert api.get(long).json()["client_id_list"] == ["long"]
    assert api.get(f"{short}tags/").json()["results"] == []
    assert api.delete(long).status_code == 204
    assert api.get(short).status_code == 200


def test_providers_list_in_pages_by_url(api: APIClient) -> None:
    for host in ("c.example.com", "a.example.com", "b.example.com"):
        _provider(f"https://{host}")

    first = api.get(URL, {"limit": 2}).json()
    second = api.get(first["next"]).json()

    assert [p["url"] for p in first["results"]] == ["a.example.com", "b.example.com"]
    assert [p["url"] for p in second["results"]] == ["c.example.com"]
    assert second["next"] is None
    assert api.get(URL, {"limit": 1001}).json()["code"] == "InvalidParameterException"
    assert api.get(URL, {"cursor": "forged"}).json()["code"] == "InvalidParameterException"


# --- Client IDs, thumbprints and tags ------------------------------------------------------------


def test_client_ids_are_added_and_removed(api: APIClient) -> None:
    path = _provider(client_ids=["app-1"])

    added = api.post(f"{path}client-ids/", {"client_id": "app/2"}, format="json")
    again = api.post(f"{path}client-ids/", {"client_id": "app/2"}, format="json")

    assert added.status_code == 200, added.json()
    assert added.json()["client_id_list"] == ["app-1", "app/2"]
    assert again.json()["client_id_list"] == ["app-1", "app/2"]
    assert api.delete(f"{path}client-ids/app-1/").status_code == 204
    assert api.delete(f"{path}client-ids/absent/").status_code == 204
    assert api.get(path).json()["client_id_list"] == ["app/2"]
    assert api.delete(f"{path}client-ids/app%2F2/").status_code == 204
    assert api.get(path).json()["client_id_list"] == []


def test_thumbprints_are_replaced(api: APIClient) -> None:
    path = _provider(thumbprints=[THUMBPRINT])

    replaced = api.put(f"{path}thumbprints/", {"thumbprint_list": ["A" * 40, "b" * 40]}, "json")
    emptied = api.put(f"{path}thumbprints/", {"thumbprint_list": []}, format="json")

    assert replaced.status_code == 200, replaced.json()
    assert replaced.json()["thumbprint_list"] == ["a" * 40, "b" * 40]
    assert emptied.json()["thumbprint_list"] == []


def test_tags_are_listed_in_pages_added_and_removed(api: APIClient) -> None:
    path = _provider(tags=[{"Key": "team", "Value": "web"}])

    tagged = api.post(
        f"{path}tags/",
        {"tags": [{"key": "TEAM", "value": "ops"}, {"key": "cost/center", "value": ""}]},
        format="json",
    )
    first = api.get(f"{path}tags/", {"limit": 1}).json()

    assert tagged.status_code == 200, tagged.json()
    assert tagged.json() == {
        "results": [{"key": "TEAM", "value": "ops"}, {"key": "cost/center", "value": ""}],
        "next": None,
    }
    assert first["results"] == [{"key": "TEAM", "value": "ops"}]
    assert api.get(first["next"]).json() == {
        "results": [{"key": "cost/center", "value": ""}],
        "next": None,
    }
    assert api.delete(f"{path}tags/team/").status_code == 204
    assert api.delete(f"{path}tags/cost/center/").status_code == 204
    assert api.delete(f"{path}tags/absent/").status_code == 204
    assert api.get(path).json()["tags"] == {}


# --- The AWS door sees the same providers ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_api_and_iam_see_the_same_providers(
    aws_url: str, operator: User, operator_key: tuple[AccessKey, str]
) -> None:
    iam = _signed("iam", aws_url, operator_key)
    api = _basic(*operator_key)

    made = api.post(
        URL,
        {
            "url": "https://idp.example.com/realms/app",
            "client_id_list": ["app-1"],
            "thumbprint_list": [THUMBPRINT],
            "tags": [{"key": "team", "value": "web"}],
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=ARN)
    assert (got["Url"], got["ClientIDList"], got["ThumbprintList"], got["Tags"]) == (
        "idp.example.com/realms/app",
        ["app-1"],
        [THUMBPRINT],
        [{"Key": "team", "Value": "web"}],
    )

    other = iam.create_open_id_connect_provider(
        Url="https://accounts.example.com", ClientIDList=["web"]
    )["OpenIDConnectProviderArn"]
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=ARN, ClientID="app-2")
    listed = api.get(URL).json()["results"]
    assert [(p["arn"], p["client_id_list"]) for p in listed] == [
        (other, ["web"]),
        (ARN, ["app-1", "app-2"]),
    ]

    assert api.delete(f"{URL}{PROVIDER_ID}/").status_code == 204
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == [{"Arn": other}]


# --- Refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param({}, 400, "InvalidParameterException", id="url-missing"),
        pytest.param({"url": 5}, 400, "InvalidParameterException", id="url-a-number"),
        pytest.param({"url": None}, 400, "InvalidParameterException", id="url-null"),
        pytest.param({"url": ["https://a"]}, 400, "InvalidParameterException", id="url-a-list"),
        pytest.param(
            {"url": "https://a.example.com", "client_id_list": "app"},
            400,
            "InvalidParameterException",
            id="client-ids-a-string",
        ),
        pytest.param(
            {"url": "https://a.example.com", "client_id_list": [1]},
            400,
            "InvalidParameterException",
            id="client-id-a-number",
        ),
        pytest.param(
            {"url": "https://a.example.com", "tags": {"team": "web"}},
            400,
            "InvalidParameterException",
            id="tags-an-object",
        ),
        pytest.param(
            {"url": "https://a.example.com", "tags": [{"key": "team"}]},
            400,
            "InvalidParameterException",
            id="tag-without-value",
        ),
        pytest.param(
            {"url": "https://a.example.com", "name": "a"},
            400,
            "InvalidParameterException",
            id="unknown-member",
        ),
        pytest.param(
            {"url": "http://accounts.example.com"}, 400, "InvalidInputException", id="http-remote"
        ),
        pytest.param({"url": "accounts.example.com"}, 400, "InvalidInputException", id="no-scheme"),
        pytest.param(
            {"url": "https://a.example.com?x=1"}, 400, "InvalidInputException", id="query"
        ),
        pytest.param(
            {"url": "https://a.example.com", "client_id_list": [f"app-{n}" for n in range(101)]},
            400,
            "LimitExceededException",
            id="too-many-client-ids",
        ),
        pytest.param(
            {"url": "https://a.example.com", "thumbprint_list": [f"{n:040x}" for n in range(6)]},
            400,
            "LimitExceededException",
            id="too-many-thumbprints",
        ),
        pytest.param(
            {"url": "https://a.example.com", "thumbprint_list": ["z" * 40]},
            400,
            "InvalidInputException",
            id="thumbprint-not-hex",
        ),
        pytest.param(
            {"url": "https://a.example.com", "tags": [{"key": "aws:x", "value": "v"}]},
            400,
            "InvalidInputException",
            id="reserved-tag-key",
        ),
        pytest.param(
            {"url": "https://[idp/realms/app"},
            400,
            "InvalidInputException",
            id="unclosed-ipv6-host",
        ),
        pytest.param(
            {"url": "https://idp.example.com:/realms/app"},
            400,
            "InvalidInputException",
            id="empty-port",
        ),
        pytest.param(
            {"url": "https://idp.example.com:0/realms/app"},
            400,
            "InvalidInputException",
            id="port-0",
        ),
        pytest.param(
            {"url": f"https://{'a' * 300}.example.com"},
            400,
            "InvalidParameterException",
            id="url-too-long",
        ),
        pytest.param(
            {"url": "https://a.example.com", "client_id_list": ["c" * 100_000]},
            400,
            "InvalidParameterException",
            id="client-id-huge",
        ),
        pytest.param(
            {"url": "https://IDP.example.com/realms/app"},
            409,
            "EntityAlreadyExistsException",
            id="url-exists",
        ),
    ],
)
def test_create_refusals_change_nothing(
    api: APIClient, body: dict[str, Any], status: int, code: str
) -> None:
    _provider("https://IDP.example.com/realms/app")

    answered, error = _refused(api, "post", URL, body)

    assert (answered, error["code"]) == (status, code), error


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"url": "https://a.example.com/\\ud800"}', id="lone-surrogate"),
        pytest.param(b'{"url": "https://a.example.com/\\u0000"}', id="nul"),
        pytest.param(b'{"url": "https://a.example.com/\xff"}', id="not-utf-8"),
        pytest.param(b'{"url": ', id="not-json"),
    ],
)
def test_a_body_that_is_no_valid_unicode_json_changes_nothing(
    operator_key: tuple[AccessKey, str], body: bytes
) -> None:
    key, secret = operator_key
    token = base64.b64encode(f"{key.access_key_id}:{secret}".encode()).decode("ascii")
    before = rows()

    response = Client().generic(
        "POST",
        URL,
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Basic {token}"},
    )

    assert response.status_code == 400, response.content
    assert isinstance(response.json()["code"], str)
    assert rows() == before


def test_changes_to_a_provider_that_break_a_rule_change_nothing(api: APIClient) -> None:
    path = _provider(client_ids=[f"app-{n}" for n in range(100)], thumbprints=[THUMBPRINT])
    refusals = [
        ("post", "client-ids/", {"client_id": "app-100"}, "LimitExceededException"),
        ("post", "client-ids/", {"client_id": ""}, "InvalidParameterException"),
        ("post", "client-ids/", {"client_id": ["app"]}, "InvalidParameterException"),
        ("post", "client-ids/", {"client_id": "c" * 256}, "InvalidParameterException"),
        ("post", "client-ids/", {}, "InvalidParameterException"),
        ("put", "thumbprints/", {"thumbprint_list": ["0" * 39]}, "InvalidParameterException"),
        ("put", "thumbprints/", {"thumbprint_list": THUMBPRINT}, "InvalidParameterException"),
        ("put", "thumbprints/", {"thumbprints": [THUMBPRINT]}, "InvalidParameterException"),
        ("post", "tags/", {"tags": [{"key": "a", "value": 1}]}, "InvalidParameterException"),
        ("post", "tags/", {"tags": [{"key": "k" * 129, "value": ""}]}, "InvalidParameterException"),
        (
            "post",
            "tags/",
            {"tags": [{"key": "a", "value": "v"}, {"key": "A", "value": "w"}]},
            "InvalidInputException",
        ),
        (
            "post",
            "tags/",
            {"tags": [{"key": f"k{n}", "value": ""} for n in range(51)]},
            "InvalidParameterException",
        ),
    ]
    for method, suffix, body, code in refusals:
        status, error = _refused(api, method, f"{path}{suffix}", body)
        assert (status, error["code"]) == (400, code), (suffix, body, error)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("delete", "", None),
        ("post", "client-ids/", {"client_id": "app"}),
        ("delete", "client-ids/app/", None),
        ("put", "thumbprints/", {"thumbprint_list": [THUMBPRINT]}),
        ("get", "tags/", None),
        ("post", "tags/", {"tags": [{"key": "k", "value": "v"}]}),
        ("delete", "tags/k/", None),
    ],
)
@pytest.mark.parametrize(
    "provider_id",
    [
        pytest.param(oidc_provider_id_of("absent.example.com"), id="unknown"),
        pytest.param(f"{PROVIDER_ID}==", id="padded"),
        pytest.param(PROVIDER_ID[:-1] + "B", id="non-canonical"),
        pytest.param("_w", id="not-utf-8"),
        pytest.param("AA", id="nul"),
        pytest.param("a" * 5001, id="huge"),
        pytest.param("idp.example.com", id="a-url"),
    ],
)
def test_a_provider_id_that_names_no_provider_is_not_found(
    api: APIClient, method: str, suffix: str, body: Any, provider_id: str
) -> None:
    _provider()
    _provider("https://idp.example.com")

    status, error = _refused(api, method, f"{URL}{provider_id}/{suffix}", body)

    assert (status, error["code"]) == (404, "NoSuchEntityException"), error


def test_an_unknown_provider_is_not_found_before_its_body_is_read(api: APIClient) -> None:
    status, error = _refused(api, "post", f"{URL}{PROVIDER_ID}/client-ids/", {"client_id": 5})

    assert (status, error) == (
        404,
        {
            "code": "NoSuchEntityException",
            "message": f"OpenIDConnect Provider not found for arn {ARN}",
        },
    )


# --- Authorization -------------------------------------------------------------------------------


def test_a_key_whose_policy_lacks_the_action_is_refused(operator: User) -> None:
    path = _provider()
    key, secret = make_access_key(
        operator=operator,
        policy={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider"],
                    "Resource": "*",
                },
                {
                    "Effect": "Allow",
                    "Action": "iam:TagOpenIDConnectProvider",
                    "Resource": f"arn:aws:iam::{ACCOUNT}:oidc-provider/other.example.com",
                },
            ],
        },
    )
    client = _basic(key, secret)

    assert client.get(URL).status_code == 200
    assert client.get(path).status_code == 200
    status, error = _refused(client, "post", URL, {"url": "https://new.example.com"})
    assert (status, error["code"]) == (403, "AccessDeniedException")
    assert "iam:CreateOpenIDConnectProvider" in error["message"]
    tag = {"tags": [{"key": "k", "value": "v"}]}
    assert _refused(client, "post", f"{path}tags/", tag)[0] == 403
    assert _refused(client, "delete", path)[0] == 403
    assert _refused(client, "delete", f"{path}client-ids/app/")[0] == 403
    assert _refused(client, "get", f"{path}tags/")[0] == 403


def test_a_read_only_operator_can_read_providers_but_not_change_them(
    operator_groups: None,
) -> None:
    path = _provider()
    support = make_operator(username="support", superuser=False, groups=("Support (read only)",))
    client = APIClient()
    client.force_authenticate(user=support)

    assert client.get(URL).status_code == 200
    assert client.get(path).status_code == 200
    assert _refused(client, "post", URL, {"url": "https://new.example.com"})[0] == 403
    assert _refused(client, "put", f"{path}thumbprints/", {"thumbprint_list": []})[0] == 403
    assert _refused(client, "post", f"{path}client-ids/", {"client_id": "x"})[0] == 403
