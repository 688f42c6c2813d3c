"""AWS endpoint, boto3 against a live server: a user pool's federated identity providers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pools.models import IdentityProvider, UserPool
from pools.services.federation import identity_provider_create
from tests.builders import make_user_pool

pytestmark = pytest.mark.django_db

OIDC = {
    "client_id": "oidc-id",
    "client_secret": "oidc-secret",
    "attributes_request_method": "GET",
    "oidc_issuer": "https://idp.example.com",
    "authorize_scopes": "openid email",
}


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    message: str = error.value.response["Error"]["Message"]
    return message


def _providers() -> list[tuple[str, str, Any, Any, Any]]:
    return list(
        IdentityProvider.objects.order_by("pk").values_list(
            "pool__pool_id", "name", "provider_details", "attribute_mapping", "idp_identifiers"
        )
    )


def _oidc(pool: UserPool, name: str = "Corp", **kwargs: Any) -> IdentityProvider:
    return identity_provider_create(
        pool=pool, name=name, provider_type="OIDC", details=OIDC, **kwargs
    )


def test_create_then_describe_an_identity_provider(idp: Any, pool: UserPool) -> None:
    created = idp.create_identity_provider(
        UserPoolId=pool.pool_id,
        ProviderName="Corp",
        ProviderType="OIDC",
        ProviderDetails=OIDC,
        AttributeMapping={"email": "email"},
        IdpIdentifiers=["corp.example.com"],
    )["IdentityProvider"]

    assert created["UserPoolId"] == pool.pool_id
    assert created["ProviderName"] == "Corp"
    assert created["ProviderType"] == "OIDC"
    assert created["ProviderDetails"] == {**OIDC, "attributes_url_add_attributes": "false"}
    assert created["AttributeMapping"] == {"email": "email", "username": "sub"}
    assert created["IdpIdentifiers"] == ["corp.example.com"]
    assert isinstance(created["CreationDate"], dt.datetime)
    assert isinstance(created["LastModifiedDate"], dt.datetime)
    described = idp.describe_identity_provider(UserPoolId=pool.pool_id, ProviderName="Corp")
    assert described["IdentityProvider"] == created
    found = idp.get_identity_provider_by_identifier(
        UserPoolId=pool.pool_id, IdpIdentifier="corp.example.com"
    )
    assert found["IdentityProvider"] == created


def test_create_identity_provider_errors_create_nothing(idp: Any, pool: UserPool) -> None:
    _oidc(pool, idp_identifiers=["corp.example.com"])
    before = _providers()

    with pytest.raises(idp.exceptions.DuplicateProviderException):
        idp.create_identity_provider(
            UserPoolId=pool.pool_id, ProviderName="Corp", ProviderType="OIDC", ProviderDetails=OIDC
        )
    with pytest.raises(idp.exceptions.DuplicateProviderException):
        idp.create_identity_provider(
            UserPoolId=pool.pool_id,
            ProviderName="Other",
            ProviderType="OIDC",
            ProviderDetails=OIDC,
            IdpIdentifiers=["corp.example.com"],
        )
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.create_identity_provider(
            UserPoolId=pool.pool_id,
            ProviderName="Other",
            ProviderType="Okta",
            ProviderDetails=OIDC,
        )
    assert "'providerType'" in _message(error)
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.create_identity_provider(
            UserPoolId=pool.pool_id,
            ProviderName="Other",
            ProviderType="OIDC",
            ProviderDetails={"client_id": "x"},
        )
    assert "must include" in _message(error)
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.create_identity_provider(
            UserPoolId="us-east-1_nothere12",
            ProviderName="Corp",
            ProviderType="OIDC",
            ProviderDetails=OIDC,
        )

    assert _providers() == before


def test_update_identity_provider_replaces_the_members_given(idp: Any, pool: UserPool) -> None:
    _oidc(pool, idp_identifiers=["corp.example.com"])

    updated = idp.update_identity_provider(
        UserPoolId=pool.pool_id,
        ProviderName="Corp",
        ProviderDetails={**OIDC, "authorize_scopes": "openid"},
        IdpIdentifiers=["corp.example.org"],
    )["IdentityProvider"]

    assert updated["ProviderDetails"]["authorize_scopes"] == "openid"
    assert updated["IdpIdentifiers"] == ["corp.example.org"]
    assert updated["AttributeMapping"] == {"username": "sub"}
    assert updated["LastModifiedDate"] >= updated["CreationDate"]


def test_another_pools_provider_is_not_found_and_untouched(idp: Any, pool: UserPool) -> None:
    _oidc(make_user_pool(name="other"), idp_identifiers=["corp.example.com"])
    before = _providers()

    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.describe_identity_provider(UserPoolId=pool.pool_id, ProviderName="Corp")
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.update_identity_provider(
            UserPoolId=pool.pool_id, ProviderName="Corp", IdpIdentifiers=["mine.example.com"]
        )
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.delete_identity_provider(UserPoolId=pool.pool_id, ProviderName="Corp")
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.get_identity_provider_by_identifier(
            UserPoolId=pool.pool_id, IdpIdentifier="corp.example.com"
        )

    assert _providers() == before


def test_update_identity_provider_errors_change_nothing(idp: Any, pool: UserPool) -> None:
    _oidc(pool)
    _oidc(pool, name="Partner", idp_identifiers=["partner.example.com"])
    before = _providers()

    with pytest.raises(idp.exceptions.DuplicateProviderException):
        idp.update_identity_provider(
            UserPoolId=pool.pool_id, ProviderName="Corp", IdpIdentifiers=["partner.example.com"]
        )
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.update_identity_provider(
            UserPoolId=pool.pool_id, ProviderName="Corp", AttributeMapping={"custom:nope": "x"}
        )
    assert "custom:nope" in _message(error)

    assert _providers() == before


def test_delete_identity_provider(idp: Any, pool: UserPool) -> None:
    _oidc(pool)

    response = idp.delete_identity_provider(UserPoolId=pool.pool_id, ProviderName="Corp")

    assert set(response) == {"ResponseMetadata"}
    assert _providers() == []


def test_list_identity_providers_pages_with_the_boto3_paginator(idp: Any, pool: UserPool) -> None:
    names = ["Alpha", "Beta", "Gamma"]
    for name in names:
        _oidc(pool, name=name)
    _oidc(make_user_pool(name="other"), name="Theirs")

    pages = list(
        idp.get_paginator("list_identity_providers").paginate(
            UserPoolId=pool.pool_id, PaginationConfig={"PageSize": 1}
        )
    )

    assert [len(page["Providers"]) for page in pages] == [1, 1, 1]
    assert all("NextToken" in page for page in pages[:-1])
    assert "NextToken" not in pages[-1]
    listed = [provider for page in pages for provider in page["Providers"]]
    assert [provider["ProviderName"] for provider in listed] == names
    assert set(listed[0]) == {"ProviderName", "ProviderType", "LastModifiedDate", "CreationDate"}
    assert isinstance(listed[0]["CreationDate"], dt.datetime)
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.list_identity_providers(UserPoolId=pool.pool_id, MaxResults=61)
    assert "'maxResults'" in _message(error)
