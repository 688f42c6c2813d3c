from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.forms import BoundField
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cognitoadmin import service_admin
from pools.admin import base as admin_base
from pools.errors import UnsupportedUserStateException
from pools.models import (
    AppClient,
    DeletionProtection,
    Domain,
    FederatedIdentity,
    Group,
    GroupMembership,
    IdentityProvider,
    PoolUser,
    ResourceServer,
    SigningKey,
    UserPool,
    UserStatus,
)
from pools.services.clients import app_client_secret
from pools.services.domains import domain_create
from pools.services.federation import identity_provider_create, identity_provider_details
from pools.services.keys import signing_key_active
from pools.services.sessions import (
    app_client_session_configuration_set,
    user_pool_session_configuration_set,
)
from pools.services.users import user_add_to_group, user_disable
from tests.builders import (
    make_app_client,
    make_group,
    make_resource_server,
    make_user,
    make_user_pool,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

GOOGLE_SECRET = "google-client-secret-value"


@pytest.fixture
def staff(client: Client, operator: User) -> Client:
    """The test client, signed in as `operator` and verified by their authenticator app, as the
    admin's sign-in leaves the session."""
    device = TOTPDevice.objects.get(user=operator, confirmed=True)
    client.force_login(operator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _url(model: str, view: str, *args: object) -> str:
    return reverse(f"admin:pools_{model}_{view}", args=args)


def _messages(response: Response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _posted(field: BoundField) -> object:
    """What a browser posts for `field`: None when it posts nothing."""
    value = field.value()
    kind = type(field.field).__name__
    if kind == "NullBooleanField":
        return {True: "true", False: "false"}.get(value, "unknown")
    if kind == "BooleanField":
        return "on" if value else None
    return value


def _change_data(response: Response, **changes: Any) -> dict[str, Any]:
    """The change form's current values as the browser would post them, with `changes` (a None
    change leaves the field out, as an unticked checkbox is)."""
    context: Any = response.context
    fields = list(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        fields += list(inline.formset.management_form)
        fields += [field for row in inline.formset.forms for field in row.hidden_fields()]
    data = {field.html_name: _posted(field) for field in fields}
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


@pytest.fixture
def everything(pool: UserPool, user: PoolUser) -> dict[str, Any]:
    """One row of every registered model, all in `pool`."""
    group = make_group(pool=pool, name="admins")
    user_add_to_group(user=user, group=group)
    provider = identity_provider_create(
        pool=pool,
        name="Google",
        provider_type="Google",
        details={
            "client_id": "google-client",
            "client_secret": GOOGLE_SECRET,
            "authorize_scopes": "openid email",
        },
        attribute_mapping={"email": "email"},
    )
    return {
        "userpool": pool,
        "pooluser": user,
        "group": group,
        "appclient": make_app_client(pool=pool, name="web", GenerateSecret=True),
        "resourceserver": make_resource_server(pool=pool),
        "domain": domain_create(pool=pool, domain="my-test-domain"),
        "identityprovider": provider,
        "signingkey": signing_key_active(pool=pool),
    }


MODELS = (
    "userpool",
    "pooluser",
    "group",
    "appclient",
    "resourceserver",
    "domain",
    "identityprovider",
    "signingkey",
)


# --- every page renders, and only for an OTP-verified operator ------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_changelist_and_change_page_render(
    staff: Client, everything: dict[str, Any], model: str
) -> None:
    assert staff.get(_url(model, "changelist")).status_code == 200
    assert staff.get(_url(model, "change", everything[model].pk)).status_code == 200


@pytest.mark.parametrize(
    "model", ["userpool", "pooluser", "group", "appclient", "identityprovider"]
)
def test_add_pages_render(staff: Client, model: str) -> None:
    assert staff.get(_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", ["resourceserver", "domain", "signingkey"])
def test_models_without_a_create_service_have_no_add_page(staff: Client, model: str) -> None:
    assert staff.get(_url(model, "add")).status_code == 403


def test_delete_confirmation_renders_without_listing_the_pools_rows(
    staff: Client, everything: dict[str, Any]
) -> None:
    pool = everything["userpool"]

    response = staff.get(_url("userpool", "delete", pool.pk))

    assert response.status_code == 200
    assert "About 1 users" in response.content.decode()
    assert "alice" not in response.content.decode()


def test_an_operator_without_a_verified_device_is_sent_to_sign_in(
    client: Client, operator: User, pool: UserPool
) -> None:
    client.force_login(operator)

    response = client.get(_url("userpool", "changelist"))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


# --- secrets are never shown ------------------------------------------------------------------


def test_app_client_pages_show_whether_there_is_a_secret_never_the_secret(
    staff: Client, everything: dict[str, Any]
) -> None:
    client = everything["appclient"]
    secret = app_client_secret(client=client)
    assert secret

    listing = staff.get(_url("appclient", "changelist")).content.decode()
    page = staff.get(_url("appclient", "change", client.pk)).content.decode()

    assert "icon-yes" in listing
    assert secret not in listing
    assert secret not in page
    (row,) = client.secrets.all()
    assert row.secret_sealed not in page
    assert row.secret_id in page


def test_identity_provider_page_leaves_secrets_out_and_names_the_callback_url(
    staff: Client, everything: dict[str, Any]
) -> None:
    provider = everything["identityprovider"]

    page = staff.get(_url("identityprovider", "change", provider.pk)).content.decode()

    assert "google-client" in page
    assert GOOGLE_SECRET not in page
    assert provider.provider_details["client_secret"] not in page
    assert "&quot;client_secret&quot;" not in page
    # The pool's prefix domain serves its hosted pages, so the callback is under it.
    assert "my-test-domain" in page and "/oauth2/idpresponse" in page


OIDC_FORM = {
    "name": "Corp",
    "provider_type": "OIDC",
    "details": json.dumps(
        {
            "client_id": "corp-client",
            "client_secret": "corp-secret",
            "attributes_request_method": "GET",
            "oidc_issuer": "https://idp.example.com",
            "authorize_scopes": "openid email",
        }
    ),
    "mapping": json.dumps({"email": "email"}),
    "identifiers": "corp.example.com\n\n example.org ",
}


def test_add_identity_provider_creates_it_through_the_service(
    staff: Client, pool: UserPool
) -> None:
    response = staff.post(_url("identityprovider", "add"), {**OIDC_FORM, "pool": pool.pk})

    assert response.status_code == 302
    provider = IdentityProvider.objects.get(pool=pool, name="Corp")
    assert provider.provider_type == "OIDC"
    assert provider.attribute_mapping == {"email": "email", "username": "sub"}
    assert provider.idp_identifiers == ["corp.example.com", "example.org"]
    # Sealed by the service, as through the AWS endpoint.
    assert provider.provider_details["client_secret"] != "corp-secret"
    assert identity_provider_details(provider=provider)["client_secret"] == "corp-secret"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"details": json.dumps({"client_id": "c"})}, "client_secret"),
        ({"details": "[1, 2]"}, "must be a JSON object of strings"),
        ({"details": "{not json"}, "Enter a valid JSON"),
        ({"mapping": json.dumps({"no_such_attribute": "x"})}, "no_such_attribute"),
        ({"provider_type": "Unknown"}, "Select a valid choice"),
        ({"name": "Cognito"}, "Cognito"),
    ],
)
def test_add_identity_provider_with_bad_input_shows_the_error_and_adds_nothing(
    staff: Client, pool: UserPool, changes: dict[str, str], error: str
) -> None:
    response = staff.post(
        _url("identityprovider", "add"), {**OIDC_FORM, "pool": pool.pk, **changes}
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not IdentityProvider.objects.exists()


def test_changing_an_identity_provider_keeps_a_secret_left_out(
    staff: Client, everything: dict[str, Any]
) -> None:
    provider = everything["identityprovider"]
    page = staff.get(_url("identityprovider", "change", provider.pk))
    details = {
        "client_id": "new-google-client",
        "authorize_scopes": "openid email profile",
    }

    response = staff.post(
        _url("identityprovider", "change", provider.pk),
        _change_data(page, details=json.dumps(details), identifiers="g.example.com"),
    )

    assert response.status_code == 302
    stored = identity_provider_details(provider=IdentityProvider.objects.get(pk=provider.pk))
    assert stored["client_id"] == "new-google-client"
    assert stored["client_secret"] == GOOGLE_SECRET
    assert IdentityProvider.objects.get(pk=provider.pk).idp_identifiers == ["g.example.com"]


def test_a_refused_identity_provider_change_changes_nothing(
    staff: Client, everything: dict[str, Any]
) -> None:
    provider = everything["identityprovider"]
    before = IdentityProvider.objects.values().get(pk=provider.pk)
    page = staff.get(_url("identityprovider", "change", provider.pk))

    response = staff.post(
        _url("identityprovider", "change", provider.pk),
        _change_data(page, mapping=json.dumps({"no_such_attribute": "x"})),
    )

    assert "no_such_attribute" in " ".join(_messages(response)) + response.content.decode()
    assert IdentityProvider.objects.values().get(pk=provider.pk) == before


def test_signing_key_page_shows_the_public_key_only(
    staff: Client, everything: dict[str, Any]
) -> None:
    key = everything["signingkey"]

    page = staff.get(_url("signingkey", "change", key.pk)).content.decode()

    assert key.public_jwk["n"] in page
    assert key.private_key_sealed not in page


# --- creates go through the services -----------------------------------------------------------

POOL_FORM = {
    "name": "from-admin",
    "password_minimum_length": "10",
    "password_require_uppercase": "on",
    "password_require_numbers": "on",
    "temporary_password_validity_days": "3",
    "deletion_protection": "INACTIVE",
}


def test_add_pool_creates_it_through_the_service(staff: Client) -> None:
    response = staff.post(_url("userpool", "add"), {**POOL_FORM, "username_attributes": "email"})

    assert response.status_code == 302
    pool = UserPool.objects.get(name="from-admin")
    assert pool.pool_id.startswith("us-east-1_")
    assert (pool.password_minimum_length, pool.password_require_lowercase) == (10, False)
    assert pool.username_attributes == ["email"]
    # The service builds the standard schema; a plain ORM save would not.
    assert pool.schema_attributes.filter(name="email").exists()


def test_add_pool_makes_it_in_the_region_chosen_and_the_list_filters_by_it(
    staff: Client,
) -> None:
    response = staff.post(_url("userpool", "add"), {**POOL_FORM, "region": "eu-west-1"})

    assert response.status_code == 302
    pool = UserPool.objects.get(name="from-admin")
    assert pool.pool_id.startswith("eu-west-1_")
    home = make_user_pool(name="home")
    listed = staff.get(_url("userpool", "changelist"), {"region": "eu-west-1"}).content.decode()
    assert pool.pool_id in listed
    assert home.pool_id not in listed


@pytest.mark.parametrize("region", ["moon-1", "x" * 40])
def test_add_pool_in_no_region_is_refused_and_creates_nothing(staff: Client, region: str) -> None:
    response = staff.post(_url("userpool", "add"), {**POOL_FORM, "region": region})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["region"]
    assert not UserPool.objects.exists()


def test_add_pool_shows_the_services_refusal_and_creates_nothing(staff: Client) -> None:
    response = staff.post(_url("userpool", "add"), {**POOL_FORM, "password_minimum_length": "5"})

    assert response.status_code == 200
    assert "greater than or equal to 6" in response.content.decode()
    assert not UserPool.objects.filter(name="from-admin").exists()


USER_FORM = {
    "username": "bob",
    "message_action": "SUPPRESS",
    "desired_delivery_mediums": "EMAIL",
    "email": "bob@example.com",
}


def test_add_user_creates_them_through_the_service(staff: Client, pool: UserPool) -> None:
    response = staff.post(_url("pooluser", "add"), {**USER_FORM, "pool": pool.pk})

    assert response.status_code == 302
    bob = PoolUser.objects.get(pool=pool, username="bob")
    assert (bob.status, bob.email) == (UserStatus.FORCE_CHANGE_PASSWORD, "bob@example.com")
    assert bob.password
    assert UserPool.objects.get(pk=pool.pk).estimated_number_of_users == 1


def test_add_user_with_a_taken_username_shows_the_error_and_adds_nobody(
    staff: Client, user: PoolUser
) -> None:
    response = staff.post(
        _url("pooluser", "add"), {**USER_FORM, "pool": user.pool_id, "username": "ALICE"}
    )

    assert response.status_code == 200
    assert "User account already exists" in response.content.decode()
    assert PoolUser.objects.filter(pool_id=user.pool_id).count() == 1


def test_add_group_creates_it_through_the_service(staff: Client, pool: UserPool) -> None:
    response = staff.post(
        _url("group", "add"), {"pool": pool.pk, "name": "admins", "precedence": "2"}
    )

    assert response.status_code == 302
    assert Group.objects.get(pool=pool, name="admins").precedence == 2


def test_add_group_with_a_taken_name_shows_the_error_and_adds_nothing(
    staff: Client, pool: UserPool
) -> None:
    make_group(pool=pool, name="admins", description="first")

    response = staff.post(_url("group", "add"), {"pool": pool.pk, "name": "admins"})

    assert response.status_code == 200
    assert "A group with the name already exists." in response.content.decode()
    assert list(Group.objects.filter(pool=pool).values_list("description", flat=True)) == ["first"]


def test_add_app_client_shows_its_new_secret_once(staff: Client, pool: UserPool) -> None:
    response = staff.post(
        _url("appclient", "add"), {"pool": pool.pk, "name": "web", "generate_secret": "on"}
    )

    assert response.status_code == 200
    client = AppClient.objects.get(pool=pool, name="web")
    secret = app_client_secret(client=client)
    assert secret
    assert secret in response.content.decode()
    # Shown in that response only: never kept for (or repeated on) a later page.
    later = staff.get(_url("appclient", "change", client.pk))
    assert secret not in later.content.decode()
    assert secret not in str(staff.cookies)


def test_add_app_client_without_a_secret_goes_to_the_list(staff: Client, pool: UserPool) -> None:
    response = staff.post(
        _url("appclient", "add"),
        {"pool": pool.pk, "name": "spa", "explicit_auth_flows": ["ALLOW_USER_SRP_AUTH"]},
    )

    assert response.status_code == 302
    client = AppClient.objects.get(pool=pool, name="spa")
    assert not client.has_secret
    assert client.explicit_auth_flows == ["ALLOW_USER_SRP_AUTH"]


def test_add_app_client_refused_by_the_service_adds_nothing(staff: Client, pool: UserPool) -> None:
    response = staff.post(_url("appclient", "add"), {"pool": pool.pk, "name": "web/app"})

    assert response.status_code == 200
    assert "clientName" in response.content.decode()
    assert not AppClient.objects.filter(pool=pool).exists()


# --- changes go through the services -----------------------------------------------------------


def test_changing_a_users_email_goes_through_the_service(staff: Client, user: PoolUser) -> None:
    user_add_to_group(user=user, group=make_group(pool=user.pool, name="admins"))
    page = staff.get(_url("pooluser", "change", user.pk))

    response = staff.post(
        _url("pooluser", "change", user.pk),
        _change_data(page, email="alice@example.org", given_name="Alice"),
    )

    assert response.status_code == 302
    stored = PoolUser.objects.get(pk=user.pk)
    assert (stored.email, stored.given_name) == ("alice@example.org", "Alice")
    # The service's rule: a new email is unverified unless the same change says otherwise.
    assert stored.email_verified is False
    assert stored.memberships.count() == 1


def test_the_user_page_lists_linked_external_identities_and_saving_keeps_them(
    staff: Client, user: PoolUser, everything: dict[str, Any]
) -> None:
    FederatedIdentity.objects.create(
        pool=user.pool, user=user, provider="Google", provider_type="Google", uid="g-sub-1"
    )
    page = staff.get(_url("pooluser", "change", user.pk))

    assert "Linked external identities" in page.content.decode()
    assert "g-sub-1" in page.content.decode()
    response = staff.post(
        _url("pooluser", "change", user.pk), _change_data(page, given_name="Alice")
    )
    assert response.status_code == 302
    assert list(user.federated_identities.values_list("uid", flat=True)) == ["g-sub-1"]


def test_unticking_enabled_disables_the_user(staff: Client, user: PoolUser) -> None:
    page = staff.get(_url("pooluser", "change", user.pk))

    response = staff.post(_url("pooluser", "change", user.pk), _change_data(page, enabled=None))

    assert response.status_code == 302
    assert PoolUser.objects.get(pk=user.pk).enabled is False


def test_a_change_the_service_refuses_shows_the_error_and_changes_nothing(
    staff: Client, user: PoolUser
) -> None:
    page = staff.get(_url("pooluser", "change", user.pk))

    response = staff.post(
        _url("pooluser", "change", user.pk),
        _change_data(page, email="not an email", given_name="Changed", enabled=None),
    )

    assert response.status_code == 302
    assert _messages(response) == ["Invalid email address format."]
    stored = PoolUser.objects.get(pk=user.pk)
    assert (stored.email, stored.given_name, stored.enabled) == ("alice@example.com", "", True)


def test_changing_a_group_goes_through_the_service(staff: Client, pool: UserPool) -> None:
    group = make_group(pool=pool, name="admins", precedence=1)
    members = [make_user(pool=pool) for _ in range(2)]
    for member in members:
        user_add_to_group(user=member, group=group)
    page = staff.get(_url("group", "change", group.pk))

    response = staff.post(
        _url("group", "change", group.pk), _change_data(page, description="The admins")
    )

    assert response.status_code == 302
    stored = Group.objects.get(pk=group.pk)
    assert (stored.description, stored.precedence) == ("The admins", 1)
    assert set(stored.memberships.values_list("user_id", flat=True)) == {m.pk for m in members}


def test_pools_are_read_only_in_the_admin(staff: Client, pool: UserPool) -> None:
    response = staff.post(_url("userpool", "change", pool.pk), {"name": "renamed"})

    assert response.status_code == 403
    assert UserPool.objects.get(pk=pool.pk).name == "test-pool"


# --- deletes go through the services -----------------------------------------------------------


def test_deleting_a_pool_goes_through_the_service(staff: Client, user: PoolUser) -> None:
    response = staff.post(_url("userpool", "delete", user.pool_id), {"post": "yes"})

    assert response.status_code == 302
    assert not UserPool.objects.exists()
    assert not PoolUser.objects.exists()


def test_deleting_a_protected_pool_is_refused_and_changes_nothing(staff: Client) -> None:
    pool = make_user_pool(DeletionProtection=DeletionProtection.ACTIVE)

    response = staff.post(_url("userpool", "delete", pool.pk), {"post": "yes"})

    assert response.status_code == 302
    assert response["Location"] == _url("userpool", "change", pool.pk)
    assert any("deletion protection" in message for message in _messages(response))
    assert UserPool.objects.filter(pk=pool.pk).exists()


def test_bulk_delete_is_all_or_nothing(staff: Client) -> None:
    open_pool = make_user_pool(name="open")
    protected = make_user_pool(name="locked", DeletionProtection=DeletionProtection.ACTIVE)

    response = staff.post(
        _url("userpool", "changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [open_pool.pk, protected.pk],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert any(message.startswith("Nothing was changed.") for message in _messages(response))
    assert UserPool.objects.count() == 2


def test_bulk_delete_confirms_listing_only_the_chosen_users(staff: Client, pool: UserPool) -> None:
    users = [make_user(pool=pool, username=name) for name in ("ivan", "judy")]

    page = _action(staff, "delete_selected", users[:1])

    assert page.status_code == 200
    assert "Pool user: ivan" in page.content.decode()
    assert "judy" not in page.content.decode()
    assert PoolUser.objects.count() == 2


def test_bulk_delete_of_users_goes_through_the_service(staff: Client, pool: UserPool) -> None:
    users = [make_user(pool=pool) for _ in range(3)]

    response = staff.post(
        _url("pooluser", "changelist"),
        {"action": "delete_selected", "_selected_action": [u.pk for u in users[:2]], "post": "yes"},
    )

    assert response.status_code == 302
    assert list(PoolUser.objects.values_list("pk", flat=True)) == [users[2].pk]
    # The service keeps the pool's estimate; a plain queryset delete would not.
    assert UserPool.objects.get(pk=pool.pk).estimated_number_of_users == 1


@pytest.mark.parametrize(
    ("model", "gone"),
    [
        ("pooluser", PoolUser),
        ("group", Group),
        ("appclient", AppClient),
        ("resourceserver", ResourceServer),
        ("domain", Domain),
        ("identityprovider", IdentityProvider),
    ],
)
def test_delete_pages_delete_through_the_services(
    staff: Client, everything: dict[str, Any], model: str, gone: type[Any]
) -> None:
    response = staff.post(_url(model, "delete", everything[model].pk), {"post": "yes"})

    assert response.status_code == 302
    assert not gone.objects.exists()


def test_signing_keys_cannot_be_deleted(staff: Client, everything: dict[str, Any]) -> None:
    key = everything["signingkey"]

    assert staff.post(_url("signingkey", "delete", key.pk), {"post": "yes"}).status_code == 403
    assert SigningKey.objects.filter(pk=key.pk).exists()


# --- actions -----------------------------------------------------------------------------------


def _action(staff: Client, action: str, users: list[PoolUser], **extra: Any) -> Response:
    data = {"action": action, "_selected_action": [u.pk for u in users], **extra}
    if "post" not in extra:
        data["index"] = 0
    return staff.post(_url("pooluser", "changelist"), data)


def test_disable_and_enable_actions(staff: Client, pool: UserPool) -> None:
    users = [make_user(pool=pool) for _ in range(2)]

    disabled = _action(staff, "disable_users", users)

    assert "Disabled 2 user(s)." in _messages(disabled)
    assert not PoolUser.objects.filter(enabled=True).exists()

    enabled = _action(staff, "enable_users", users[:1])

    assert "Enabled 1 user(s)." in _messages(enabled)
    assert list(PoolUser.objects.filter(enabled=True).values_list("pk", flat=True)) == [users[0].pk]


def test_add_to_group_asks_for_a_group_of_the_users_pool(staff: Client, pool: UserPool) -> None:
    users = [make_user(pool=pool) for _ in range(2)]
    make_group(pool=pool, name="admins")
    make_group(pool=make_user_pool(name="other"), name="elsewhere")

    page = _action(staff, "add_to_group", users)

    assert page.status_code == 200
    content = page.content.decode()
    assert "admins" in content
    assert "elsewhere" not in content
    assert not GroupMembership.objects.exists()


def test_add_to_group_adds_each_user_and_reports(staff: Client, pool: UserPool) -> None:
    users = [make_user(pool=pool) for _ in range(2)]
    group = make_group(pool=pool, name="admins")

    response = _action(staff, "add_to_group", users, post="yes", group=group.pk)

    assert response.status_code == 302
    assert "Added 2 user(s) to group admins." in _messages(response)
    assert set(GroupMembership.objects.values_list("user_id", flat=True)) == {u.pk for u in users}


def test_add_to_group_refuses_another_pools_group(staff: Client, pool: UserPool) -> None:
    users = [make_user(pool=pool)]
    elsewhere = make_group(pool=make_user_pool(name="other"), name="elsewhere")

    response = _action(staff, "add_to_group", users, post="yes", group=elsewhere.pk)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not GroupMembership.objects.exists()


def test_add_to_group_refuses_users_of_several_pools(staff: Client, pool: UserPool) -> None:
    other = make_user_pool(name="other")
    users = [make_user(pool=pool), make_user(pool=other)]
    group = make_group(pool=pool, name="admins")

    response = _action(staff, "add_to_group", users, post="yes", group=group.pk)

    assert response.status_code == 302
    assert any("belong to 2 user pools" in message for message in _messages(response))
    assert not GroupMembership.objects.exists()


def test_remove_from_group_removes_each_user(staff: Client, pool: UserPool) -> None:
    users = [make_user(pool=pool) for _ in range(2)]
    group = make_group(pool=pool, name="admins")
    for user in users:
        user_add_to_group(user=user, group=group)

    response = _action(staff, "remove_from_group", users[:1], post="yes", group=group.pk)

    assert "Removed 1 user(s) from group admins." in _messages(response)
    assert list(GroupMembership.objects.values_list("user_id", flat=True)) == [users[1].pk]


def test_actions_report_what_the_service_refused(
    staff: Client, pool: UserPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = [make_user(pool=pool, username="ok"), make_user(pool=pool, username="bad")]
    refused = UnsupportedUserStateException("User is having a bad day.")

    def disable(*, user: PoolUser) -> PoolUser:
        if user.username == "bad":
            raise refused
        return user_disable(user=user)

    monkeypatch.setattr("pools.admin.users.user_disable", disable)

    response = _action(staff, "disable_users", users)

    assert _messages(response) == [
        "Disabled 1 user(s).",
        "1 refused: bad: User is having a bad day.",
    ]
    assert PoolUser.objects.get(username="bad").enabled is True


def test_select_all_is_bounded(
    staff: Client, pool: UserPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = [make_user(pool=pool) for _ in range(3)]
    monkeypatch.setattr(service_admin, "ACTION_LIMIT", 2)

    response = _action(staff, "disable_users", users[:1], select_across="1")

    assert any("at most 2 pool users" in message for message in _messages(response))
    assert PoolUser.objects.filter(enabled=True).count() == 3


def test_rotate_signing_key_action(staff: Client, pool: UserPool) -> None:
    old = signing_key_active(pool=pool)

    response = staff.post(
        _url("userpool", "changelist"),
        {"action": "rotate_signing_key", "_selected_action": [pool.pk], "index": 0},
    )

    assert response.status_code == 302
    new = SigningKey.objects.get(pool=pool, active=True)
    assert new.pk != old.pk
    assert SigningKey.objects.get(pk=old.pk).retired_at is not None
    assert f"Rotated the signing key of test-pool (new key {new.kid})." in _messages(response)


# --- the user list: search and filters ---------------------------------------------------------


def _listed(staff: Client, **query: Any) -> list[str]:
    response = staff.get(_url("pooluser", "changelist"), query)
    assert response.status_code == 200
    context: Any = response.context
    return sorted(user.username for user in context["cl"].result_list)


def test_search_by_username_prefix_email_prefix_and_sub(staff: Client, pool: UserPool) -> None:
    carol = make_user(pool=pool, username="carol", email="c.smith@example.com")
    make_user(pool=pool, username="dave", email="dave@example.com")

    assert _listed(staff, q="car") == ["carol"]
    assert _listed(staff, q="CAROL") == ["carol"]
    assert _listed(staff, q="c.smith@") == ["carol"]
    assert _listed(staff, q=str(carol.sub)) == ["carol"]
    # Substrings are not searched: no index serves them.
    assert _listed(staff, q="arol") == []


def test_search_within_the_chosen_pool(staff: Client, pool: UserPool) -> None:
    other = make_user_pool(name="other")
    make_user(pool=pool, username="erin")
    make_user(pool=other, username="erin")

    assert _listed(staff, q="erin") == ["erin", "erin"]
    assert _listed(staff, q="erin", pool__id__exact=other.pk) == ["erin"]


def test_filters_by_pool_status_enabled_and_group(staff: Client, pool: UserPool) -> None:
    other = make_user_pool(name="other")
    make_user(pool=pool, username="frank", password="Passw0rd!")
    grace = make_user(pool=pool, username="grace")
    make_user(pool=other, username="heidi")
    user_disable(user=grace)
    group = make_group(pool=pool, name="admins")
    user_add_to_group(user=grace, group=group)

    assert _listed(staff, pool__id__exact=other.pk) == ["heidi"]
    assert _listed(staff, status__exact="CONFIRMED") == ["frank"]
    assert _listed(staff, enabled__exact="0") == ["grace"]
    assert _listed(staff, group=group.pk) == ["grace"]


def test_a_bad_pool_filter_is_reported_not_a_crash(staff: Client, pool: UserPool) -> None:
    response = staff.get(_url("pooluser", "changelist"), {"pool__id__exact": "x"})

    assert response.status_code == 302
    assert "e=1" in response["Location"]


def test_the_pool_filter_lists_a_few_pools_and_the_chosen_one(
    staff: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin_base.PoolFilter, "shown", 2)
    pools = [make_user_pool(name=name) for name in ("a", "b", "c", "d")]

    response = staff.get(_url("pooluser", "changelist"), {"pool__id__exact": pools[3].pk})

    context: Any = response.context
    spec = next(s for s in context["cl"].filter_specs if isinstance(s, admin_base.PoolFilter))
    assert [label.split(" ")[0] for _, label in spec.lookup_choices] == ["a", "b", "d"]


def test_pools_are_chosen_by_autocomplete(staff: Client, pool: UserPool) -> None:
    make_user_pool(name="elsewhere")

    response = staff.get(
        reverse("admin:autocomplete"),
        {"app_label": "pools", "model_name": "pooluser", "field_name": "pool", "term": "test"},
    )

    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(pool.pk)]


def test_client_secret_rotation_actions(staff: Client, pool: UserPool) -> None:
    client = make_app_client(pool=pool, name="web", GenerateSecret=True)
    (old,) = client.secrets.all()
    action = {"_selected_action": [client.pk], "index": 0}

    added = staff.post(_url("appclient", "changelist"), {"action": "add_client_secret", **action})

    assert added.status_code == 200
    (_, new) = client.secrets.all()
    new_secret = app_client_secret(client=client)
    assert new_secret and new_secret in added.content.decode()
    page = staff.get(_url("appclient", "change", client.pk)).content.decode()
    assert old.secret_id in page and new.secret_id in page
    assert new_secret not in page

    deleted = staff.post(
        _url("appclient", "changelist"), {"action": "delete_older_client_secret", **action}
    )
    assert deleted.status_code == 302
    assert [row.secret_id for row in client.secrets.all()] == [new.secret_id]
    # The last one stays: refused, with the service's message.
    refused = staff.post(
        _url("appclient", "changelist"), {"action": "delete_older_client_secret", **action}
    )
    assert "can't be deleted" in " ".join(_messages(refused))
    assert [row.secret_id for row in client.secrets.all()] == [new.secret_id]


def test_pool_and_client_pages_show_the_session_configuration(
    staff: Client, pool: UserPool
) -> None:
    client = make_app_client(pool=pool)
    pool = user_pool_session_configuration_set(
        pool=pool, tracking="ENABLED", token_session={"MaxPerUser": 37}
    )
    app_client_session_configuration_set(client=client, sso_session={"MaxValidityMinutes": 4321})

    pool_page = staff.get(_url("userpool", "change", pool.pk)).content.decode()
    client_page = staff.get(_url("appclient", "change", client.pk)).content.decode()

    assert "Token sessions max per user" in pool_page
    assert ">37<" in pool_page
    assert "Sso session max validity minutes" in client_page
    assert ">4321<" in client_page
