"""Management API: the pool's choice-based sign-in settings, SignInPolicy on the pool
(/api/v1/pools/{pool_id}/) and WebAuthnConfiguration on its MFA configuration
(/api/v1/pools/{pool_id}/mfa-config/), written through the same services as the AWS operations."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from pools.models import UserPool
from tests.pools.test_aws_user_auth import passwordless_pool

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool() -> UserPool:
    return passwordless_pool(["PASSWORD"])


def _detail(pool: UserPool) -> str:
    return f"/api/v1/pools/{pool.pool_id}/"


def test_the_first_factors_are_read_and_changed(api: APIClient, pool: UserPool) -> None:
    assert api.get(_detail(pool)).json()["allowed_first_auth_factors"] == ["PASSWORD"]

    response = api.patch(
        _detail(pool), {"allowed_first_auth_factors": ["PASSWORD", "EMAIL_OTP"]}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["allowed_first_auth_factors"] == ["PASSWORD", "EMAIL_OTP"]
    pool.refresh_from_db()
    assert pool.allowed_first_auth_factors == ["PASSWORD", "EMAIL_OTP"]
    # Another change keeps them, though UpdateUserPool resets what it is not given.
    api.patch(_detail(pool), {"deletion_protection": "ACTIVE"}, format="json")
    pool.refresh_from_db()
    assert pool.allowed_first_auth_factors == ["PASSWORD", "EMAIL_OTP"]


@pytest.mark.parametrize(
    "factors", [["EMAIL_OTP"], ["PASSWORD", "MAGIC"], "PASSWORD", [["PASSWORD"]]]
)
def test_first_factors_cognito_refuses_change_nothing(
    api: APIClient, pool: UserPool, factors: object
) -> None:
    response = api.patch(_detail(pool), {"allowed_first_auth_factors": factors}, format="json")

    assert response.status_code == 400
    assert "code" in response.json()
    pool.refresh_from_db()
    assert pool.allowed_first_auth_factors == ["PASSWORD"]


def test_passkey_settings_go_through_the_mfa_configuration(api: APIClient, pool: UserPool) -> None:
    url = f"/api/v1/pools/{pool.pool_id}/mfa-config/"
    response = api.put(
        url,
        {
            "mfa_configuration": "OFF",
            "webauthn_configuration": {
                "relying_party_id": "auth.example.com",
                "user_verification": "required",
            },
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["webauthn_configuration"] == {
        "relying_party_id": "auth.example.com",
        "user_verification": "required",
        "factor_configuration": "SINGLE_FACTOR",
    }
    pool.refresh_from_db()
    assert pool.webauthn_relying_party_id == "auth.example.com"

    refused = api.put(
        url, {"webauthn_configuration": {"relying_party_id": "https://x.example"}}, format="json"
    )
    assert refused.status_code == 400
    pool.refresh_from_db()
    assert pool.webauthn_relying_party_id == "auth.example.com"
