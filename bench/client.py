"""The one HTTP client every scenario uses against both servers: AWS JSON 1.1 over `http.client`
with keep-alive, signed with botocore's SigV4 signer where botocore signs the operation, and a
load loop that runs in several processes (the client's own CPU would otherwise be the limit).
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SERVICE = "cognito-idp"
TARGET_PREFIX = "AWSCognitoIdentityProviderService"
CONTENT_TYPE = "application/x-amz-json-1.1"
# Bounds every single request, whatever the scenario's own bounds say.
REQUEST_TIMEOUT_SECONDS = 60.0
# Workers start together this long after they are forked, so that start-up is not measured.
_START_DELAY_SECONDS = 0.3


class CallError(RuntimeError):
    """A call that did not answer 200: the setup cannot go on without it."""


@dataclass(frozen=True)
class Endpoint:
    """A server on loopback and the credentials its signed operations are signed with."""

    name: str
    host: str
    port: int
    region: str
    access_key_id: str
    secret_access_key: str

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"


@dataclass(frozen=True)
class Call:
    """One AWS call to make; `signed` as botocore's model says for the operation."""

    operation: str
    params: dict[str, Any]
    signed: bool = False


def _encode(endpoint: Endpoint, call: Call) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(call.params).encode()
    headers = {
        "Content-Type": CONTENT_TYPE,
        "X-Amz-Target": f"{TARGET_PREFIX}.{call.operation}",
        "Host": f"{endpoint.host}:{endpoint.port}",
    }
    if call.signed:
        # Signed afresh for every request, as an SDK does: the signature covers the time.
        request = AWSRequest(method="POST", url=endpoint.url, data=body, headers=headers)
        credentials = Credentials(endpoint.access_key_id, endpoint.secret_access_key)
        SigV4Auth(credentials, SERVICE, endpoint.region).add_auth(request)
        headers = {str(k): str(v) for k, v in request.headers.items()}
    return body, headers


class Connection:
    """A keep-alive connection to one endpoint."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._http = http.client.HTTPConnection(
            endpoint.host, endpoint.port, timeout=REQUEST_TIMEOUT_SECONDS
        )

    def send(self, call: Call) -> tuple[int, bytes]:
        body, headers = _encode(self.endpoint, call)
        try:
            return self._post(body, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed an idle keep-alive connection between two requests: reopen once.
            self._http.close()
            return self._post(body, headers)

    def _post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        self._http.request("POST", "/", body=body, headers=headers)
        response = self._http.getresponse()
        return response.status, response.read()

    def call(self, operation: str, params: dict[str, Any], *, signed: bool) -> dict[str, Any]:
        """Make one call; its result, or `CallError` with the server's answer."""
        status, raw = self.send(Call(operation, params, signed))
        if status != 200:
            raise CallError(f"{self.endpoint.name}: {operation} answered {status}: {raw[:500]!r}")
        result: dict[str, Any] = json.loads(raw) if raw else {}
        return result

    def close(self) -> None:
        self._http.close()


# --- load -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadSpec:
    """Calls to repeat (cycled through), by how many connections, within which bounds."""

    calls: Sequence[Call]
    concurrency: int
    max_requests: int
    max_seconds: float
    # False: each connection has its share of the calls and of the requests, and goes round its
    # share. True: the connections take the calls in turn from one queue, each call once, so a
    # connection that is served faster makes more of them (calls that cannot be repeated, and a
    # server whose workers did not get as many connections each).
    shared: bool = False
    # False: every request on a connection of its own, as from many clients that each make one
    # call (a connection stays with the gunicorn worker that accepted it, whichever that was).
    keep_alive: bool = True


# The next call of a shared load (`LoadSpec.shared`), in the worker processes: inherited as they
# are forked (`_shared_init`), as multiprocessing requires of a shared value.
_shared_next: Any = None


def _shared_init(counter: Any) -> None:
    global _shared_next  # noqa: PLW0603 (set once per worker process, as it starts)
    _shared_next = counter


def _shared_take() -> int:
    with _shared_next.get_lock():
        index: int = _shared_next.value
        _shared_next.value += 1
    return index


@dataclass
class _WorkerResult:
    ok: int = 0
    errors: int = 0
    first_error: str = ""
    started: float = 0.0
    ended: float = 0.0
    latencies: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    first_error: str
    latencies_ms: list[float]
    # When the first request went out and the last answer came back (`time.time()`).
    started: float = 0.0
    ended: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        cuts = statistics.quantiles(self.latencies_ms, n=100, method="inclusive")
        return cuts[max(0, min(98, round(fraction * 100) - 1))]


@dataclass(frozen=True)
class _Job:
    endpoint: Endpoint
    calls: Sequence[Call]
    quota: int
    start_at: float
    deadline: float
    shared: bool = False
    keep_alive: bool = True


def _worker(job: _Job) -> _WorkerResult:
    calls = job.calls
    connection = Connection(job.endpoint)
    result = _WorkerResult()
    try:
        while time.time() < job.start_at:
            time.sleep(0.001)
        result.started = time.time()
        index = 0
        while index < job.quota and time.time() < job.deadline:
            if job.shared:
                index = _shared_take()
                if index >= job.quota:
                    break
            began = time.perf_counter()
            status, raw = connection.send(calls[index % len(calls)])
            elapsed = time.perf_counter() - began
            if not job.keep_alive:
                # http.client opens a new connection for the next request.
                connection.close()
            index += 1
            if status == 200:
                result.ok += 1
                result.latencies.append(elapsed * 1000)
            else:
                result.errors += 1
                result.first_error = result.first_error or f"{status}: {raw[:300]!r}"
        result.ended = time.time()
    finally:
        connection.close()
    return result


def load_run(endpoint: Endpoint, spec: LoadSpec) -> LoadResult:
    """Run `spec` against `endpoint` from `spec.concurrency` processes, each with its own
    connection and its own share of the calls and of the request count (or, `spec.shared`, all
    taking from one queue of the calls); every loop stops at the count or at `max_seconds`,
    whichever comes first."""
    workers = max(1, spec.concurrency)
    start_at = time.time() + _START_DELAY_SECONDS
    deadline = start_at + spec.max_seconds
    # fork: the workers need nothing but these arguments, and start at once.
    context = multiprocessing.get_context("fork")
    if spec.shared:
        quota = min(spec.max_requests, len(spec.calls))
        job = _Job(endpoint, spec.calls, quota, start_at, deadline, True, spec.keep_alive)
        jobs = [job] * workers
        initializer: tuple[Any, ...] = (_shared_init, (context.Value("l", 0),))
    else:
        shares = [list(spec.calls[i::workers]) or list(spec.calls) for i in range(workers)]
        quota = -(-spec.max_requests // workers)
        jobs = [
            _Job(endpoint, share, quota, start_at, deadline, False, spec.keep_alive)
            for share in shares
        ]
        initializer = (None, ())
    with context.Pool(workers, *initializer) as pool:
        results = pool.map(_worker, jobs)
    started = min(r.started for r in results)
    ended = max(r.ended for r in results)
    latencies = sorted(x for r in results for x in r.latencies)
    return LoadResult(
        requests=sum(r.ok for r in results),
        errors=sum(r.errors for r in results),
        seconds=ended - started,
        first_error=next((r.first_error for r in results if r.first_error), ""),
        latencies_ms=latencies,
        started=started,
        ended=ended,
    )
