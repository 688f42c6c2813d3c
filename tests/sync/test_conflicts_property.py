"""Any interleaving of offline edits and syncs of two or three devices, under any strategy that
settles conflicts on the server: the devices converge after a final round of syncs, and no value
a device pushed, nor any the server held, vanishes without a Conflict row."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from identities.models import Identity
from identities.services.identity_pools import identity_pool_create
from sync.models import Conflict, ConflictStrategy, Record
from sync.services.conflicts import conflict_rule_set
from tests.sync.devices import Device, server_data

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
KEYS = ["k1", "k2"]
RESOLVING = [s for s in ConflictStrategy if s != ConflictStrategy.REJECT]
PROPERTY_SETTINGS = settings(
    deadline=None,
    database=None,
    # Each example makes its own pool and identity, so the test's one transaction isolates them.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Edit:
    device: int
    key: str
    # "text", "object" (a JSON object of some of x, y, z) or "removal"
    kind: str
    fields: tuple[str, ...]
    minute: int | None


@dataclass(frozen=True)
class Sync:
    device: int


edits = st.builds(
    Edit,
    device=st.integers(0, 2),
    key=st.sampled_from(KEYS),
    kind=st.sampled_from(["text", "object", "object", "removal"]),
    fields=st.lists(st.sampled_from("xyz"), min_size=1, max_size=3, unique=True).map(tuple),
    # Few distinct times, so ties and missing times are common.
    minute=st.none() | st.integers(0, 3),
)
steps = st.lists(st.one_of(edits, st.builds(Sync, device=st.integers(0, 2))), max_size=14)


def _json_object(value: str | None) -> dict[str, object] | None:
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _survives(value: str | None, *, now: str | None, lost: list[str | None]) -> bool:
    """Whether `value` is still the record's (`now`), in the log, or merged whole into `now`."""
    if value == now or value in lost:
        return True
    ours, merged = _json_object(value), _json_object(now)
    return ours is not None and merged is not None and ours.items() <= merged.items()


def _checked_sync(device: Device) -> None:
    """`device.sync()`, checking that every value it pushed and every stale one it met is kept."""
    identity = device.identity
    before = {
        r.key: r
        for r in Record.objects.filter(dataset__identity=identity, dataset__name=device.dataset)
    }
    pushed = {p.key: p for p in device.patches()}
    last_conflict = Conflict.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    device.sync()

    after = {r.key: r.value for r in Record.objects.filter(dataset__identity=identity)}
    for key, patch in pushed.items():
        lost = list(
            Conflict.objects.filter(identity=identity, key=key, pk__gt=last_conflict).values_list(
                "lost_value", flat=True
            )
        )
        assert _survives(patch.value, now=after.get(key), lost=lost), (key, patch, lost)
        server = before.get(key)
        if server is not None and patch.sync_count < server.sync_count:
            # The device had not seen this value: it may not silently replace it.
            assert _survives(server.value, now=after.get(key), lost=lost), (key, server, lost)


def _run(strategy: ConflictStrategy, devices_count: int, plan: list[Edit | Sync]) -> None:
    pool = identity_pool_create(
        settings={"IdentityPoolName": "games", "AllowUnauthenticatedIdentities": True}
    )
    conflict_rule_set(identity_pool=pool, dataset_pattern="", strategy=strategy)
    identity = Identity.objects.create(identity_id=f"{pool.region}:{uuid.uuid4()}", pool=pool)
    identity = Identity.objects.select_related("pool").get(pk=identity.pk)
    devices = [Device(identity, f"device-{n}") for n in range(devices_count)]
    # Every value is distinct, so the log can be searched for each.
    serial = itertools.count()

    for step in plan:
        device = devices[step.device % devices_count]
        if isinstance(step, Sync):
            _checked_sync(device)
            continue
        n = next(serial)
        value: str | None = None
        if step.kind == "text":
            value = f"v{n}"
        elif step.kind == "object":
            value = json.dumps({field: n for field in step.fields})
        at = None if step.minute is None else T0 + dt.timedelta(minutes=step.minute)
        device.edit(step.key, value, at)

    for device in devices * 2:
        _checked_sync(device)
    data = server_data(identity)
    assert [d.data() for d in devices] == [data] * devices_count


@settings(PROPERTY_SETTINGS, max_examples=50)
@given(st.sampled_from(RESOLVING), st.integers(2, 3), steps)
def test_devices_converge_and_no_value_vanishes(
    strategy: ConflictStrategy, devices_count: int, plan: list[Edit | Sync]
) -> None:
    _run(strategy, devices_count, plan)


@pytest.mark.slow
@settings(PROPERTY_SETTINGS, max_examples=1000)
@given(st.sampled_from(RESOLVING), st.integers(2, 3), steps)
def test_devices_converge_and_no_value_vanishes_at_length(
    strategy: ConflictStrategy, devices_count: int, plan: list[Edit | Sync]
) -> None:
    _run(strategy, devices_count, plan)
