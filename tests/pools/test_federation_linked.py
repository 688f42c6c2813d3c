"""Federated sign-in with what the rest of the product does with its users: identities an
operator linked (AdminLinkProviderForUser), the `identities` claim, pools that sign their own
users in with an email, and identity pools taking the federated users' ID tokens. The upstream
is another pool of the same live server, as in test_federation_oidc."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import botocore
import jwt
import pytest
from botocore.config import Config

from identities.models import IdentityPool
from pools.errors import InvalidParameterException
from pools.models import FederatedIdentity, IdentityProvider, PoolUser, UserPool, UserStatus
from pools.selectors.users import user_for_client_request, user_get
from pools.services.federated_sign_in import federated_sign_in
from pools.services.federated_users import federated_identity_disable, federated_identity_link
from pools.services.federation import identity_provider_update
from pools.services.users import user_add_to_group
from tests.builders import make_group, make_user, make_user_pool
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.pools.hosted_fixtures import plain_http
from tests.pools.oauth_fixtures import PASSWORD, url
from tests.pools.test_federation_oidc import (
    PROVIDER,
    app,
    code_of,
    downstream,
    issuer,
    oidc_provider,
    plain_provider,
    sign_in_through_upstream,
    token_answer,
    uma,
    up_client,
    upstream,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_http")]

__all__ = [
    "downstream",
    "issuer",
    "plain_http",
    "plain_provider",
    "uma",
    "up_client",
    "upstream",
    "url",
]


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def test_a_first_sign_in_carries_the_primary_identity_in_the_id_token(
    url: str, uma: PoolUser, downstream: tuple[UserPool, Any]
) -> None:
    _pool, client = downstream

    claims = claims_of(
        token_answer(url, client, code_of(sign_in_through_upstream(url, client)))["id_token"]
    )

    (identity,) = claims["identities"]
    assert identity["providerName"] == PROVIDER
    assert identity["providerType"] == "OIDC"
    assert identity["userId"] == str(uma.sub)
    assert identity["primary"] == "true"


def test_a_linked_local_user_signs_in_through_the_provider_as_themselves(
    url: str, uma: PoolUser, downstream: tuple[UserPool, Any]
) -> None:
    pool, client = downstream
    diego = make_user(pool=pool, username="diego", password=PASSWORD, email="diego@example.com")
    federated_identity_link(
        pool=pool,
        destination={"ProviderName": "Cognito", "ProviderAttributeValue": "diego"},
        source={
            "ProviderName": PROVIDER,
            "ProviderAttributeName": "Cognito_Subject",
            "ProviderAttributeValue": str(uma.sub),
        },
    )

    claims = claims_of(
        token_answer(url, client, code_of(sign_in_through_upstream(url, client)))["id_token"]
    )

    assert claims["cognito:username"] == "diego"
    assert claims["sub"] == str(diego.sub)
    assert [i["primary"] for i in claims["identities"]] == ["false"]
    assert list(PoolUser.objects.filter(pool=pool).values_list("username", flat=True)) == ["diego"]
    diego.refresh_from_db()
    # The mapping writes the provider's email onto the linked user, as on Cognito.
    assert (diego.status, diego.email) == (UserStatus.CONFIRMED, "uma@example.com")


def test_a_link_by_a_mapped_attribute_signs_that_account_in_as_the_user(
    url: str, uma: PoolUser, downstream: tuple[UserPool, Any]
) -> None:
    pool, client = downstream
    make_user(pool=pool, username="uma-here", password=PASSWORD)
    federated_identity_link(
        pool=pool,
        destination={"ProviderName": "Cognito", "ProviderAttributeValue": "uma-here"},
        source={
            "ProviderName": PROVIDER,
            "ProviderAttributeName": "email",
            "ProviderAttributeValue": "uma@example.com",
        },
    )

    claims = claims_of(
        token_answer(url, client, code_of(sign_in_through_upstream(url, client)))["id_token"]
    )

    assert claims["cognito:username"] == "uma-here"
    assert PoolUser.objects.filter(pool=pool).count() == 1


def test_a_pool_signing_in_by_email_takes_the_providers_user_beside_a_local_one_of_that_email(
    url: str, uma: PoolUser, issuer: str, up_client: Any
) -> None:
    pool = make_user_pool(name="by-email", UsernameAttributes=["email"])
    oidc_provider(pool, issuer, up_client)
    client = app(pool, SupportedIdentityProviders=["COGNITO", PROVIDER])
    make_user(pool=pool, username="uma@example.com", password=PASSWORD)

    claims = claims_of(
        token_answer(url, client, code_of(sign_in_through_upstream(url, client)))["id_token"]
    )

    federated = PoolUser.objects.get(pool=pool, status=UserStatus.EXTERNAL_PROVIDER)
    assert federated.username == claims["cognito:username"] == f"{PROVIDER}_{uma.sub}"
    assert federated.email == "uma@example.com"
    # The email still names the local user alone, for sign-in and for Admin* operations.
    local = PoolUser.objects.get(pool=pool, status=UserStatus.CONFIRMED)
    assert user_for_client_request(client=client, username="uma@example.com") == local
    assert user_get(pool=pool, username="uma@example.com") == local


def test_an_identity_pool_takes_a_federated_users_id_token(
    url: str, uma: PoolUser, downstream: tuple[UserPool, Any]
) -> None:
    pool, client = downstream
    id_token = token_answer(url, client, code_of(sign_in_through_upstream(url, client)))["id_token"]
    provider = f"cognito-idp.us-east-1.amazonaws.com/{pool.pool_id}"
    identity_pool = IdentityPool.objects.create(
        identity_pool_id=f"us-east-1:{uuid.uuid4()}",
        region="us-east-1",
        name="app",
        allow_classic_flow=True,
        cognito_identity_providers=[{"ProviderName": provider, "ClientId": client.client_id}],
    )
    ci = boto3.client(
        "cognito-identity",
        endpoint_url=url,
        region_name="us-east-1",
        config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}),
    )

    identity_id = ci.get_id(
        IdentityPoolId=identity_pool.identity_pool_id, Logins={provider: id_token}
    )["IdentityId"]
    again = ci.get_id(IdentityPoolId=identity_pool.identity_pool_id, Logins={provider: id_token})
    open_id = ci.get_open_id_token(IdentityId=identity_id, Logins={provider: id_token})

    assert again["IdentityId"] == identity_id
    assert open_id["IdentityId"] == identity_id
    assert claims_of(open_id["Token"])["sub"] == identity_id
    assert FederatedIdentity.objects.filter(pool=pool).count() == 1


# --- links by an attribute, through the service ----------------------------------------------


def _link(pool: UserPool, username: str, attribute: str, value: str) -> None:
    federated_identity_link(
        pool=pool,
        destination={"ProviderName": "Cognito", "ProviderAttributeValue": username},
        source={
            "ProviderName": PROVIDER,
            "ProviderAttributeName": attribute,
            "ProviderAttributeValue": value,
        },
    )


def test_the_first_account_through_an_attribute_link_takes_it_over(
    plain_provider: IdentityProvider,
) -> None:
    pool = plain_provider.pool
    local = make_user(pool=pool, username="lee", password=PASSWORD)
    _link(pool, "lee", "email", "lee@example.com")

    first = federated_sign_in(
        pool=pool, provider=plain_provider, subject="s-1", claims={"email": "lee@example.com"}
    )
    second = federated_sign_in(
        pool=pool, provider=plain_provider, subject="s-2", claims={"email": "lee@example.com"}
    )

    assert first.pk == local.pk
    # Another account that sends the same email is a user of its own, not `lee`.
    assert second.pk != local.pk and second.username == f"{PROVIDER}_s-2"
    assert list(local.federated_identities.values_list("attribute_name", "uid")) == [
        ("Cognito_Subject", "s-1")
    ]
    # The link now names the subject, as AdminDisableProviderForUser does.
    federated_identity_disable(
        pool=pool,
        user={
            "ProviderName": PROVIDER,
            "ProviderAttributeName": "Cognito_Subject",
            "ProviderAttributeValue": "s-1",
        },
    )
    assert not local.federated_identities.exists()


def test_an_account_matching_links_to_two_users_is_refused_and_changes_nothing(
    plain_provider: IdentityProvider,
) -> None:
    pool = plain_provider.pool
    identity_provider_update(
        provider=plain_provider, attribute_mapping={"email": "email", "name": "name"}
    )
    for username in ("lee", "kim"):
        make_user(pool=pool, username=username, password=PASSWORD)
    _link(pool, "lee", "email", "x@example.com")
    _link(pool, "kim", "name", "X")
    before = snapshot()

    with pytest.raises(InvalidParameterException, match="several users"):
        federated_sign_in(
            pool=pool,
            provider=plain_provider,
            subject="s-1",
            claims={"email": "x@example.com", "name": "X"},
        )

    assert snapshot() == before


def test_a_linked_subject_longer_than_a_username_still_signs_in(
    plain_provider: IdentityProvider,
) -> None:
    pool = plain_provider.pool
    local = make_user(pool=pool, username="lee", password=PASSWORD)
    subject = "s" * 200
    _link(pool, "lee", "Cognito_Subject", subject)

    user = federated_sign_in(pool=pool, provider=plain_provider, subject=subject, claims={})

    assert user.pk == local.pk


def test_a_linked_users_id_token_has_its_groups_and_identities(
    url: str, uma: PoolUser, downstream: tuple[UserPool, Any]
) -> None:
    pool, client = downstream
    diego = make_user(pool=pool, username="diego", password=PASSWORD)
    for name, precedence in (("staff", 2), ("admins", 1)):
        user_add_to_group(user=diego, group=make_group(pool=pool, name=name, precedence=precedence))
    _link(pool, "diego", "Cognito_Subject", str(uma.sub))

    claims = claims_of(
        token_answer(url, client, code_of(sign_in_through_upstream(url, client)))["id_token"]
    )

    assert claims["cognito:groups"] == ["admins", "staff"]
    assert [i["userId"] for i in claims["identities"]] == [str(uma.sub)]
