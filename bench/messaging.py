"""The messaging scenario: verification emails from SignUp, through the outbox, the broker and a
Celery worker, into an SMTP sink; and what queueing them instead of sending them in the request
does to SignUp's latency.

It runs this server only: moto sends no email, so there is no peer to compare with. It starts
its own Redis (`servers.start_redis`), an SMTP sink (`bench.smtp_sink`), two gunicorns on the
run's database with the run's settings plus `EMAIL_URL` pointing at the sink, one of them with
`CELERY_BROKER_URL` pointing at the Redis ("queued") and one without ("eager": the task runs in
the web process when the request commits, so the email goes out over SMTP inside the request),
and a Celery worker with the queued server's settings.

1. **throughput**: `messages` SignUps (each queues one verification email) on the queued server,
   from `concurrency` clients, each SignUp on a new connection, then until the sink has every
   email. Messages per second end to end (first SignUp sent to last email in the sink), and the
   worker's drain rate after the last SignUp answered (the emails still to come then, over the
   time they took).
2. **latency**: SignUp on one connection, in rounds that take turns between the queued and the
   eager server (the worker running all along); each round waits until the sink has its emails,
   so that a queued round's backlog does not weigh on the next round.

Every email is checked to have arrived exactly once: each SignUp has its own address, the sink
writes down every recipient, and the throughput batch's outbox rows must all be SENT.
"""

from __future__ import annotations

import collections
import json
import math
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.client import Call, Connection, Endpoint, LoadSpec, load_run
from bench.scenarios import Limits, Round, Target, figures, measure
from bench.servers import (
    HOST,
    ServerProcess,
    cpu_seconds_between,
    database_cpu_snapshot,
    start_celery_worker,
    start_cognitoadmin,
    start_redis,
    start_smtp_sink,
)

QUEUED = "queued"
EAGER = "eager"
EMAIL_DOMAIN = "bench.example"
# Meets Cognito's default password policy: an upper- and a lowercase letter, a digit, a symbol.
_POLICY_CLASSES = "Aa1!"
# How long the sink waits, once it has every email it expects, for copies of them.
_DUPLICATE_GRACE_SECONDS = 0.5
_POLL_SECONDS = 0.02


@dataclass(frozen=True)
class MessagingPlan:
    # SignUps in the throughput run, one email each, from `concurrency` clients (each SignUp on a
    # new connection), spread over `throughput_pools` pools: SignUp holds its pool's row lock
    # while it hashes the password, so the SignUps of one pool run one at a time
    # (`pools.services.users.user_insert`).
    messages: int
    concurrency: int
    throughput_pools: int
    sign_up_max_seconds: float
    # SignUp latency on each server, split over `rounds` that take turns between them.
    latency: Limits
    rounds: int
    # SignUps on each server before anything is measured: the worker is ready once it delivers.
    warmup: int
    deliver_timeout_seconds: float


@dataclass(frozen=True)
class MessagingConfig:
    """What the run hands the scenario: its settings and database, this server's shape."""

    env: Mapping[str, str]
    access_key: tuple[str, str]
    region: str
    workers: int
    threads: int
    worker_concurrency: int
    log_dir: Path
    # The PostgreSQL database, whose backends' CPU time counts too; None with SQLite.
    database: str | None


@dataclass
class Stack:
    """The processes of the scenario and what it created in the server."""

    redis: ServerProcess
    sink: ServerProcess
    queued: ServerProcess
    eager: ServerProcess
    worker: ServerProcess
    received: SinkLog
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    # Pools that verify emails automatically, and an app client of each (`_pools_create`).
    pools: list[tuple[str, str]] = field(default_factory=list)
    password: str = ""


class SinkLog:
    """What the SMTP sink has written down: one record per accepted message, read as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        # Arrival times (`time.time()`) of the messages to each recipient.
        self.arrivals: dict[str, list[float]] = collections.defaultdict(list)

    def read(self) -> None:
        with self.path.open("rb") as sink:
            sink.seek(self._offset)
            chunk = sink.read()
        # Only whole lines: the sink may be writing the next one.
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.splitlines():
            record = json.loads(line)
            for recipient in record["to"]:
                self.arrivals[recipient.lower()].append(float(record["t"]))

    def tagged(self, tag: str) -> dict[str, list[float]]:
        """The arrivals to the addresses of one batch of SignUps (`_address`)."""
        prefix = f"{tag}-"
        return {to: times for to, times in self.arrivals.items() if to.startswith(prefix)}

    def wait_for(
        self, tag: str, count: int, *, timeout: float, alive: Callable[[], None]
    ) -> dict[str, list[float]]:
        """Until `count` addresses of batch `tag` have an email (and a short grace for copies),
        or the timeout; `alive` raises when a process the emails depend on has died."""
        deadline = time.monotonic() + timeout
        while True:
            self.read()
            if len(self.tagged(tag)) >= count or time.monotonic() > deadline:
                break
            alive()
            time.sleep(_POLL_SECONDS)
        time.sleep(_DUPLICATE_GRACE_SECONDS)
        self.read()
        return self.tagged(tag)


def _address(tag: str, index: int) -> str:
    return f"{tag}-{index:05d}@{EMAIL_DOMAIN}"


def _sign_up_calls(stack: Stack, tag: str, count: int, *, pools: int = 1) -> list[Call]:
    """`count` SignUps of new users, each with an address of its own (batch `tag`), in turn in
    the first `pools` pools: with as many pools as connections, the SignUps in flight at any
    time are in as many pools."""
    calls = []
    for index in range(count):
        email = _address(tag, index)
        _pool_id, client_id = stack.pools[index % pools]
        calls.append(
            Call(
                "SignUp",
                {
                    "ClientId": client_id,
                    "Username": email.partition("@")[0],
                    "Password": stack.password,
                    "UserAttributes": [{"Name": "email", "Value": email}],
                },
            )
        )
    return calls


def _round_up(count: int, step: int) -> int:
    """`count` rounded up to a multiple of the connections: the load loop gives each connection
    as many calls as its quota, so that none repeats a SignUp (which would be refused)."""
    return max(step, -(-count // step) * step)


def _delivery_check(
    arrivals: dict[str, list[float]], calls: list[Call], answered: int
) -> dict[str, Any]:
    """Exactly once: every email to an address of the batch, one per SignUp that succeeded."""
    expected = {call.params["UserAttributes"][0]["Value"] for call in calls}
    unexpected = sorted(set(arrivals) - expected)
    copies = sum(len(times) - 1 for times in arrivals.values())
    return {
        "sign_ups_answered": answered,
        "addresses_with_email": len(arrivals),
        "missing": max(0, answered - len(arrivals)),
        "extra_copies": copies,
        "unexpected_addresses": len(unexpected),
        "exactly_once": len(arrivals) == answered and copies == 0 and not unexpected,
    }


def _outbox_check(pool_ids: list[str], tag: str) -> dict[str, Any]:
    """The outbox's rows for batch `tag`: by status, and how many took more than one attempt."""
    from django.db import connections  # noqa: PLC0415 (needs Django set up)
    from django.db.models import Count, Max  # noqa: PLC0415

    from pools.models import Delivery  # noqa: PLC0415

    rows = Delivery.objects.filter(pool__pool_id__in=pool_ids, user__username__startswith=f"{tag}-")
    statuses = dict(rows.values_list("status").annotate(n=Count("id")).order_by("status"))
    attempts = rows.aggregate(most=Max("attempts"))["most"]
    retried = rows.filter(attempts__gt=1).count()
    # The load workers are forked from this process: they must not share its connection.
    connections.close_all()
    return {"rows_by_status": statuses, "most_attempts": attempts, "rows_retried": retried}


def _alive(*processes: ServerProcess) -> Callable[[], None]:
    def check() -> None:
        for process in processes:
            if process.process.poll() is not None:
                raise RuntimeError(
                    f"{process.name} exited with {process.process.returncode}:\n"
                    f"{process.log_tail()}"
                )

    return check


def _start(
    config: MessagingConfig, stack_processes: ExitStack, step: Callable[[str], None]
) -> Stack:
    """Redis, the sink, both gunicorns and the worker; each stopped when `stack_processes`
    closes, whatever happens."""

    def started(server: ServerProcess) -> ServerProcess:
        stack_processes.callback(server.stop)
        return server

    redis = started(start_redis(log_dir=config.log_dir))
    sink, received = start_smtp_sink(log_dir=config.log_dir)
    started(sink)
    step(f"messaging: redis-server on port {redis.port}, SMTP sink on port {sink.port}")
    eager_env = {**config.env, "EMAIL_URL": f"smtp://{HOST}:{sink.port}"}
    queued_env = {**eager_env, "CELERY_BROKER_URL": f"redis://{HOST}:{redis.port}/0"}

    def gunicorn(mode: str, env: Mapping[str, str]) -> ServerProcess:
        return started(
            start_cognitoadmin(
                env=env,
                workers=config.workers,
                threads=config.threads,
                log_dir=config.log_dir,
                name=f"cognitoadmin-{mode}",
            )
        )

    queued, eager = gunicorn(QUEUED, queued_env), gunicorn(EAGER, eager_env)
    # The worker runs with the queued server's settings, its public URL included.
    worker_env = {**queued_env, "COGNITOADMIN_PUBLIC_URL": f"http://{HOST}:{queued.port}"}
    worker = started(
        start_celery_worker(
            env=worker_env, concurrency=config.worker_concurrency, log_dir=config.log_dir
        )
    )
    step(
        f"messaging: gunicorn queued and eager ({config.workers} workers x {config.threads}"
        f" threads each), celery worker (prefork x {config.worker_concurrency})"
    )
    stack = Stack(redis, sink, queued, eager, worker, SinkLog(received))
    key_id, secret = config.access_key
    for mode, server in ((QUEUED, queued), (EAGER, eager)):
        stack.endpoints[mode] = Endpoint(
            f"cognitoadmin-{mode}", HOST, server.port, config.region, key_id, secret
        )
    return stack


def _pools_create(stack: Stack, count: int) -> None:
    """`count` pools that verify emails automatically (SignUp sends a code by email), each with
    an app client without a secret, through the AWS API; both servers share the database."""
    connection = Connection(stack.endpoints[QUEUED])
    try:
        for index in range(count):
            pool_id: str = connection.call(
                "CreateUserPool",
                {"PoolName": f"bench-messaging-{index}", "AutoVerifiedAttributes": ["email"]},
                signed=True,
            )["UserPool"]["Id"]
            client_id: str = connection.call(
                "CreateUserPoolClient",
                {"UserPoolId": pool_id, "ClientName": "bench-messaging"},
                signed=True,
            )["UserPoolClient"]["ClientId"]
            stack.pools.append((pool_id, client_id))
    finally:
        connection.close()
    stack.password = secrets.token_urlsafe(12) + _POLICY_CLASSES


def _warm_up(plan: MessagingPlan, stack: Stack) -> dict[str, Any]:
    """A few SignUps on each server, and their emails in the sink: the workers of both servers
    have their connections and caches, and the Celery worker is ready."""
    checks: dict[str, Any] = {}
    alive = _alive(stack.worker, stack.sink, stack.redis, stack.queued, stack.eager)
    for mode in (QUEUED, EAGER):
        tag = f"warm-{mode}"
        count = max(1, plan.warmup)
        calls = _sign_up_calls(stack, tag, count, pools=plan.throughput_pools)
        # A connection each, as in the throughput run: every gunicorn worker gets some.
        spec = LoadSpec(
            calls,
            plan.concurrency,
            count,
            plan.sign_up_max_seconds,
            shared=True,
            keep_alive=False,
        )
        result = load_run(stack.endpoints[mode], spec)
        if not result.requests:
            raise RuntimeError(f"SignUp on the {mode} server failed: {result.first_error}")
        arrivals = stack.received.wait_for(
            tag, result.requests, timeout=plan.deliver_timeout_seconds, alive=alive
        )
        checks[mode] = {
            **_delivery_check(arrivals, calls, result.requests),
            "sign_up_errors": result.errors,
            "first_error": result.first_error,
        }
        if len(arrivals) < result.requests:
            raise RuntimeError(
                f"the {mode} server's emails did not reach the sink within"
                f" {plan.deliver_timeout_seconds:.0f} s; logs in {stack.worker.log_path.parent}"
            )
    return checks


def _cpu(stack: Stack, database: str | None) -> dict[str, dict[int, int]]:
    snapshot = {
        "server": stack.queued.cpu_snapshot(),
        "worker": stack.worker.cpu_snapshot(),
        "redis": stack.redis.cpu_snapshot(),
        "sink": stack.sink.cpu_snapshot(),
    }
    if database:
        snapshot["database"] = database_cpu_snapshot(database)
    return snapshot


def _throughput(plan: MessagingPlan, stack: Stack, database: str | None) -> dict[str, Any]:
    tag = "throughput"
    count = max(1, plan.messages)
    calls = _sign_up_calls(stack, tag, count, pools=plan.throughput_pools)
    before = _cpu(stack, database)
    # A connection stays with the gunicorn worker that accepted it, whichever won the race, and
    # one worker may get them all. So, as from many devices that sign up once each, every SignUp
    # is on a connection of its own, and the connections take them from one queue.
    result = load_run(
        stack.endpoints[QUEUED],
        LoadSpec(
            calls,
            plan.concurrency,
            count,
            plan.sign_up_max_seconds,
            shared=True,
            keep_alive=False,
        ),
    )
    arrivals = stack.received.wait_for(
        tag,
        result.requests,
        timeout=plan.deliver_timeout_seconds,
        alive=_alive(stack.worker, stack.sink, stack.redis),
    )
    after = _cpu(stack, database)
    cpu = {name: round(cpu_seconds_between(before[name], after[name]), 3) for name in before}
    # By gunicorn process: a connection stays with the worker that accepted it, and with one
    # thread each, an uneven split of the connections leaves a core idle part of the time.
    split = sorted(
        (
            cpu_seconds_between({pid: before["server"].get(pid, 0)}, {pid: ticks})
            for pid, ticks in after["server"].items()
        ),
        reverse=True,
    )
    firsts = sorted(times[0] for times in arrivals.values())
    delivered = len(firsts)
    last = firsts[-1] if firsts else math.nan
    end_to_end = last - result.started
    # The emails still to come when the last SignUp answered, and the time they took.
    backlog = sum(1 for t in firsts if t > result.ended)
    drain = last - result.ended
    return {
        "sign_ups": result.requests,
        "sign_up_errors": result.errors,
        "first_error": result.first_error,
        "sign_up_seconds": round(result.seconds, 3),
        "sign_up_rate": result.rate,
        "sign_up_p50_ms": result.percentile(0.50),
        "sign_up_p95_ms": result.percentile(0.95),
        "concurrency": plan.concurrency,
        "pools": plan.throughput_pools,
        "messages": delivered,
        "end_to_end_seconds": round(end_to_end, 3),
        "end_to_end_rate": delivered / end_to_end if end_to_end > 0 else math.nan,
        "backlog_at_last_sign_up": backlog,
        "drain_seconds": round(drain, 3),
        # Too few left to time: the worker kept up with the SignUps.
        "drain_rate": backlog / drain if backlog >= 2 and drain > 0 else None,
        "cpu_seconds": cpu,
        "server_cpu_seconds_by_process": [round(seconds, 3) for seconds in split],
        "messages_per_worker_cpu_second": delivered / cpu["worker"] if cpu["worker"] else None,
        "delivery": _delivery_check(arrivals, calls, result.requests),
        "outbox": _outbox_check([pool_id for pool_id, _client in stack.pools], tag),
    }


def _latency(plan: MessagingPlan, stack: Stack, database: str | None) -> dict[str, Any]:
    """SignUp on one connection, rounds taking turns between the queued and the eager server."""
    targets = {
        mode: Target(stack.endpoints[mode], server, database=database)
        for mode, server in ((QUEUED, stack.queued), (EAGER, stack.eager))
    }
    limits = plan.latency
    per_round = _round_up(-(-limits.max_requests // plan.rounds), limits.concurrency)
    # measure() takes a rounds-th of the limits; no warm-up of its own (it would repeat SignUps).
    round_limits = Limits(limits.concurrency, per_round * plan.rounds, limits.max_seconds, 0)
    rounds: dict[str, list[Round]] = {mode: [] for mode in targets}
    deliveries: dict[str, list[dict[str, Any]]] = {mode: [] for mode in targets}
    # Eager emails reach the sink before their SignUp answers: counted here, as the check.
    in_request: dict[str, int] = dict.fromkeys(targets, 0)
    alive = _alive(stack.worker, stack.sink, stack.redis)
    for index in range(plan.rounds):
        for mode, target in targets.items():
            tag = f"latency-{mode}-{index}"
            calls = _sign_up_calls(stack, tag, per_round)
            measured = measure(target, calls, round_limits, rounds=plan.rounds)
            rounds[mode].append(measured)
            arrivals = stack.received.wait_for(
                tag, measured.result.requests, timeout=plan.deliver_timeout_seconds, alive=alive
            )
            deliveries[mode].append(_delivery_check(arrivals, calls, measured.result.requests))
            in_request[mode] += sum(
                1 for times in arrivals.values() if times[0] <= measured.result.ended
            )
    results: dict[str, Any] = {}
    for mode in targets:
        summary = figures(rounds[mode])
        checks = deliveries[mode]
        summary["delivery"] = {
            "exactly_once": all(check["exactly_once"] for check in checks),
            "missing": sum(check["missing"] for check in checks),
            "extra_copies": sum(check["extra_copies"] for check in checks),
            "unexpected_addresses": sum(check["unexpected_addresses"] for check in checks),
        }
        summary["emails_in_sink_before_last_answer"] = in_request[mode]
        results[mode] = summary
    results["queued_over_eager"] = {
        name: _ratio(results[QUEUED][name], results[EAGER][name])
        for name in ("p50_ms", "p95_ms", "rate")
    }
    return results


def _ratio(ours: float, theirs: float) -> float | None:
    if not theirs or math.isnan(ours) or math.isnan(theirs):
        return None
    return ours / theirs


def messaging_run(
    plan: MessagingPlan, config: MessagingConfig, step: Callable[[str], None]
) -> dict[str, Any]:
    """The whole scenario; every process it started is stopped at the end, whatever happens."""
    with ExitStack() as processes:
        stack = _start(config, processes, step)
        _pools_create(stack, max(1, plan.throughput_pools))
        began = time.monotonic()
        warmup = _warm_up(plan, stack)
        step(f"messaging: warmed up, the worker delivers ({time.monotonic() - began:.1f} s)")
        throughput = _throughput(plan, stack, config.database)
        step(
            f"messaging: {throughput['sign_ups']} SignUps, {throughput['messages']} emails in the"
            f" sink in {throughput['end_to_end_seconds']:.1f} s"
        )
        began = time.monotonic()
        latency = _latency(plan, stack, config.database)
        step(
            f"messaging: SignUp latency, {latency[QUEUED]['requests']} queued and"
            f" {latency[EAGER]['requests']} eager ({time.monotonic() - began:.1f} s)"
        )
    return {
        "peer": None,
        "peer_note": "no moto figures: moto sends no email",
        "worker": f"celery prefork, concurrency {config.worker_concurrency}",
        "server": f"gunicorn gthread, {config.workers} workers x {config.threads} threads",
        "warmup": warmup,
        "throughput": throughput,
        "latency": latency,
        "ok": messaging_ok(throughput, latency),
    }


def messaging_ok(throughput: Mapping[str, Any], latency: Mapping[str, Any]) -> bool:
    """Every SignUp answered, every email arrived exactly once, and the throughput batch's
    outbox rows are all SENT."""
    return bool(
        throughput["sign_ups"] > 0
        and not throughput["sign_up_errors"]
        and throughput["delivery"]["exactly_once"]
        and throughput["outbox"]["rows_by_status"] == {"SENT": throughput["sign_ups"]}
        and all(
            latency[mode]["requests"] > 0
            and not latency[mode]["errors"]
            and latency[mode]["delivery"]["exactly_once"]
            for mode in (QUEUED, EAGER)
        )
    )


def messaging_table(messaging: Mapping[str, Any]) -> Iterator[str]:
    """The scenario's lines of the printed report."""
    throughput = messaging["throughput"]
    latency = messaging["latency"]
    delivery = throughput["delivery"]
    outbox = throughput["outbox"]
    drain = throughput["drain_rate"]
    per_cpu = throughput["messages_per_worker_cpu_second"]
    yield (
        f"messaging ({messaging['server']}; {messaging['worker']}; Redis; SMTP sink) -"
        f" {messaging['peer_note']}"
    )
    rows: list[tuple[str, ...]] = [
        (
            f"SignUp -> email in the SMTP sink, {throughput['messages']} messages/s end to end",
            f"{throughput['end_to_end_rate']:.1f}",
        ),
        (
            f"  SignUps/s ({throughput['concurrency']} clients, a connection each,"
            f" {throughput['pools']} pools)",
            f"{throughput['sign_up_rate']:.1f}",
        ),
        (
            f"  worker drain /s after the last SignUp ({throughput['backlog_at_last_sign_up']}"
            f" left, {throughput['drain_seconds']:.2f} s)",
            "-" if drain is None else f"{drain:.1f}",
        ),
        ("  messages per worker CPU-second", "-" if per_cpu is None else f"{per_cpu:.1f}"),
        (
            "  SignUps that failed",
            f"{throughput['sign_up_errors']}"
            + (
                f" (first: HTTP {throughput['first_error'].partition(':')[0]})"
                if throughput["first_error"]
                else ""
            ),
        ),
        (
            "  outbox rows",
            ", ".join(f"{n} {status}" for status, n in outbox["rows_by_status"].items())
            + f", {outbox['rows_retried']} retried",
        ),
        (
            "  arrived exactly once",
            f"{'yes' if delivery['exactly_once'] else 'NO'}"
            f" ({delivery['addresses_with_email']}/{delivery['sign_ups_answered']},"
            f" {delivery['extra_copies']} copies)",
        ),
    ]
    width = max(len(row[0]) for row in rows)
    value_width = max(len(row[1]) for row in rows)
    for label, value in rows:
        yield f"{label.ljust(width)}  {value.rjust(value_width)}"
    yield ""
    queued, eager, ratios = latency[QUEUED], latency[EAGER], latency["queued_over_eager"]
    table: list[tuple[str, ...]] = [("SignUp, 1 connection", "queued", "eager", "queued/eager")]
    for label, key in (("p50 ms", "p50_ms"), ("p95 ms", "p95_ms"), ("SignUps/s", "rate")):
        ratio = ratios[key]
        table.append(
            (
                f"  {label}",
                f"{queued[key]:.1f}",
                f"{eager[key]:.1f}",
                "-" if ratio is None else f"{ratio:.2f}",
            )
        )
    table.append(("  SignUps that failed", str(queued["errors"]), str(eager["errors"]), ""))
    table.append(
        (
            "  arrived exactly once",
            "yes" if queued["delivery"]["exactly_once"] else "NO",
            "yes" if eager["delivery"]["exactly_once"] else "NO",
            "",
        )
    )
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        yield "  ".join(
            cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        )
