from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from pools.errors import (
    FeatureUnavailableInTierException,
    InvalidOAuthFlowException,
    InvalidParameterException,
    LimitExceededException,
    NotAuthorizedException,
    ScopeDoesNotExistException,
)
from pools.models import AppClient, AppClientSecret, UserPool
from pools.selectors.clients import app_clients_page
from pools.services.clients import (
    MAX_CLIENTS_PER_POOL,
    app_client_create,
    app_client_delete,
    app_client_secret,
    app_client_update,
    app_client_verify_secret,
)
from pools.services.federation import identity_provider_create
from pools.shapes.clients import app_client_description_shape, app_client_shape
from tests.builders import make_app_client, make_resource_server, make_user_pool

pytestmark = pytest.mark.django_db

OAUTH = {
    "AllowedOAuthFlowsUserPoolClient": True,
    "AllowedOAuthFlows": ["code"],
    "AllowedOAuthScopes": ["openid", "email"],
    "CallbackURLs": ["https://app.example.com/callback"],
}


def _state(client: AppClient) -> dict[str, Any]:
    """Everything a client is, as stored (re-read from the database)."""
    stored = AppClient.objects.get(pk=client.pk)
    return {**app_client_shape(stored, include_secret=True), "LastModifiedDate": None}


def _count(pool: UserPool) -> int:
    return AppClient.objects.filter(pool=pool).count()


# Create: defaults, secrets, limits.


def test_create_applies_cognito_defaults(pool: UserPool) -> None:
    client, secret = app_client_create(pool=pool, name="web")

    assert secret is None
    assert re.fullmatch(r"[a-z0-9]{26}", client.client_id)
    shape = app_client_shape(AppClient.objects.get(pk=client.pk), include_secret=True)
    assert shape["ExplicitAuthFlows"] == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_CUSTOM_AUTH",
    ]
    assert (shape["AccessTokenValidity"], shape["IdTokenValidity"]) == (60, 60)
    assert shape["RefreshTokenValidity"] == 30
    assert shape["TokenValidityUnits"] == {
        "AccessToken": "minutes",
        "IdToken": "minutes",
        "RefreshToken": "days",
    }
    assert shape["PreventUserExistenceErrors"] == "LEGACY"
    assert shape["EnableTokenRevocation"] is True
    assert shape["EnablePropagateAdditionalUserContextData"] is False
    assert shape["AuthSessionValidity"] == 3
    assert shape["AllowedOAuthFlowsUserPoolClient"] is False
    assert shape["RefreshTokenRotation"] == {"Feature": "DISABLED", "RetryGracePeriodSeconds": 0}
    for member in ("ClientSecret", "ReadAttributes", "WriteAttributes", "CallbackURLs"):
        assert member not in shape


def test_shapes_name_the_client_and_its_pool(pool: UserPool) -> None:
    client = make_app_client(pool=pool, name="web")

    shape = app_client_shape(client, include_secret=False)

    assert (shape["UserPoolId"], shape["ClientName"], shape["ClientId"]) == (
        pool.pool_id,
        "web",
        client.client_id,
    )
    assert isinstance(shape["CreationDate"], dt.datetime)
    assert app_client_description_shape(client) == {
        "ClientId": client.client_id,
        "UserPoolId": pool.pool_id,
        "ClientName": "web",
    }


def test_generated_secret_is_returned_once_and_sealed_at_rest(pool: UserPool) -> None:
    client, secret = app_client_create(pool=pool, name="server", settings={"GenerateSecret": True})

    assert secret is not None
    assert re.fullmatch(r"[a-z0-9]+", secret)
    assert 24 <= len(secret) <= 64
    stored = AppClient.objects.get(pk=client.pk)
    (row,) = AppClientSecret.objects.filter(client=stored)
    assert secret not in row.secret_sealed
    assert app_client_secret(client=stored) == secret
    assert app_client_shape(stored, include_secret=True)["ClientSecret"] == secret
    assert "ClientSecret" not in app_client_shape(stored, include_secret=False)


def test_a_chosen_secret_is_kept(pool: UserPool) -> None:
    chosen = "my+chosen_secret_value_0123456789"

    client, secret = app_client_create(pool=pool, name="s", settings={"ClientSecret": chosen})

    assert secret == chosen
    assert app_client_secret(client=AppClient.objects.get(pk=client.pk)) == chosen


def test_client_without_secret_has_none(pool: UserPool) -> None:
    assert app_client_secret(client=make_app_client(pool=pool)) is None


def test_the_client_secret_itself_proves_the_client(pool: UserPool) -> None:
    client = make_app_client(pool=pool, ClientSecret="the+client_secret_0123456789")

    app_client_verify_secret(client=client, secret="the+client_secret_0123456789")
    with pytest.raises(NotAuthorizedException, match="secret was not received"):
        app_client_verify_secret(client=client, secret=None)
    with pytest.raises(NotAuthorizedException, match="Unable to verify secret for client"):
        app_client_verify_secret(client=client, secret="the+client_secret_0123456780")
    with pytest.raises(NotAuthorizedException, match="Unable to verify secret for client"):
        app_client_verify_secret(client=client, secret="the+client_secret_0123456789x")


def test_a_client_without_secret_must_send_none(pool: UserPool) -> None:
    client = make_app_client(pool=pool)

    app_client_verify_secret(client=client, secret=None)
    with pytest.raises(InvalidParameterException, match="not configured for secret"):
        app_client_verify_secret(client=client, secret="anything_at_all_0123456789")


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        (
            {"GenerateSecret": True, "ClientSecret": "a" * 30},
            InvalidParameterException,
            "both GenerateSecret",
        ),
        ({"ClientSecret": "short"}, InvalidParameterException, "clientSecret"),
        ({"ClientSecret": "has spaces in the secret!!"}, InvalidParameterException, "clientSecret"),
        ({"Colour": "blue"}, InvalidParameterException, "Unknown app client setting: Colour"),
        ({"ClientId": "x"}, InvalidParameterException, "Unknown app client setting: ClientId"),
        (
            {"PublishSecretsInAWSSecretsManager": True, "GenerateSecret": True},
            InvalidParameterException,
            "PublishSecretsInAWSSecretsManager",
        ),
        (
            {"EnablePropagateAdditionalUserContextData": True},
            InvalidParameterException,
            "client secret",
        ),
        ({"AuthSessionValidity": 2}, InvalidParameterException, "authSessionValidity"),
        ({"AuthSessionValidity": 16}, InvalidParameterException, "authSessionValidity"),
        ({"PreventUserExistenceErrors": "ON"}, InvalidParameterException, "enum"),
        (
            {"RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 61}},
            InvalidParameterException,
            "retryGracePeriodSeconds",
        ),
        ({"RefreshTokenRotation": {}}, InvalidParameterException, "feature"),
    ],
)
def test_create_rejects_bad_settings(
    pool: UserPool, settings: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        app_client_create(pool=pool, name="web", settings=settings)

    assert _count(pool) == 0


@pytest.mark.parametrize("name", ["", "bad/name", "n" * 129])
def test_create_rejects_bad_names(pool: UserPool, name: str) -> None:
    with pytest.raises(InvalidParameterException, match="clientName"):
        app_client_create(pool=pool, name=name)

    assert _count(pool) == 0


def test_create_stores_the_remaining_members(pool: UserPool) -> None:
    analytics = {
        "ApplicationArn": "arn:aws:mobiletargeting:us-east-1:123456789012:apps/abc",
        "UserDataShared": True,
    }
    client, _ = app_client_create(
        pool=pool,
        name="web",
        settings={
            "GenerateSecret": True,
            "PreventUserExistenceErrors": "LEGACY",
            "EnableTokenRevocation": False,
            "EnablePropagateAdditionalUserContextData": True,
            "AuthSessionValidity": 15,
            "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 60},
            "AnalyticsConfiguration": analytics,
        },
    )

    shape = _state(client)
    assert shape["PreventUserExistenceErrors"] == "LEGACY"
    assert shape["EnableTokenRevocation"] is False
    assert shape["EnablePropagateAdditionalUserContextData"] is True
    assert shape["AuthSessionValidity"] == 15
    assert shape["RefreshTokenRotation"] == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 60}
    assert shape["AnalyticsConfiguration"] == analytics


def test_create_stops_at_a_thousand_clients(pool: UserPool) -> None:
    AppClient.objects.bulk_create(
        AppClient(pool=pool, client_id=f"bulk{i:022d}", name=f"c{i}")
        for i in range(MAX_CLIENTS_PER_POOL - 1)
    )
    make_app_client(pool=pool, name="last")

    with pytest.raises(LimitExceededException):
        app_client_create(pool=pool, name="one-too-many")

    assert _count(pool) == MAX_CLIENTS_PER_POOL


# Explicit auth flows.


def test_explicit_flows_are_kept_once_each(pool: UserPool) -> None:
    client = make_app_client(
        pool=pool,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"] * 2,
    )

    assert client.explicit_auth_flows == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def test_legacy_flows_alone_are_accepted(pool: UserPool) -> None:
    client = make_app_client(
        pool=pool, ExplicitAuthFlows=["ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"]
    )

    assert client.explicit_auth_flows == ["ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"]


def test_legacy_and_allow_flows_cannot_mix(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match="legacy"):
        make_app_client(pool=pool, ExplicitAuthFlows=["ADMIN_NO_SRP_AUTH", "ALLOW_CUSTOM_AUTH"])

    assert _count(pool) == 0


def test_unknown_flow_is_rejected(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match="explicitAuthFlows"):
        make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_MAGIC"])

    assert _count(pool) == 0


def test_choice_based_sign_in_needs_a_paid_plan() -> None:
    lite = make_user_pool(name="lite", UserPoolTier="LITE")

    with pytest.raises(FeatureUnavailableInTierException):
        make_app_client(pool=lite, ExplicitAuthFlows=["ALLOW_USER_AUTH"])

    assert _count(lite) == 0
    essentials = make_user_pool(name="essentials", UserPoolTier="ESSENTIALS")
    assert make_app_client(pool=essentials, ExplicitAuthFlows=["ALLOW_USER_AUTH"])


# Token validity.


def _validity(client: AppClient) -> tuple[tuple[int, str], tuple[int, str], tuple[int, str]]:
    stored = AppClient.objects.get(pk=client.pk)
    return (
        (stored.access_token_validity, stored.access_token_unit),
        (stored.id_token_validity, stored.id_token_unit),
        (stored.refresh_token_validity, stored.refresh_token_unit),
    )


def test_bare_values_are_hours_and_days(pool: UserPool) -> None:
    client = make_app_client(
        pool=pool, AccessTokenValidity=2, IdTokenValidity=24, RefreshTokenValidity=3650
    )

    assert _validity(client) == ((2, "hours"), (24, "hours"), (3650, "days"))


def test_units_apply_to_their_token(pool: UserPool) -> None:
    client = make_app_client(
        pool=pool,
        AccessTokenValidity=5,
        IdTokenValidity=86400,
        RefreshTokenValidity=60,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "seconds", "RefreshToken": "days"},
    )

    assert _validity(client) == ((5, "minutes"), (86400, "seconds"), (60, "days"))


def test_refresh_validity_zero_means_the_default(pool: UserPool) -> None:
    client = make_app_client(pool=pool, RefreshTokenValidity=0)

    assert _validity(client)[2] == (30, "days")


def test_a_unit_without_a_value_expresses_the_default_in_it(pool: UserPool) -> None:
    client = make_app_client(
        pool=pool,
        TokenValidityUnits={"AccessToken": "hours", "IdToken": "days", "RefreshToken": "hours"},
    )

    # 60 minutes is 1 hour but no whole number of days, so the ID token keeps minutes.
    assert _validity(client) == ((1, "hours"), (60, "minutes"), (720, "hours"))


@pytest.mark.parametrize(
    "settings",
    [
        {"AccessTokenValidity": 4, "TokenValidityUnits": {"AccessToken": "minutes"}},
        {"AccessTokenValidity": 25},
        {"IdTokenValidity": 299, "TokenValidityUnits": {"IdToken": "seconds"}},
        {"IdTokenValidity": 2, "TokenValidityUnits": {"IdToken": "days"}},
        {"RefreshTokenValidity": 59, "TokenValidityUnits": {"RefreshToken": "minutes"}},
        {"RefreshTokenValidity": 3651},
        # An access token may not outlive the refresh token.
        {
            "AccessTokenValidity": 2,
            "RefreshTokenValidity": 1,
            "TokenValidityUnits": {"RefreshToken": "hours"},
        },
    ],
)
def test_validity_outside_cognito_ranges_is_rejected(
    pool: UserPool, settings: dict[str, Any]
) -> None:
    with pytest.raises(InvalidParameterException, match="Invalid range for token validity"):
        make_app_client(pool=pool, **settings)

    assert _count(pool) == 0


def test_unknown_unit_is_rejected(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match="enum"):
        make_app_client(pool=pool, TokenValidityUnits={"AccessToken": "weeks"})

    assert _count(pool) == 0


# Read and write attributes.


@pytest.fixture
def schema_pool(db: None) -> UserPool:
    return make_user_pool(
        name="schema",
        Schema=[
            {"Name": "email", "Required": True},
            {"Name": "tier", "AttributeDataType": "String"},
            {"Name": "secretive", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
        ],
    )


def test_attribute_lists_name_schema_attributes(schema_pool: UserPool) -> None:
    client = make_app_client(
        pool=schema_pool,
        ReadAttributes=["email", "email_verified", "custom:tier", "sub"],
        WriteAttributes=["email", "custom:tier", "name"],
    )

    shape = _state(client)
    assert shape["ReadAttributes"] == ["email", "email_verified", "custom:tier", "sub"]
    assert shape["WriteAttributes"] == ["email", "custom:tier", "name"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"ReadAttributes": ["custom:missing"]}, "Invalid read attributes"),
        ({"ReadAttributes": ["dev:custom:secretive"]}, "Invalid read attributes"),
        ({"WriteAttributes": ["email", "shoe_size"]}, "Invalid write attributes"),
        ({"WriteAttributes": ["email", "sub"]}, "Invalid write attributes"),
        # The pool requires email, so a client's own write list must let sign-up set it.
        ({"WriteAttributes": ["name"]}, "Invalid write attributes"),
    ],
)
def test_attribute_lists_are_checked_against_the_schema(
    schema_pool: UserPool, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidParameterException, match=f"{message} specified while creating"):
        make_app_client(pool=schema_pool, **settings)

    assert _count(schema_pool) == 0


# OAuth.


def test_oauth_settings_are_stored(pool: UserPool) -> None:
    make_resource_server(pool=pool, identifier="https://api.example.com", scopes=("read",))
    client = make_app_client(
        pool=pool,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code", "implicit"],
        AllowedOAuthScopes=[
            "openid",
            "phone",
            "aws.cognito.signin.user.admin",
            "https://api.example.com/read",
        ],
        CallbackURLs=[
            "https://app.example.com/cb",
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "myapp://callback",
        ],
        LogoutURLs=["https://app.example.com/bye"],
        DefaultRedirectURI="https://app.example.com/cb",
        SupportedIdentityProviders=["COGNITO"],
    )

    shape = _state(client)
    assert shape["AllowedOAuthFlowsUserPoolClient"] is True
    assert shape["AllowedOAuthFlows"] == ["code", "implicit"]
    assert "https://api.example.com/read" in shape["AllowedOAuthScopes"]
    assert shape["CallbackURLs"][-1] == "myapp://callback"
    assert shape["LogoutURLs"] == ["https://app.example.com/bye"]
    assert shape["DefaultRedirectURI"] == "https://app.example.com/cb"
    assert shape["SupportedIdentityProviders"] == ["COGNITO"]


def test_client_credentials_with_a_secret_and_custom_scopes(pool: UserPool) -> None:
    make_resource_server(pool=pool, identifier="orders", scopes=("write",))

    client = make_app_client(
        pool=pool,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=["orders/write"],
    )

    assert client.allowed_oauth_flows == ["client_credentials"]


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        (
            {"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthScopes": ["openid"]},
            InvalidParameterException,
            "AllowedOAuthFlows and AllowedOAuthScopes are required",
        ),
        (
            {"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": ["code"]},
            InvalidParameterException,
            "AllowedOAuthFlows and AllowedOAuthScopes are required",
        ),
        (
            {
                "GenerateSecret": True,
                "AllowedOAuthFlows": ["client_credentials", "code"],
                "AllowedOAuthScopes": ["orders/write"],
            },
            InvalidOAuthFlowException,
            "authorization code or implicit",
        ),
        (
            {"AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthScopes": ["orders/write"]},
            InvalidOAuthFlowException,
            "does not have a client secret",
        ),
        (
            {
                "GenerateSecret": True,
                "AllowedOAuthFlows": ["client_credentials"],
                "AllowedOAuthScopes": ["orders/write", "openid"],
            },
            InvalidOAuthFlowException,
            "openid is not supported with client_credentials flow",
        ),
        ({"AllowedOAuthFlows": ["password"]}, InvalidParameterException, "allowedOAuthFlows"),
        (
            {"AllowedOAuthScopes": ["orders/delete"]},
            ScopeDoesNotExistException,
            "Invalid scope requested: orders/delete",
        ),
        (
            {"AllowedOAuthScopes": ["Cognito"]},
            ScopeDoesNotExistException,
            "Invalid scope requested: Cognito",
        ),
        (
            {"AllowedOAuthScopes": [f"orders/s{i}" for i in range(51)]},
            InvalidParameterException,
            "allowedOAuthScopes",
        ),
    ],
)
def test_oauth_rules(
    pool: UserPool, settings: dict[str, Any], error: type[Exception], message: str
) -> None:
    make_resource_server(pool=pool, identifier="orders", scopes=("write",))

    with pytest.raises(error, match=re.escape(message)):
        make_app_client(pool=pool, **settings)

    assert _count(pool) == 0


def test_another_pools_scopes_do_not_exist_here(pool: UserPool) -> None:
    other = make_user_pool(name="other")
    make_resource_server(pool=other, identifier="orders", scopes=("write",))

    with pytest.raises(ScopeDoesNotExistException):
        make_app_client(pool=pool, AllowedOAuthScopes=["orders/write"])

    assert _count(pool) == 0


@pytest.mark.parametrize(
    ("member", "url", "problem"),
    [
        ("CallbackURLs", "http://app.example.com/cb", "only https"),
        ("CallbackURLs", "https://app.example.com/cb#frag", "fragment"),
        ("CallbackURLs", "/relative/cb", "absolute"),
        ("CallbackURLs", "https:///nohost", "no host"),
        ("LogoutURLs", "http://example.com/bye", "only https"),
        ("CallbackURLs", "https://[app.example.com/cb", "not a valid URI"),
        ("CallbackURLs", "https://app.example.com:99999/cb", "not a valid URI"),
    ],
)
def test_redirect_urls_must_be_safe(pool: UserPool, member: str, url: str, problem: str) -> None:
    settings: dict[str, Any] = {member: [url]}

    with pytest.raises(InvalidParameterException, match=f"Invalid {member}.*{problem}"):
        make_app_client(pool=pool, **settings)

    assert _count(pool) == 0


def test_at_most_a_hundred_callback_urls(pool: UserPool) -> None:
    urls = [f"https://app.example.com/{i}" for i in range(101)]

    with pytest.raises(InvalidParameterException, match="callbackURLs"):
        make_app_client(pool=pool, CallbackURLs=urls)

    assert _count(pool) == 0
    assert make_app_client(pool=pool, CallbackURLs=urls[:100]).callback_urls == urls[:100]


def test_default_redirect_must_be_a_callback(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match="DefaultRedirectURI"):
        make_app_client(
            pool=pool,
            CallbackURLs=["https://app.example.com/cb"],
            DefaultRedirectURI="https://app.example.com/other",
        )

    assert _count(pool) == 0


def test_supported_providers_must_exist_in_the_pool(pool: UserPool) -> None:
    other = make_user_pool(name="other")
    identity_provider_create(
        pool=other,
        name="Google",
        provider_type="Google",
        details={"client_id": "id", "client_secret": "s", "authorize_scopes": "openid"},
    )

    with pytest.raises(
        InvalidParameterException,
        match=f"The provider Google does not exist for User Pool {pool.pool_id}",
    ):
        make_app_client(pool=pool, SupportedIdentityProviders=["COGNITO", "Google"])

    assert _count(pool) == 0
    assert make_app_client(pool=other, SupportedIdentityProviders=["COGNITO", "Google"])


# Update.


def test_update_replaces_everything_and_defaults_what_is_left_out(pool: UserPool) -> None:
    make_resource_server(pool=pool, identifier="orders", scopes=("write",))
    client = make_app_client(
        pool=pool,
        name="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
        AccessTokenValidity=2,
        PreventUserExistenceErrors="LEGACY",
        EnableTokenRevocation=False,
        AuthSessionValidity=10,
        **OAUTH,
    )

    app_client_update(client=client, settings={"IdTokenValidity": 3})

    shape = _state(client)
    assert shape["ClientName"] == "web"
    assert shape["ExplicitAuthFlows"] == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_CUSTOM_AUTH",
    ]
    assert (shape["AccessTokenValidity"], shape["IdTokenValidity"]) == (60, 3)
    assert shape["TokenValidityUnits"]["IdToken"] == "hours"
    assert shape["PreventUserExistenceErrors"] == "LEGACY"
    assert shape["EnableTokenRevocation"] is True
    assert shape["AuthSessionValidity"] == 3
    assert shape["AllowedOAuthFlowsUserPoolClient"] is False
    for member in ("AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs"):
        assert member not in shape


def test_update_can_rename_and_keeps_the_secret(pool: UserPool) -> None:
    client, secret = app_client_create(pool=pool, name="old", settings={"GenerateSecret": True})

    app_client_update(client=client, settings={"ClientName": "new"})

    stored = AppClient.objects.get(pk=client.pk)
    assert stored.name == "new"
    assert app_client_secret(client=stored) == secret


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        ({"GenerateSecret": True}, InvalidParameterException, "Unknown app client setting"),
        ({"ClientName": "bad/name"}, InvalidParameterException, "clientName"),
        ({"ReadAttributes": ["nope"]}, InvalidParameterException, "while updating a client"),
        (
            {
                "AllowedOAuthFlowsUserPoolClient": True,
                "AllowedOAuthFlows": ["client_credentials"],
                "AllowedOAuthScopes": ["orders/write"],
            },
            InvalidOAuthFlowException,
            "client secret",
        ),
        ({"AllowedOAuthScopes": ["orders/read"]}, ScopeDoesNotExistException, "orders/read"),
        ({"AccessTokenValidity": 30}, InvalidParameterException, "token validity"),
    ],
)
def test_failed_update_changes_nothing(
    pool: UserPool, settings: dict[str, Any], error: type[Exception], message: str
) -> None:
    make_resource_server(pool=pool, identifier="orders", scopes=("write",))
    client = make_app_client(pool=pool, name="web", AccessTokenValidity=2, **OAUTH)
    before = _state(client)

    with pytest.raises(error, match=re.escape(message)):
        app_client_update(client=AppClient.objects.get(pk=client.pk), settings=settings)

    assert _state(client) == before


# Delete and list.


def test_delete_removes_only_that_client(pool: UserPool) -> None:
    doomed = make_app_client(pool=pool, name="doomed")
    kept = make_app_client(pool=pool, name="kept")

    app_client_delete(client=doomed)

    assert list(AppClient.objects.filter(pool=pool)) == [kept]


def test_pages_cover_the_pools_clients_only(pool: UserPool) -> None:
    mine = [make_app_client(pool=pool, name=f"c{i}").client_id for i in range(5)]
    other = make_user_pool(name="other")
    make_app_client(pool=other, name="elsewhere")

    seen: list[str] = []
    token: str | None = None
    while True:
        clients, token = app_clients_page(pool=pool, max_results=2, next_token=token)
        seen += [c.client_id for c in clients]
        if token is None:
            break

    assert seen == mine
    assert app_clients_page(pool=pool, max_results=None, next_token=None)[1] is None


def test_client_type_filter_lists_regular_clients_only(pool: UserPool) -> None:
    client = make_app_client(pool=pool)

    regular = app_clients_page(pool=pool, max_results=None, next_token=None, client_type="REGULAR")
    dcr = app_clients_page(pool=pool, max_results=None, next_token=None, client_type="DCR")

    assert regular == ([client], None)
    assert dcr == ([], None)
    with pytest.raises(InvalidParameterException, match="clientType"):
        app_clients_page(pool=pool, max_results=None, next_token=None, client_type="OTHER")


@pytest.mark.parametrize("max_results", [0, 61])
def test_max_results_outside_one_to_sixty_is_rejected(pool: UserPool, max_results: int) -> None:
    with pytest.raises(InvalidParameterException, match="maxResults"):
        app_clients_page(pool=pool, max_results=max_results, next_token=None)


def test_a_client_token_is_refused_by_another_pool(pool: UserPool) -> None:
    other = make_user_pool(name="other")
    for i in range(3):
        make_app_client(pool=other, name=f"c{i}")
    _, token = app_clients_page(pool=other, max_results=1, next_token=None)
    assert token is not None

    with pytest.raises(InvalidParameterException, match="pagination token"):
        app_clients_page(pool=pool, max_results=1, next_token=token)
