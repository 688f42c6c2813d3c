"""IAM OpenID Connect providers (boto3 `iam` against a live server) and identity pool logins
from such a provider: a real OIDC provider on loopback (`oidc_idp`) signs the ID tokens."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from identities.models import (
    AccessKey,
    Identity,
    IdentityLogin,
    IdentityPool,
    OpenIdConnectProvider,
)
from identities.services.oidc_providers import oidc_provider_create
from tests.conftest import _boto3_client
from tests.identities.oidc_idp import CLIENT_ID, OidcIdp, rsa_key, running_idp
from tests.identities.test_admin_roles import _signed_in

pytestmark = pytest.mark.django_db(transaction=True)

ACCOUNT = "000000000000"
THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


@pytest.fixture
def oidc_idp() -> Iterator[OidcIdp]:
    cache.clear()
    yield from running_idp()


def _signed(service: str, url: str, key: tuple[AccessKey, str]) -> Any:
    access_key, secret = key
    return _boto3_client(
        service, url, aws_access_key_id=access_key.access_key_id, aws_secret_access_key=secret
    )


@pytest.fixture
def iam(aws_url: str, operator_key: tuple[AccessKey, str]) -> Any:
    return _signed("iam", aws_url, operator_key)


@pytest.fixture
def identity(aws_url: str, operator_key: tuple[AccessKey, str]) -> Any:
    return _signed("cognito-identity", aws_url, operator_key)


@pytest.fixture
def app(aws_url: str) -> Any:
    """The app's unsigned cognito-identity client."""
    return _boto3_client("cognito-identity", aws_url)


def rows() -> list[dict[str, Any]]:
    return [dict(row) for row in OpenIdConnectProvider.objects.order_by("pk").values()]


def _refused(call: Any, **params: Any) -> tuple[str, int, str]:
    before = rows(), list(IdentityPool.objects.values()), list(Identity.objects.values())
    with pytest.raises(ClientError) as raised:
        call(**params)
    assert (rows(), list(IdentityPool.objects.values()), list(Identity.objects.values())) == before
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


# --- IAM operations ------------------------------------------------------------------------------


def test_provider_lifecycle_through_iam(iam: Any) -> None:
    created = iam.create_open_id_connect_provider(
        Url="https://accounts.example.com",
        ClientIDList=["app-1"],
        ThumbprintList=[THUMBPRINT],
        Tags=[{"Key": "team", "Value": "web"}],
    )
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/accounts.example.com"
    assert created["OpenIDConnectProviderArn"] == arn
    assert created["Tags"] == [{"Key": "team", "Value": "web"}]

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app-2")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app-2")
    iam.remove_client_id_from_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="app-1"
    )
    iam.remove_client_id_from_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="absent"
    )
    iam.update_open_id_connect_provider_thumbprint(
        OpenIDConnectProviderArn=arn, ThumbprintList=["a" * 40, "b" * 40]
    )
    iam.tag_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}]
    )
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["TEAM"])

    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == "accounts.example.com"
    assert got["ClientIDList"] == ["app-2"]
    assert got["ThumbprintList"] == ["a" * 40, "b" * 40]
    assert got["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert "CreateDate" in got
    tags = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)
    assert tags["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert tags["IsTruncated"] is False
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == [{"Arn": arn}]

    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def test_loopback_http_url_is_accepted_and_keeps_its_port_and_path(iam: Any) -> None:
    arn = iam.create_open_id_connect_provider(Url="http://127.0.0.1:8765/realm")[
        "OpenIDConnectProviderArn"
    ]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/127.0.0.1:8765/realm"
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == []


@pytest.mark.parametrize(
    ("params", "code", "status", "message"),
    [
        ({"Url": "http://accounts.example.com"}, "InvalidInput", 400, "https://"),
        ({"Url": "accounts.example.com"}, "InvalidInput", 400, "https://"),
        ({"Url": "https://"}, "InvalidInput", 400, "host"),
        ({"Url": "https://a.example.com/?x=1"}, "InvalidInput", 400, "query"),
        ({"Url": "https://u:p@a.example.com"}, "InvalidInput", 400, "user info"),
        (
            {"Url": "https://a.example.com", "ThumbprintList": ["abc"]},
            "ValidationError",
            400,
            "thumbprintList",
        ),
        (
            {"Url": "https://a.example.com", "ThumbprintList": ["z" * 40]},
            "InvalidInput",
            400,
            "hexadecimal",
        ),
        (
            {"Url": "https://a.example.com", "ThumbprintList": [f"{i}" * 40 for i in range(6)]},
            "LimitExceeded",
            409,
            "Thumbprints",
        ),
        (
            {"Url": "https://a.example.com", "ClientIDList": [f"c{i}" for i in range(101)]},
            "LimitExceeded",
            409,
            "ClientIds",
        ),
        (
            {"Url": "https://a.example.com", "Tags": [{"Key": "aws:x", "Value": "y"}]},
            "InvalidInput",
            400,
            "reserved",
        ),
    ],
)
def test_create_refuses_bad_input_and_changes_nothing(
    iam_unchecked: Any, params: dict[str, Any], code: str, status: int, message: str
) -> None:
    got_code, got_status, got_message = _refused(
        iam_unchecked.create_open_id_connect_provider, **params
    )
    assert (got_code, got_status) == (code, status)
    assert message in got_message


def test_duplicates_unknown_providers_and_limits(iam: Any) -> None:
    arn = iam.create_open_id_connect_provider(Url="https://a.example.com", ClientIDList=["c"])[
        "OpenIDConnectProviderArn"
    ]
    code, status, message = _refused(
        iam.create_open_id_connect_provider, Url="https://a.example.com"
    )
    assert (code, status) == ("EntityAlreadyExists", 409)
    assert "already exists" in message
    missing = f"arn:aws:iam::{ACCOUNT}:oidc-provider/b.example.com"
    calls: list[tuple[Any, dict[str, Any]]] = [
        (iam.get_open_id_connect_provider, {}),
        (iam.delete_open_id_connect_provider, {}),
        (iam.add_client_id_to_open_id_connect_provider, {"ClientID": "x"}),
        (iam.update_open_id_connect_provider_thumbprint, {"ThumbprintList": []}),
        (iam.list_open_id_connect_provider_tags, {}),
    ]
    for call, extra in calls:
        code, status, _ = _refused(call, OpenIDConnectProviderArn=missing, **extra)
        assert (code, status) == ("NoSuchEntity", 404)
    other_account = "arn:aws:iam::123456789012:oidc-provider/a.example.com"
    assert _refused(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=other_account)[
        0
    ] == ("NoSuchEntity")
    for i in range(99):
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=f"{i}")
    code, status, _ = _refused(
        iam.add_client_id_to_open_id_connect_provider, OpenIDConnectProviderArn=arn, ClientID="x"
    )
    assert (code, status) == ("LimitExceeded", 409)


def test_identity_pool_must_name_existing_providers(iam: Any, identity: Any) -> None:
    missing = f"arn:aws:iam::{ACCOUNT}:oidc-provider/nobody.example.com"
    code, _, message = _refused(
        identity.create_identity_pool,
        IdentityPoolName="app",
        AllowUnauthenticatedIdentities=False,
        OpenIdConnectProviderARNs=[missing],
    )
    assert code == "InvalidParameterException"
    assert missing in message


# --- Logins from the provider --------------------------------------------------------------------


def _trust(pool_id: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"cognito-identity.amazonaws.com:aud": pool_id},
                    "ForAnyValue:StringLike": {
                        "cognito-identity.amazonaws.com:amr": "authenticated"
                    },
                },
            }
        ],
    }


@pytest.fixture
def pool_id(iam: Any, identity: Any, oidc_idp: OidcIdp) -> str:
    """An identity pool naming the loopback provider, with an authenticated role."""
    arn = iam.create_open_id_connect_provider(
        Url=oidc_idp.issuer, ClientIDList=[CLIENT_ID, "other-client"]
    )["OpenIDConnectProviderArn"]
    pool: str = identity.create_identity_pool(
        IdentityPoolName="app",
        AllowUnauthenticatedIdentities=False,
        OpenIdConnectProviderARNs=[arn],
    )["IdentityPoolId"]
    role = iam.create_role(RoleName="signed-in", AssumeRolePolicyDocument=json.dumps(_trust(pool)))
    identity.set_identity_pool_roles(
        IdentityPoolId=pool, Roles={"authenticated": role["Role"]["Arn"]}
    )
    return pool


def test_id_token_of_the_provider_gets_an_identity_and_credentials(
    app: Any, aws_url: str, pool_id: str, oidc_idp: OidcIdp
) -> None:
    logins = {oidc_idp.url: oidc_idp.token()}
    identity_id = app.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    assert (
        app.get_id(IdentityPoolId=pool_id, Logins={oidc_idp.url: oidc_idp.token()})["IdentityId"]
        == identity_id
    )
    credentials = app.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)[
        "Credentials"
    ]
    assert credentials["AccessKeyId"].startswith("ASIA")
    login = IdentityLogin.objects.get(identity__identity_id=identity_id)
    assert (login.provider, login.subject) == (oidc_idp.url, "user-1")
    assert ":assumed-role/signed-in/" in _caller(aws_url, credentials)
    # Discovery and keys were fetched once, then cached.
    assert oidc_idp.fetches == ["/realm/.well-known/openid-configuration", "/realm/jwks"]


def test_a_list_audience_is_checked_by_its_authorized_party(
    app: Any, pool_id: str, oidc_idp: OidcIdp
) -> None:
    token = oidc_idp.token(aud=["api", CLIENT_ID], azp=CLIENT_ID)
    assert app.get_id(IdentityPoolId=pool_id, Logins={oidc_idp.url: token})["IdentityId"]
    token = oidc_idp.token(aud=["api", CLIENT_ID], azp="api")
    assert _refused(app.get_id, IdentityPoolId=pool_id, Logins={oidc_idp.url: token})[0] == (
        "NotAuthorizedException"
    )


def test_a_rotated_key_is_fetched_again(app: Any, pool_id: str, oidc_idp: OidcIdp) -> None:
    app.get_id(IdentityPoolId=pool_id, Logins={oidc_idp.url: oidc_idp.token()})
    oidc_idp.key, oidc_idp.kid = rsa_key(), "rotated"
    app.get_id(IdentityPoolId=pool_id, Logins={oidc_idp.url: oidc_idp.token(sub="user-2")})
    assert oidc_idp.fetches.count("/realm/jwks") == 2


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"aud": "someone-else"}, "audience"),
        # Times are offsets from the moment the test runs, not from collection,
        # which may be long before in a whole suite's run.
        ({"exp": -120, "iat": -600}, "expired"),
        ({"iss": "http://127.0.0.1:1/realm"}, "Issuer"),
        ({"nbf": 600}, "not valid yet"),
        ({"sub": None}, "Not a valid"),
    ],
)
def test_bad_tokens_are_refused_and_make_no_identity(
    app: Any, pool_id: str, oidc_idp: OidcIdp, claims: dict[str, Any], message: str
) -> None:
    now = int(time.time())
    claims = {
        name: now + value if name in {"exp", "iat", "nbf"} else value
        for name, value in claims.items()
    }
    code, _, got = _refused(
        app.get_id, IdentityPoolId=pool_id, Logins={oidc_idp.url: oidc_idp.token(**claims)}
    )
    assert code == "NotAuthorizedException"
    assert message in got


def test_a_token_signed_by_another_key_is_refused(
    app: Any, pool_id: str, oidc_idp: OidcIdp
) -> None:
    for token in [oidc_idp.token(key=rsa_key()), oidc_idp.token(key=rsa_key(), kid="unknown")]:
        code, _, _ = _refused(app.get_id, IdentityPoolId=pool_id, Logins={oidc_idp.url: token})
        assert code == "NotAuthorizedException"
    code, _, _ = _refused(app.get_id, IdentityPoolId=pool_id, Logins={oidc_idp.url: "junk"})
    assert code == "NotAuthorizedException"


def test_providers_the_pool_does_not_name_are_refused(
    app: Any, iam: Any, identity: Any, pool_id: str, oidc_idp: OidcIdp
) -> None:
    code, _, message = _refused(
        app.get_id, IdentityPoolId=pool_id, Logins={"idp.example.com": oidc_idp.token()}
    )
    assert code == "NotAuthorizedException"
    assert "idp.example.com" in message
    # A provider registered in IAM, but not named by this pool.
    other = identity.create_identity_pool(
        IdentityPoolName="other", AllowUnauthenticatedIdentities=False
    )["IdentityPoolId"]
    code, _, _ = _refused(app.get_id, IdentityPoolId=other, Logins={oidc_idp.url: oidc_idp.token()})
    assert code == "NotAuthorizedException"
    # Named by the pool, then deleted from IAM.
    iam.delete_open_id_connect_provider(
        OpenIDConnectProviderArn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/{oidc_idp.url}"
    )
    code, _, _ = _refused(
        app.get_id, IdentityPoolId=pool_id, Logins={oidc_idp.url: oidc_idp.token()}
    )
    assert code == "NotAuthorizedException"


def test_a_provider_that_is_down_refuses_the_login(
    app: Any, pool_id: str, oidc_idp: OidcIdp
) -> None:
    token = oidc_idp.token()
    oidc_idp.stop()
    code, status, message = _refused(
        app.get_id, IdentityPoolId=pool_id, Logins={oidc_idp.url: token}
    )
    assert (code, status) == ("NotAuthorizedException", 400)
    assert "could not be fetched" in message


def _caller(aws_url: str, credentials: dict[str, Any]) -> str:
    sts = _boto3_client(
        "sts",
        aws_url,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretKey"],
        aws_session_token=credentials["SessionToken"],
    )
    arn: str = sts.get_caller_identity()["Arn"]
    return arn


def test_rules_role_mapping_reads_the_provider_claims(  # noqa: PLR0917 - fixtures
    app: Any, aws_url: str, iam: Any, identity: Any, pool_id: str, oidc_idp: OidcIdp
) -> None:
    admins = iam.create_role(
        RoleName="admins", AssumeRolePolicyDocument=json.dumps(_trust(pool_id))
    )["Role"]["Arn"]
    roles = identity.get_identity_pool_roles(IdentityPoolId=pool_id)["Roles"]
    identity.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles=roles,
        RoleMappings={
            oidc_idp.url: {
                "Type": "Rules",
                "AmbiguousRoleResolution": "AuthenticatedRole",
                "RulesConfiguration": {
                    "Rules": [
                        {"Claim": "team", "MatchType": "Equals", "Value": "ops", "RoleARN": admins}
                    ]
                },
            }
        },
    )
    logins = {oidc_idp.url: oidc_idp.token(team="ops")}
    identity_id = app.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    credentials = app.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    assert _caller(aws_url, credentials["Credentials"]).startswith(
        f"arn:aws:sts::{ACCOUNT}:assumed-role/admins/"
    )
    others = {oidc_idp.url: oidc_idp.token(sub="user-2", team="dev")}
    identity_id = app.get_id(IdentityPoolId=pool_id, Logins=others)["IdentityId"]
    credentials = app.get_credentials_for_identity(IdentityId=identity_id, Logins=others)
    assert ":assumed-role/signed-in/" in _caller(aws_url, credentials["Credentials"])


def test_admin_lists_providers_read_only(client: Client, operator: User) -> None:
    provider = oidc_provider_create(url="https://accounts.example.com", client_ids=["app"])
    admin_client = _signed_in(client, operator)
    listing = admin_client.get("/admin/identities/openidconnectprovider/")
    assert listing.status_code == 200
    assert b"accounts.example.com" in listing.content
    page = admin_client.get(f"/admin/identities/openidconnectprovider/{provider.pk}/change/")
    assert page.status_code == 200
    assert admin_client.get("/admin/identities/openidconnectprovider/add/").status_code == 403
