"""The sync scenario: Cognito Sync's UpdateRecords under concurrent writers, and a full 1 MB
dataset pushed by one device and pulled by another.

It runs this server only: moto_server (5.2.5 here) serves no cognito-sync (it answers 500, having
no backend for it), so there is no peer to compare with. It starts a gunicorn of its own on the
run's database and sets up, through the AWS API with boto3 and the operator's key (IAM CreateRole
and PutRolePolicy, cognito-identity CreateIdentityPool and SetIdentityPoolRoles), an identity pool
whose guests' role allows `cognito-sync:*`; each device is a guest identity (GetId) signing with
its own temporary credentials (GetCredentialsForIdentity), as an app does. The measured calls go
through `SyncConnection`: REST-JSON over a keep-alive `http.client` connection, signed with
botocore's SigV4 signer and the session token, as boto3 sends them (boto3's own per-call work
would otherwise weigh on the two cores the server has).

1. **writers**: UpdateRecords from 1, 8 and 32 writers, each a process with its own connection
   and credentials, in two shapes that take turns round by round:
   - **own dataset each**: every writer is an identity of its own with a dataset of its own;
   - **one dataset**: every writer writes the same dataset of one identity (the dataset's row
     lock serialises their updates), each its own keys. A patch carries the SyncCount its writer
     last saw for the record; a stale one is refused whole (ResourceConflictException), and the
     writer then lists the dataset again (ListRecords, which also gives a new SyncSessionToken)
     and retries. Conflicts and those listings are counted. Counts are per record, so writers of
     their own keys should meet none: a conflict there is a server bug.
   Each writer first syncs as a device does (ListRecords from 0: its keys' counts and a session
   token), then repeats UpdateRecords of `patches_per_update` of its keys, with the counts the
   previous answer gave. Reported per level and shape: calls/s, p50/p95 latency, calls per
   server CPU-second (and with the database's backends), conflicts, listings, errors.
2. **full dataset**: one device lists a new dataset (for its token) and pushes `full_records`
   records in one UpdateRecords, filling the dataset to just under 1 MB as the server counts it
   (keys and values, UTF-8: `full_dataset_records`); a second device of the same identity, with
   its own credentials, pulls it all from LastSyncCount 0: once in the server's largest pages
   (one page of 1,024 records holds it all) and once in pages of `pull_page_size`, passing the
   first page's SyncSessionToken on, as the SDK does. DescribeDataset must then say the size
   pushed. Reported: the median of `full_rounds` rounds (a new identity each) of each time, and
   the server CPU of each.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import secrets
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import boto3
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from bench.client import REQUEST_TIMEOUT_SECONDS, LoadResult
from bench.scenarios import Round, figures
from bench.servers import (
    HOST,
    ServerProcess,
    cpu_seconds_between,
    database_cpu_snapshot,
    start_cognitoadmin,
)

SERVICE = "cognito-sync"
# Cognito's limits, as the server keeps them (sync.services.datasets).
MAX_DATASET_STORAGE = 1024 * 1024
MAX_RECORDS_PER_DATASET = 1024
OWN = "own_dataset"
SHARED = "one_dataset"
SHAPES = (OWN, SHARED)
SHAPE_LABELS = {OWN: "own dataset each", SHARED: "one dataset, own keys"}
PEER_NOTE = "no moto figures: moto_server serves no cognito-sync"
_OPENID = "cognito-identity.amazonaws.com"
_CONFLICT = "ResourceConflictException"
_EXPIRED = "NotAuthorizedException"
# Writers start together this long after they are forked, plus a little per writer: each first
# lists its dataset, which is not measured.
_START_DELAY_SECONDS = 0.5
_START_DELAY_PER_WRITER_SECONDS = 0.03


@dataclass(frozen=True)
class SyncPlan:
    # Concurrent writers, one level after the other.
    writers: tuple[int, ...]
    # Per level and shape, split over `rounds` that take turns between the shapes.
    write_seconds: float
    write_max_updates: int
    rounds: int
    patches_per_update: int
    keys_per_writer: int
    value_chars: int
    # UpdateRecords per writer, with the most writers, in each shape before anything is measured.
    warmup_updates: int
    full_records: int
    full_rounds: int
    pull_page_size: int


@dataclass(frozen=True)
class SyncConfig:
    """What the run hands the scenario: its settings and database, this server's shape."""

    env: Mapping[str, str]
    access_key: tuple[str, str]
    region: str
    workers: int
    threads: int
    log_dir: Path
    # The PostgreSQL database, whose backends' CPU time counts too; None with SQLite.
    database: str | None


@dataclass(frozen=True)
class Device:
    """A guest identity's temporary credentials, on a server of loopback."""

    port: int
    region: str
    pool_id: str
    identity_id: str
    access_key_id: str
    secret_key: str
    session_token: str


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def error_type(self) -> str:
        """The error's AWS type (`__type`, without a namespace); empty for a success."""
        if self.status == 200:
            return ""
        return str(self.body.get("__type", "")).rpartition("#")[2]

    def brief(self) -> str:
        return f"{self.status} {self.error_type}: {str(self.body.get('message', ''))[:200]}"


class SyncConnection:
    """A device's keep-alive connection: Cognito Sync's REST-JSON calls, signed with SigV4 and
    the device's session token, on the paths and with the encoding boto3 uses."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self._credentials = Credentials(
            device.access_key_id, device.secret_key, device.session_token
        )
        self._http = http.client.HTTPConnection(HOST, device.port, timeout=REQUEST_TIMEOUT_SECONDS)
        self._dataset_prefix = (
            f"/identitypools/{quote(device.pool_id, safe='')}"
            f"/identities/{quote(device.identity_id, safe='')}/datasets/"
        )

    def list_records(
        self,
        dataset: str,
        *,
        last_sync_count: int | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
        session_token: str | None = None,
    ) -> Answer:
        query = {
            "lastSyncCount": last_sync_count,
            "maxResults": max_results,
            "nextToken": next_token,
            "syncSessionToken": session_token,
        }
        path = f"{self._dataset_prefix}{quote(dataset, safe='')}/records"
        return self._request("GET", path, {k: v for k, v in query.items() if v is not None})

    def update_records(
        self, dataset: str, patches: list[dict[str, Any]], *, session_token: str, device_id: str
    ) -> Answer:
        body = {"DeviceId": device_id, "RecordPatches": patches, "SyncSessionToken": session_token}
        path = f"{self._dataset_prefix}{quote(dataset, safe='')}"
        return self._request("POST", path, {}, body)

    def describe_dataset(self, dataset: str) -> Answer:
        return self._request("GET", f"{self._dataset_prefix}{quote(dataset, safe='')}", {})

    def _request(
        self, method: str, path: str, query: Mapping[str, object], body: object = None
    ) -> Answer:
        target = f"{path}?{urlencode(sorted(query.items()), quote_via=quote)}" if query else path
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Host": f"{HOST}:{self.device.port}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        # Signed afresh for every request, as an SDK does: the signature covers the time.
        request = AWSRequest(
            method=method,
            url=f"http://{HOST}:{self.device.port}{target}",
            data=data,
            headers=headers,
        )
        SigV4Auth(self._credentials, SERVICE, self.device.region).add_auth(request)
        signed = {str(k): str(v) for k, v in request.headers.items()}
        try:
            return self._send(method, target, data, signed)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed an idle keep-alive connection between two requests: reopen once.
            self._http.close()
            return self._send(method, target, data, signed)

    def _send(
        self, method: str, target: str, data: bytes | None, headers: dict[str, str]
    ) -> Answer:
        self._http.request(method, target, body=data, headers=headers)
        response = self._http.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:  # not the service's answer (a proxy's or a crash page): kept to show
            parsed = {"message": raw[:200].decode(errors="replace")}
        return Answer(response.status, parsed if isinstance(parsed, dict) else {})

    def close(self) -> None:
        self._http.close()


# --- data -----------------------------------------------------------------------------------


def record_storage(key: str, value: str) -> int:
    """What a record counts against its dataset's 1 MB, as the server counts it: its key and its
    value, in UTF-8 bytes (`sync.models.Record.storage`)."""
    return len(key.encode("utf-8")) + len(value.encode("utf-8"))


def full_dataset_records(count: int, *, limit: int = MAX_DATASET_STORAGE) -> list[tuple[str, str]]:
    """`count` records (key, ASCII value) of equal size that fill a dataset to as close under
    `limit` bytes as equal sizes allow."""
    if not 0 < count <= MAX_RECORDS_PER_DATASET:
        raise ValueError(f"a dataset holds 1 to {MAX_RECORDS_PER_DATASET} records, not {count}")
    keys = [f"record-{index:04d}" for index in range(count)]
    size = limit // count
    filler = secrets.token_hex(size)
    return [(key, filler[: size - len(key)]) for key in keys]


def writer_keys(writer: int, count: int) -> tuple[str, ...]:
    """The keys only writer `writer` writes (in a dataset it may share with other writers)."""
    return tuple(f"w{writer:03d}-k{index}" for index in range(count))


def update_patches(
    keys: Sequence[str], counts: Mapping[str, int], *, update: int, size: int, value: str
) -> list[dict[str, Any]]:
    """The `update`-th UpdateRecords' patches: `size` of `keys` in turn, each replaced with
    `value` and the SyncCount last seen for it (0 for a key never seen)."""
    chosen = [keys[(update * size + offset) % len(keys)] for offset in range(min(size, len(keys)))]
    return [
        {"Op": "replace", "Key": key, "Value": value, "SyncCount": counts.get(key, 0)}
        for key in chosen
    ]


# --- writers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _WriterJob:
    device: Device
    device_id: str
    dataset: str
    keys: tuple[str, ...]
    patches_per_update: int
    value_chars: int
    quota: int
    start_at: float
    deadline: float


@dataclass
class _WriterResult:
    updates: int = 0
    conflicts: int = 0
    # ListRecords after the first: to learn the counts again after a conflict, or a new token.
    listings: int = 0
    errors: int = 0
    first_error: str = ""
    started: float = 0.0
    ended: float = 0.0
    latencies: list[float] = field(default_factory=list)


def _sync_state(
    connection: SyncConnection, dataset: str, keys: Sequence[str]
) -> tuple[str, dict[str, int]]:
    """A device's sync of the dataset from LastSyncCount 0, every page: its session token and
    the sync count of each of `keys` the dataset holds."""
    own = set(keys)
    counts: dict[str, int] = {}
    token: str | None = None
    next_token: str | None = None
    while True:
        answer = connection.list_records(
            dataset, last_sync_count=0, next_token=next_token, session_token=token
        )
        if answer.status != 200:
            raise RuntimeError(f"ListRecords answered {answer.brief()}")
        token = str(answer.body["SyncSessionToken"])
        counts.update(
            (r["Key"], int(r["SyncCount"])) for r in answer.body["Records"] if r["Key"] in own
        )
        next_token = answer.body.get("NextToken")
        if not next_token:
            return token, counts


def _writer(job: _WriterJob) -> _WriterResult:
    result = _WriterResult()
    connection = SyncConnection(job.device)
    try:
        token, counts = _sync_state(connection, job.dataset, job.keys)
        while time.time() < job.start_at:
            time.sleep(0.001)
        result.started = time.time()
        value_prefix = secrets.token_hex(4)
        update = 0
        while update < job.quota and time.time() < job.deadline:
            value = f"{value_prefix}-{update:08d}-".ljust(job.value_chars, "x")
            patches = update_patches(
                job.keys, counts, update=update, size=job.patches_per_update, value=value
            )
            began = time.perf_counter()
            answer = connection.update_records(
                job.dataset, patches, session_token=token, device_id=job.device_id
            )
            elapsed = time.perf_counter() - began
            if answer.status == 200:
                result.updates += 1
                result.latencies.append(elapsed * 1000)
                counts.update((r["Key"], int(r["SyncCount"])) for r in answer.body["Records"])
                update += 1
                continue
            if answer.error_type in (_CONFLICT, _EXPIRED):
                # Stale counts (or an expired session): list again, then retry the same update.
                result.conflicts += answer.error_type == _CONFLICT
                result.listings += 1
                token, counts = _sync_state(connection, job.dataset, job.keys)
                continue
            result.errors += 1
            result.first_error = result.first_error or answer.brief()
            update += 1
        result.ended = time.time()
    except Exception as error:  # reported in the figures, not raised in the pool
        result.errors += 1
        result.first_error = result.first_error or f"{type(error).__name__}: {error}"
        result.ended = result.ended or time.time()
        result.started = result.started or result.ended
    finally:
        connection.close()
    return result


@dataclass(frozen=True)
class WriteRound:
    """One measured run of writers: the pooled load figures and what sync itself adds."""

    round: Round
    conflicts: int
    listings: int


def _write_round(
    server: ServerProcess,
    database: str | None,
    writers: Sequence[tuple[Device, str]],
    plan: SyncPlan,
    *,
    max_updates: int,
    max_seconds: float,
) -> WriteRound:
    """`writers` (each a device and the dataset it writes) side by side, each a process with
    its own connection and its own keys, at most `max_updates` in all within `max_seconds`."""
    count = len(writers)
    start_at = time.time() + _START_DELAY_SECONDS + _START_DELAY_PER_WRITER_SECONDS * count
    quota = -(-max_updates // count)
    jobs = [
        _WriterJob(
            device=device,
            device_id=f"bench-writer-{index:03d}",
            dataset=dataset,
            keys=writer_keys(index, plan.keys_per_writer),
            patches_per_update=plan.patches_per_update,
            value_chars=plan.value_chars,
            quota=quota,
            start_at=start_at,
            deadline=start_at + max_seconds,
        )
        for index, (device, dataset) in enumerate(writers)
    ]

    def database_cpu() -> dict[int, int]:
        return database_cpu_snapshot(database) if database else {}

    # fork: the writers need nothing but their job, and start at once.
    with multiprocessing.get_context("fork").Pool(count) as pool:
        pending = pool.map_async(_writer, jobs)
        # The snapshots bracket the measured updates, not each writer's first listing.
        while time.time() < start_at:
            time.sleep(0.001)
        cpu_before, database_before = server.cpu_snapshot(), database_cpu()
        results: list[_WriterResult] = pending.get(timeout=max_seconds + 120)
        cpu_after, database_after = server.cpu_snapshot(), database_cpu()
    started = min(r.started for r in results)
    ended = max(r.ended for r in results)
    load = LoadResult(
        requests=sum(r.updates for r in results),
        errors=sum(r.errors for r in results),
        seconds=ended - started,
        first_error=next((r.first_error for r in results if r.first_error), ""),
        latencies_ms=sorted(x for r in results for x in r.latencies),
        started=started,
        ended=ended,
    )
    return WriteRound(
        round=Round(
            result=load,
            server_cpu_seconds=cpu_seconds_between(cpu_before, cpu_after),
            database_cpu_seconds=cpu_seconds_between(database_before, database_after),
            concurrency=count,
        ),
        conflicts=sum(r.conflicts for r in results),
        listings=sum(r.listings for r in results),
    )


def write_figures(rounds: Sequence[WriteRound]) -> dict[str, Any]:
    """The rounds of one level and shape, pooled as the API scenarios' are (`figures`), with
    the conflicts met and the listings they took."""
    summary = figures([r.round for r in rounds])
    summary["conflicts"] = sum(r.conflicts for r in rounds)
    summary["listings_after_first"] = sum(r.listings for r in rounds)
    return summary


# --- setup ----------------------------------------------------------------------------------


@dataclass
class _Setup:
    port: int
    region: str
    pool_id: str
    identity: Any
    # Writers of their own datasets (an identity each), and of one dataset (one identity).
    own: list[Device] = field(default_factory=list)
    shared: list[Device] = field(default_factory=list)

    def device(self, identity_id: str | None = None) -> Device:
        """Temporary credentials of `identity_id`, or of a new guest identity."""
        if identity_id is None:
            identity_id = self.identity.get_id(IdentityPoolId=self.pool_id)["IdentityId"]
        credentials = self.identity.get_credentials_for_identity(IdentityId=identity_id)[
            "Credentials"
        ]
        return Device(
            port=self.port,
            region=self.region,
            pool_id=self.pool_id,
            identity_id=str(identity_id),
            access_key_id=credentials["AccessKeyId"],
            secret_key=credentials["SecretKey"],
            session_token=credentials["SessionToken"],
        )


def _boto3(service: str, url: str, region: str, key: tuple[str, str] | None) -> Any:
    credentials = (
        {} if key is None else {"aws_access_key_id": key[0], "aws_secret_access_key": key[1]}
    )
    config = Config(retries={"max_attempts": 1}, **({} if key else {"signature_version": UNSIGNED}))
    return boto3.client(service, endpoint_url=url, region_name=region, config=config, **credentials)


def _setup(config: SyncConfig, server: ServerProcess, writers: int) -> _Setup:
    """An identity pool whose guests' role allows all of Cognito Sync, through the AWS API, and
    the writers' devices: `writers` identities of their own, and `writers` sets of credentials
    of one more identity."""
    url = f"http://{HOST}:{server.port}"
    identity_admin = _boto3("cognito-identity", url, config.region, config.access_key)
    pool_id = identity_admin.create_identity_pool(
        IdentityPoolName="bench_sync", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    iam = _boto3("iam", url, config.region, config.access_key)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": _OPENID},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{_OPENID}:aud": pool_id},
                    "ForAnyValue:StringLike": {f"{_OPENID}:amr": "unauthenticated"},
                },
            }
        ],
    }
    role_arn = iam.create_role(
        RoleName="bench-sync-guests", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="bench-sync-guests",
        PolicyName="sync",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "cognito-sync:*", "Resource": "*"}],
            }
        ),
    )
    identity_admin.set_identity_pool_roles(
        IdentityPoolId=pool_id, Roles={"unauthenticated": role_arn}
    )
    setup = _Setup(
        server.port, config.region, pool_id, _boto3("cognito-identity", url, config.region, None)
    )
    setup.own = [setup.device() for _ in range(writers)]
    shared = setup.device()
    setup.shared = [shared, *(setup.device(shared.identity_id) for _ in range(writers - 1))]
    return setup


def _writers(setup: _Setup, shape: str, count: int) -> list[tuple[Device, str]]:
    if shape == OWN:
        return [(device, "bench-own") for device in setup.own[:count]]
    return [(device, "bench-shared") for device in setup.shared[:count]]


def _writes(
    plan: SyncPlan, setup: _Setup, server: ServerProcess, config: SyncConfig
) -> dict[str, dict[str, Any]]:
    """Every level of writers in both shapes, rounds taking turns between the shapes."""
    most = max(plan.writers)
    for shape in SHAPES:
        # Unmeasured: makes the datasets and every writer's keys, warms the server's workers.
        warm = _write_round(
            server,
            None,
            _writers(setup, shape, most),
            plan,
            max_updates=plan.warmup_updates * most,
            max_seconds=30.0,
        )
        if not warm.round.result.requests:
            raise RuntimeError(f"UpdateRecords failed: {warm.round.result.first_error}")
    results: dict[str, dict[str, Any]] = {shape: {} for shape in SHAPES}
    for count in plan.writers:
        rounds: dict[str, list[WriteRound]] = {shape: [] for shape in SHAPES}
        for _ in range(plan.rounds):
            for shape in SHAPES:
                rounds[shape].append(
                    _write_round(
                        server,
                        config.database,
                        _writers(setup, shape, count),
                        plan,
                        max_updates=-(-plan.write_max_updates // plan.rounds),
                        max_seconds=plan.write_seconds / plan.rounds,
                    )
                )
        for shape in SHAPES:
            results[shape][str(count)] = write_figures(rounds[shape])
    return results


# --- the full dataset -----------------------------------------------------------------------


def _pull(
    connection: SyncConnection, dataset: str, page_size: int | None
) -> tuple[float, int, list[dict[str, Any]], int]:
    """Every record of `dataset` from LastSyncCount 0; the seconds, the pages, the records and
    the dataset's sync count."""
    records: list[dict[str, Any]] = []
    pages = 0
    token: str | None = None
    next_token: str | None = None
    began = time.perf_counter()
    while True:
        answer = connection.list_records(
            dataset,
            last_sync_count=0,
            next_token=next_token,
            max_results=page_size,
            session_token=token,
        )
        if answer.status != 200:
            raise RuntimeError(f"ListRecords of the full dataset answered {answer.brief()}")
        pages += 1
        token = str(answer.body["SyncSessionToken"])
        records.extend(answer.body["Records"])
        next_token = answer.body.get("NextToken")
        if not next_token:
            return time.perf_counter() - began, pages, records, int(answer.body["DatasetSyncCount"])


def _full_round(plan: SyncPlan, setup: _Setup, server: ServerProcess, index: int) -> dict[str, Any]:
    """One device pushes the full dataset, another pulls it twice (largest pages, then small)."""
    pusher = setup.device()
    puller = setup.device(pusher.identity_id)
    dataset = f"bench-full-{index}"
    records = full_dataset_records(plan.full_records)
    storage = sum(record_storage(key, value) for key, value in records)
    patches = [
        {"Op": "replace", "Key": key, "Value": value, "SyncCount": 0} for key, value in records
    ]
    push, pull = SyncConnection(pusher), SyncConnection(puller)
    try:
        cpu_before = server.cpu_snapshot()
        began = time.perf_counter()
        listed = push.list_records(dataset)
        if listed.status != 200:
            raise RuntimeError(f"ListRecords answered {listed.brief()}")
        update_began = time.perf_counter()
        updated = push.update_records(
            dataset,
            patches,
            session_token=str(listed.body["SyncSessionToken"]),
            device_id="bench-pusher",
        )
        ended = time.perf_counter()
        if updated.status != 200:
            raise RuntimeError(f"UpdateRecords of the full dataset answered {updated.brief()}")
        cpu_pushed = server.cpu_snapshot()
        pulls: dict[str, dict[str, Any]] = {}
        for name, page_size in (("largest_pages", None), ("small_pages", plan.pull_page_size)):
            before = server.cpu_snapshot()
            seconds, pages, pulled, sync_count = _pull(pull, dataset, page_size)
            values = {r["Key"]: r.get("Value") for r in pulled}
            pulls[name] = {
                "seconds": seconds,
                "pages": pages,
                "page_size": page_size,
                "records": len(values),
                "complete": values == dict(records) and sync_count == 1,
                "server_cpu_seconds": cpu_seconds_between(before, server.cpu_snapshot()),
            }
        described = pull.describe_dataset(dataset)
    finally:
        push.close()
        pull.close()
    told = described.body.get("Dataset", {}) if described.status == 200 else {}
    return {
        "records": len(records),
        "storage": storage,
        "request_bytes": len(json.dumps({"RecordPatches": patches})),
        "push_seconds": ended - began,
        "update_records_seconds": ended - update_began,
        "push_server_cpu_seconds": cpu_seconds_between(cpu_before, cpu_pushed),
        "records_answered": len(updated.body.get("Records", [])),
        "pulls": pulls,
        "described": {"NumRecords": told.get("NumRecords"), "DataStorage": told.get("DataStorage")},
    }


def _median(rounds: Sequence[Mapping[str, Any]], *path: str) -> float:
    """The median over `rounds` of the figure at `path` (keys, one level after the other)."""

    def at(figures: Mapping[str, Any]) -> float:
        value: Any = figures
        for key in path:
            value = value[key]
        return float(value)

    return statistics.median(at(r) for r in rounds)


def full_figures(rounds: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The medians of the full-dataset rounds, and whether every round checked out: each pull
    got every record as pushed, and DescribeDataset told the size the server should count."""
    first = rounds[0]
    pulls = {
        name: {
            "pages": first["pulls"][name]["pages"],
            "page_size": first["pulls"][name]["page_size"],
            "seconds": _median(rounds, "pulls", name, "seconds"),
            "server_cpu_seconds": _median(rounds, "pulls", name, "server_cpu_seconds"),
        }
        for name in first["pulls"]
    }
    ok = all(
        r["records_answered"] == r["records"]
        and all(pull["complete"] for pull in r["pulls"].values())
        and r["described"] == {"NumRecords": r["records"], "DataStorage": r["storage"]}
        for r in rounds
    )
    return {
        "rounds": len(rounds),
        "records": first["records"],
        "storage": first["storage"],
        "request_bytes": first["request_bytes"],
        "push_seconds": _median(rounds, "push_seconds"),
        "update_records_seconds": _median(rounds, "update_records_seconds"),
        "push_server_cpu_seconds": _median(rounds, "push_server_cpu_seconds"),
        "pulls": pulls,
        "ok": ok,
        "per_round": list(rounds),
    }


# --- the scenario ---------------------------------------------------------------------------


def sync_run(plan: SyncPlan, config: SyncConfig, step: Callable[[str], None]) -> dict[str, Any]:
    """The whole scenario; the server it started is stopped at the end, whatever happens."""
    with ExitStack() as processes:
        server = start_cognitoadmin(
            env=config.env,
            workers=config.workers,
            threads=config.threads,
            log_dir=config.log_dir,
            name="cognitoadmin-sync",
        )
        processes.callback(server.stop)
        began = time.monotonic()
        setup = _setup(config, server, max(plan.writers))
        step(
            f"sync: identity pool and {2 * max(plan.writers)} writers' credentials"
            f" ({time.monotonic() - began:.1f} s)"
        )
        began = time.monotonic()
        writes = _writes(plan, setup, server, config)
        step(f"sync: UpdateRecords at {plan.writers} writers ({time.monotonic() - began:.1f} s)")
        began = time.monotonic()
        full = full_figures(
            [_full_round(plan, setup, server, index) for index in range(max(1, plan.full_rounds))]
        )
        step(f"sync: {full['rounds']} rounds of a full dataset ({time.monotonic() - began:.1f} s)")
    return {
        "peer": None,
        "peer_note": PEER_NOTE,
        "server": f"gunicorn gthread, {config.workers} workers x {config.threads} threads",
        "update": {
            "patches_per_update": plan.patches_per_update,
            "keys_per_writer": plan.keys_per_writer,
            "value_chars": plan.value_chars,
        },
        "writes": writes,
        "full_dataset": full,
        "ok": sync_ok(writes, full),
    }


def sync_ok(writes: Mapping[str, Mapping[str, Mapping[str, Any]]], full: Mapping[str, Any]) -> bool:
    """Every run of writers made updates without an error, and the full dataset checked out.
    Conflicts are no error: the writers retry them (and report how many they met)."""
    return bool(
        full["ok"]
        and all(
            level["requests"] > 0 and not level["errors"]
            for levels in writes.values()
            for level in levels.values()
        )
    )


def sync_table(result: Mapping[str, Any]) -> Iterator[str]:
    """The scenario's lines of the printed report."""
    update = result["update"]
    yield f"sync ({result['server']}) - {result['peer_note']}"
    rows: list[tuple[str, ...]] = [
        (
            f"UpdateRecords ({update['patches_per_update']} patches of"
            f" {update['value_chars']} chars)",
            "writers",
            "calls/s",
            "p50 ms",
            "p95 ms",
            "per server CPU-s",
            "incl. database",
            "conflicts",
            "errors",
        )
    ]
    for shape in SHAPES:
        for count, level in result["writes"][shape].items():
            rows.append(
                (
                    f"  {SHAPE_LABELS[shape]}",
                    count,
                    f"{level['rate']:.1f}",
                    f"{level['p50_ms']:.1f}",
                    f"{level['p95_ms']:.1f}",
                    f"{level['rate_per_core']:.1f}",
                    f"{level['rate_per_core_with_database']:.1f}",
                    str(level["conflicts"]),
                    str(level["errors"]),
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        yield "  ".join(
            cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        )
    full = result["full_dataset"]
    pulls = full["pulls"]
    small = pulls["small_pages"]
    yield ""
    yield (
        f"full dataset: {full['records']} records, {full['storage']:,} bytes as counted"
        f" (limit {MAX_DATASET_STORAGE:,}), median of {full['rounds']}"
        f"{'' if full['ok'] else ' - CHECK FAILED'}"
    )
    lines = [
        (
            f"  push: ListRecords + one UpdateRecords of {full['request_bytes'] / 1e6:.1f} MB",
            f"{full['push_seconds'] * 1000:.0f} ms",
            f"server CPU {full['push_server_cpu_seconds'] * 1000:.0f} ms",
        ),
        (
            f"  pull from LastSyncCount 0, {pulls['largest_pages']['pages']} page(s)",
            f"{pulls['largest_pages']['seconds'] * 1000:.0f} ms",
            f"server CPU {pulls['largest_pages']['server_cpu_seconds'] * 1000:.0f} ms",
        ),
        (
            f"  pull in pages of {small['page_size']} ({small['pages']} pages)",
            f"{small['seconds'] * 1000:.0f} ms",
            f"server CPU {small['server_cpu_seconds'] * 1000:.0f} ms",
        ),
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(3)]
    for line in lines:
        yield f"{line[0].ljust(widths[0])}  {line[1].rjust(widths[1])}  {line[2]}"
