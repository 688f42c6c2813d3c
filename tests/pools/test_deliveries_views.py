"""The outbox's records in the management API (/api/v1/pools/{pool_id}/deliveries/) and the
admin: where each message went and how it fared, never what it said."""

from __future__ import annotations

import pytest
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks
from rest_framework.test import APIClient

from pools.models import Delivery, DeliveryKind, DeliveryStatus, PoolUser, UserPool
from pools.services.delivery import delivery_queue
from pools.services.messages import Message
from tests.builders import make_user, make_user_pool
from tests.pools.test_admin_authorization import signed_in

pytestmark = pytest.mark.django_db

SECRET_MESSAGE = Message(subject="Code", text="Your code is 482913", html="<b>482913</b>")


def _deliveries_url(pool: UserPool) -> str:
    return f"/api/v1/pools/{pool.pool_id}/deliveries/"


def _queued(user: PoolUser, capture: DjangoCaptureOnCommitCallbacks, **kwargs: object) -> Delivery:
    with capture(execute=True):
        delivery_queue(user=user, kind=DeliveryKind.SIGN_UP, medium="EMAIL", message=SECRET_MESSAGE)
    delivery = Delivery.objects.filter(user=user).latest("pk")
    if kwargs:
        Delivery.objects.filter(pk=delivery.pk).update(**kwargs)
        delivery.refresh_from_db()
    return delivery


def test_the_api_lists_and_describes_a_pools_deliveries_without_their_content(
    api: APIClient,
    pool: UserPool,
    user: PoolUser,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    delivery = _queued(user, django_capture_on_commit_callbacks)
    listed = api.get(_deliveries_url(pool))
    one = api.get(f"{_deliveries_url(pool)}{delivery.pk}/")
    assert listed.status_code == 200, listed.json()
    assert listed.json()["next"] is None
    [row] = listed.json()["results"]
    assert row == one.json()
    assert {k: row[k] for k in ("id", "username", "kind", "channel", "destination", "status")} == {
        "id": delivery.pk,
        "username": "alice",
        "kind": "SIGN_UP",
        "channel": "EMAIL",
        "destination": "a***@e***",
        "status": "SENT",
    }
    assert row["attempts"] == 1
    assert "482913" not in listed.content.decode()
    assert "message_sealed" not in row


def test_the_api_filters_and_pages_deliveries(
    api: APIClient,
    pool: UserPool,
    user: PoolUser,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    sent = [_queued(user, django_capture_on_commit_callbacks) for _ in range(3)]
    failed = _queued(user, django_capture_on_commit_callbacks, status=DeliveryStatus.FAILED)
    first = api.get(_deliveries_url(pool), {"status": "SENT", "limit": "2"}).json()
    assert [row["id"] for row in first["results"]] == [d.pk for d in sent[:2]]
    second = api.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == [sent[2].pk]
    assert second["next"] is None
    failures = api.get(_deliveries_url(pool), {"status": "FAILED"}).json()["results"]
    assert [row["id"] for row in failures] == [failed.pk]
    # A page's cursor belongs to its filters.
    cursor = first["next"].split("cursor=", 1)[1]
    mixed = api.get(_deliveries_url(pool), {"status": "FAILED", "cursor": cursor})
    assert mixed.status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        {"status": "LOST"},
        {"kind": "x" * 10_000},
        {"channel": "PIGEON"},
        {"limit": "0"},
        {"cursor": "forged"},
    ],
)
def test_the_api_refuses_bad_filters(api: APIClient, pool: UserPool, query: dict[str, str]) -> None:
    response = api.get(_deliveries_url(pool), query)
    assert response.status_code == 400
    assert "code" in response.json() or response.json()


def test_another_pools_delivery_is_not_found(
    api: APIClient,
    pool: UserPool,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    other = make_user_pool(name="other")
    theirs = _queued(
        make_user(pool=other, email="o@example.com"), django_capture_on_commit_callbacks
    )
    assert api.get(f"{_deliveries_url(pool)}{theirs.pk}/").status_code == 404
    assert api.get(_deliveries_url(pool)).json()["results"] == []
    assert api.get(f"{_deliveries_url(pool)}{'9' * 40}/").status_code == 404
    assert api.get("/api/v1/pools/us-east-1_nope/deliveries/").status_code == 404


def test_the_api_offers_no_way_to_change_a_delivery(
    api: APIClient,
    pool: UserPool,
    user: PoolUser,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    delivery = _queued(user, django_capture_on_commit_callbacks)
    url = f"{_deliveries_url(pool)}{delivery.pk}/"
    assert api.delete(url).status_code == 405
    assert api.patch(url, {"status": "QUEUED"}, format="json").status_code == 405
    assert api.post(_deliveries_url(pool), {}, format="json").status_code == 405
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_support_operators_see_deliveries_in_the_admin_and_change_none(
    user: PoolUser, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    delivery = _queued(user, django_capture_on_commit_callbacks)
    support, _ = signed_in("sue", "Support (read only)")
    listed = support.get(reverse("admin:pools_delivery_changelist"), {"status__exact": "SENT"})
    page = support.get(reverse("admin:pools_delivery_change", args=[delivery.pk]))
    deleted = support.post(
        reverse("admin:pools_delivery_delete", args=[delivery.pk]), {"post": "yes"}
    )
    assert listed.status_code == 200
    assert "a***@e***" in listed.content.decode()
    assert page.status_code == 200
    assert "482913" not in page.content.decode()
    assert deleted.status_code == 403
    assert Delivery.objects.filter(pk=delivery.pk).exists()


def test_operators_without_a_group_see_no_deliveries(
    user: PoolUser, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    _queued(user, django_capture_on_commit_callbacks)
    nobody, _ = signed_in("nick")
    assert nobody.get(reverse("admin:pools_delivery_changelist")).status_code == 403
