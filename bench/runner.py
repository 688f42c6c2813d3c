"""`python -m bench [--quick] [--db postgres|sqlite] [--scenarios ...]`: the whole benchmark in
one command.

It creates a fresh database, measures the in-process floor, starts this server under gunicorn
(production settings: DEBUG off, Argon2id, secrets generated for the run) and moto's server, both
on 127.0.0.1, runs the API scenarios against both, then the messaging and sync scenarios against
this server alone (`bench.messaging`: moto sends no email; `bench.sync`: moto_server serves no
cognito-sync), prints a table and writes the figures as JSON to
`bench/results/`. Every process is stopped and the database dropped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import os
import platform
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from bench.client import Call, Endpoint
from bench.enumeration import (
    EnumerationConfig,
    EnumerationPlan,
    enumeration_run,
    enumeration_table,
)
from bench.messaging import MessagingConfig, MessagingPlan, messaging_run, messaging_table
from bench.scenarios import (
    Limits,
    Round,
    Target,
    answer_size,
    figures,
    get_user_calls,
    list_pool_create,
    list_users_calls,
    measure,
    sign_in_calls,
    sign_in_setup,
)
from bench.servers import HOST, ServerProcess, start_cognitoadmin, start_moto
from bench.sync import SyncConfig, SyncPlan, sync_run, sync_table

_T = TypeVar("_T")

RESULTS_DIR = Path(__file__).resolve().parent / "results"
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
DATABASE_NAME = "cognitoadmin_bench"
REGION = "us-east-1"
OURS = "cognitoadmin"
MOTO = "moto"
# DESIGN.md's targets, per core.
TARGET_SIGN_IN_PER_CORE = 30.0
TARGET_GET_USER_PER_CORE = 1000.0
TARGET_LIST_USERS_P95_MS = 20.0
# Prefixed settings a developer's shell or .env may hold; the run sets its own.
_OWN_PREFIXES = ("DJANGO_", "COGNITOADMIN_", "DATABASE_", "CELERY_", "CACHE_", "EMAIL_")
# What --scenarios chooses from; list_users is every ListUsers pool size.
API_SCENARIOS = ("sign_in", "get_user", "list_users")
SCENARIOS = (*API_SCENARIOS, "messaging", "enumeration", "sync")


@dataclass(frozen=True)
class Plan:
    sign_in_users: int
    list_sizes: tuple[int, ...]
    sign_in: Limits
    get_user: Limits
    list_users: Limits
    list_filters: int
    floor_argon2_rounds: int
    floor_rs256_rounds: int
    load_max_seconds: float
    # Each scenario's time and requests are split into rounds that alternate between servers.
    rounds: int
    messaging: MessagingPlan
    enumeration: EnumerationPlan
    sync: SyncPlan


def _plans(cores: int) -> dict[str, Plan]:
    # Two connections per core keep every worker busy while the client prepares the next call.
    clients = 2 * cores
    return {
        "full": Plan(
            sign_in_users=16,
            list_sizes=(10_000, 100_000),
            sign_in=Limits(clients, 8000, 24.0, 2),
            get_user=Limits(clients, 60_000, 18.0, 20),
            list_users=Limits(1, 1000, 15.0, 5),
            list_filters=200,
            floor_argon2_rounds=100,
            floor_rs256_rounds=500,
            load_max_seconds=300.0,
            rounds=3,
            messaging=MessagingPlan(
                messages=250,
                concurrency=2 * clients,
                throughput_pools=2 * clients,
                sign_up_max_seconds=60.0,
                latency=Limits(1, 90, 12.0, 0),
                rounds=3,
                warmup=2 * clients,
                deliver_timeout_seconds=60.0,
            ),
            enumeration=EnumerationPlan(samples=120, sign_in_users=8),
            sync=SyncPlan(
                writers=(1, 8, 32),
                write_seconds=10.0,
                write_max_updates=20_000,
                rounds=2,
                patches_per_update=2,
                keys_per_writer=4,
                value_chars=64,
                warmup_updates=2,
                full_records=1000,
                full_rounds=5,
                pull_page_size=100,
            ),
        ),
        "quick": Plan(
            sign_in_users=2,
            list_sizes=(1000, 2000),
            sign_in=Limits(clients, 100, 2.0, 0),
            get_user=Limits(clients, 2000, 2.0, 0),
            list_users=Limits(1, 100, 2.0, 0),
            list_filters=20,
            floor_argon2_rounds=5,
            floor_rs256_rounds=20,
            load_max_seconds=60.0,
            rounds=1,
            messaging=MessagingPlan(
                messages=20,
                concurrency=2 * clients,
                throughput_pools=2 * clients,
                sign_up_max_seconds=10.0,
                latency=Limits(1, 10, 5.0, 0),
                rounds=1,
                warmup=2 * clients,
                deliver_timeout_seconds=30.0,
            ),
            enumeration=EnumerationPlan(samples=8, sign_in_users=2),
            sync=SyncPlan(
                writers=(1, 8, 32),
                write_seconds=1.0,
                write_max_updates=1000,
                rounds=1,
                patches_per_update=2,
                keys_per_writer=4,
                value_chars=64,
                warmup_updates=1,
                full_records=1000,
                full_rounds=1,
                pull_page_size=100,
            ),
        ),
    }


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark cognitoadmin against moto_server on loopback.",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument(
        "--db",
        choices=["postgres", "sqlite"],
        default="postgres",
        help=f"database for this server: a fresh {DATABASE_NAME} at {POSTGRES_SERVER} "
        "(default), or an SQLite file in a temporary directory",
    )
    parser.add_argument(
        "--workers", type=int, default=cores, help="gunicorn worker processes (default: cores)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (default 1: Argon2 runs outside the GIL, so more "
        "threads hash side by side beyond the cores and every hash costs more)",
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: tuple(int(n) for n in text.split(",")),
        help="ListUsers pool sizes, comma-separated (default 10000,100000; quick 1000,2000)",
    )
    parser.add_argument(
        "--scenarios",
        type=_scenario_list,
        default=SCENARIOS,
        help=f"comma-separated, from {','.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument(
        "--messages",
        type=int,
        help="SignUps (one email each) in the messaging throughput run (default 250; quick 20)",
    )
    parser.add_argument(
        "--celery-concurrency",
        type=int,
        help="processes of the Celery worker's prefork pool in the messaging scenario "
        "(default: cores; 1 with SQLite, which has no row locks: one process must send)",
    )
    parser.add_argument("--skip-moto", action="store_true", help="benchmark this server only")
    parser.add_argument("--output", type=Path, help="JSON result file (default: bench/results/)")
    return parser.parse_args(argv)


def _scenario_list(text: str) -> tuple[str, ...]:
    chosen = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown scenario {', '.join(unknown) or '(none)'}: choose from {', '.join(SCENARIOS)}"
        )
    return tuple(name for name in SCENARIOS if name in chosen)


# --- environment and database ---------------------------------------------------------------


def _environment(database_url: str, local_dir: Path) -> dict[str, str]:
    """Production settings (cognitoadmin.settings, DEBUG off) with secrets made for this run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    env.update(
        DJANGO_SETTINGS_MODULE="cognitoadmin.settings",
        DEBUG="0",
        COGNITOADMIN_DEV="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        COGNITOADMIN_MASTER_KEY=secrets.token_urlsafe(32),
        DATABASE_URL=database_url,
        COGNITOADMIN_LOCAL_DIR=str(local_dir),
        COGNITOADMIN_LOG_LEVEL="WARNING",
        ALLOWED_HOSTS=HOST,
        # The load comes from one address, far past any per-address limit: measure the server.
        COGNITOADMIN_RATE_LIMIT_PER_IP="0",
        COGNITOADMIN_RATE_LIMIT_PER_USER="0",
        # Cognito's rates per API category (UserRead: 120 GetUser calls a second for the whole
        # account, ...) would measure the limit, not the server; moto applies none.
        COGNITOADMIN_API_RATE_LIMITS="off",
    )
    return env


def _postgres_admin(statement: str) -> None:
    import psycopg  # noqa: PLC0415 (only the PostgreSQL run needs it)

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True, connect_timeout=5) as db:
        db.execute(statement.encode())


def _database_url(kind: str, run_dir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{run_dir / 'bench.sqlite3'}"
    _postgres_admin(f"DROP DATABASE IF EXISTS {DATABASE_NAME} WITH (FORCE)")
    _postgres_admin(f"CREATE DATABASE {DATABASE_NAME}")
    return f"{POSTGRES_SERVER}/{DATABASE_NAME}"


def _django_setup(env: dict[str, str]) -> None:
    for name in [k for k in os.environ if k.startswith(_OWN_PREFIXES) and k not in env]:
        del os.environ[name]
    os.environ.update(env)
    import django  # noqa: PLC0415 (settings come from the environment set just above)
    from django.core.management import call_command  # noqa: PLC0415

    django.setup()
    call_command("migrate", verbosity=0)


def _close_database_connections() -> None:
    # The load workers are forked from this process: they must not share its connections.
    from django.apps import apps  # noqa: PLC0415
    from django.db import connections  # noqa: PLC0415

    if apps.ready:
        connections.close_all()


# --- the run --------------------------------------------------------------------------------


def _step(message: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {message}", flush=True)


def _timed(label: str, action: Callable[[], _T]) -> _T:
    began = time.monotonic()
    result = action()
    _step(f"{label} ({time.monotonic() - began:.1f} s)")
    return result


def _start_servers(
    plan: Plan, args: argparse.Namespace, env: dict[str, str], run_dir: Path, key: tuple[str, str]
) -> tuple[list[ServerProcess], dict[str, Target], dict[str, Any]]:
    """Both servers, with moto's ListUsers pools (`plan.list_sizes`, none without the ListUsers
    scenario) filled as it starts; on failure, whatever was started is stopped again."""
    servers: list[ServerProcess] = []
    targets: dict[str, Target] = {}
    loading: dict[str, Any] = {}
    try:
        ours = _timed(
            f"started gunicorn ({args.workers} workers x {args.threads} threads)",
            lambda: start_cognitoadmin(
                env=env, workers=args.workers, threads=args.threads, log_dir=run_dir
            ),
        )
        servers.append(ours)
        targets[OURS] = Target(
            Endpoint(OURS, HOST, ours.port, REGION, *key),
            ours,
            database=DATABASE_NAME if args.db == "postgres" else None,
        )
        if not args.skip_moto:
            users = " + ".join(map(str, plan.list_sizes)) or "no"
            moto, pools, seconds = _timed(
                f"started moto_server with {users} users",
                lambda: start_moto(sizes=list(plan.list_sizes), log_dir=run_dir),
            )
            servers.append(moto)
            # moto checks no signature: any key will do.
            endpoint = Endpoint(MOTO, HOST, moto.port, REGION, "AKIAIOSFODNN7EXAMPLE", "moto")
            targets[MOTO] = Target(
                endpoint,
                moto,
                list_pools={size: (pools[str(size)], size) for size in plan.list_sizes},
            )
            loading[MOTO] = {
                "method": "moto's backend admin_create_user in the server process, before it "
                "serves (bench.moto_seeded)",
                "seconds": round(seconds, 1),
            }
        # Only the sign-in and GetUser scenarios need sign-in users.
        needs_users = bool({"sign_in", "get_user"} & set(args.scenarios))
        for name, target in targets.items() if needs_users else ():
            target.sign_in = _timed(
                f"{name}: {plan.sign_in_users} sign-in users through AdminCreateUser",
                functools.partial(sign_in_setup, target.endpoint, users=plan.sign_in_users),
            )
    except BaseException:
        for server in reversed(servers):
            server.stop()
        raise
    return servers, targets, loading


def _load_users(plan: Plan, target: Target) -> dict[str, Any]:
    """This server's ListUsers pools, created through the API and filled through the ORM."""
    from bench.seed import users_bulk_insert  # noqa: PLC0415 (needs Django set up)

    loaded: dict[str, Any] = {}
    for size in plan.list_sizes:
        pool_id = list_pool_create(target.endpoint, size=size)
        inserted, seconds = users_bulk_insert(
            pool_id=pool_id, count=size, max_seconds=plan.load_max_seconds
        )
        _step(f"{OURS}: {inserted} users bulk-inserted through the ORM ({seconds:.1f} s)")
        target.list_pools[size] = (pool_id, inserted)
        loaded[str(size)] = {"users": inserted, "seconds": round(seconds, 1)}
    _settle_database()
    _close_database_connections()
    return {"method": "ORM bulk_create in batches, one precomputed Argon2id hash", "pools": loaded}


def _settle_database() -> None:
    """What a database that has had its bulk load for a while would have done: statistics
    gathered, the new rows vacuumed, dirty pages written. Otherwise autovacuum and the
    checkpointer do it in the middle of the first scenarios."""
    from django.db import connection  # noqa: PLC0415

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM (ANALYZE)")
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("ANALYZE")


@dataclass(frozen=True)
class _Scenario:
    key: str
    label: str
    limits: Limits
    calls: Callable[[Target], list[Call]]
    # The ListUsers pool's nominal size, for the ListUsers scenarios.
    size: int | None = None

    @property
    def group(self) -> str:
        """Its name for --scenarios: list_users stands for every pool size."""
        return "list_users" if self.size is not None else self.key


def _scenarios(
    plan: Plan, targets: dict[str, Target], chosen: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Every chosen API scenario on every server, in rounds that take turns between the servers,
    so that whatever else the machine does weighs on both alike."""
    every = [
        _Scenario("sign_in", "InitiateAuth USER_PASSWORD_AUTH", plan.sign_in, sign_in_calls),
        _Scenario("get_user", "GetUser", plan.get_user, get_user_calls),
        *(
            _Scenario(
                f"list_users_{size}",
                f"ListUsers email ^= at {size}",
                plan.list_users,
                functools.partial(
                    list_users_calls, size=size, filters=plan.list_filters, seed=size
                ),
                size,
            )
            for size in plan.list_sizes
        ),
    ]
    scenarios = [scenario for scenario in every if scenario.group in chosen]
    results: dict[str, dict[str, Any]] = {}
    for scenario in scenarios:
        calls = {name: scenario.calls(target) for name, target in targets.items()}
        rounds: dict[str, list[Round]] = {name: [] for name in targets}
        for _ in range(plan.rounds):
            for name, target in targets.items():
                rounds[name].append(
                    measure(target, calls[name], scenario.limits, rounds=plan.rounds)
                )
        results[scenario.key] = {}
        for name, target in targets.items():
            summary = figures(rounds[name])
            if scenario.size is not None:
                summary["users_in_pool"] = target.list_pools[scenario.size][1]
                summary["users_per_answer"] = answer_size(target, calls[name][0])
            results[scenario.key][name] = summary
            errors = f", {summary['errors']} errors" if summary["errors"] else ""
            _step(
                f"{scenario.label} on {name}: {summary['requests']} in"
                f" {summary['seconds']:.1f} s over {plan.rounds} rounds{errors}"
            )
    return results


def _ratio(ours: float, theirs: float) -> float | None:
    if not theirs or math.isnan(ours) or math.isnan(theirs):
        return None
    return ours / theirs


def _summary(results: dict[str, dict[str, Any]], floor: dict[str, Any] | None) -> dict[str, Any]:
    """The floor fractions, DESIGN.md's targets and the ratios to moto, for the scenarios run."""
    cores = os.cpu_count() or 1
    summary: dict[str, Any] = {}
    targets: dict[str, bool] = {}
    if "sign_in" in results and floor is not None:
        ours_sign_in = results["sign_in"][OURS]
        floor_rate = floor["sign_ins_per_core_second"]
        summary.update(
            sign_in_floor_fraction=ours_sign_in["rate_per_core"] / floor_rate,
            sign_in_floor_fraction_all_cores=ours_sign_in["rate_per_core"]
            / floor["sign_ins_per_core_second_all_cores"],
            sign_in_floor_fraction_wall=ours_sign_in["rate"] / cores / floor_rate,
        )
        targets["sign_in_per_core >= 30"] = ours_sign_in["rate_per_core"] >= TARGET_SIGN_IN_PER_CORE
    if "get_user" in results:
        targets["get_user_per_core >= 1000"] = (
            results["get_user"][OURS]["rate_per_core"] >= TARGET_GET_USER_PER_CORE
        )
    for key in results:
        if key.startswith("list_users_"):
            targets[f"{key} p95 < 20 ms"] = results[key][OURS]["p95_ms"] < TARGET_LIST_USERS_P95_MS
    summary["targets"] = targets
    if results and all(MOTO in figures for figures in results.values()):
        summary["ours_over_moto"] = {
            key: {
                field: _ratio(figures[OURS][field], figures[MOTO][field])
                for field in ("rate", "rate_per_core", "p50_ms", "p95_ms")
            }
            for key, figures in results.items()
        }
    return summary


def _table(
    results: dict[str, dict[str, Any]],
    floor: dict[str, Any] | None,
    summary: dict[str, Any],
    messaging: dict[str, Any] | None,
) -> str:
    rows: list[tuple[str, str, str, str]] = [("figure", OURS, MOTO, "ours/moto")]

    def add(label: str, key: str, field: str, digits: int) -> None:
        ours = results[key][OURS][field]
        theirs = results[key].get(MOTO, {}).get(field)
        ratio = _ratio(ours, theirs) if theirs is not None else None
        rows.append(
            (
                label,
                f"{ours:.{digits}f}",
                "-" if theirs is None else f"{theirs:.{digits}f}",
                "-" if ratio is None else f"{ratio:.2f}",
            )
        )

    if "sign_in" in results:
        add("sign-in (InitiateAuth USER_PASSWORD_AUTH) /s", "sign_in", "rate", 1)
        add("  per server CPU-second", "sign_in", "rate_per_core", 1)
        add("  per CPU-second, database included", "sign_in", "rate_per_core_with_database", 1)
        add("  p50 ms", "sign_in", "p50_ms", 1)
    if "get_user" in results:
        add("GetUser /s", "get_user", "rate", 0)
        add("  per server CPU-second", "get_user", "rate_per_core", 0)
        add("  per CPU-second, database included", "get_user", "rate_per_core_with_database", 0)
        add("  p50 ms", "get_user", "p50_ms", 2)
    for key in results:
        if key.startswith("list_users_"):
            users = results[key][OURS]["users_in_pool"]
            add(f"ListUsers email ^= at {users} users, p50 ms", key, "p50_ms", 2)
            add("  p95 ms", key, "p95_ms", 2)
    lines: list[str] = []
    if len(rows) > 1:
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [
            "  ".join(
                cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(row)
            )
            for row in rows
        ]
        lines.insert(1, "-" * len(lines[0]))
        lines.append("")
    if floor is not None and "sign_in_floor_fraction" in summary:
        lines += [
            f"floor (in-process, one core): Argon2id verify {floor['argon2_verify_ms']:.2f} ms"
            f" + 2 x RS256 sign {floor['rs256_sign_ms']:.3f} ms = {floor['sign_in_ms']:.2f} ms"
            f" -> {floor['sign_ins_per_core_second']:.1f} sign-ins/s per core"
            f" (RS256 verify {floor['rs256_verify_ms']:.3f} ms); with every core hashing,"
            f" Argon2id verify {floor['argon2_verify_ms_all_cores']:.2f} ms"
            f" -> {floor['sign_ins_per_core_second_all_cores']:.1f}/s per core",
            f"sign-in rate per server CPU-second = {summary['sign_in_floor_fraction']:.0%} of the"
            f" floor, {summary['sign_in_floor_fraction_all_cores']:.0%} of the all-cores floor"
            f" ({summary['sign_in_floor_fraction_wall']:.0%} of the floor counting wall time over"
            " all cores, client included)",
        ]
    if summary["targets"]:
        lines.append(
            "targets (DESIGN.md, per core): "
            + ", ".join(
                f"{name}: {'met' if ok else 'MISSED'}" for name, ok in summary["targets"].items()
            )
        )
    if messaging is not None:
        if lines:
            lines.append("")
        lines += messaging_table(messaging)
    return "\n".join(lines)


def _output_path(args: argparse.Namespace, started: dt.datetime) -> Path:
    if args.output is not None:
        path: Path = args.output
        return path
    suffix = "-quick" if args.quick else ""
    return RESULTS_DIR / f"{started:%Y%m%dT%H%M%SZ}{suffix}.json"


@dataclass
class _Measured:
    floor: dict[str, Any] | None = None
    # The API scenarios: figures by scenario, then by server.
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    loading: dict[str, Any] = field(default_factory=dict)
    messaging: dict[str, Any] | None = None
    enumeration: dict[str, Any] | None = None
    sync: dict[str, Any] | None = None


def _measure(plan: Plan, args: argparse.Namespace, env: dict[str, str], run_dir: Path) -> _Measured:
    """Everything the chosen scenarios measure, on the migrated database; every server is
    stopped at the end, whatever happens."""
    chosen = args.scenarios
    measured = _Measured()
    servers: list[ServerProcess] = []
    try:
        _timed("database migrated", lambda: _django_setup(env))
        _close_database_connections()
        if "sign_in" in chosen:
            from bench.floor import floor_measure  # noqa: PLC0415 (needs Django set up)

            measured.floor = _timed(
                "floor measured",
                lambda: floor_measure(
                    argon2_rounds=plan.floor_argon2_rounds, rs256_rounds=plan.floor_rs256_rounds
                ),
            ).as_dict()
        from bench.seed import operator_access_key  # noqa: PLC0415 (needs Django set up)

        key = operator_access_key()
        _close_database_connections()
        if set(API_SCENARIOS) & set(chosen):
            servers, targets, measured.loading = _start_servers(plan, args, env, run_dir, key)
            measured.loading[OURS] = _load_users(plan, targets[OURS])
            measured.results = _scenarios(plan, targets, chosen)
            # Stopped before the messaging scenario starts its own, which share the cores.
            while servers:
                servers.pop().stop()
        if "messaging" in chosen:
            config = MessagingConfig(
                env=env,
                access_key=key,
                region=REGION,
                workers=args.workers,
                threads=args.threads,
                worker_concurrency=args.celery_concurrency
                or (1 if args.db == "sqlite" else os.cpu_count() or 1),
                log_dir=run_dir,
                database=DATABASE_NAME if args.db == "postgres" else None,
            )
            measured.messaging = _timed(
                "messaging measured", lambda: messaging_run(plan.messaging, config, _step)
            )
        if "enumeration" in chosen:
            enumeration = EnumerationConfig(env=env, access_key=key, region=REGION, log_dir=run_dir)
            measured.enumeration = _timed(
                "enumeration timing measured",
                lambda: enumeration_run(plan.enumeration, enumeration, _step),
            )
        if "sync" in chosen:
            sync = SyncConfig(
                env=env,
                access_key=key,
                region=REGION,
                workers=args.workers,
                threads=args.threads,
                log_dir=run_dir,
                database=DATABASE_NAME if args.db == "postgres" else None,
            )
            measured.sync = _timed("sync measured", lambda: sync_run(plan.sync, sync, _step))
    finally:
        for server in reversed(servers):
            server.stop()
    return measured


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    cores = os.cpu_count() or 1
    plan = _plans(cores)["quick" if args.quick else "full"]
    if args.sizes:
        plan = replace(plan, list_sizes=args.sizes)
    if "list_users" not in args.scenarios:
        plan = replace(plan, list_sizes=())
    if args.messages:
        plan = replace(plan, messaging=replace(plan.messaging, messages=args.messages))
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    run_dir = Path(tempfile.mkdtemp(prefix="cognitoadmin-bench-"))
    mode = "quick" if args.quick else "full"
    print(
        f"cognitoadmin benchmark ({mode}, {args.db}; {', '.join(args.scenarios)});"
        f" logs in {run_dir}"
    )
    database_url = _database_url(args.db, run_dir)
    env = _environment(database_url, run_dir)
    try:
        measured = _measure(plan, args, env, run_dir)
    finally:
        _close_database_connections()
        if args.db == "postgres":
            _postgres_admin(f"DROP DATABASE IF EXISTS {DATABASE_NAME} WITH (FORCE)")
    floor, results, loading, messaging = (
        measured.floor,
        measured.results,
        measured.loading,
        measured.messaging,
    )
    summary = _summary(results, floor)
    report = {
        "started": started.isoformat(),
        "mode": mode,
        "machine": {
            "cores": cores,
            # Other work on the machine skews every figure: the load around the run says how much.
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "config": {
            "database": args.db,
            "scenarios": list(args.scenarios),
            "server": f"gunicorn gthread, {args.workers} workers x {args.threads} threads",
            "plan": asdict(plan),
            "loading": loading,
        },
        "floor": floor,
        "scenarios": results,
        "summary": summary,
        # This server alone: moto sends no email (bench.messaging).
        "messaging": messaging,
        # This server alone: known versus unknown names (bench.enumeration).
        "enumeration": measured.enumeration,
        # This server alone: moto_server serves no cognito-sync (bench.sync).
        "sync": measured.sync,
    }
    output = _output_path(args, started)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, default=str))
    table = _table(results, floor, summary, messaging)
    if table:
        print(f"\n{table}")
    if measured.enumeration is not None:
        print("\n".join(["", *enumeration_table(measured.enumeration)]))
    if measured.sync is not None:
        print("\n".join(["", *sync_table(measured.sync)]))
    print(
        f"load average before / after: {load_before[0]:.2f} / {os.getloadavg()[0]:.2f}"
        f" on {cores} cores\nresults: {output}"
    )
    api_ok = all(
        figures["requests"] > 0 for scenario in results.values() for figures in scenario.values()
    )
    enumeration_ok = measured.enumeration is None or measured.enumeration["ok"]
    sync_ok = measured.sync is None or measured.sync["ok"]
    if api_ok and enumeration_ok and sync_ok and (messaging is None or messaging["ok"]):
        shutil.rmtree(run_dir, ignore_errors=True)
        return 0
    print(f"a check failed: the servers' logs are kept in {run_dir}")
    return 1
