"""Identity pools in the admin: the list and the page, create, settings and roles through the
services (refusals shown on their fields), the identities page and its deletion."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from identities.admin import identity_pools as pools_admin
from identities.models import Identity, IdentityPool
from identities.services.identity_pools import (
    identity_pool_set_principal_tag_map,
    identity_pool_set_roles,
)
from tests.builders import make_operator
from tests.identities.test_identity_pools import (
    identity_rows,
    make_identity,
    make_identity_pool,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/identities/identitypool/"
ADD = f"{CHANGELIST}add/"
USER_POOL = "cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123xyz"
SAML = "arn:aws:iam::000000000000:saml-provider/corporate"
AUTH_ROLE = "arn:aws:iam::000000000000:role/Cognito_Auth"


def _signed_in(client: Client, operator: User) -> Client:
    client.force_login(operator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=operator).persistent_id
    session.save()
    return client


@pytest.fixture
def admin(client: Client, operator: User) -> Client:
    """The admin, signed in as `operator` with its authenticator (OTP-verified session)."""
    return _signed_in(client, operator)


@pytest.fixture
def ipool(db: None) -> IdentityPool:
    pool = make_identity_pool(
        "shop",
        SupportedLoginProviders={"graph.facebook.com": "7346241598935552"},
        CognitoIdentityProviders=[
            {"ProviderName": USER_POOL, "ClientId": "web", "ServerSideTokenCheck": True}
        ],
        SamlProviderARNs=[SAML],
        DeveloperProviderName="login.shop",
        IdentityPoolTags={"team": "shop"},
    )
    identity_pool_set_roles(
        pool=pool,
        roles={"authenticated": AUTH_ROLE},
        role_mappings={
            f"{USER_POOL}:web": {
                "Type": "Rules",
                "AmbiguousRoleResolution": "Deny",
                "RulesConfiguration": {
                    "Rules": [
                        {
                            "Claim": "cognito:groups",
                            "MatchType": "Contains",
                            "Value": "admins",
                            "RoleARN": "arn:aws:iam::000000000000:role/admins",
                        }
                    ]
                },
            }
        },
    )
    return identity_pool_set_principal_tag_map(
        pool=pool, provider=USER_POOL, principal_tags={"department": "custom:dept"}
    )


def _page(pool: IdentityPool, name: str) -> str:
    return f"{CHANGELIST}{pool.pk}/{name}/"


def _messages(response: Response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _settings_data(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "shop",
        "supported_login_providers": "graph.facebook.com = 7346241598935552",
        "cognito_identity_providers": f"{USER_POOL} web server-side-check",
        "open_id_connect_provider_arns": "",
        "saml_provider_arns": SAML,
        "tags": "team = shop\nempty =",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


# --- the list and the page ---------------------------------------------------------------------


def test_the_changelist_lists_and_finds_pools(admin: Client, ipool: IdentityPool) -> None:
    other = make_identity_pool("other")

    listed = admin.get(CHANGELIST).content.decode()
    found = admin.get(CHANGELIST, {"q": other.identity_pool_id}).content.decode()

    assert ipool.identity_pool_id in listed
    assert other.identity_pool_id in listed
    assert _page(ipool, "identities") in listed
    assert other.identity_pool_id in found
    assert ipool.identity_pool_id not in found


def test_the_page_shows_the_configuration_in_sections(admin: Client, ipool: IdentityPool) -> None:
    response = admin.get(f"{CHANGELIST}{ipool.pk}/change/")

    content = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Providers",
        "Roles and role mappings",
        "Attributes for access control",
        "graph.facebook.com = 7346241598935552",
        f"{USER_POOL}, client web, tokens checked against the user",
        SAML,
        "login.shop",
        AUTH_ROLE,
        "cognito:groups Contains admins → arn:aws:iam::000000000000:role/admins",
        "department = custom:dept",
        "team = shop",
        f"arn:aws:cognito-identity:us-east-1:000000000000:identitypool/{ipool.identity_pool_id}",
    ):
        assert text in content, text
    for page in ("settings", "roles", "identities"):
        assert _page(ipool, page) in content
    # Read-only: the configuration changes on its own pages.
    assert 'name="name"' not in content


# --- create ------------------------------------------------------------------------------------


def test_add_creates_the_pool_through_the_service(admin: Client) -> None:
    assert admin.get(ADD).status_code == 200

    response = admin.post(
        ADD,
        _settings_data(allow_unauthenticated_identities="on", developer_provider_name="login.x"),
    )

    assert response.status_code == 302, response.content.decode()
    pool = IdentityPool.objects.get()
    assert (pool.name, pool.allow_unauthenticated, pool.developer_provider_name) == (
        "shop",
        True,
        "login.x",
    )
    assert pool.cognito_identity_providers == [
        {"ProviderName": USER_POOL, "ClientId": "web", "ServerSideTokenCheck": True}
    ]
    assert pool.tags == {"team": "shop", "empty": ""}


def test_add_makes_the_pool_in_the_region_chosen_and_the_list_filters_by_it(
    admin: Client,
) -> None:
    response = admin.post(ADD, _settings_data(region="eu-west-1"))

    assert response.status_code == 302, response.content.decode()
    pool = IdentityPool.objects.get()
    assert (pool.region, pool.identity_pool_id[:10]) == ("eu-west-1", "eu-west-1:")
    home = make_identity_pool("home")
    listed = admin.get(CHANGELIST, {"region": "eu-west-1"})
    assert pool.identity_pool_id in listed.content.decode()
    assert home.identity_pool_id not in listed.content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"region": "moon-1"}, "region", "Not an AWS region name"),
        ({"developer_provider_name": "login.taken"}, "developer_provider_name", "already used"),
        (
            {"cognito_identity_providers": "accounts.google.com web"},
            "cognito_identity_providers",
            "not a user pool",
        ),
        ({"cognito_identity_providers": "only-one-word"}, "cognito_identity_providers", "Line 1"),
        (
            {"saml_provider_arns": "arn:aws:iam::123456789012:saml-provider/x"},
            "saml_provider_arns",
            "account",
        ),
        ({"tags": "aws:owner = me"}, "tags", "reserved"),
        ({"tags": "no equals sign"}, "tags", "Line 1"),
        ({"name": "bad/name"}, "name", "identityPoolName"),
        (
            {"supported_login_providers": "graph.facebook.com = bad id!"},
            "supported_login_providers",
            "pattern",
        ),
    ],
)
def test_add_shows_a_refusal_on_its_field_and_creates_nothing(
    admin: Client, changes: dict[str, str], field: str, text: str
) -> None:
    make_identity_pool("taken", DeveloperProviderName="login.taken")
    before = identity_rows()

    response = admin.post(ADD, _settings_data(**changes))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert any(text in error for error in form.errors.get(field, [])), form.errors
    assert identity_rows() == before


# --- settings and roles ------------------------------------------------------------------------


def test_the_settings_page_updates_the_pool(admin: Client, ipool: IdentityPool) -> None:
    form = admin.get(_page(ipool, "settings")).context["form"]
    assert form["cognito_identity_providers"].value() == f"{USER_POOL} web server-side-check"
    assert form.fields["developer_provider_name"].disabled

    response = admin.post(
        _page(ipool, "settings"),
        _settings_data(name="renamed", cognito_identity_providers="", allow_classic_flow="on"),
    )

    assert response.status_code == 302
    stored = IdentityPool.objects.get(pk=ipool.pk)
    assert (stored.name, stored.allow_classic_flow) == ("renamed", True)
    assert stored.cognito_identity_providers == []
    assert stored.developer_provider_name == "login.shop"
    # The user pool's role mapping and principal tags went with it.
    assert stored.role_mappings == {}
    assert stored.principal_tag_maps == {}
    assert stored.authenticated_role_arn == AUTH_ROLE


def test_the_settings_page_shows_a_refusal_on_its_field(admin: Client, ipool: IdentityPool) -> None:
    before = identity_rows()

    response = admin.post(
        _page(ipool, "settings"),
        _settings_data(open_id_connect_provider_arns="arn:aws:iam::000000000000:role/not-oidc"),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "not the ARN of an identity provider" in errors["open_id_connect_provider_arns"][0]
    assert identity_rows() == before


def test_the_roles_page_sets_the_roles(admin: Client, ipool: IdentityPool) -> None:
    form = admin.get(_page(ipool, "roles")).context["form"]
    assert form["authenticated_role"].value() == AUTH_ROLE
    assert '"Type": "Rules"' in form["role_mappings"].value()

    response = admin.post(
        _page(ipool, "roles"),
        {
            "unauthenticated_role": "arn:aws:iam::000000000000:role/Guests",
            "role_mappings": '{"graph.facebook.com": {"Type": "Token", '
            '"AmbiguousRoleResolution": "AuthenticatedRole"}}',
        },
    )

    assert response.status_code == 302
    stored = IdentityPool.objects.get(pk=ipool.pk)
    assert (stored.authenticated_role_arn, stored.unauthenticated_role_arn) == (
        "",
        "arn:aws:iam::000000000000:role/Guests",
    )
    assert list(stored.role_mappings) == ["graph.facebook.com"]


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        (
            {"authenticated_role": "my-stack-Cognito_Auth_Role"},
            "authenticated_role",
            "is forbidden",
        ),
        ({"unauthenticated_role": "short"}, "unauthenticated_role", "length"),
        (
            {"role_mappings": '{"nowhere": {"Type": "Token", "AmbiguousRoleResolution": "Deny"}}'},
            "role_mappings",
            "not a valid RoleMapping",
        ),
        ({"role_mappings": "{not json"}, "role_mappings", "not JSON"),
        ({"role_mappings": "[]"}, "role_mappings", "one JSON object"),
    ],
)
def test_the_roles_page_shows_a_refusal_on_its_field(
    admin: Client, ipool: IdentityPool, data: dict[str, str], field: str, text: str
) -> None:
    before = identity_rows()

    response = admin.post(_page(ipool, "roles"), data)

    assert response.status_code == 200
    assert any(text in error for error in response.context["form"].errors.get(field, []))
    assert identity_rows() == before


def test_an_operator_without_the_permission_may_not_open_the_pages(
    client: Client, ipool: IdentityPool
) -> None:
    clerk = _signed_in(client, make_operator(username="clerk", superuser=False))

    for page in ("settings", "roles", "identities"):
        assert clerk.get(_page(ipool, page)).status_code == 403
    assert clerk.post(_page(ipool, "identities"), {"identity_id": "x"}).status_code == 403


# --- identities --------------------------------------------------------------------------------


def test_the_identities_page_lists_them_with_their_logins_a_page_at_a_time(
    admin: Client, ipool: IdentityPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pools_admin, "IDENTITIES_PAGE_SIZE", 2)
    made = [make_identity(pool=ipool, logins={SAML: f"user{n}"}) for n in range(3)]
    guest = make_identity(pool=ipool)
    elsewhere = make_identity(pool=make_identity_pool("other"))

    first = admin.get(_page(ipool, "identities"))
    second = admin.get(_page(ipool, "identities") + first.context["next_url"])

    shown = [i.identity_id for r in (first, second) for i in r.context["identities"]]
    assert shown == [*(i.identity_id for i in made), guest.identity_id]
    content = first.content.decode()
    assert f"{SAML}: user0" in content
    assert elsewhere.identity_id not in content + second.content.decode()
    assert second.context["next_url"] is None
    assert "none (a guest)" in second.content.decode()


def test_a_forged_cursor_is_reported(admin: Client, ipool: IdentityPool) -> None:
    response = admin.get(_page(ipool, "identities"), {"cursor": "forged"}, follow=True)

    assert "Invalid pagination token." in _messages(response)


def test_identities_are_deleted_after_a_confirmation(admin: Client, ipool: IdentityPool) -> None:
    gone, kept = make_identity(pool=ipool, logins={SAML: "ana"}), make_identity(pool=ipool)
    url = _page(ipool, "identities")

    asked = admin.post(url, {"identity_id": [gone.identity_id]})
    assert asked.status_code == 200
    assert asked.context["confirm"] is True
    assert Identity.objects.count() == 2

    done = admin.post(url, {"identity_id": [gone.identity_id], "post": "yes"}, follow=True)
    assert "Deleted 1 identities." in _messages(done)
    assert list(Identity.objects.all()) == [kept]


def test_another_pools_identity_is_not_deleted_from_this_page(
    admin: Client, ipool: IdentityPool
) -> None:
    mine = make_identity(pool=ipool)
    theirs = make_identity(pool=make_identity_pool("other"))
    before = identity_rows()

    response = admin.post(
        _page(ipool, "identities"),
        {"identity_id": [mine.identity_id, theirs.identity_id], "post": "yes"},
        follow=True,
    )

    assert f"Identity '{theirs.identity_id}' not found." in _messages(response)
    assert identity_rows() == before


def test_deleting_the_pool_goes_through_the_service(admin: Client, ipool: IdentityPool) -> None:
    make_identity(pool=ipool, logins={SAML: "ana"})
    url = f"{CHANGELIST}{ipool.pk}/delete/"

    assert "identities and their logins" in admin.get(url).content.decode()
    response = admin.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not IdentityPool.objects.exists()
    assert not Identity.objects.exists()
