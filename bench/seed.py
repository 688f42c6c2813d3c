"""Data for the benchmark that goes straight into this project's database through the ORM
(Django must be set up): the operator's access key, and users by the hundred thousand.

Users are bulk-inserted with one precomputed Argon2id hash shared by all of them: hashing 100k
passwords one by one would take half an hour of CPU, and these users only serve ListUsers.
They get no SRP verifier (none of them signs in; a first sign-in would compute it).
"""

from __future__ import annotations

import secrets
import time

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bench.dataset import bench_user_email, bench_user_name
from identities.services.access_keys import access_key_create
from pools.models import PoolUser, UserPool, UserStatus

_BATCH = 5000


def operator_access_key() -> tuple[str, str]:
    """An operator of the "Administrators" group, as a deployment's automation would be, and an
    access key for the signed operations: (key id, secret)."""
    operator = User.objects.create_user(
        username=f"bench-{secrets.token_hex(4)}", password=None, is_staff=True
    )
    operator.groups.add(Group.objects.get(name="Administrators"))
    key, secret = access_key_create(operator=operator, description="benchmark")
    return key.access_key_id, secret


def users_bulk_insert(*, pool_id: str, count: int, max_seconds: float) -> tuple[int, float]:
    """Insert users 0..count-1 into the pool, in batches, stopping early when `max_seconds` have
    passed; returns how many were inserted and how long it took."""
    pool = UserPool.objects.get(pool_id=pool_id)
    password = make_password(secrets.token_urlsafe(16))
    now = timezone.now()
    began = time.monotonic()
    inserted = 0
    while inserted < count and time.monotonic() - began < max_seconds:
        batch = range(inserted, min(count, inserted + _BATCH))
        users = [
            PoolUser(
                pool=pool,
                username=bench_user_name(index),
                username_key=pool.normalize_username(bench_user_name(index)),
                status=UserStatus.CONFIRMED,
                password=password,
                password_set_at=now,
                email=bench_user_email(index),
                email_verified=True,
                given_name="Bench",
                family_name=f"User {index}",
            )
            for index in batch
        ]
        with transaction.atomic():
            PoolUser.objects.bulk_create(users, batch_size=_BATCH)
            UserPool.objects.filter(pk=pool.pk).update(
                estimated_number_of_users=F("estimated_number_of_users") + len(users)
            )
        inserted += len(users)
    return inserted, time.monotonic() - began
