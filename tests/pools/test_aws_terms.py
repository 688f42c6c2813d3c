"""AWS endpoint, boto3 against a live server: terms documents of app clients (CreateTerms,
DescribeTerms, DescribeTermsByClient, UpdateTerms, DeleteTerms, ListTerms), and the hosted
sign-up page that links to them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.test import Client

from pools.errors import ResourceNotFoundException
from pools.models import AppClient, Terms, UserPool
from pools.services.terms import terms_create, terms_delete, terms_update
from tests.builders import make_app_client, make_user_pool
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.pools.hosted_fixtures import CALLBACK, web_app

pytestmark = pytest.mark.django_db(transaction=True)

TERMS_URL = "https://example.com/terms"
PRIVACY_URL = "https://example.com/privacy"


@pytest.fixture
def app(pool: UserPool) -> AppClient:
    return make_app_client(pool=pool)


def _create(idp: Any, app: AppClient, name: str = "terms-of-use", **links: str) -> dict[str, Any]:
    terms: dict[str, Any] = idp.create_terms(
        UserPoolId=app.pool.pool_id,
        ClientId=app.client_id,
        TermsName=name,
        TermsSource="LINK",
        Enforcement="NONE",
        Links=links or {"cognito:default": TERMS_URL},
    )["Terms"]
    return terms


def _refused(error: pytest.ExceptionInfo[ClientError], code: str) -> str:
    assert error.value.response["Error"]["Code"] == code, error.value.response
    message: str = error.value.response["Error"]["Message"]
    return message


def test_create_then_describe_by_id_and_by_client(idp: Any, app: AppClient) -> None:
    created = _create(
        idp, app, **{"cognito:default": TERMS_URL, "cognito:spanish": f"{TERMS_URL}/es"}
    )

    uuid.UUID(created["TermsId"], version=4)
    assert created["UserPoolId"] == app.pool.pool_id
    assert created["ClientId"] == app.client_id
    assert (created["TermsName"], created["TermsSource"], created["Enforcement"]) == (
        "terms-of-use",
        "LINK",
        "NONE",
    )
    assert created["Links"] == {"cognito:default": TERMS_URL, "cognito:spanish": f"{TERMS_URL}/es"}
    assert isinstance(created["CreationDate"], dt.datetime)
    assert created["CreationDate"] == created["LastModifiedDate"]
    by_id = idp.describe_terms(UserPoolId=app.pool.pool_id, TermsId=created["TermsId"])["Terms"]
    assert by_id == created
    by_client = idp.describe_terms_by_client(
        UserPoolId=app.pool.pool_id, ClientId=app.client_id, TermsName="terms-of-use"
    )["Terms"]
    assert by_client == created


def test_update_replaces_what_it_names_and_keeps_the_rest(idp: Any, app: AppClient) -> None:
    created = _create(idp, app)
    updated = idp.update_terms(
        UserPoolId=app.pool.pool_id,
        TermsId=created["TermsId"],
        Links={"cognito:english": f"{TERMS_URL}/en"},
    )["Terms"]
    assert updated["Links"] == {"cognito:english": f"{TERMS_URL}/en"}
    assert updated["TermsName"] == "terms-of-use"
    assert updated["LastModifiedDate"] >= created["LastModifiedDate"]
    renamed = idp.update_terms(
        UserPoolId=app.pool.pool_id, TermsId=created["TermsId"], TermsName="privacy-policy"
    )["Terms"]
    assert renamed["TermsName"] == "privacy-policy"
    assert renamed["Links"] == {"cognito:english": f"{TERMS_URL}/en"}


def test_list_pages_through_the_pools_documents_and_delete_removes_one(
    idp: Any, pool: UserPool
) -> None:
    made = []
    for _ in range(3):
        client = make_app_client(pool=pool)
        made.append(_create(idp, client)["TermsId"])
        made.append(_create(idp, client, "privacy-policy")["TermsId"])
    # Another pool's document is never listed in this one's pages.
    _create(idp, make_app_client(pool=make_user_pool(name="other")))

    first = idp.list_terms(UserPoolId=pool.pool_id, MaxResults=4)
    assert len(first["Terms"]) == 4
    rest = idp.list_terms(UserPoolId=pool.pool_id, NextToken=first["NextToken"])
    assert "NextToken" not in rest
    listed = [row["TermsId"] for row in first["Terms"] + rest["Terms"]]
    assert listed == made
    assert set(first["Terms"][0]) == {
        "TermsId",
        "TermsName",
        "Enforcement",
        "CreationDate",
        "LastModifiedDate",
    }

    idp.delete_terms(UserPoolId=pool.pool_id, TermsId=made[0])
    assert len(idp.list_terms(UserPoolId=pool.pool_id)["Terms"]) == 5
    with pytest.raises(ClientError) as error:
        idp.describe_terms(UserPoolId=pool.pool_id, TermsId=made[0])
    _refused(error, "ResourceNotFoundException")


def test_a_second_document_of_one_name_is_terms_exists_and_changes_nothing(
    idp: Any, app: AppClient
) -> None:
    _create(idp, app)
    privacy = _create(idp, app, "privacy-policy")
    before = snapshot()
    with pytest.raises(ClientError) as error:
        _create(idp, app)
    _refused(error, "TermsExistsException")
    with pytest.raises(ClientError) as error:
        idp.update_terms(
            UserPoolId=app.pool.pool_id, TermsId=privacy["TermsId"], TermsName="terms-of-use"
        )
    _refused(error, "TermsExistsException")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("members", "code"),
    [
        ({"TermsName": "cookies"}, "InvalidParameterException"),
        ({"TermsSource": "FILE"}, "InvalidParameterException"),
        ({"Enforcement": "REQUIRED"}, "InvalidParameterException"),
        ({"Links": {}}, "InvalidParameterException"),
        ({"Links": {"cognito:klingon": TERMS_URL}}, "InvalidParameterException"),
        ({"Links": {"cognito:default": "javascript:alert(1)"}}, "InvalidParameterException"),
        ({"Links": {"cognito:default": "/terms"}}, "InvalidParameterException"),
        ({"Links": {"cognito:default": "https://" + "a" * 1100}}, "InvalidParameterException"),
        ({"Links": {"cognito:default": "https://example.com/a b"}}, "InvalidParameterException"),
        ({"Links": {"cognito:default": "http://[x"}}, "InvalidParameterException"),
        ({"Links": {"cognito:default": "https://example.com:0x1/"}}, "InvalidParameterException"),
        ({"ClientId": "nosuchclient1234567890abcd"}, "ResourceNotFoundException"),
        ({"UserPoolId": "us-east-1_NoSuchPool"}, "ResourceNotFoundException"),
    ],
)
def test_bad_create_requests_are_refused_and_change_nothing(
    idp: Any, app: AppClient, members: dict[str, Any], code: str
) -> None:
    request = {
        "UserPoolId": app.pool.pool_id,
        "ClientId": app.client_id,
        "TermsName": "terms-of-use",
        "TermsSource": "LINK",
        "Enforcement": "NONE",
        "Links": {"cognito:default": TERMS_URL},
        **members,
    }
    before = snapshot()
    with pytest.raises(ClientError) as error:
        idp.create_terms(**request)
    _refused(error, code)
    assert snapshot() == before


def test_links_are_required_to_create(idp: Any, app: AppClient) -> None:
    with pytest.raises(ClientError) as error:
        idp.create_terms(
            UserPoolId=app.pool.pool_id,
            ClientId=app.client_id,
            TermsName="terms-of-use",
            TermsSource="LINK",
            Enforcement="NONE",
        )
    assert "Links" in _refused(error, "InvalidParameterException")
    assert not Terms.objects.exists()


def test_another_pools_client_and_documents_are_not_found(idp: Any, app: AppClient) -> None:
    created = _create(idp, app)
    other = make_user_pool(name="other")
    other_app = make_app_client(pool=other)
    before = snapshot()
    calls: list[Callable[[], Any]] = [
        lambda: idp.describe_terms(UserPoolId=other.pool_id, TermsId=created["TermsId"]),
        lambda: idp.update_terms(
            UserPoolId=other.pool_id,
            TermsId=created["TermsId"],
            Links={"cognito:default": TERMS_URL},
        ),
        lambda: idp.delete_terms(UserPoolId=other.pool_id, TermsId=created["TermsId"]),
        lambda: idp.describe_terms_by_client(
            UserPoolId=other.pool_id, ClientId=app.client_id, TermsName="terms-of-use"
        ),
        lambda: idp.describe_terms_by_client(
            UserPoolId=other.pool_id, ClientId=other_app.client_id, TermsName="terms-of-use"
        ),
        lambda: idp.describe_terms(UserPoolId=app.pool.pool_id, TermsId=str(uuid.uuid4())),
        lambda: idp.create_terms(
            UserPoolId=other.pool_id,
            ClientId=app.client_id,
            TermsName="privacy-policy",
            TermsSource="LINK",
            Enforcement="NONE",
            Links={"cognito:default": PRIVACY_URL},
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as error:
            call()
        _refused(error, "ResourceNotFoundException")
    assert snapshot() == before
    assert idp.list_terms(UserPoolId=other.pool_id)["Terms"] == []


def test_a_bad_terms_id_is_refused(idp: Any, app: AppClient) -> None:
    with pytest.raises(ClientError) as error:
        idp.describe_terms(UserPoolId=app.pool.pool_id, TermsId="not-a-terms-id")
    _refused(error, "InvalidParameterException")


def test_the_sign_up_page_links_to_both_documents_once_the_client_has_both(
    idp: Any, pool: UserPool, client: Client
) -> None:
    web = web_app(pool, AllowedOAuthScopes=["openid", "email"])
    signup = (
        f"/signup?response_type=code&client_id={web.client_id}&redirect_uri={CALLBACK}&scope=openid"
    )
    _create(idp, web, **{"cognito:default": TERMS_URL})
    assert b"privacy policy" not in client.get(signup).content

    _create(
        idp,
        web,
        "privacy-policy",
        **{"cognito:english": PRIVACY_URL, "cognito:default": "https://example.com/p"},
    )
    page = client.get(signup).content.decode()
    assert f'<a href="{TERMS_URL}"' in page
    assert f'<a href="{PRIVACY_URL}"' in page
    assert "By signing up, you agree to the" in page


def test_an_update_or_delete_of_a_document_deleted_meanwhile_is_not_found(app: AppClient) -> None:
    """The service re-reads the row under its lock: a stale copy never brings it back."""
    terms = terms_create(
        client=app,
        name="terms-of-use",
        source="LINK",
        enforcement="NONE",
        links={"cognito:default": TERMS_URL},
    )
    Terms.objects.filter(pk=terms.pk).delete()
    with pytest.raises(ResourceNotFoundException):
        terms_update(terms=terms, links={"cognito:default": PRIVACY_URL})
    with pytest.raises(ResourceNotFoundException):
        terms_delete(terms=terms)
    assert not Terms.objects.exists()
