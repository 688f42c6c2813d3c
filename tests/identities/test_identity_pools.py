"""Identity pools' configuration and their identities: the services, selectors and shapes.

`make_identity_pool`, `make_identity` and `identity_rows` serve this app's other identity-pool
tests too (the AWS endpoint, the API, the admin).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries, Settings

from cognitoadmin.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from identities.models import Identity, IdentityLogin, IdentityPool, OpenIdConnectProvider
from identities.selectors.identity_pools import (
    identities_page,
    identity_get,
    identity_pool_get,
    identity_pool_get_by_arn,
    identity_pool_ids_of,
    identity_pool_provider_check,
    identity_pools_page,
)
from identities.services import identity_pools as services
from identities.services.identity_pools import (
    identities_delete,
    identity_pool_create,
    identity_pool_delete,
    identity_pool_set_principal_tag_map,
    identity_pool_set_roles,
    identity_pool_tag,
    identity_pool_untag,
    identity_pool_update,
)
from identities.services.oidc_providers import oidc_provider_create
from identities.shapes.identity_pools import (
    identity_pool_roles_shape,
    identity_pool_shape,
    identity_pool_summary_shape,
    identity_shape,
    principal_tag_map_shape,
)

pytestmark = pytest.mark.django_db

USER_POOL = "cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123xyz"
OIDC = "arn:aws:iam::000000000000:oidc-provider/login.example.com"
SAML = "arn:aws:iam::000000000000:saml-provider/corporate"
AUTH_ROLE = "arn:aws:iam::000000000000:role/Cognito_Auth"
UNAUTH_ROLE = "arn:aws:iam::000000000000:role/service/Cognito_Unauth"
ADMIN_ROLE = "arn:aws:iam::000000000000:role/admins"
_ID = re.compile(r"us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

_pool_numbers = itertools.count(1)


def make_identity_pool(name: str = "", **settings: Any) -> IdentityPool:
    """A pool made by CreateIdentityPool; `settings` are its request members (PascalCase)."""
    settings.setdefault("AllowUnauthenticatedIdentities", False)
    return identity_pool_create(
        settings={"IdentityPoolName": name or f"pool{next(_pool_numbers)}", **settings}
    )


def make_identity(*, pool: IdentityPool, logins: dict[str, str] | None = None) -> Identity:
    """An identity of `pool` linked to `logins` (provider -> subject). GetId makes identities on
    the wire; these tests need ones with logins of their choosing, without tokens."""
    identity = Identity.objects.create(identity_id=f"{pool.region}:{uuid.uuid4()}", pool=pool)
    for provider, subject in (logins or {}).items():
        IdentityLogin.objects.create(
            pool=pool, identity=identity, provider=provider, subject=subject
        )
    return identity


def identity_rows() -> dict[str, list[dict[str, Any]]]:
    """Every identity pool, identity and login, to show that a refused call changed nothing."""
    models: tuple[type[Model], ...] = (IdentityPool, Identity, IdentityLogin)
    return {
        model._meta.label: [dict(row) for row in model._default_manager.order_by("pk").values()]
        for model in models
    }


def refused(error: type[Exception], call: Callable[[], object], match: str | None = None) -> None:
    """`call` raises `error` (its message matching `match`) and leaves every row as it was."""
    before = identity_rows()
    with pytest.raises(error, match=match):
        call()
    assert identity_rows() == before


def make_oidc_provider() -> OpenIdConnectProvider:
    """The IAM OpenID Connect provider `OIDC` names (pools may name existing ones only)."""
    return oidc_provider_create(url="https://login.example.com", client_ids=["login-app"])


@pytest.fixture
def ipool(db: None) -> IdentityPool:
    """A pool with one provider of every kind."""
    make_oidc_provider()
    return make_identity_pool(
        "shop",
        SupportedLoginProviders={"graph.facebook.com": "7346241598935552"},
        CognitoIdentityProviders=[{"ProviderName": USER_POOL, "ClientId": "client1"}],
        OpenIdConnectProviderARNs=[OIDC],
        SamlProviderARNs=[SAML],
    )


# --- CreateIdentityPool ------------------------------------------------------------------------


def test_create_stores_every_member(settings: Settings) -> None:
    make_oidc_provider()
    pool = identity_pool_create(
        settings={
            "IdentityPoolName": "My pool, v2 @home",
            "AllowUnauthenticatedIdentities": True,
            "AllowClassicFlow": True,
            "SupportedLoginProviders": {"accounts.google.com": "123.apps.googleusercontent.com"},
            "DeveloperProviderName": "login.shop",
            "OpenIdConnectProviderARNs": [OIDC],
            "SamlProviderARNs": [SAML],
            "CognitoIdentityProviders": [
                {"ProviderName": USER_POOL, "ClientId": "web", "ServerSideTokenCheck": True},
                {"ProviderName": USER_POOL, "ClientId": "mobile"},
            ],
            "IdentityPoolTags": {"team": "shop", "cost-center": ""},
        }
    )

    stored = IdentityPool.objects.get(pk=pool.pk)
    assert _ID.fullmatch(stored.identity_pool_id)
    assert stored.region == settings.COGNITOADMIN_REGION
    assert (stored.name, stored.allow_unauthenticated, stored.allow_classic_flow) == (
        "My pool, v2 @home",
        True,
        True,
    )
    assert stored.supported_login_providers == {
        "accounts.google.com": "123.apps.googleusercontent.com"
    }
    assert stored.developer_provider_name == "login.shop"
    assert stored.open_id_connect_provider_arns == [OIDC]
    assert stored.saml_provider_arns == [SAML]
    assert stored.cognito_identity_providers == [
        {"ProviderName": USER_POOL, "ClientId": "web", "ServerSideTokenCheck": True},
        {"ProviderName": USER_POOL, "ClientId": "mobile", "ServerSideTokenCheck": False},
    ]
    assert stored.tags == {"team": "shop", "cost-center": ""}


def test_create_takes_the_region_of_the_server(settings: Settings) -> None:
    settings.COGNITOADMIN_REGION = "eu-west-3"

    pool = make_identity_pool()

    assert pool.identity_pool_id.startswith("eu-west-3:")
    assert pool.region == "eu-west-3"


def test_the_shape_leaves_out_what_the_pool_lacks() -> None:
    pool = make_identity_pool("plain")

    assert identity_pool_shape(pool) == {
        "IdentityPoolId": pool.identity_pool_id,
        "IdentityPoolName": "plain",
        "AllowUnauthenticatedIdentities": False,
        "AllowClassicFlow": False,
    }
    assert identity_pool_summary_shape(pool) == {
        "IdentityPoolId": pool.identity_pool_id,
        "IdentityPoolName": "plain",
    }


def test_the_shape_has_every_member_the_pool_has(ipool: IdentityPool) -> None:
    shape = identity_pool_shape(ipool)

    assert shape["SupportedLoginProviders"] == {"graph.facebook.com": "7346241598935552"}
    assert shape["CognitoIdentityProviders"] == [
        {"ProviderName": USER_POOL, "ClientId": "client1", "ServerSideTokenCheck": False}
    ]
    assert shape["OpenIdConnectProviderARNs"] == [OIDC]
    assert shape["SamlProviderARNs"] == [SAML]
    assert "DeveloperProviderName" not in shape
    assert "IdentityPoolTags" not in shape


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"IdentityPoolName": "no/slash", "AllowUnauthenticatedIdentities": False}, "pattern"),
        ({"IdentityPoolName": "x" * 129, "AllowUnauthenticatedIdentities": False}, "length"),
        ({"IdentityPoolName": "a\x00b", "AllowUnauthenticatedIdentities": False}, "pattern"),
        ({"IdentityPoolName": "p"}, "allowUnauthenticatedIdentities"),
        ({"AllowUnauthenticatedIdentities": True}, "identityPoolName"),
        ({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": "yes"}, "boolean"),
        ({"IdentityPoolName": 7, "AllowUnauthenticatedIdentities": False}, "string"),
        (
            {
                "IdentityPoolName": "p",
                "AllowUnauthenticatedIdentities": False,
                "SupportedLoginProviders": {f"p{i}.example.com": "app" for i in range(11)},
            },
            "supportedLoginProviders",
        ),
        (
            {
                "IdentityPoolName": "p",
                "AllowUnauthenticatedIdentities": False,
                "SupportedLoginProviders": {"graph.facebook.com": "not an id!"},
            },
            "pattern",
        ),
        (
            {
                "IdentityPoolName": "p",
                "AllowUnauthenticatedIdentities": False,
                "DeveloperProviderName": "has space",
            },
            "developerProviderName",
        ),
    ],
)
def test_create_refuses_what_the_model_refuses(settings: dict[str, Any], match: str) -> None:
    refused(InvalidParameterException, lambda: identity_pool_create(settings=settings), match)


def test_create_refuses_settings_that_are_no_object() -> None:
    refused(InvalidParameterException, lambda: identity_pool_create(settings=["x"]), "object")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("providers", "match"),
    [
        ([{"ProviderName": USER_POOL}], "needs a ProviderName and a ClientId"),
        ([{"ClientId": "c"}], "needs a ProviderName and a ClientId"),
        ([{"ProviderName": "accounts.google.com", "ClientId": "c"}], "not a user pool"),
        (
            [
                {
                    "ProviderName": "cognito-idp.eu-west-1.amazonaws.com/us-east-1_Abc",
                    "ClientId": "c",
                }
            ],
            "not a user pool",
        ),
        (
            [{"ProviderName": f"https://{USER_POOL}", "ClientId": "c"}],
            "not a user pool",
        ),
        (
            [
                {"ProviderName": USER_POOL, "ClientId": "c"},
                {"ProviderName": USER_POOL, "ClientId": "c"},
            ],
            "twice",
        ),
        ([{"ProviderName": USER_POOL, "ClientId": "bad-client"}], "pattern"),
    ],
)
def test_create_refuses_bad_user_pool_providers(providers: list[Any], match: str) -> None:
    refused(
        InvalidParameterException,
        lambda: make_identity_pool(CognitoIdentityProviders=providers),
        match,
    )


@pytest.mark.parametrize(
    ("member", "arns", "match"),
    [
        ("OpenIdConnectProviderARNs", ["arn:aws:iam::000000000000:role/not-oidc"], "not the ARN"),
        ("OpenIdConnectProviderARNs", ["arn:aws:iam::123456789012:oidc-provider/x.com"], "account"),
        ("OpenIdConnectProviderARNs", [OIDC, OIDC], "twice"),
        ("OpenIdConnectProviderARNs", ["short"], "length"),
        ("SamlProviderARNs", ["arn:aws:iam::000000000000:saml-provider/has space"], "not the ARN"),
        ("SamlProviderARNs", ["arn:aws:iam::123456789012:saml-provider/corporate"], "account"),
        ("SamlProviderARNs", [SAML, SAML], "twice"),
        ("SamlProviderARNs", "arn:aws:iam::000000000000:saml-provider/x", "list"),
    ],
)
def test_create_refuses_bad_iam_provider_arns(member: str, arns: Any, match: str) -> None:
    refused(InvalidParameterException, lambda: make_identity_pool(**{member: arns}), match)


@pytest.mark.parametrize(
    ("tags", "match"),
    [
        ({f"k{i}": "v" for i in range(51)}, "at most 50 tags"),
        ({"aws:created-by": "me"}, "reserved"),
        ({"AWS:x": "me"}, "reserved"),
        ({"nul\x00": "v"}, "letters, digits"),
        ({"k": "semi;colon"}, "letters, digits"),
        ({"": "v"}, "length"),
        ({"k": "v" * 257}, "length"),
    ],
)
def test_create_refuses_bad_tags(tags: dict[str, str], match: str) -> None:
    refused(InvalidParameterException, lambda: make_identity_pool(IdentityPoolTags=tags), match)


def test_tags_may_use_letters_of_any_script() -> None:
    pool = make_identity_pool(IdentityPoolTags={"équipe": "ventes 東京", "a:b/c=d+e-f@g_h.i": ""})

    assert pool.tags == {"équipe": "ventes 東京", "a:b/c=d+e-f@g_h.i": ""}


# --- DeveloperProviderName ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cognito-identity.amazonaws.com", "Cognito-mine"])
def test_a_developer_provider_name_may_not_look_like_cognitos_own(name: str) -> None:
    refused(
        InvalidParameterException,
        lambda: make_identity_pool(DeveloperProviderName=name),
        "must not start with 'cognito-'",
    )


def test_a_developer_provider_name_may_not_be_one_of_the_pools_providers() -> None:
    refused(
        InvalidParameterException,
        lambda: make_identity_pool(
            SupportedLoginProviders={"graph.facebook.com": "1"},
            DeveloperProviderName="graph.facebook.com",
        ),
        "also one of the pool's login providers",
    )


def test_a_developer_provider_name_is_unique_in_the_region(settings: Settings) -> None:
    make_identity_pool(DeveloperProviderName="login.shop")

    refused(
        ResourceConflictException,
        lambda: make_identity_pool(DeveloperProviderName="login.shop"),
        "already used",
    )
    settings.COGNITOADMIN_REGION = "eu-west-3"
    assert make_identity_pool(DeveloperProviderName="login.shop").region == "eu-west-3"


def test_a_developer_provider_name_is_set_once_and_kept() -> None:
    pool = make_identity_pool()
    base = {"IdentityPoolName": pool.name, "AllowUnauthenticatedIdentities": False}

    pool = identity_pool_update(pool=pool, settings={**base, "DeveloperProviderName": "login.a"})
    pool = identity_pool_update(pool=pool, settings=base)
    assert pool.developer_provider_name == "login.a"
    pool = identity_pool_update(pool=pool, settings={**base, "DeveloperProviderName": "login.a"})
    assert IdentityPool.objects.get(pk=pool.pk).developer_provider_name == "login.a"

    refused(
        InvalidParameterException,
        lambda: identity_pool_update(
            pool=pool, settings={**base, "DeveloperProviderName": "login.b"}
        ),
        "cannot be changed once it is set",
    )


def test_setting_a_taken_developer_provider_name_later_is_a_conflict() -> None:
    make_identity_pool(DeveloperProviderName="login.shop")
    pool = make_identity_pool()

    refused(
        ResourceConflictException,
        lambda: identity_pool_update(
            pool=pool,
            settings={
                "IdentityPoolName": pool.name,
                "AllowUnauthenticatedIdentities": False,
                "DeveloperProviderName": "login.shop",
            },
        ),
    )


# --- UpdateIdentityPool ------------------------------------------------------------------------


def test_update_replaces_the_settings_and_resets_what_it_is_not_given(ipool: IdentityPool) -> None:
    identity_pool_update(
        pool=ipool,
        settings={
            "IdentityPoolName": "renamed",
            "AllowUnauthenticatedIdentities": True,
            "SupportedLoginProviders": {"www.amazon.com": "amzn1.application.1"},
        },
    )

    stored = IdentityPool.objects.get(pk=ipool.pk)
    assert (stored.name, stored.allow_unauthenticated, stored.allow_classic_flow) == (
        "renamed",
        True,
        False,
    )
    assert stored.supported_login_providers == {"www.amazon.com": "amzn1.application.1"}
    assert stored.cognito_identity_providers == []
    assert stored.open_id_connect_provider_arns == []
    assert stored.saml_provider_arns == []


def test_update_replaces_tags_only_when_it_is_given_them() -> None:
    pool = make_identity_pool(IdentityPoolTags={"team": "shop"})
    base = {"IdentityPoolName": pool.name, "AllowUnauthenticatedIdentities": False}

    assert identity_pool_update(pool=pool, settings=base).tags == {"team": "shop"}
    assert identity_pool_update(
        pool=pool, settings={**base, "IdentityPoolTags": {"env": "prod"}}
    ).tags == {"env": "prod"}
    assert identity_pool_update(pool=pool, settings={**base, "IdentityPoolTags": {}}).tags == {}


def test_update_drops_the_mappings_of_providers_it_removes(ipool: IdentityPool) -> None:
    token = {"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"}
    identity_pool_set_roles(
        pool=ipool,
        roles={"authenticated": AUTH_ROLE},
        role_mappings={"graph.facebook.com": token, f"{USER_POOL}:client1": token},
    )
    for provider in ("graph.facebook.com", USER_POOL):
        identity_pool_set_principal_tag_map(pool=ipool, provider=provider, use_defaults=True)

    identity_pool_update(
        pool=ipool,
        settings={
            "IdentityPoolName": ipool.name,
            "AllowUnauthenticatedIdentities": False,
            "SupportedLoginProviders": {"graph.facebook.com": "7346241598935552"},
        },
    )

    stored = IdentityPool.objects.get(pk=ipool.pk)
    assert list(stored.role_mappings) == ["graph.facebook.com"]
    assert list(stored.principal_tag_maps) == ["graph.facebook.com"]
    assert stored.authenticated_role_arn == AUTH_ROLE


def test_update_refuses_bad_input_and_changes_nothing(ipool: IdentityPool) -> None:
    base = {"IdentityPoolName": "new name", "AllowUnauthenticatedIdentities": True}

    refused(InvalidParameterException, lambda: identity_pool_update(pool=ipool, settings={}))
    refused(
        InvalidParameterException,
        lambda: identity_pool_update(
            pool=ipool, settings={**base, "SamlProviderARNs": ["arn:aws:iam::1:saml-provider/x"]}
        ),
    )
    refused(
        InvalidParameterException,
        lambda: identity_pool_update(
            pool=ipool, settings={**base, "IdentityPoolTags": {"aws:x": ""}}
        ),
    )
    refused(
        InvalidParameterException,
        lambda: identity_pool_update(pool=ipool, settings="IdentityPoolName"),  # type: ignore[arg-type]
    )


def test_update_works_on_the_pool_it_is_given_not_on_one_named_in_settings(
    ipool: IdentityPool,
) -> None:
    other = make_identity_pool("other")

    identity_pool_update(
        pool=ipool,
        settings={
            "IdentityPoolId": other.identity_pool_id,
            "IdentityPoolName": "renamed",
            "AllowUnauthenticatedIdentities": False,
        },
    )

    assert IdentityPool.objects.get(pk=ipool.pk).name == "renamed"
    assert IdentityPool.objects.get(pk=other.pk).name == "other"


# --- DeleteIdentityPool ------------------------------------------------------------------------


def test_delete_takes_the_identities_and_their_logins_along(
    ipool: IdentityPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "DELETE_BATCH_SIZE", 2)
    for n in range(5):
        make_identity(pool=ipool, logins={"graph.facebook.com": f"fb{n}"})
    other = make_identity_pool("other")
    kept = make_identity(pool=other, logins={"graph.facebook.com": "fb0"})

    identity_pool_delete(pool=ipool)

    assert list(IdentityPool.objects.all()) == [other]
    assert list(Identity.objects.all()) == [kept]
    assert list(IdentityLogin.objects.values_list("identity_id", flat=True)) == [kept.pk]


# --- SetIdentityPoolRoles ----------------------------------------------------------------------

RULES: dict[str, Any] = {
    "Type": "Rules",
    "AmbiguousRoleResolution": "Deny",
    "RulesConfiguration": {
        "Rules": [
            {
                "Claim": "cognito:groups",
                "MatchType": "Contains",
                "Value": "admins",
                "RoleARN": ADMIN_ROLE,
            }
        ]
    },
}
TOKEN = {"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"}


def test_set_roles_stores_the_roles_and_the_mappings(ipool: IdentityPool) -> None:
    identity_pool_set_roles(
        pool=ipool,
        roles={"authenticated": AUTH_ROLE, "unauthenticated": UNAUTH_ROLE},
        role_mappings={f"{USER_POOL}:client1": RULES, "login.example.com": TOKEN},
    )

    stored = IdentityPool.objects.get(pk=ipool.pk)
    assert (stored.authenticated_role_arn, stored.unauthenticated_role_arn) == (
        AUTH_ROLE,
        UNAUTH_ROLE,
    )
    assert identity_pool_roles_shape(stored) == {
        "IdentityPoolId": ipool.identity_pool_id,
        "Roles": {"authenticated": AUTH_ROLE, "unauthenticated": UNAUTH_ROLE},
        "RoleMappings": {f"{USER_POOL}:client1": RULES, "login.example.com": TOKEN},
    }


def test_set_roles_replaces_what_was_set(ipool: IdentityPool) -> None:
    identity_pool_set_roles(
        pool=ipool,
        roles={"authenticated": AUTH_ROLE, "unauthenticated": UNAUTH_ROLE},
        role_mappings={SAML: TOKEN},
    )

    identity_pool_set_roles(pool=ipool, roles={"unauthenticated": UNAUTH_ROLE})

    stored = IdentityPool.objects.get(pk=ipool.pk)
    assert identity_pool_roles_shape(stored) == {
        "IdentityPoolId": ipool.identity_pool_id,
        "Roles": {"unauthenticated": UNAUTH_ROLE},
    }


def test_roles_need_not_exist_yet(ipool: IdentityPool) -> None:
    role = "arn:aws:iam::000000000000:role/path/to/Not-Created_Yet+=,.@"

    identity_pool_set_roles(pool=ipool, roles={"authenticated": role})

    assert IdentityPool.objects.get(pk=ipool.pk).authenticated_role_arn == role


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:role/other-account",
        "arn:aws:iam::000000000000:user/not-a-role",
        "arn:aws:iam::000000000000:role/",
        "arn:aws:iam::000000000000:role/has space",
        "my-stack-SomeRole-KBKHTR8P6UC2",
        "arn:aws:iam::000000000000:role/nul\x00",
    ],
)
def test_a_role_that_is_no_role_arn_of_this_account_is_forbidden(
    ipool: IdentityPool, arn: str
) -> None:
    refused(
        NotAuthorizedException,
        lambda: identity_pool_set_roles(pool=ipool, roles={"authenticated": arn}),
        re.escape(f"Access to Role '{arn}' is forbidden."),
    )
    rule = {"Claim": "sub", "MatchType": "Equals", "Value": "x", "RoleARN": arn}
    mapping = {**RULES, "RulesConfiguration": {"Rules": [rule]}}
    refused(
        NotAuthorizedException,
        lambda: identity_pool_set_roles(pool=ipool, roles={}, role_mappings={SAML: mapping}),
    )


@pytest.mark.parametrize(
    ("roles", "mappings", "match"),
    [
        ({"admin": AUTH_ROLE}, None, "pattern"),
        ({"authenticated": 7}, None, "string"),
        ({}, {"accounts.google.com": TOKEN}, "is not a valid RoleMapping ProviderName"),
        ({}, {USER_POOL: TOKEN}, "is not a valid RoleMapping ProviderName"),
        ({}, {f"{USER_POOL}:other-client": TOKEN}, "is not a valid RoleMapping ProviderName"),
        ({}, {OIDC: TOKEN}, "is not a valid RoleMapping ProviderName"),
        ({}, {SAML: {"Type": "Token"}}, "AmbiguousRoleResolution is required"),
        ({}, {SAML: {"Type": "Rules", "AmbiguousRoleResolution": "Deny"}}, "RulesConfiguration"),
        ({}, {SAML: {"Type": "Groups", "AmbiguousRoleResolution": "Deny"}}, "enum"),
        ({}, {SAML: {**TOKEN, "AmbiguousRoleResolution": "Allow"}}, "enum"),
        (
            {},
            {SAML: {**RULES, "RulesConfiguration": {"Rules": []}}},
            "rulesConfiguration.rules",
        ),
        (
            {},
            {
                SAML: {
                    **RULES,
                    "RulesConfiguration": {"Rules": RULES["RulesConfiguration"]["Rules"] * 26},
                }
            },
            "at most 25 rules",
        ),
        (
            {},
            {
                SAML: {
                    **RULES,
                    "RulesConfiguration": {
                        "Rules": [
                            {
                                "Claim": "sub",
                                "MatchType": "Like",
                                "Value": "x",
                                "RoleARN": ADMIN_ROLE,
                            }
                        ]
                    },
                }
            },
            "enum",
        ),
        ({}, {f"p{i}": TOKEN for i in range(11)}, "roleMappings"),
        ({}, "Token", "RoleMappings must be an object"),
    ],
)
def test_set_roles_refuses_bad_roles_and_mappings(
    ipool: IdentityPool, roles: Any, mappings: Any, match: str
) -> None:
    refused(
        InvalidParameterException,
        lambda: identity_pool_set_roles(pool=ipool, roles=roles, role_mappings=mappings),
        match,
    )


def test_a_refused_set_roles_keeps_the_roles_that_were_set(ipool: IdentityPool) -> None:
    identity_pool_set_roles(pool=ipool, roles={"authenticated": AUTH_ROLE})

    refused(
        InvalidParameterException,
        lambda: identity_pool_set_roles(
            pool=ipool, roles={"authenticated": UNAUTH_ROLE}, role_mappings={"nowhere": TOKEN}
        ),
    )

    assert IdentityPool.objects.get(pk=ipool.pk).authenticated_role_arn == AUTH_ROLE


# --- Principal tag maps ------------------------------------------------------------------------


def test_principal_tag_maps_are_set_read_and_cleared(ipool: IdentityPool) -> None:
    assert principal_tag_map_shape(ipool, USER_POOL) == {
        "IdentityPoolId": ipool.identity_pool_id,
        "IdentityProviderName": USER_POOL,
        "UseDefaults": False,
        "PrincipalTags": {},
    }

    pool = identity_pool_set_principal_tag_map(
        pool=ipool, provider=USER_POOL, principal_tags={"department": "custom:dept", "app": "aud"}
    )
    assert principal_tag_map_shape(pool, USER_POOL)["PrincipalTags"] == {
        "department": "custom:dept",
        "app": "aud",
    }
    pool = identity_pool_set_principal_tag_map(pool=pool, provider=SAML, use_defaults=True)
    assert principal_tag_map_shape(pool, SAML)["UseDefaults"] is True

    pool = identity_pool_set_principal_tag_map(pool=pool, provider=USER_POOL)
    assert list(IdentityPool.objects.get(pk=ipool.pk).principal_tag_maps) == [SAML]


@pytest.mark.parametrize("provider", ["accounts.google.com", f"{USER_POOL}:client1", OIDC])
def test_principal_tags_are_for_the_pools_providers_only(
    ipool: IdentityPool, provider: str
) -> None:
    refused(
        InvalidParameterException,
        lambda: identity_pool_set_principal_tag_map(
            pool=ipool, provider=provider, use_defaults=True
        ),
        "is not a valid IdentityProviderName or is not a configured provider",
    )
    with pytest.raises(InvalidParameterException):
        identity_pool_provider_check(pool=ipool, provider=provider)


@pytest.mark.parametrize(
    ("tags", "match"),
    [
        ({"aws:tag": "sub"}, "reserved"),
        ({"tag": ""}, "length"),
        ({"t;g": "sub"}, "letters"),
        ({f"t{i}": "sub" for i in range(51)}, "principalTags"),
    ],
)
def test_principal_tags_follow_the_tag_rules(
    ipool: IdentityPool, tags: dict[str, str], match: str
) -> None:
    refused(
        InvalidParameterException,
        lambda: identity_pool_set_principal_tag_map(
            pool=ipool, provider=USER_POOL, principal_tags=tags
        ),
        match,
    )


# --- TagResource, UntagResource ----------------------------------------------------------------


def test_tag_merges_and_untag_removes() -> None:
    pool = make_identity_pool(IdentityPoolTags={"team": "shop", "env": "dev"})

    pool = identity_pool_tag(pool=pool, tags={"env": "prod", "owner": "ana"})
    assert IdentityPool.objects.get(pk=pool.pk).tags == {
        "team": "shop",
        "env": "prod",
        "owner": "ana",
    }

    pool = identity_pool_untag(pool=pool, keys=["team", "never-there"])
    assert IdentityPool.objects.get(pk=pool.pk).tags == {"env": "prod", "owner": "ana"}


def test_tag_refuses_to_go_past_fifty_tags() -> None:
    pool = make_identity_pool(IdentityPoolTags={f"k{i}": "v" for i in range(49)})

    identity_pool_tag(pool=pool, tags={"k0": "again", "k49": "v"})
    refused(InvalidParameterException, lambda: identity_pool_tag(pool=pool, tags={"k50": "v"}))


def test_tag_and_untag_refuse_bad_input() -> None:
    pool = make_identity_pool()

    refused(InvalidParameterException, lambda: identity_pool_tag(pool=pool, tags={"aws:x": "1"}))
    refused(InvalidParameterException, lambda: identity_pool_tag(pool=pool, tags=["k"]))  # type: ignore[arg-type]
    refused(InvalidParameterException, lambda: identity_pool_untag(pool=pool, keys="team"))
    refused(InvalidParameterException, lambda: identity_pool_untag(pool=pool, keys=[""]))


# --- Identities --------------------------------------------------------------------------------


def test_identity_shape_names_each_provider_once(ipool: IdentityPool) -> None:
    identity = make_identity(pool=ipool, logins={"graph.facebook.com": "fb1", SAML: "ana"})
    IdentityLogin.objects.create(
        pool=ipool, identity=identity, provider="graph.facebook.com", subject="fb2"
    )

    shape = identity_shape(identity_get(identity_id=identity.identity_id))

    assert shape == {
        "IdentityId": identity.identity_id,
        "Logins": ["graph.facebook.com", SAML],
        "CreationDate": identity.created_at,
        "LastModifiedDate": identity.updated_at,
    }
    assert isinstance(shape["CreationDate"], dt.datetime)


def test_identities_delete_deletes_the_named_and_ignores_the_unknown(ipool: IdentityPool) -> None:
    gone = [make_identity(pool=ipool, logins={SAML: f"u{n}"}) for n in range(2)]
    other = make_identity_pool("other")
    kept = [make_identity(pool=ipool), make_identity(pool=other, logins={SAML: "u0"})]

    identities_delete(
        identity_ids=[*(i.identity_id for i in gone), f"us-east-1:{uuid.uuid4()}", "eu-west-1:0"]
    )

    assert list(Identity.objects.order_by("pk")) == kept
    assert list(IdentityLogin.objects.values_list("identity_id", flat=True)) == [kept[1].pk]


@pytest.mark.parametrize(
    ("ids", "match"),
    [
        ([], "length greater than or equal to 1"),
        ([f"us-east-1:{n:x}" for n in range(61)], "length less than or equal to 60"),
        (["not an id"], "pattern"),
        (["us-east-1:" + "a" * 100], "length"),
        (["us-east-1:ab\x00"], "pattern"),
        ("us-east-1:ab", "list"),
    ],
)
def test_identities_delete_refuses_bad_ids(ipool: IdentityPool, ids: Any, match: str) -> None:
    make_identity(pool=ipool)

    refused(InvalidParameterException, lambda: identities_delete(identity_ids=ids), match)


# --- Selectors ---------------------------------------------------------------------------------

MALFORMED = [
    "",
    "no-colon",
    "us-east-1:ABCDEF",
    "us-east-1:ab\x00cd",
    "us-east-1:\ud800",
    "us-east-1:" + "a" * 100_000,
    "us-east-1:" + "f" * 46,
]


def test_identity_pool_get_says_what_cognito_says(ipool: IdentityPool) -> None:
    assert identity_pool_get(identity_pool_id=ipool.identity_pool_id) == ipool
    missing = f"us-east-1:{uuid.uuid4()}"

    with pytest.raises(
        ResourceNotFoundException, match=re.escape(f"IdentityPool '{missing}' not found.")
    ):
        identity_pool_get(identity_pool_id=missing)


@pytest.mark.parametrize("value", [*MALFORMED, 7, None])
def test_malformed_ids_are_not_found_without_a_query(
    ipool: IdentityPool, value: Any, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(0):
        with pytest.raises(ResourceNotFoundException) as pool_error:
            identity_pool_get(identity_pool_id=value)
        with pytest.raises(ResourceNotFoundException) as identity_error:
            identity_get(identity_id=value)
        assert identity_pool_ids_of(identity_ids=[value]) == set()
    for error in (pool_error, identity_error):
        assert "\x00" not in error.value.message
        assert len(error.value.message) < 100


def test_identity_get_finds_an_identity_in_its_own_pool_only(ipool: IdentityPool) -> None:
    identity = make_identity(pool=ipool, logins={SAML: "ana"})
    other = make_identity_pool("other")

    assert identity_get(identity_id=identity.identity_id) == identity
    assert identity_get(identity_id=identity.identity_id, pool=ipool) == identity
    with pytest.raises(
        ResourceNotFoundException, match=re.escape(f"Identity '{identity.identity_id}' not found.")
    ):
        identity_get(identity_id=identity.identity_id, pool=other)


def test_identity_pool_ids_of_names_the_pools_of_known_identities(ipool: IdentityPool) -> None:
    other = make_identity_pool("other")
    mine, theirs = make_identity(pool=ipool), make_identity(pool=other)

    assert identity_pool_ids_of(identity_ids=[mine.identity_id, "us-east-1:0"]) == {
        ipool.identity_pool_id
    }
    assert identity_pool_ids_of(identity_ids=[mine.identity_id, theirs.identity_id]) == {
        ipool.identity_pool_id,
        other.identity_pool_id,
    }


def test_identity_pool_get_by_arn(ipool: IdentityPool, settings: Settings) -> None:
    arn = f"arn:aws:cognito-identity:us-east-1:000000000000:identitypool/{ipool.identity_pool_id}"
    assert identity_pool_get_by_arn(arn=arn) == ipool

    for wrong in (
        arn.replace("000000000000", "123456789012"),
        arn.replace("cognito-identity:us-east-1", "cognito-identity:eu-west-1"),
        arn.replace(ipool.identity_pool_id, f"us-east-1:{uuid.uuid4()}"),
    ):
        with pytest.raises(ResourceNotFoundException, match=r"IdentityPool '.*' not found"):
            identity_pool_get_by_arn(arn=wrong)
    for malformed in (
        arn.replace("identitypool/", "userpool/"),
        f"{arn}/more",
        "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_Abc",
        f"{arn}\x00",
    ):
        with pytest.raises(InvalidParameterException, match="is not a valid identity pool ARN"):
            identity_pool_get_by_arn(arn=malformed)


def test_identity_pools_come_in_pages() -> None:
    ids = [make_identity_pool().identity_pool_id for _ in range(5)]

    seen: list[str] = []
    token = None
    while True:
        pools, token = identity_pools_page(max_results=2, next_token=token)
        seen += [p.identity_pool_id for p in pools]
        if token is None:
            break

    assert seen == ids
    for bad in (0, 61):
        with pytest.raises(InvalidParameterException, match="maxResults"):
            identity_pools_page(max_results=bad, next_token=None)
    with pytest.raises(InvalidParameterException, match="Invalid pagination token"):
        identity_pools_page(max_results=2, next_token="forged")


def test_identities_come_in_pages_with_their_logins(ipool: IdentityPool) -> None:
    made = [
        make_identity(pool=ipool, logins={SAML: f"u{n}", "login.example.com": f"o{n}"})
        for n in range(7)
    ]
    make_identity(pool=make_identity_pool("other"))

    seen: list[dict[str, Any]] = []
    token = None
    with CaptureQueriesContext(connection) as queries:
        while True:
            page, token = identities_page(pool=ipool, max_results=3, next_token=token)
            seen += [identity_shape(i) for i in page]
            if token is None:
                break

    assert [s["IdentityId"] for s in seen] == [i.identity_id for i in made]
    assert all(s["Logins"] == [SAML, "login.example.com"] for s in seen)
    # Three pages: one query for the identities and one for their logins each.
    assert len(queries) == 6


def test_an_identities_token_is_for_its_own_pool(ipool: IdentityPool) -> None:
    other = make_identity_pool("other")
    for pool in (ipool, other):
        for _ in range(3):
            make_identity(pool=pool)
    _page, token = identities_page(pool=ipool, max_results=1, next_token=None)

    with pytest.raises(InvalidParameterException, match="Invalid pagination token"):
        identities_page(pool=other, max_results=1, next_token=token)
    with pytest.raises(InvalidParameterException, match="maxResults"):
        identities_page(pool=ipool, max_results=61, next_token=None)
