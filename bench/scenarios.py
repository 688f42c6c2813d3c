"""The scenarios, each run the same way against either server: what they set up through the AWS
API, the calls they repeat, how a round is measured, and the figures that come out."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from bench.client import Call, Connection, Endpoint, LoadResult, LoadSpec, load_run
from bench.dataset import list_filters
from bench.servers import ServerProcess, cpu_seconds_between, database_cpu_snapshot

# Appended to a random password so that it meets Cognito's default policy (which both servers
# apply): an upper- and a lowercase letter, a digit and a symbol.
_POLICY_CLASSES = "Aa1!"


@dataclass(frozen=True)
class Limits:
    """How long and how many: every loop stops at whichever bound comes first."""

    concurrency: int
    max_requests: int
    max_seconds: float
    warmup_requests: int


@dataclass(frozen=True)
class SignInSetup:
    pool_id: str
    client_id: str
    usernames: list[str]
    password: str


@dataclass
class Target:
    """One server under test and what the scenarios created in it."""

    endpoint: Endpoint
    server: ServerProcess
    sign_in: SignInSetup | None = None
    # ListUsers pools: id and number of users, by nominal size.
    list_pools: dict[int, tuple[str, int]] = field(default_factory=dict)
    # The PostgreSQL database that works for the server, if any: its CPU time counts too.
    database: str | None = None


def sign_in_setup(endpoint: Endpoint, *, users: int) -> SignInSetup:
    """A pool, an app client allowing USER_PASSWORD_AUTH, and `users` confirmed users sharing a
    password, all through the AWS API (AdminCreateUser, then AdminSetUserPassword permanent)."""
    password = secrets.token_urlsafe(12) + _POLICY_CLASSES
    connection = Connection(endpoint)
    try:
        pool_id = connection.call("CreateUserPool", {"PoolName": "bench-sign-in"}, signed=True)[
            "UserPool"
        ]["Id"]
        client_id = connection.call(
            "CreateUserPoolClient",
            {
                "UserPoolId": pool_id,
                "ClientName": "bench",
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            },
            signed=True,
        )["UserPoolClient"]["ClientId"]
        usernames = [f"bench-sign-in-{index:03d}" for index in range(users)]
        for username in usernames:
            connection.call(
                "AdminCreateUser",
                {"UserPoolId": pool_id, "Username": username, "MessageAction": "SUPPRESS"},
                signed=True,
            )
            connection.call(
                "AdminSetUserPassword",
                {
                    "UserPoolId": pool_id,
                    "Username": username,
                    "Password": password,
                    "Permanent": True,
                },
                signed=True,
            )
    finally:
        connection.close()
    return SignInSetup(pool_id, client_id, usernames, password)


def list_pool_create(endpoint: Endpoint, *, size: int) -> str:
    connection = Connection(endpoint)
    try:
        pool_id: str = connection.call(
            "CreateUserPool", {"PoolName": f"bench-list-{size}"}, signed=True
        )["UserPool"]["Id"]
    finally:
        connection.close()
    return pool_id


def _sign_in_call(setup: SignInSetup, username: str) -> Call:
    return Call(
        "InitiateAuth",
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": setup.client_id,
            "AuthParameters": {"USERNAME": username, "PASSWORD": setup.password},
        },
    )


def sign_in_calls(target: Target) -> list[Call]:
    """InitiateAuth USER_PASSWORD_AUTH, round-robin over the sign-in users."""
    assert target.sign_in is not None  # noqa: S101 (set up first)
    setup = target.sign_in
    return [_sign_in_call(setup, username) for username in setup.usernames]


def get_user_calls(target: Target) -> list[Call]:
    """GetUser with valid access tokens, one per sign-in user (each signs in once here)."""
    assert target.sign_in is not None  # noqa: S101 (set up first)
    setup = target.sign_in
    connection = Connection(target.endpoint)
    try:
        tokens = [
            connection.call("InitiateAuth", _sign_in_call(setup, username).params, signed=False)[
                "AuthenticationResult"
            ]["AccessToken"]
            for username in setup.usernames
        ]
    finally:
        connection.close()
    return [Call("GetUser", {"AccessToken": token}) for token in tokens]


def list_users_calls(target: Target, *, size: int, filters: int, seed: int) -> list[Call]:
    """ListUsers with an `email ^= "<prefix>"` filter (ten users match) on the pool of `size`,
    prefixes spread over the pool, the same sequence for both servers."""
    pool_id, loaded = target.list_pools[size]
    return [
        Call("ListUsers", {"UserPoolId": pool_id, "Filter": expression}, signed=True)
        for expression in list_filters(size=loaded, count=filters, seed=seed)
    ]


def answer_size(target: Target, call: Call) -> int:
    """How many users one ListUsers answer holds: the check that both servers did the work."""
    connection = Connection(target.endpoint)
    try:
        return len(connection.call(call.operation, call.params, signed=call.signed)["Users"])
    finally:
        connection.close()


@dataclass(frozen=True)
class Round:
    """One measured run against one server, and the CPU its server (and database) spent."""

    result: LoadResult
    server_cpu_seconds: float
    database_cpu_seconds: float
    concurrency: int


def measure(target: Target, calls: list[Call], limits: Limits, *, rounds: int) -> Round:
    """One round of `calls` within a `rounds`-th of the limits, after a short warm-up that
    is not measured (first calls fill the workers' caches and open their connections)."""
    if limits.warmup_requests:
        warmup = limits.warmup_requests * limits.concurrency
        load_run(target.endpoint, LoadSpec(calls, limits.concurrency, warmup, 10.0))

    def database_cpu() -> dict[int, int]:
        return database_cpu_snapshot(target.database) if target.database else {}

    cpu_before, database_before = target.server.cpu_snapshot(), database_cpu()
    result = load_run(
        target.endpoint,
        LoadSpec(
            calls=calls,
            concurrency=limits.concurrency,
            max_requests=-(-limits.max_requests // rounds),
            max_seconds=limits.max_seconds / rounds,
        ),
    )
    return Round(
        result=result,
        server_cpu_seconds=cpu_seconds_between(cpu_before, target.server.cpu_snapshot()),
        database_cpu_seconds=cpu_seconds_between(database_before, database_cpu()),
        concurrency=limits.concurrency,
    )


def figures(rounds: list[Round]) -> dict[str, Any]:
    """The rounds of one scenario on one server, pooled: rates over the summed time and CPU,
    latency percentiles over every request. The server's CPU time makes the rate per core
    (requests per CPU-second of the server, whatever the client took of the machine); with the
    database's backends counted too, it is the rate per core of the whole stack."""
    pooled = LoadResult(
        requests=sum(r.result.requests for r in rounds),
        errors=sum(r.result.errors for r in rounds),
        seconds=sum(r.result.seconds for r in rounds),
        first_error=next((r.result.first_error for r in rounds if r.result.first_error), ""),
        latencies_ms=sorted(x for r in rounds for x in r.result.latencies_ms),
    )
    cpu = sum(r.server_cpu_seconds for r in rounds)
    database = sum(r.database_cpu_seconds for r in rounds)
    return {
        "requests": pooled.requests,
        "errors": pooled.errors,
        "first_error": pooled.first_error,
        "seconds": round(pooled.seconds, 3),
        "rate": pooled.rate,
        "round_rates": [round(r.result.rate, 1) for r in rounds],
        "p50_ms": pooled.percentile(0.50),
        "p95_ms": pooled.percentile(0.95),
        "p99_ms": pooled.percentile(0.99),
        "server_cpu_seconds": round(cpu, 3),
        "server_cores_busy": cpu / pooled.seconds if pooled.seconds else 0.0,
        "rate_per_core": pooled.requests / cpu if cpu > 0 else 0.0,
        "database_cpu_seconds": round(database, 3),
        "rate_per_core_with_database": (
            pooled.requests / (cpu + database) if cpu + database > 0 else 0.0
        ),
        "concurrency": rounds[0].concurrency,
    }
