from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from pools.errors import (
    DuplicateProviderException,
    InvalidParameterException,
    LimitExceededException,
    ResourceNotFoundException,
)
from pools.models import AppClient, IdentityProvider, UserPool
from pools.selectors.identity_providers import (
    identity_provider_get_by_identifier,
    identity_providers_page,
)
from pools.services.federation import (
    MAX_PROVIDERS_PER_POOL,
    identity_provider_create,
    identity_provider_delete,
    identity_provider_details,
    identity_provider_update,
)
from pools.shapes.identity_providers import identity_provider_shape, provider_description_shape
from tests.builders import make_app_client, make_user_pool

pytestmark = pytest.mark.django_db

GOOGLE = {"client_id": "g-id", "client_secret": "g-secret-value", "authorize_scopes": "openid"}
APPLE = {
    "client_id": "com.example.app",
    "team_id": "TEAM",
    "key_id": "KEY",
    "private_key": "-----BEGIN PRIVATE KEY-----\nAPPLEKEYMATERIAL\n-----END PRIVATE KEY-----",
    "authorize_scopes": "email name",
}
OIDC = {
    "client_id": "oidc-id",
    "attributes_request_method": "GET",
    "oidc_issuer": "https://idp.example.com",
    "authorize_scopes": "openid profile",
}
SAML = {"MetadataURL": "https://idp.example.com/saml/metadata"}


def _oidc(pool: UserPool, name: str = "Corp", **kwargs: Any) -> IdentityProvider:
    return identity_provider_create(
        pool=pool, name=name, provider_type="OIDC", details=OIDC, **kwargs
    )


def _state(pool: UserPool) -> list[tuple[str, str, dict[str, str], dict[str, str], list[str]]]:
    """Every provider of `pool` with its details in plain text, re-read from the database."""
    return [
        (
            row.name,
            row.provider_type,
            identity_provider_details(provider=row),
            row.attribute_mapping,
            row.idp_identifiers,
        )
        for row in IdentityProvider.objects.filter(pool=pool).order_by("id")
    ]


# Create.


def test_google_is_stored_with_cognitos_endpoints_and_a_sealed_secret(pool: UserPool) -> None:
    provider = identity_provider_create(
        pool=pool, name="Google", provider_type="Google", details=GOOGLE
    )

    stored = IdentityProvider.objects.get(pk=provider.pk)
    assert "g-secret-value" not in json.dumps(stored.provider_details)
    shape = identity_provider_shape(stored)
    assert shape["ProviderDetails"] == {
        **GOOGLE,
        "attributes_url": "https://people.googleapis.com/v1/people/me?personFields=",
        "attributes_url_add_attributes": "true",
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "oidc_issuer": "https://accounts.google.com",
        "token_request_method": "POST",
        "token_url": "https://www.googleapis.com/oauth2/v4/token",
    }
    assert shape["AttributeMapping"] == {"username": "sub"}
    assert (shape["UserPoolId"], shape["ProviderName"], shape["ProviderType"]) == (
        pool.pool_id,
        "Google",
        "Google",
    )
    assert shape["IdpIdentifiers"] == []
    assert isinstance(shape["CreationDate"], dt.datetime)


def test_a_request_may_point_a_social_provider_elsewhere(pool: UserPool) -> None:
    provider = identity_provider_create(
        pool=pool,
        name="Google",
        provider_type="Google",
        details={**GOOGLE, "token_url": "http://localhost:9000/token"},
    )

    assert identity_provider_details(provider=provider)["token_url"] == (
        "http://localhost:9000/token"
    )


def test_apples_private_key_is_sealed_and_not_described(pool: UserPool) -> None:
    provider = identity_provider_create(
        pool=pool, name="SignInWithApple", provider_type="SignInWithApple", details=APPLE
    )

    stored = IdentityProvider.objects.get(pk=provider.pk)
    assert "APPLEKEYMATERIAL" not in json.dumps(stored.provider_details)
    assert "private_key" not in identity_provider_shape(stored)["ProviderDetails"]
    assert identity_provider_details(provider=stored)["private_key"] == APPLE["private_key"]
    assert identity_provider_shape(stored)["ProviderDetails"]["oidc_issuer"] == (
        "https://appleid.apple.com"
    )


@pytest.mark.parametrize(
    ("extra", "prefix"),
    [
        ({"api_version": "v17.0"}, "https://www.facebook.com/v17.0/"),
        ({}, "https://www.facebook.com/"),
    ],
)
def test_facebook_endpoints_follow_the_api_version(
    pool: UserPool, extra: dict[str, str], prefix: str
) -> None:
    provider = identity_provider_create(
        pool=pool, name="Facebook", provider_type="Facebook", details={**GOOGLE, **extra}
    )

    details = identity_provider_details(provider=provider)
    assert details["authorize_url"] == f"{prefix}dialog/oauth"
    assert provider.attribute_mapping == {"username": "id"}


def test_login_with_amazon_maps_user_id_to_username(pool: UserPool) -> None:
    provider = identity_provider_create(
        pool=pool, name="LoginWithAmazon", provider_type="LoginWithAmazon", details=GOOGLE
    )

    assert provider.attribute_mapping == {"username": "user_id"}
    assert identity_provider_details(provider=provider)["token_url"] == (
        "https://api.amazon.com/auth/o2/token"
    )


def test_oidc_takes_an_optional_secret_and_endpoints(pool: UserPool) -> None:
    details = {
        **OIDC,
        "client_secret": "oidc-secret",
        "authorize_url": "https://idp.example.com/authorize",
        "jwks_uri": "https://idp.example.com/jwks",
    }

    provider = identity_provider_create(
        pool=pool,
        name="Corp",
        provider_type="OIDC",
        details=details,
        attribute_mapping={"email": "mail", "username": "preferred_username"},
        idp_identifiers=["corp.example.com", "corp"],
    )

    stored = IdentityProvider.objects.get(pk=provider.pk)
    assert "oidc-secret" not in json.dumps(stored.provider_details)
    shape = identity_provider_shape(stored)
    assert shape["ProviderDetails"] == {**details, "attributes_url_add_attributes": "false"}
    assert shape["AttributeMapping"] == {"email": "mail", "username": "preferred_username"}
    assert shape["IdpIdentifiers"] == ["corp.example.com", "corp"]


def test_saml_by_metadata_file(pool: UserPool) -> None:
    details = {"MetadataFile": "<EntityDescriptor/>", "IDPSignout": "true"}

    provider = identity_provider_create(
        pool=pool, name="CorpSAML", provider_type="SAML", details=details
    )

    assert identity_provider_details(provider=provider) == details
    assert provider.attribute_mapping == {}


@pytest.mark.parametrize(
    ("provider_type", "details", "message"),
    [
        ("Google", {"client_id": "x", "authorize_scopes": "openid"}, "must include client_secret"),
        ("SignInWithApple", {**APPLE, "private_key": ""}, "private_key must not be empty"),
        ("OIDC", {**OIDC, "oidc_issuer": "not a url"}, "oidc_issuer must be an http(s) URL"),
        ("OIDC", {**OIDC, "attributes_request_method": "PUT"}, "must be one of GET, POST"),
        ("OIDC", {**OIDC, "colour": "blue"}, "do not take colour"),
        ("Google", {**GOOGLE, "team_id": "T"}, "do not take team_id"),
        ("SAML", {}, "exactly one of MetadataURL and MetadataFile"),
        ("SAML", {**SAML, "MetadataFile": "<x/>"}, "exactly one of MetadataURL and MetadataFile"),
        ("SAML", {**SAML, "IDPInit": "yes"}, "IDPInit must be true or false"),
        ("SAML", {**SAML, "RequestSigningAlgorithm": "rsa-sha1"}, "must be one of rsa-sha256"),
    ],
)
def test_provider_details_rules(
    pool: UserPool, provider_type: str, details: dict[str, str], message: str
) -> None:
    name = "Corp" if provider_type in {"OIDC", "SAML"} else provider_type

    with pytest.raises(InvalidParameterException, match=re.escape(message)):
        identity_provider_create(pool=pool, name=name, provider_type=provider_type, details=details)

    assert _state(pool) == []


@pytest.mark.parametrize(
    ("name", "provider_type", "message"),
    [
        ("Cognito", "OIDC", "reserved provider name"),
        ("COGNITO", "OIDC", "reserved provider name"),
        ("MyGoogle", "Google", "Provider MyGoogle cannot be of type Google"),
        ("Google", "OIDC", "Provider Google cannot be of type OIDC"),
        ("ab", "OIDC", "providerName"),
        ("has space", "OIDC", "providerName"),
        ("n" * 33, "OIDC", "providerName"),
        ("Corp", "Twitter", "providerType"),
    ],
)
def test_provider_name_and_type_rules(
    pool: UserPool, name: str, provider_type: str, message: str
) -> None:
    with pytest.raises(InvalidParameterException, match=message):
        identity_provider_create(pool=pool, name=name, provider_type=provider_type, details=OIDC)

    assert _state(pool) == []


def test_a_name_in_use_is_a_duplicate(pool: UserPool) -> None:
    _oidc(pool, idp_identifiers=["first"])

    with pytest.raises(DuplicateProviderException, match="Corp already exists in user pool"):
        _oidc(pool, idp_identifiers=["second"])

    assert [row[4] for row in _state(pool)] == [["first"]]


def test_the_same_name_and_identifier_are_free_in_another_pool(pool: UserPool) -> None:
    _oidc(pool, idp_identifiers=["corp"])
    other = make_user_pool(name="other")

    _oidc(other, idp_identifiers=["corp"])

    assert [row[0] for row in _state(other)] == ["Corp"]


def test_an_identifier_in_use_is_a_duplicate(pool: UserPool) -> None:
    _oidc(pool, idp_identifiers=["corp.example.com"])

    with pytest.raises(DuplicateProviderException, match=re.escape("corp.example.com")):
        identity_provider_create(
            pool=pool,
            name="CorpSAML",
            provider_type="SAML",
            details=SAML,
            idp_identifiers=["other", "corp.example.com"],
        )

    assert [row[0] for row in _state(pool)] == ["Corp"]


@pytest.mark.parametrize(
    ("identifiers", "message"),
    [
        (["same", "same"], "Duplicate IdpIdentifiers: same"),
        ([f"id{i}" for i in range(51)], "idpIdentifiers"),
        (["bad/identifier"], "idpIdentifiers"),
        (["i" * 41], "idpIdentifiers"),
    ],
)
def test_identifier_rules(pool: UserPool, identifiers: list[str], message: str) -> None:
    with pytest.raises(InvalidParameterException, match=message):
        _oidc(pool, idp_identifiers=identifiers)

    assert _state(pool) == []


def test_mapping_targets_must_be_pool_attributes() -> None:
    pool = make_user_pool(name="schema", Schema=[{"Name": "tier", "AttributeDataType": "String"}])

    with pytest.raises(InvalidParameterException, match="does not have: shoe_size"):
        _oidc(pool, attribute_mapping={"email": "mail", "shoe_size": "size"})

    assert _state(pool) == []
    provider = _oidc(pool, attribute_mapping={"custom:tier": "tier", "email_verified": "ev"})
    assert provider.attribute_mapping["custom:tier"] == "tier"


def test_create_stops_at_three_hundred_providers(pool: UserPool) -> None:
    IdentityProvider.objects.bulk_create(
        IdentityProvider(pool=pool, name=f"p{i:03d}", provider_type="OIDC")
        for i in range(MAX_PROVIDERS_PER_POOL - 1)
    )
    _oidc(pool, name="last")

    with pytest.raises(LimitExceededException):
        _oidc(pool, name="one-too-many")

    assert IdentityProvider.objects.filter(pool=pool).count() == MAX_PROVIDERS_PER_POOL


# Update.


def test_update_replaces_details_and_keeps_an_omitted_secret(pool: UserPool) -> None:
    provider = identity_provider_create(
        pool=pool, name="Corp", provider_type="OIDC", details={**OIDC, "client_secret": "keep-me"}
    )

    identity_provider_update(
        provider=provider, details={**OIDC, "authorize_scopes": "openid email"}
    )

    details = identity_provider_details(provider=IdentityProvider.objects.get(pk=provider.pk))
    assert details["authorize_scopes"] == "openid email"
    assert details["client_secret"] == "keep-me"


def test_update_round_trips_a_described_apple_provider(pool: UserPool) -> None:
    provider = identity_provider_create(
        pool=pool, name="SignInWithApple", provider_type="SignInWithApple", details=APPLE
    )
    described = identity_provider_shape(provider)["ProviderDetails"]

    identity_provider_update(provider=provider, details={**described, "team_id": "NEWTEAM"})

    details = identity_provider_details(provider=IdentityProvider.objects.get(pk=provider.pk))
    assert (details["team_id"], details["private_key"]) == ("NEWTEAM", APPLE["private_key"])


def test_update_changes_only_the_members_given(pool: UserPool) -> None:
    provider = _oidc(pool, attribute_mapping={"email": "mail"}, idp_identifiers=["corp"])

    identity_provider_update(provider=provider, idp_identifiers=["corp", "corp.example.com"])

    assert _state(pool) == [
        (
            "Corp",
            "OIDC",
            {**OIDC, "attributes_url_add_attributes": "false"},
            {"email": "mail", "username": "sub"},
            ["corp", "corp.example.com"],
        )
    ]
    identity_provider_update(provider=provider, attribute_mapping={"name": "display_name"})
    assert _state(pool)[0][3] == {"name": "display_name", "username": "sub"}


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"details": {"client_id": "only"}}, InvalidParameterException),
        ({"attribute_mapping": {"shoe_size": "size"}}, InvalidParameterException),
        ({"idp_identifiers": ["theirs"]}, DuplicateProviderException),
        ({"idp_identifiers": ["x", "x"]}, InvalidParameterException),
    ],
)
def test_failed_update_changes_nothing(
    pool: UserPool, arguments: dict[str, Any], error: type[Exception]
) -> None:
    provider = _oidc(pool, attribute_mapping={"email": "mail"}, idp_identifiers=["mine"])
    identity_provider_create(
        pool=pool, name="CorpSAML", provider_type="SAML", details=SAML, idp_identifiers=["theirs"]
    )
    before = _state(pool)

    with pytest.raises(error):
        identity_provider_update(provider=provider, **arguments)

    assert _state(pool) == before


# Delete, lookups and lists.


def test_delete_withdraws_the_provider_from_clients(pool: UserPool) -> None:
    provider = _oidc(pool)
    client = make_app_client(pool=pool, SupportedIdentityProviders=["COGNITO", "Corp"])

    identity_provider_delete(provider=provider)

    assert _state(pool) == []
    assert AppClient.objects.get(pk=client.pk).supported_identity_providers == ["COGNITO"]


def test_get_by_identifier_stays_in_its_pool(pool: UserPool) -> None:
    provider = _oidc(pool, idp_identifiers=["corp.example.com"])
    other = make_user_pool(name="other")
    _oidc(other, name="Theirs", idp_identifiers=["theirs.example.com"])

    assert identity_provider_get_by_identifier(pool=pool, identifier="corp.example.com") == provider
    with pytest.raises(ResourceNotFoundException):
        identity_provider_get_by_identifier(pool=pool, identifier="theirs.example.com")


def test_description_shape(pool: UserPool) -> None:
    provider = _oidc(pool)

    shape = provider_description_shape(provider)

    assert (shape["ProviderName"], shape["ProviderType"]) == ("Corp", "OIDC")
    assert set(shape) == {"ProviderName", "ProviderType", "LastModifiedDate", "CreationDate"}


def test_pages_cover_the_pools_providers_only(pool: UserPool) -> None:
    for i in range(5):
        _oidc(pool, name=f"Corp{i}")
    other = make_user_pool(name="other")
    _oidc(other, name="Elsewhere")

    seen: list[str] = []
    token: str | None = None
    while True:
        providers, token = identity_providers_page(pool=pool, max_results=2, next_token=token)
        seen += [p.name for p in providers]
        if token is None:
            break

    assert seen == [f"Corp{i}" for i in range(5)]
    assert len(identity_providers_page(pool=pool, max_results=0, next_token=None)[0]) == 5


def test_max_results_above_sixty_is_rejected(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match="maxResults"):
        identity_providers_page(pool=pool, max_results=61, next_token=None)


def test_a_token_from_another_pool_is_refused(pool: UserPool) -> None:
    other = make_user_pool(name="other")
    for i in range(3):
        _oidc(other, name=f"Corp{i}")
    _, token = identity_providers_page(pool=other, max_results=1, next_token=None)
    assert token is not None

    with pytest.raises(InvalidParameterException, match="pagination token"):
        identity_providers_page(pool=pool, max_results=1, next_token=token)
