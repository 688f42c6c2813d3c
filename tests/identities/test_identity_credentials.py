"""Identities and their credentials, end to end against a live server with real clients: a user
pool user signs in with SRP (pycognito), gets an identity and temporary credentials from
cognito-identity (boto3), and calls cognito-idp signed with them, allowed exactly where the role
allows; anonymous identities, role mapping, developer identities, and every refusal."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

import botocore
import jwt
import pytest
import requests
from boto3 import client as boto3_client
from botocore.config import Config
from botocore.exceptions import ClientError
from django.utils import timezone
from pycognito import Cognito
from pytest_django import Settings

from identities.models import Identity, IdentityLogin, IdentityPool, Role, RolePolicy
from identities.services.identity_pools import identity_pool_set_roles
from pools.models import AppClient, PoolUser, UserPool
from pools.services.users import user_add_to_group
from tests.builders import make_app_client, make_group, make_user, make_user_pool
from tests.conftest import Clock

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Passw0rd!"
DEVELOPER = "login.example.app"
OPENID = "cognito-identity.amazonaws.com"


def _client(service: str, url: str, **credentials: Any) -> Any:
    config = Config(
        retries={"max_attempts": 1},
        **({} if credentials else {"signature_version": botocore.UNSIGNED}),
    )
    return boto3_client(
        service, endpoint_url=url, region_name="us-east-1", config=config, **credentials
    )


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    code: str = error.value.response["Error"]["Code"]
    return code


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    message: str = error.value.response["Error"]["Message"]
    return message


@pytest.fixture
def url(aws_url: str, settings: Settings) -> str:
    # Tokens name the live server as their issuer, as they would name the deployment's URL.
    settings.COGNITOADMIN_PUBLIC_URL = aws_url
    return aws_url


@pytest.fixture
def live_pool(url: str) -> UserPool:
    return make_user_pool()


@pytest.fixture
def other_pool(url: str) -> UserPool:
    return make_user_pool(name="other")


@pytest.fixture
def app(live_pool: UserPool) -> AppClient:
    return make_app_client(
        pool=live_pool,
        ExplicitAuthFlows=[
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
    )


@pytest.fixture
def alice(live_pool: UserPool) -> PoolUser:
    return make_user(
        pool=live_pool,
        username="alice",
        password=PASSWORD,
        email="alice@example.com",
        email_verified="true",
    )


def _provider(pool: UserPool) -> str:
    return f"cognito-idp.us-east-1.amazonaws.com/{pool.pool_id}"


def _sign_in(url: str, app: AppClient, username: str = "alice") -> dict[str, str]:
    """An SRP sign-in with pycognito, as an app does it: its ID token as a Logins map."""
    user = Cognito(
        app.pool.pool_id,
        app.client_id,
        username=username,
        user_pool_region="us-east-1",
        boto3_client_kwargs={
            "endpoint_url": url,
            "config": Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}),
        },
    )
    user.authenticate(password=PASSWORD)
    return {_provider(app.pool): str(user.id_token)}


def _trust(identity_pool_id: str, amr: str) -> dict[str, Any]:
    """A trust policy as Cognito's console writes it for an identity pool's role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": OPENID},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{OPENID}:aud": identity_pool_id},
                    "ForAnyValue:StringLike": {f"{OPENID}:amr": amr},
                },
            }
        ],
    }


_role_numbers = iter(range(1, 10_000))


def _role(name: str, *, trust: dict[str, Any], allow: list[str], resource: str) -> Role:
    role = Role.objects.create(
        role_id=f"AROA{next(_role_numbers):017d}",
        name=name,
        assume_role_policy=trust,
        created_at=timezone.now(),
    )
    RolePolicy.objects.create(
        role=role,
        name="access",
        document={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": allow, "Resource": resource}],
        },
    )
    return role


@pytest.fixture
def identity_pool(live_pool: UserPool, app: AppClient) -> IdentityPool:
    """An identity pool of `live_pool`'s app client: authenticated users may list the pool's
    users; unauthenticated ones may list its groups; a developer provider is set."""
    pool_id = f"us-east-1:{uuid.uuid4()}"
    pool_arn = f"arn:aws:cognito-idp:us-east-1:000000000000:userpool/{live_pool.pool_id}"
    authenticated = _role(
        "readers",
        trust=_trust(pool_id, "authenticated"),
        allow=["cognito-idp:ListUsers"],
        resource=pool_arn,
    )
    unauthenticated = _role(
        "guests",
        trust=_trust(pool_id, "unauthenticated"),
        allow=["cognito-idp:ListGroups"],
        resource=pool_arn,
    )
    return IdentityPool.objects.create(
        identity_pool_id=pool_id,
        region="us-east-1",
        name="app",
        allow_unauthenticated=True,
        allow_classic_flow=True,
        developer_provider_name=DEVELOPER,
        cognito_identity_providers=[
            {
                "ProviderName": _provider(live_pool),
                "ClientId": app.client_id,
                "ServerSideTokenCheck": True,
            }
        ],
        authenticated_role_arn=authenticated.arn,
        unauthenticated_role_arn=unauthenticated.arn,
    )


@pytest.fixture
def ci(url: str) -> Any:
    """cognito-identity as an app calls it: unsigned."""
    return _client("cognito-identity", url)


@pytest.fixture
def ci_signed(url: str, operator_key: Any) -> Any:
    """cognito-identity as a developer's backend calls it: signed with an operator's key."""
    key, secret = operator_key
    return _client(
        "cognito-identity", url, aws_access_key_id=key.access_key_id, aws_secret_access_key=secret
    )


def _as(url: str, credentials: dict[str, Any], service: str = "cognito-idp") -> Any:
    return _client(
        service,
        url,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretKey"],
        aws_session_token=credentials["SessionToken"],
    )


def _rows() -> tuple[list[Any], list[Any]]:
    identities = list(Identity.objects.order_by("pk").values_list("identity_id", "pool_id"))
    logins = list(
        IdentityLogin.objects.order_by("pk").values_list("identity_id", "provider", "subject")
    )
    return identities, logins


@pytest.mark.usefixtures("alice")
def test_a_signed_in_user_gets_credentials_that_its_role_governs(
    url: str,
    ci: Any,
    identity_pool: IdentityPool,
    app: AppClient,
    other_pool: UserPool,
) -> None:
    logins = _sign_in(url, app)

    identity_id = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id, Logins=logins)[
        "IdentityId"
    ]
    answer = ci.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    idp = _as(url, answer["Credentials"])

    listed = idp.list_users(UserPoolId=app.pool.pool_id)["Users"]
    with pytest.raises(ClientError) as delete:
        idp.admin_delete_user(UserPoolId=app.pool.pool_id, Username="alice")
    with pytest.raises(ClientError) as elsewhere:
        idp.list_users(UserPoolId=other_pool.pool_id)

    assert identity_id.startswith("us-east-1:")
    assert answer["IdentityId"] == identity_id
    assert answer["Credentials"]["AccessKeyId"].startswith("ASIA")
    remaining = answer["Credentials"]["Expiration"] - timezone.now()
    assert 3500 < remaining.total_seconds() <= 3600
    assert [user["Username"] for user in listed] == ["alice"]
    assert _code(delete) == "AccessDeniedException"
    assert "assumed-role/readers/CognitoIdentityCredentials" in _message(delete)
    assert _code(elsewhere) == "AccessDeniedException"
    assert PoolUser.objects.filter(username="alice").exists()


def test_the_same_login_finds_the_same_identity(
    url: str, ci: Any, identity_pool: IdentityPool, app: AppClient, alice: PoolUser
) -> None:
    first = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id, Logins=_sign_in(url, app))
    again = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id, Logins=_sign_in(url, app))

    assert first["IdentityId"] == again["IdentityId"]
    assert list(IdentityLogin.objects.values_list("provider", "subject")) == [
        (_provider(app.pool), str(alice.sub))
    ]


@pytest.mark.usefixtures("alice")
def test_an_anonymous_identity_keeps_its_id_when_its_user_logs_in(
    url: str, ci: Any, identity_pool: IdentityPool, app: AppClient
) -> None:
    anonymous = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id)["IdentityId"]
    guest = ci.get_credentials_for_identity(IdentityId=anonymous)["Credentials"]
    guest_groups = _as(url, guest).list_groups(UserPoolId=app.pool.pool_id)
    with pytest.raises(ClientError) as guest_users:
        _as(url, guest).list_users(UserPoolId=app.pool.pool_id)

    logins = _sign_in(url, app)
    signed_in = ci.get_credentials_for_identity(IdentityId=anonymous, Logins=logins)
    found = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id, Logins=logins)

    assert guest_groups["Groups"] == []
    assert _code(guest_users) == "AccessDeniedException"
    assert signed_in["IdentityId"] == anonymous
    assert found["IdentityId"] == anonymous
    assert _as(url, signed_in["Credentials"]).list_users(UserPoolId=app.pool.pool_id)["Users"]
    assert Identity.objects.count() == 1


@pytest.mark.usefixtures("alice")
def test_logins_of_two_identities_merge_into_the_one_named(
    url: str, ci: Any, ci_signed: Any, identity_pool: IdentityPool, app: AppClient
) -> None:
    developer = ci_signed.get_open_id_token_for_developer_identity(
        IdentityPoolId=identity_pool.identity_pool_id, Logins={DEVELOPER: "user-7"}
    )
    logins = _sign_in(url, app)
    by_pool = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id, Logins=logins)["IdentityId"]

    merged = ci.get_credentials_for_identity(
        IdentityId=developer["IdentityId"],
        Logins={**logins, OPENID: developer["Token"]},
    )

    assert by_pool != developer["IdentityId"]
    assert merged["IdentityId"] == developer["IdentityId"]
    assert list(Identity.objects.values_list("identity_id", flat=True)) == [developer["IdentityId"]]
    assert sorted(IdentityLogin.objects.values_list("provider", flat=True)) == sorted(
        [DEVELOPER, _provider(app.pool)]
    )


def test_unauthenticated_identities_are_refused_where_the_pool_forbids_them(
    ci: Any, identity_pool: IdentityPool
) -> None:
    anonymous = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id)["IdentityId"]
    IdentityPool.objects.filter(pk=identity_pool.pk).update(allow_unauthenticated=False)
    before = _rows()

    with pytest.raises(ClientError) as new:
        ci.get_id(IdentityPoolId=identity_pool.identity_pool_id)
    with pytest.raises(ClientError) as old:
        ci.get_credentials_for_identity(IdentityId=anonymous)

    for refusal in (new, old):
        assert _code(refusal) == "NotAuthorizedException"
        assert (
            _message(refusal) == "Unauthenticated access is not supported for this identity pool."
        )
    assert _rows() == before


def _forged(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(uuid.uuid4())
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


def _other_client_token(url: str, app: AppClient) -> str:
    other = make_app_client(pool=app.pool, ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"])
    return _sign_in(url, other)[_provider(app.pool)]


BAD_LOGINS: dict[str, Callable[[str, AppClient, str], dict[str, str]]] = {
    "forged": lambda url, app, token: {_provider(app.pool): _forged(token)},
    "not a JWT": lambda url, app, token: {_provider(app.pool): "not-a-token"},
    "another client": lambda url, app, token: {_provider(app.pool): _other_client_token(url, app)},
    "provider not the pool's": lambda url, app, token: {
        "cognito-idp.us-east-1.amazonaws.com/us-east-1_nothere12": token
    },
    "outside provider": lambda url, app, token: {"accounts.google.com": token},
    "developer provider": lambda url, app, token: {DEVELOPER: "user-1"},
    "forged OpenID token": lambda url, app, token: {OPENID: token},
}


@pytest.mark.parametrize("case", sorted(BAD_LOGINS))
@pytest.mark.usefixtures("alice")
def test_bad_logins_are_refused_and_change_nothing(
    case: str, url: str, ci: Any, identity_pool: IdentityPool, app: AppClient
) -> None:
    token = _sign_in(url, app)[_provider(app.pool)]
    logins = BAD_LOGINS[case](url, app, token)
    before = _rows()

    with pytest.raises(ClientError) as refused:
        ci.get_id(IdentityPoolId=identity_pool.identity_pool_id, Logins=logins)

    assert _code(refused) == "NotAuthorizedException"
    assert _message(refused).startswith("Invalid login token.")
    assert _rows() == before


def _password_tokens(url: str, app: AppClient) -> dict[str, str]:
    answer = _client("cognito-idp", url).initiate_auth(
        ClientId=app.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    tokens: dict[str, str] = answer["AuthenticationResult"]
    return tokens


@pytest.mark.usefixtures("alice")
def test_an_expired_or_revoked_id_token_is_refused(
    url: str, ci: Any, identity_pool: IdentityPool, app: AppClient, clock: Clock
) -> None:
    now = dt.datetime.now(tz=dt.UTC)
    clock.now = now - dt.timedelta(hours=2)
    stale = {_provider(app.pool): _password_tokens(url, app)["IdToken"]}
    clock.now = now
    tokens = _password_tokens(url, app)
    logins = {_provider(app.pool): tokens["IdToken"]}
    identity_id = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id, Logins=logins)[
        "IdentityId"
    ]
    _client("cognito-idp", url).global_sign_out(AccessToken=tokens["AccessToken"])
    before = _rows()

    with pytest.raises(ClientError) as revoked:
        ci.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    with pytest.raises(ClientError) as expired:
        ci.get_credentials_for_identity(IdentityId=identity_id, Logins=stale)

    assert _message(revoked) == "Invalid login token. Token is revoked."
    assert _message(expired) == "Invalid login token. Token expired."
    assert _rows() == before


@pytest.mark.usefixtures("alice")
def test_an_authenticated_identity_needs_one_of_its_logins(
    url: str, ci: Any, ci_signed: Any, identity_pool: IdentityPool, app: AppClient
) -> None:
    logins = _sign_in(url, app)
    identity_id = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id, Logins=logins)[
        "IdentityId"
    ]
    stranger = ci_signed.get_open_id_token_for_developer_identity(
        IdentityPoolId=identity_pool.identity_pool_id, Logins={DEVELOPER: "user-9"}
    )
    before = _rows()

    with pytest.raises(ClientError) as bare:
        ci.get_credentials_for_identity(IdentityId=identity_id)
    with pytest.raises(ClientError) as unknown:
        ci.get_credentials_for_identity(IdentityId=f"us-east-1:{uuid.uuid4()}", Logins=logins)
    with pytest.raises(ClientError) as theirs:
        ci.get_credentials_for_identity(IdentityId=identity_id, Logins={OPENID: stranger["Token"]})

    assert _code(bare) == "NotAuthorizedException"
    assert _message(bare).startswith("Logins don't match.")
    assert _code(unknown) == "ResourceNotFoundException"
    assert _code(theirs) == "NotAuthorizedException"
    assert _rows() == before


def _map_roles(pool: IdentityPool, mappings: dict[str, Any]) -> None:
    """SetIdentityPoolRoles, keeping the pool's roles and setting `mappings`."""
    identity_pool_set_roles(
        pool=pool,
        roles={
            "authenticated": pool.authenticated_role_arn,
            "unauthenticated": pool.unauthenticated_role_arn,
        },
        role_mappings=mappings,
    )


def test_role_mapping_by_token_takes_the_preferred_role(
    url: str, ci: Any, identity_pool: IdentityPool, app: AppClient, alice: PoolUser
) -> None:
    pool_arn = f"arn:aws:cognito-idp:us-east-1:000000000000:userpool/{app.pool.pool_id}"
    editors = _role(
        "editors",
        trust=_trust(identity_pool.identity_pool_id, "authenticated"),
        allow=["cognito-idp:ListGroups"],
        resource=pool_arn,
    )
    user_add_to_group(user=alice, group=make_group(pool=app.pool, role_arn=editors.arn))
    _map_roles(
        identity_pool,
        {
            f"{_provider(app.pool)}:{app.client_id}": {
                "Type": "Token",
                "AmbiguousRoleResolution": "AuthenticatedRole",
            }
        },
    )
    logins = _sign_in(url, app)
    identity_id = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id, Logins=logins)[
        "IdentityId"
    ]

    chosen = ci.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    with pytest.raises(ClientError) as custom:
        ci.get_credentials_for_identity(
            IdentityId=identity_id,
            Logins=logins,
            CustomRoleArn=identity_pool.authenticated_role_arn,
        )

    idp = _as(url, chosen["Credentials"])
    assert len(idp.list_groups(UserPoolId=app.pool.pool_id)["Groups"]) == 1
    with pytest.raises(ClientError) as users:
        idp.list_users(UserPoolId=app.pool.pool_id)
    assert _code(users) == "AccessDeniedException"
    assert _code(custom) == "NotAuthorizedException"


@pytest.mark.parametrize(
    "case",
    [
        ("@example.com", "Deny", "ListGroups"),
        ("@elsewhere.org", "AuthenticatedRole", "ListUsers"),
        ("@elsewhere.org", "Deny", "NotAuthorizedException"),
    ],
)
@pytest.mark.usefixtures("alice")
def test_role_mapping_by_rules(
    case: tuple[str, str, str],
    url: str,
    ci: Any,
    identity_pool: IdentityPool,
    app: AppClient,
) -> None:
    rule_value, resolution, outcome = case
    pool_arn = f"arn:aws:cognito-idp:us-east-1:000000000000:userpool/{app.pool.pool_id}"
    mapped = _role(
        "mapped",
        trust=_trust(identity_pool.identity_pool_id, "authenticated"),
        allow=["cognito-idp:ListGroups"],
        resource=pool_arn,
    )
    rule = {"Claim": "email", "MatchType": "Contains", "Value": rule_value, "RoleARN": mapped.arn}
    _map_roles(
        identity_pool,
        {
            f"{_provider(app.pool)}:{app.client_id}": {
                "Type": "Rules",
                "AmbiguousRoleResolution": resolution,
                "RulesConfiguration": {"Rules": [rule]},
            }
        },
    )
    logins = _sign_in(url, app)
    identity_id = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id, Logins=logins)[
        "IdentityId"
    ]

    if outcome == "NotAuthorizedException":
        with pytest.raises(ClientError) as denied:
            ci.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
        assert _code(denied) == outcome
        return
    credentials = ci.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    idp = _as(url, credentials["Credentials"])
    if outcome == "ListGroups":
        idp.list_groups(UserPoolId=app.pool.pool_id)
    else:
        idp.list_users(UserPoolId=app.pool.pool_id)


def test_a_missing_or_untrusting_role_is_an_invalid_configuration(
    url: str, ci: Any, identity_pool: IdentityPool
) -> None:
    anonymous = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id)["IdentityId"]
    guests = Role.objects.get(name="guests")
    guests.assume_role_policy = _trust(f"us-east-1:{uuid.uuid4()}", "unauthenticated")
    guests.save()

    with pytest.raises(ClientError) as untrusting:
        ci.get_credentials_for_identity(IdentityId=anonymous)
    guests.delete()
    with pytest.raises(ClientError) as missing:
        ci.get_credentials_for_identity(IdentityId=anonymous)

    for refusal in (untrusting, missing):
        assert _code(refusal) == "InvalidIdentityPoolConfigurationException"
        assert _message(refusal) == (
            "Invalid identity pool configuration. Check assigned IAM roles for this pool."
        )


def test_credentials_stop_working_on_expiry_tampering_and_deletion(
    url: str, ci: Any, identity_pool: IdentityPool, app: AppClient, clock: Clock
) -> None:
    now = dt.datetime.now(tz=dt.UTC)
    clock.now = now - dt.timedelta(minutes=61)
    anonymous = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id)["IdentityId"]
    stale = ci.get_credentials_for_identity(IdentityId=anonymous)["Credentials"]
    clock.now = now
    credentials = ci.get_credentials_for_identity(IdentityId=anonymous)["Credentials"]
    tampered = dict(credentials, SessionToken=credentials["SessionToken"][:-6] + "AAAAAA")
    other = ci.get_credentials_for_identity(IdentityId=anonymous)["Credentials"]
    swapped = dict(credentials, SessionToken=other["SessionToken"])

    refusals = {}
    for name, bad in [("tampered", tampered), ("swapped", swapped), ("expired", stale)]:
        with pytest.raises(ClientError) as refused:
            _as(url, bad).list_groups(UserPoolId=app.pool.pool_id)
        refusals[name] = _code(refused)
    _as(url, credentials).list_groups(UserPoolId=app.pool.pool_id)
    Identity.objects.filter(identity_id=anonymous).delete()
    with pytest.raises(ClientError) as deleted:
        _as(url, credentials).list_groups(UserPoolId=app.pool.pool_id)

    assert refusals == {
        "tampered": "UnrecognizedClientException",
        "swapped": "UnrecognizedClientException",
        "expired": "ExpiredTokenException",
    }
    assert _code(deleted) == "UnrecognizedClientException"


def test_developer_identities_lookup_merge_and_unlink(
    url: str, ci: Any, ci_signed: Any, identity_pool: IdentityPool
) -> None:
    pool_id = identity_pool.identity_pool_id
    first = ci_signed.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEVELOPER: "user-1"}, TokenDuration=900
    )
    second = ci_signed.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEVELOPER: "user-2"}
    )
    credentials = ci.get_credentials_for_identity(
        IdentityId=first["IdentityId"], Logins={OPENID: first["Token"]}
    )
    looked_up = ci_signed.lookup_developer_identity(
        IdentityPoolId=pool_id, DeveloperUserIdentifier="user-1"
    )

    merged = ci_signed.merge_developer_identities(
        SourceUserIdentifier="user-2",
        DestinationUserIdentifier="user-1",
        DeveloperProviderName=DEVELOPER,
        IdentityPoolId=pool_id,
    )
    both = ci_signed.lookup_developer_identity(
        IdentityPoolId=pool_id, IdentityId=first["IdentityId"], MaxResults=1
    )
    ci_signed.unlink_developer_identity(
        IdentityId=first["IdentityId"],
        IdentityPoolId=pool_id,
        DeveloperProviderName=DEVELOPER,
        DeveloperUserIdentifier="user-2",
    )
    after = ci_signed.lookup_developer_identity(
        IdentityPoolId=pool_id, IdentityId=first["IdentityId"]
    )

    claims = jwt.decode(first["Token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 900
    assert credentials["IdentityId"] == first["IdentityId"]
    assert looked_up["IdentityId"] == first["IdentityId"]
    assert looked_up["DeveloperUserIdentifierList"] == ["user-1"]
    assert merged["IdentityId"] == first["IdentityId"]
    assert not Identity.objects.filter(identity_id=second["IdentityId"]).exists()
    assert both["DeveloperUserIdentifierList"] == ["user-1"] and "NextToken" in both
    assert after["DeveloperUserIdentifierList"] == ["user-1"]


def test_developer_calls_are_refused_without_a_signature_or_for_a_taken_user(
    url: str, ci: Any, ci_signed: Any, identity_pool: IdentityPool
) -> None:
    pool_id = identity_pool.identity_pool_id
    first = ci_signed.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEVELOPER: "user-1"}
    )
    other = ci_signed.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEVELOPER: "user-2"}
    )
    before = _rows()

    with pytest.raises(ClientError) as unsigned:
        ci.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, Logins={DEVELOPER: "user-3"}
        )
    with pytest.raises(ClientError) as taken:
        ci_signed.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, IdentityId=other["IdentityId"], Logins={DEVELOPER: "user-1"}
        )
    with pytest.raises(ClientError) as wrong_provider:
        ci_signed.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, Logins={"login.other.app": "user-1"}
        )
    with pytest.raises(ClientError) as unknown_user:
        ci_signed.lookup_developer_identity(
            IdentityPoolId=pool_id, DeveloperUserIdentifier="nobody"
        )

    assert _code(unsigned) == "MissingAuthenticationTokenException"
    assert _code(taken) == "DeveloperUserAlreadyRegisteredException"
    assert _code(wrong_provider) == "InvalidParameterException"
    assert _code(unknown_user) == "ResourceNotFoundException"
    assert first["IdentityId"] != other["IdentityId"]
    assert _rows() == before


@pytest.mark.usefixtures("alice")
def test_open_id_tokens_verify_through_the_issuers_discovery_document(
    url: str, ci: Any, identity_pool: IdentityPool, app: AppClient
) -> None:
    logins = _sign_in(url, app)
    identity_id = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id, Logins=logins)[
        "IdentityId"
    ]

    token = ci.get_open_id_token(IdentityId=identity_id, Logins=logins)["Token"]
    discovery = requests.get(f"{url}/cognito-identity/.well-known/openid-configuration", timeout=5)
    keys = jwt.PyJWKClient(discovery.json()["jwks_uri"])
    claims = jwt.decode(
        token,
        keys.get_signing_key_from_jwt(token).key,
        algorithms=["RS256"],
        audience=identity_pool.identity_pool_id,
        issuer=discovery.json()["issuer"],
    )

    assert discovery.json()["issuer"] == f"{url}/cognito-identity"
    assert claims["sub"] == identity_id
    assert claims["amr"] == ["authenticated", _provider(app.pool)]


def test_the_classic_flow_needs_the_pool_to_allow_it(ci: Any, identity_pool: IdentityPool) -> None:
    anonymous = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id)["IdentityId"]
    IdentityPool.objects.filter(pk=identity_pool.pk).update(allow_classic_flow=False)

    with pytest.raises(ClientError) as refused:
        ci.get_open_id_token(IdentityId=anonymous)

    assert _code(refused) == "InvalidParameterException"
    assert _message(refused) == "Basic (classic) flow is not enabled, please use enhanced flow."


@pytest.mark.usefixtures("alice")
def test_unlink_identity_removes_a_provider_with_a_valid_login(
    url: str, ci: Any, ci_signed: Any, identity_pool: IdentityPool, app: AppClient
) -> None:
    developer = ci_signed.get_open_id_token_for_developer_identity(
        IdentityPoolId=identity_pool.identity_pool_id, Logins={DEVELOPER: "user-1"}
    )
    logins = _sign_in(url, app)
    ci.get_credentials_for_identity(
        IdentityId=developer["IdentityId"], Logins={**logins, OPENID: developer["Token"]}
    )

    with pytest.raises(ClientError) as not_linked:
        ci.unlink_identity(
            IdentityId=developer["IdentityId"],
            Logins=logins,
            LoginsToRemove=["accounts.google.com"],
        )
    ci.unlink_identity(
        IdentityId=developer["IdentityId"], Logins=logins, LoginsToRemove=[_provider(app.pool)]
    )

    assert _code(not_linked) == "ResourceConflictException"
    assert list(IdentityLogin.objects.values_list("provider", flat=True)) == [DEVELOPER]


def _as_sts(url: str, credentials: dict[str, Any]) -> Any:
    return _client(
        "sts",
        url,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials.get("SecretKey") or credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


@pytest.mark.usefixtures("alice")
def test_the_classic_flow_assumes_the_role_through_sts(
    url: str, ci: Any, identity_pool: IdentityPool, app: AppClient
) -> None:
    logins = _sign_in(url, app)
    identity_id = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id, Logins=logins)[
        "IdentityId"
    ]
    token = ci.get_open_id_token(IdentityId=identity_id, Logins=logins)["Token"]
    sts = _client("sts", url)

    assumed = sts.assume_role_with_web_identity(
        RoleArn=identity_pool.authenticated_role_arn,
        RoleSessionName="web",
        WebIdentityToken=token,
        DurationSeconds=900,
    )
    caller = _as_sts(url, assumed["Credentials"]).get_caller_identity()
    users = _as(
        url, dict(assumed["Credentials"], SecretKey=assumed["Credentials"]["SecretAccessKey"])
    ).list_users(UserPoolId=app.pool.pool_id)

    assert assumed["SubjectFromWebIdentityToken"] == identity_id
    assert assumed["Audience"] == identity_pool.identity_pool_id
    assert assumed["Provider"] == OPENID
    assert assumed["AssumedRoleUser"]["Arn"] == (
        "arn:aws:sts::000000000000:assumed-role/readers/web"
    )
    remaining = assumed["Credentials"]["Expiration"] - timezone.now()
    assert 800 < remaining.total_seconds() <= 900
    assert caller["Arn"] == "arn:aws:sts::000000000000:assumed-role/readers/web"
    assert caller["Account"] == "000000000000"
    assert [user["Username"] for user in users["Users"]] == ["alice"]


@pytest.mark.usefixtures("alice")
def test_sts_refuses_bad_tokens_untrusting_roles_and_long_sessions(
    url: str, ci: Any, identity_pool: IdentityPool, app: AppClient
) -> None:
    anonymous = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id)["IdentityId"]
    token = ci.get_open_id_token(IdentityId=anonymous)["Token"]
    sts = _client("sts", url)
    cases = {
        # The authenticated role trusts only authenticated identities.
        "AccessDenied": dict(RoleArn=identity_pool.authenticated_role_arn, WebIdentityToken=token),
        "InvalidIdentityToken": dict(
            RoleArn=identity_pool.unauthenticated_role_arn, WebIdentityToken=_forged(token)
        ),
        "ValidationError": dict(
            RoleArn=identity_pool.unauthenticated_role_arn,
            WebIdentityToken=token,
            DurationSeconds=7200,
        ),
    }
    missing_role = "arn:aws:iam::000000000000:role/nobody"

    codes = {}
    for expected, params in cases.items():
        with pytest.raises(ClientError) as refused:
            sts.assume_role_with_web_identity(RoleSessionName="sess", **params)
        codes[expected] = _code(refused)
    with pytest.raises(ClientError) as nobody:
        sts.assume_role_with_web_identity(
            RoleArn=missing_role, RoleSessionName="sess", WebIdentityToken=token
        )

    assert codes == {code: code for code in cases}
    assert _code(nobody) == "AccessDenied"
    assert nobody.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_get_caller_identity_names_an_operators_key(url: str, operator_key: Any) -> None:
    key, secret = operator_key
    sts = _client("sts", url, aws_access_key_id=key.access_key_id, aws_secret_access_key=secret)

    caller = sts.get_caller_identity()

    assert caller["Account"] == "000000000000"
    assert caller["UserId"] == key.access_key_id
    assert caller["Arn"] == f"arn:aws:iam::000000000000:user/{key.operator.username}"


@pytest.mark.usefixtures("alice")
def test_principal_tags_become_session_tags_that_policies_read(
    url: str, ci: Any, identity_pool: IdentityPool, app: AppClient
) -> None:
    pool_arn = f"arn:aws:cognito-idp:us-east-1:000000000000:userpool/{app.pool.pool_id}"
    readers = Role.objects.get(name="readers")
    RolePolicy.objects.filter(role=readers).update(
        document={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "cognito-idp:ListUsers",
                    "Resource": pool_arn,
                    "Condition": {
                        "StringEquals": {"aws:PrincipalTag/mail": "alice@example.com"},
                        "StringLike": {"aws:PrincipalTag/client": app.client_id},
                    },
                }
            ],
        }
    )
    IdentityPool.objects.filter(pk=identity_pool.pk).update(
        principal_tag_maps={
            _provider(app.pool): {"UseDefaults": True, "PrincipalTags": {"mail": "email"}}
        }
    )
    logins = _sign_in(url, app)
    identity_id = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id, Logins=logins)[
        "IdentityId"
    ]

    with pytest.raises(ClientError) as untagged:
        ci.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    trust = readers.assume_role_policy
    trust["Statement"][0]["Action"] = ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]
    Role.objects.filter(pk=readers.pk).update(assume_role_policy=trust)
    credentials = ci.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    users = _as(url, credentials["Credentials"]).list_users(UserPoolId=app.pool.pool_id)

    # Without sts:TagSession in its trust policy the role cannot take the pool's tags.
    assert _code(untagged) == "InvalidIdentityPoolConfigurationException"
    assert [user["Username"] for user in users["Users"]] == ["alice"]


@pytest.mark.usefixtures("alice")
def test_a_developer_links_its_user_to_an_identity_signed_in_elsewhere(
    url: str, ci: Any, ci_signed: Any, identity_pool: IdentityPool, app: AppClient
) -> None:
    logins = _sign_in(url, app)
    identity_id = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id, Logins=logins)[
        "IdentityId"
    ]

    linked = ci_signed.get_open_id_token_for_developer_identity(
        IdentityPoolId=identity_pool.identity_pool_id,
        IdentityId=identity_id,
        Logins={DEVELOPER: "user-5"},
    )
    again = ci_signed.get_open_id_token_for_developer_identity(
        IdentityPoolId=identity_pool.identity_pool_id, Logins={DEVELOPER: "user-5"}
    )

    assert linked["IdentityId"] == identity_id
    assert again["IdentityId"] == identity_id
    assert sorted(IdentityLogin.objects.values_list("provider", flat=True)) == sorted(
        [DEVELOPER, _provider(app.pool)]
    )
