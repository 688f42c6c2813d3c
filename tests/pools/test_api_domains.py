"""Management API: hosted-UI domains of a pool (/api/v1/pools/{pool_id}/domains/)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from pools.models import Domain, UserPool
from tests.builders import make_domain, make_user_pool

pytestmark = pytest.mark.django_db

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


def domains_url(pool: UserPool) -> str:
    return f"/api/v1/pools/{pool.pool_id}/domains/"


def test_create_prefix_domain(api: APIClient, pool: UserPool) -> None:
    response = api.post(domains_url(pool), {"domain": "my-shop"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["domain"] == "my-shop"
    assert body["pool_id"] == pool.pool_id
    assert body["status"] == "ACTIVE"
    assert "custom_domain_config" not in body
    assert Domain.objects.get(pool=pool).is_custom is False


def test_create_custom_domain(api: APIClient, pool: UserPool) -> None:
    response = api.post(
        domains_url(pool),
        {"domain": "auth.example.com", "custom_domain_config": {"certificate_arn": CERTIFICATE}},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["custom_domain_config"] == {"certificate_arn": CERTIFICATE}
    assert Domain.objects.get(pool=pool).certificate_arn == CERTIFICATE


def test_create_of_a_taken_domain_creates_nothing(api: APIClient, pool: UserPool) -> None:
    other = make_user_pool(name="other")
    make_domain(pool=other)

    response = api.post(domains_url(pool), {"domain": "my-shop"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterException"
    assert not Domain.objects.filter(pool=pool).exists()


def test_list_and_retrieve(api: APIClient, pool: UserPool) -> None:
    make_domain(pool=pool)

    listed = api.get(domains_url(pool)).json()
    one = api.get(f"{domains_url(pool)}my-shop/").json()

    assert [d["domain"] for d in listed["results"]] == ["my-shop"]
    assert listed["next"] is None
    assert one["domain"] == "my-shop"


def test_another_pools_domain_is_not_found(api: APIClient, pool: UserPool) -> None:
    make_domain(pool=pool)
    other = make_user_pool(name="other")

    assert api.get(domains_url(other)).json()["results"] == []
    for method in ("get", "patch", "delete"):
        response = getattr(api, method)(
            f"{domains_url(other)}my-shop/", {"managed_login_version": 2}, format="json"
        )
        assert response.status_code == 404
        assert response.json()["code"] == "ResourceNotFoundException"

    assert Domain.objects.get(domain="my-shop").managed_login_version == 1


def test_patch_changes_the_managed_login_version(api: APIClient, pool: UserPool) -> None:
    make_domain(pool=pool)

    response = api.patch(
        f"{domains_url(pool)}my-shop/", {"managed_login_version": 2}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["managed_login_version"] == 2
    assert Domain.objects.get(domain="my-shop").managed_login_version == 2


def test_patch_on_a_lite_pool_is_refused_and_changes_nothing(api: APIClient) -> None:
    pool = make_user_pool(UserPoolTier="LITE")
    make_domain(pool=pool)

    response = api.patch(
        f"{domains_url(pool)}my-shop/", {"managed_login_version": 2}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "FeatureUnavailableInTierException"
    assert Domain.objects.get(domain="my-shop").managed_login_version == 1


def test_delete_removes_the_domain(api: APIClient, pool: UserPool) -> None:
    make_domain(pool=pool)

    response = api.delete(f"{domains_url(pool)}my-shop/")

    assert response.status_code == 204
    assert not Domain.objects.exists()
