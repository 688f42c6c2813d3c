"""AWS endpoint, boto3 against a live server: AdminLinkProviderForUser, AdminDisableProviderForUser
and the `identities` claim and attribute of users with external identities."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from pools.models import (
    COGNITO_SUBJECT,
    AppClient,
    FederatedIdentity,
    IdentityProvider,
    PoolUser,
    RefreshToken,
    UserPool,
    UserStatus,
)
from pools.services.federated_sign_in import federated_sign_in
from pools.services.federation import identity_provider_create
from pools.services.pools import user_pool_add_custom_attributes
from pools.services.tokens import tokens_issue
from tests.builders import make_app_client, make_user, make_user_pool

pytestmark = pytest.mark.django_db

PASSWORD = "Passw0rd!"
GOOGLE = {"client_id": "google-id", "client_secret": "google-secret", "authorize_scopes": "openid"}
OIDC = {
    "client_id": "oidc-id",
    "client_secret": "oidc-secret",
    "attributes_request_method": "GET",
    "oidc_issuer": "https://idp.example.com",
    "authorize_scopes": "openid email",
}
SAML = {"MetadataURL": "https://idp.example.com/saml/metadata"}


@pytest.fixture
def providers(pool: UserPool) -> None:
    identity_provider_create(pool=pool, name="Google", provider_type="Google", details=GOOGLE)
    identity_provider_create(
        pool=pool,
        name="Corp",
        provider_type="OIDC",
        details=OIDC,
        attribute_mapping={"email": "email"},
    )
    identity_provider_create(
        pool=pool,
        name="Okta",
        provider_type="SAML",
        details=SAML,
        attribute_mapping={"email": "http://schemas.example.com/email"},
    )


@pytest.fixture
def alice(pool: UserPool) -> PoolUser:
    return make_user(pool=pool, username="alice", password=PASSWORD, email="alice@example.com")


@pytest.fixture
def client(pool: UserPool) -> AppClient:
    return make_app_client(
        pool=pool, ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )


def _message(error: pytest.ExceptionInfo[Exception]) -> str:
    assert isinstance(error.value, ClientError)
    message: str = error.value.response["Error"]["Message"]
    return message


def _identities() -> list[tuple[Any, ...]]:
    return list(
        FederatedIdentity.objects.order_by("pk").values_list(
            "pool__pool_id", "user__username", "provider", "attribute_name", "uid", "primary"
        )
    )


def _users() -> list[tuple[Any, ...]]:
    return list(
        PoolUser.objects.order_by("pk").values_list(
            "username", "enabled", "status", "tokens_valid_after", "updated_at"
        )
    )


def _state() -> tuple[Any, ...]:
    """Every stored identity, user and refresh token, to show that a refused call changed none."""
    tokens = list(RefreshToken.objects.order_by("pk").values_list("pk", "revoked_at"))
    return _identities(), _users(), tokens


def _link(
    idp: Any,
    pool: UserPool,
    *,
    username: str = "alice",
    provider: str = "Google",
    attribute: str = COGNITO_SUBJECT,
    value: str = "1234567890",
    destination_provider: str = "Cognito",
) -> Any:
    return idp.admin_link_provider_for_user(
        UserPoolId=pool.pool_id,
        DestinationUser={"ProviderName": destination_provider, "ProviderAttributeValue": username},
        SourceUser={
            "ProviderName": provider,
            "ProviderAttributeName": attribute,
            "ProviderAttributeValue": value,
        },
    )


def _disable(
    idp: Any,
    pool: UserPool,
    *,
    provider: str = "Google",
    attribute: str = COGNITO_SUBJECT,
    value: str = "1234567890",
) -> Any:
    return idp.admin_disable_provider_for_user(
        UserPoolId=pool.pool_id,
        User={
            "ProviderName": provider,
            "ProviderAttributeName": attribute,
            "ProviderAttributeValue": value,
        },
    )


def _sign_in(idp: Any, pool: UserPool, client: AppClient) -> dict[str, Any]:
    result: dict[str, Any] = idp.admin_initiate_auth(
        UserPoolId=pool.pool_id,
        ClientId=client.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return result


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _attributes(user: dict[str, Any], member: str = "UserAttributes") -> dict[str, str]:
    return {item["Name"]: item["Value"] for item in user[member]}


def _federated_user(pool: UserPool, *, provider: str = "Google", subject: str = "999") -> PoolUser:
    """A user as the federated sign-in makes one: `<ProviderName>_<subject>`, EXTERNAL_PROVIDER,
    with the primary identity it came from."""
    user = PoolUser.objects.create(
        pool=pool,
        username=f"{provider}_{subject}",
        username_key=pool.normalize_username(f"{provider}_{subject}"),
        status=UserStatus.EXTERNAL_PROVIDER,
    )
    FederatedIdentity.objects.create(
        pool=pool, user=user, provider=provider, provider_type=provider, uid=subject, primary=True
    )
    return user


# --- AdminLinkProviderForUser ------------------------------------------------------------------


@pytest.mark.usefixtures("providers")
def test_a_providers_own_user_may_be_the_destination_of_another_providers_account(
    idp: Any, pool: UserPool
) -> None:
    federated = _federated_user(pool, provider="Google", subject="g-1")

    _link(idp, pool, username=federated.username, provider="Corp", value="corp-1")

    assert sorted(federated.federated_identities.values_list("provider", "uid", "primary")) == [
        ("Corp", "corp-1", False),
        ("Google", "g-1", True),
    ]


@pytest.mark.usefixtures("providers")
def test_a_linked_identity_shows_in_the_users_id_token_and_attributes(
    idp: Any, pool: UserPool, client: AppClient, alice: PoolUser
) -> None:
    assert "identities" not in _claims(_sign_in(idp, pool, client)["IdToken"])

    assert _link(idp, pool)["ResponseMetadata"]["HTTPStatusCode"] == 200

    assert _identities() == [
        (pool.pool_id, "alice", "Google", COGNITO_SUBJECT, "1234567890", False)
    ]
    created = FederatedIdentity.objects.get().created
    claims = _claims(_sign_in(idp, pool, client)["IdToken"])
    assert claims["identities"] == [
        {
            "userId": "1234567890",
            "providerName": "Google",
            "providerType": "Google",
            "issuer": None,
            "primary": "false",
            "dateCreated": str(int(created.timestamp() * 1000)),
        }
    ]
    entry = {
        "userId": "1234567890",
        "providerName": "Google",
        "providerType": "Google",
        "issuer": None,
        "primary": False,
        "dateCreated": int(created.timestamp() * 1000),
    }
    got = idp.admin_get_user(UserPoolId=pool.pool_id, Username="alice")
    assert json.loads(_attributes(got)["identities"]) == [entry]
    listed = idp.list_users(UserPoolId=pool.pool_id)["Users"]
    assert json.loads(_attributes(listed[0], "Attributes")["identities"]) == [entry]
    token = _sign_in(idp, pool, client)["AccessToken"]
    own = idp.get_user(AccessToken=token)
    assert json.loads(_attributes(own)["identities"]) == [entry]


@pytest.mark.usefixtures("providers")
def test_oidc_and_saml_sources_link_by_a_mapped_attribute(
    idp: Any, pool: UserPool, alice: PoolUser
) -> None:
    _link(idp, pool, provider="Corp", attribute="email", value="alice@corp.example.com")
    _link(idp, pool, provider="Okta", attribute="email", value="alice@okta.example.com")
    _link(idp, pool, provider="Okta", attribute=COGNITO_SUBJECT, value="alice-name-id")

    assert [row[2:5] for row in _identities()] == [
        ("Corp", "email", "alice@corp.example.com"),
        ("Okta", "email", "alice@okta.example.com"),
        ("Okta", COGNITO_SUBJECT, "alice-name-id"),
    ]


@pytest.mark.usefixtures("providers")
def test_the_destination_is_found_by_its_sign_in_names_too(idp: Any, pool: UserPool) -> None:
    alias_pool = make_user_pool(name="aliases", UsernameAttributes=["email"])
    identity_provider_create(pool=alias_pool, name="Google", provider_type="Google", details=GOOGLE)
    user = make_user(pool=alias_pool, username="bo@example.com", password=PASSWORD)
    assert user.username != "bo@example.com"

    _link(idp, alias_pool, username="bo@example.com")

    assert FederatedIdentity.objects.get().user == user


@pytest.mark.usefixtures("providers")
def test_link_refusals_change_nothing(idp: Any, pool: UserPool, alice: PoolUser) -> None:
    _link(idp, pool, value="taken")
    _federated_user(pool, subject="signed-in")
    make_user(pool=make_user_pool(name="other"), username="carol", password=PASSWORD)
    before = _state()

    refusals: list[tuple[type[Exception], dict[str, Any], str]] = [
        (
            idp.exceptions.InvalidParameterException,
            {"destination_provider": "Google"},
            "Invalid DestinationUser: ProviderName must be Cognito.",
        ),
        (
            idp.exceptions.InvalidParameterException,
            {"provider": "Cognito"},
            "Invalid SourceUser: Cognito users with a username/password may not be passed in as "
            "a SourceUser, only as a DestinationUser",
        ),
        (
            idp.exceptions.InvalidParameterException,
            {"attribute": "email"},
            "Invalid SourceUser: ProviderAttributeName must be Cognito_Subject for Google "
            "providers.",
        ),
        (
            idp.exceptions.InvalidParameterException,
            {"provider": "Corp", "attribute": "username"},
            "Invalid SourceUser: link by Cognito_Subject, not by username.",
        ),
        (
            idp.exceptions.InvalidParameterException,
            {"provider": "Corp", "attribute": "name"},
            "Invalid SourceUser: name is not an attribute that identity provider Corp maps.",
        ),
        (
            idp.exceptions.InvalidParameterException,
            {"value": ""},
            "SourceUser.ProviderAttributeValue is required.",
        ),
        (
            idp.exceptions.InvalidParameterException,
            {"value": "x" * 256},
            "Invalid SourceUser: ProviderAttributeValue is longer than 255.",
        ),
        (
            idp.exceptions.ResourceNotFoundException,
            {"provider": "Facebook"},
            "Identity provider Facebook does not exist.",
        ),
        (idp.exceptions.UserNotFoundException, {"username": "nobody"}, "User does not exist."),
        # Another pool's user is not one of this pool's.
        (idp.exceptions.UserNotFoundException, {"username": "carol"}, "User does not exist."),
        (
            idp.exceptions.AliasExistsException,
            {"value": "taken"},
            "Invalid SourceUser: it is already linked to a user of the pool.",
        ),
        (
            idp.exceptions.AliasExistsException,
            {"value": "signed-in"},
            "Invalid SourceUser: it has already signed in as a user of the pool.",
        ),
    ]
    for error, arguments, message in refusals:
        with pytest.raises(error) as raised:
            _link(idp, pool, **arguments)
        assert _message(raised) == message, arguments

    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        _link(idp, make_user_pool(name="no-providers"))
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.admin_link_provider_for_user(
            UserPoolId="us-east-1_nothere12",
            DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": "alice"},
            SourceUser={
                "ProviderName": "Google",
                "ProviderAttributeName": COGNITO_SUBJECT,
                "ProviderAttributeValue": "1",
            },
        )
    with pytest.raises(idp.exceptions.InvalidParameterException) as raised:
        idp.admin_link_provider_for_user(
            UserPoolId=pool.pool_id,
            DestinationUser={"ProviderName": "Cognito"},
            SourceUser={
                "ProviderName": "Google",
                "ProviderAttributeName": COGNITO_SUBJECT,
                "ProviderAttributeValue": "1",
            },
        )
    assert _message(raised) == "DestinationUser.ProviderAttributeValue is required."

    assert _state() == before


@pytest.mark.usefixtures("providers")
def test_a_user_holds_at_most_five_linked_identities(
    idp: Any, pool: UserPool, alice: PoolUser
) -> None:
    for number in range(5):
        _link(idp, pool, value=f"subject-{number}")
    before = _state()

    with pytest.raises(idp.exceptions.LimitExceededException) as raised:
        _link(idp, pool, value="subject-5")

    assert _message(raised) == "A user can have at most 5 linked identities."
    assert _state() == before
    # Another user is not counted against alice's.
    make_user(pool=pool, username="bob", password=PASSWORD)
    _link(idp, pool, username="bob", value="subject-5")


@pytest.mark.usefixtures("providers")
def test_a_destination_with_an_immutable_custom_attribute_is_refused(
    idp: Any, pool: UserPool
) -> None:
    user_pool_add_custom_attributes(
        pool=pool,
        attributes=[{"Name": "badge", "AttributeDataType": "String", "Mutable": False}],
    )
    make_user(pool=pool, username="dana", password=PASSWORD, **{"custom:badge": "b-1"})
    before = _state()

    with pytest.raises(idp.exceptions.InvalidParameterException) as raised:
        _link(idp, pool, username="dana")

    assert "custom:badge" in _message(raised)
    assert _state() == before


# --- AdminDisableProviderForUser ---------------------------------------------------------------


@pytest.mark.usefixtures("providers")
def test_disabling_a_linked_identity_unlinks_it(
    idp: Any, pool: UserPool, client: AppClient, alice: PoolUser
) -> None:
    _link(idp, pool)
    _link(idp, pool, provider="Okta", attribute="email", value="alice@okta.example.com")

    _disable(idp, pool)

    assert [row[2:5] for row in _identities()] == [("Okta", "email", "alice@okta.example.com")]
    claims = _claims(_sign_in(idp, pool, client)["IdToken"])
    assert [entry["providerName"] for entry in claims["identities"]] == ["Okta"]
    _disable(idp, pool, provider="Okta", attribute="email", value="alice@okta.example.com")
    assert _identities() == []
    assert "identities" not in _claims(_sign_in(idp, pool, client)["IdToken"])
    got = idp.admin_get_user(UserPoolId=pool.pool_id, Username="alice")
    assert "identities" not in _attributes(got)
    assert got["Enabled"] is True  # the user keeps their own account


@pytest.mark.usefixtures("providers")
def test_disabling_a_providers_own_user_disables_it_and_revokes_its_tokens(
    idp: Any, idp_public: Any, pool: UserPool, client: AppClient
) -> None:
    federated = _federated_user(pool, subject="777")
    tokens = tokens_issue(user=federated, client=client)
    assert _claims(tokens["IdToken"])["identities"][0]["primary"] == "true"
    got = idp.admin_get_user(UserPoolId=pool.pool_id, Username="Google_777")
    assert json.loads(_attributes(got)["identities"])[0]["primary"] is True
    assert got["UserStatus"] == "EXTERNAL_PROVIDER"

    _disable(idp, pool, value="777")

    federated.refresh_from_db()
    assert federated.enabled is False
    # The identity stays, so that its next sign-in finds the disabled user, not a new one.
    assert [row[1:] for row in _identities()] == [
        ("Google_777", "Google", COGNITO_SUBJECT, "777", True)
    ]
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        idp_public.initiate_auth(
            ClientId=client.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        idp_public.get_user(AccessToken=tokens["AccessToken"])


@pytest.mark.usefixtures("providers")
def test_disabling_the_cognito_provider_ends_password_sign_in_only(
    idp: Any, pool: UserPool, alice: PoolUser
) -> None:
    client = make_app_client(
        pool=pool,
        ExplicitAuthFlows=[
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
    )
    _link(idp, pool)
    tokens = _sign_in(idp, pool, client)

    _disable(idp, pool, provider="Cognito", value="alice")

    with pytest.raises(idp.exceptions.NotAuthorizedException) as refused:
        _sign_in(idp, pool, client)
    assert _message(refused) == "Incorrect username or password."
    srp = AWSSRP("alice", PASSWORD, pool.pool_id, client.client_id, client=idp)
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        srp.authenticate_user()
    alice.refresh_from_db()
    assert alice.enabled is True
    # The user's session and linked identity still stand.
    assert idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == "alice"
    google = IdentityProvider.objects.get(pool=pool, name="Google")
    signed_in = federated_sign_in(pool=pool, provider=google, subject="1234567890", claims={})
    assert signed_in.pk == alice.pk

    idp.admin_set_user_password(
        UserPoolId=pool.pool_id, Username="alice", Password=PASSWORD, Permanent=True
    )
    assert _sign_in(idp, pool, client)["AccessToken"]


@pytest.mark.usefixtures("providers")
def test_disable_refusals_change_nothing(idp: Any, pool: UserPool, alice: PoolUser) -> None:
    _link(idp, pool)
    other = make_user_pool(name="other")
    identity_provider_create(pool=other, name="Google", provider_type="Google", details=GOOGLE)
    make_user(pool=other, username="carol", password=PASSWORD)
    _link(idp, other, username="carol", value="other-subject")
    before = _state()

    refusals: list[tuple[type[Exception], dict[str, Any]]] = [
        (idp.exceptions.UserNotFoundException, {"value": "unknown"}),
        (idp.exceptions.UserNotFoundException, {"attribute": "email"}),
        # Another pool's link is not this pool's.
        (idp.exceptions.UserNotFoundException, {"value": "other-subject"}),
        (idp.exceptions.ResourceNotFoundException, {"provider": "Facebook"}),
        (idp.exceptions.UserNotFoundException, {"provider": "Cognito", "value": "carol"}),
        (idp.exceptions.InvalidParameterException, {"provider": "Cognito", "attribute": "email"}),
        (idp.exceptions.InvalidParameterException, {"value": ""}),
    ]
    for error, arguments in refusals:
        with pytest.raises(error):
            _disable(idp, pool, **arguments)
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.admin_disable_provider_for_user(
            UserPoolId="us-east-1_nothere12",
            User={
                "ProviderName": "Google",
                "ProviderAttributeName": COGNITO_SUBJECT,
                "ProviderAttributeValue": "1234567890",
            },
        )

    assert _state() == before
