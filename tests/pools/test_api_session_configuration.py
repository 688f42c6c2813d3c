"""Management API: the session configuration of a pool (/api/v1/pools/{pool_id}/session-config/)
and of an app client (.../clients/{client_id}/session-config/), through the same services as
the AWS operations."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from pools.models import AppClient, UserPool
from tests.builders import make_app_client, make_user_pool
from tests.cognitoadmin.test_fuzz_aws import snapshot

pytestmark = pytest.mark.django_db


def pool_url(pool: UserPool) -> str:
    return f"/api/v1/pools/{pool.pool_id}/session-config/"


def client_url(client: AppClient) -> str:
    return f"/api/v1/pools/{client.pool.pool_id}/clients/{client.client_id}/session-config/"


def refused(response: Any, status: int, code: str, before: dict[str, Any]) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert snapshot() == before


def test_the_defaults_are_read(api: APIClient, app_client: AppClient) -> None:
    pool_answer = api.get(pool_url(app_client.pool))
    client_answer = api.get(client_url(app_client))

    assert pool_answer.json() == {
        "user_session_tracking": "DISABLED",
        "token_session": {"max_per_user": 20},
    }
    assert client_answer.json() == {"sso_session": {"max_validity_minutes": 60}}


def test_put_sets_the_pool_then_the_client(api: APIClient, app_client: AppClient) -> None:
    pool_answer = api.put(
        pool_url(app_client.pool),
        {"user_session_tracking": "ENABLED", "token_session": {"max_per_user": 7}},
        format="json",
    )
    client_answer = api.put(
        client_url(app_client), {"sso_session": {"max_validity_minutes": 0}}, format="json"
    )

    assert pool_answer.status_code == 200, pool_answer.json()
    assert pool_answer.json() == {
        "user_session_tracking": "ENABLED",
        "token_session": {"max_per_user": 7},
    }
    assert client_answer.json() == {"sso_session": {"max_validity_minutes": 0}}
    app_client.refresh_from_db()
    app_client.pool.refresh_from_db()
    assert app_client.pool.session_tracking_enabled is True
    assert app_client.pool.token_sessions_max_per_user == 7
    assert app_client.sso_session_max_validity_minutes == 0


@pytest.mark.parametrize(
    "body",
    [
        {"user_session_tracking": "ENABLED"},
        {"user_session_tracking": "ENABLED", "token_session": {"max_per_user": 101}},
        {"user_session_tracking": "ON", "token_session": {"max_per_user": 5}},
        {"user_session_tracking": "ENABLED", "token_session": {"max_per_user": 5}, "extra": 1},
    ],
)
def test_bad_pool_bodies_change_nothing(api: APIClient, pool: UserPool, body: Any) -> None:
    before = snapshot()

    refused(api.put(pool_url(pool), body, format="json"), 400, "InvalidParameterException", before)


def test_a_client_of_a_pool_without_tracking_or_of_the_lite_tier_is_refused(
    api: APIClient, app_client: AppClient
) -> None:
    lite = make_app_client(pool=make_user_pool(name="lite", UserPoolTier="LITE"))
    body = {"sso_session": {"max_validity_minutes": 5}}
    before = snapshot()

    refused(
        api.put(client_url(app_client), body, format="json"),
        400,
        "InvalidParameterException",
        before,
    )
    refused(
        api.put(client_url(lite), body, format="json"),
        403,
        "FeatureUnavailableInTierException",
        before,
    )
