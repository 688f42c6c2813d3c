"""The enumeration-timing scenario: whether an app client with PreventUserExistenceErrors
ENABLED gives away who exists by how long it takes to answer.

Every path where the client promises silence is timed for a name that names a user and for one
that names nobody, one call after the other on one keep-alive connection to a server of its own
(one gunicorn worker, one thread, so that no two calls run side by side), in turns whose order
flips at every sample: InitiateAuth USER_PASSWORD_AUTH and ADMIN_USER_PASSWORD_AUTH with a wrong
password, USER_SRP_AUTH's first step and its PASSWORD_VERIFIER with a wrong proof, ForgotPassword,
ResendConfirmationCode, ConfirmSignUp and ConfirmForgotPassword with a wrong code. The server runs
with production settings plus a Redis of its own as cache and broker, as production runs it (no
Celery worker: the messages queued stay in that Redis, which is thrown away).

Known names stay within every limit, so that each answer is the one under test: a user fails at
most four times before a correct password (not timed) ends the count, asks for at most four codes
an hour (Cognito allows five), and tries each code wrong at most four times (five use it up).
Unknown names are new each time, as a scan's would be. Reported, per path: p50 for each kind of
name and the difference (unknown minus known), p95s, and whether both got the same answers.
"""

from __future__ import annotations

import base64
import json
import secrets
import statistics
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.client import Call, Connection, Endpoint
from bench.servers import HOST, ServerProcess, start_cognitoadmin, start_redis

KNOWN = "known"
UNKNOWN = "unknown"
# The figure the issue asks for: known and unknown within this of each other at p50.
TARGET_GAP_MS = 1.0
# Meets Cognito's default password policy: an upper- and a lowercase letter, a digit, a symbol.
_POLICY_CLASSES = "Aa1!"
EMAIL_DOMAIN = "bench.example"
# Per known name: failures before a correct password, codes asked for, wrong tries per code.
_FAILURES_PER_RESET = 4
_CODES_PER_USER = 4
# SRP's group (RFC 5054's 3072-bit prime, as Cognito uses) and generator, for the client's A.
_SRP_N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA4836"
    "1C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804"
    "F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6"
    "955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64"
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D226"
    "1AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
_WRONG_CODE = "000000"  # one chance in a million of being right: then the answers differ
_TIMESTAMP = "Tue Jan 1 00:00:00 UTC 2030"
PATHS = (
    "InitiateAuth USER_PASSWORD_AUTH",
    "AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH",
    "InitiateAuth USER_SRP_AUTH",
    "RespondToAuthChallenge PASSWORD_VERIFIER",
    "ForgotPassword",
    "ConfirmForgotPassword",
    "ResendConfirmationCode",
    "ConfirmSignUp",
)


@dataclass(frozen=True)
class EnumerationPlan:
    # Samples per path and kind of name.
    samples: int
    # Known users that sign in (each resets its count with a correct password now and then).
    sign_in_users: int


@dataclass(frozen=True)
class EnumerationConfig:
    env: Mapping[str, str]
    access_key: tuple[str, str]
    region: str
    log_dir: Path


@dataclass
class _Setup:
    pool_id: str
    client_id: str
    password: str
    sign_in_users: list[str]
    # Confirmed users with a verified email (recovery), and unconfirmed ones (sign-up codes).
    recovery_users: list[str]
    unconfirmed_users: list[str]
    failures: dict[str, int] = field(default_factory=dict)


@dataclass
class _Timings:
    latencies: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: {path: {KNOWN: [], UNKNOWN: []} for path in PATHS}
    )
    answers: dict[str, dict[str, set[str]]] = field(
        default_factory=lambda: {path: {KNOWN: set(), UNKNOWN: set()} for path in PATHS}
    )


def _new_name() -> str:
    """A name of the same shape for known and unknown users, so that lengths give nothing."""
    return f"enum-{secrets.token_hex(6)}"


def _answer(status: int, raw: bytes) -> str:
    """What a caller can tell from an answer: the status, the error type and message, or for
    a success which members it has."""
    body: dict[str, Any] = json.loads(raw) if raw else {}
    if status == 200:
        return f"200 {sorted(body)}"
    return f"{status} {body.get('__type')}: {body.get('message')}"


def _setup(connection: Connection, plan: EnumerationPlan) -> _Setup:
    password = secrets.token_urlsafe(12) + _POLICY_CLASSES
    pool_id = connection.call(
        "CreateUserPool",
        {
            "PoolName": "bench-enumeration",
            "AutoVerifiedAttributes": ["email"],
            "AccountRecoverySetting": {
                "RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]
            },
        },
        signed=True,
    )["UserPool"]["Id"]
    client_id = connection.call(
        "CreateUserPoolClient",
        {
            "UserPoolId": pool_id,
            "ClientName": "bench-enumeration",
            "PreventUserExistenceErrors": "ENABLED",
            "ExplicitAuthFlows": [
                "ALLOW_USER_PASSWORD_AUTH",
                "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                "ALLOW_USER_SRP_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH",
            ],
        },
        signed=True,
    )["UserPoolClient"]["ClientId"]
    # One more than the samples need: the warm-up's (index -1).
    per_user = -(-plan.samples // _CODES_PER_USER) + 1
    setup = _Setup(
        pool_id,
        client_id,
        password,
        [_new_name() for _ in range(plan.sign_in_users)],
        [_new_name() for _ in range(per_user)],
        [_new_name() for _ in range(per_user)],
    )
    for username in setup.sign_in_users + setup.recovery_users:
        connection.call(
            "AdminCreateUser",
            {
                "UserPoolId": pool_id,
                "Username": username,
                "MessageAction": "SUPPRESS",
                "UserAttributes": [
                    {"Name": "email", "Value": f"{username}@{EMAIL_DOMAIN}"},
                    {"Name": "email_verified", "Value": "true"},
                ],
            },
            signed=True,
        )
        connection.call(
            "AdminSetUserPassword",
            {"UserPoolId": pool_id, "Username": username, "Password": password, "Permanent": True},
            signed=True,
        )
    for username in setup.unconfirmed_users:
        connection.call(
            "SignUp",
            {
                "ClientId": client_id,
                "Username": username,
                "Password": password,
                "UserAttributes": [{"Name": "email", "Value": f"{username}@{EMAIL_DOMAIN}"}],
            },
            signed=False,
        )
    return setup


def _timed(
    connection: Connection, timings: _Timings, path: str, kind: str, call: Call
) -> dict[str, Any]:
    began = time.perf_counter()
    status, raw = connection.send(call)
    elapsed = (time.perf_counter() - began) * 1000
    timings.latencies[path][kind].append(elapsed)
    timings.answers[path][kind].add(_answer(status, raw))
    result: dict[str, Any] = json.loads(raw) if raw and status == 200 else {}
    return result


def _sign_in(setup: _Setup, username: str, password: str, *, admin: bool) -> Call:
    parameters = {"USERNAME": username, "PASSWORD": password}
    if admin:
        return Call(
            "AdminInitiateAuth",
            {
                "UserPoolId": setup.pool_id,
                "ClientId": setup.client_id,
                "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                "AuthParameters": parameters,
            },
            signed=True,
        )
    return Call(
        "InitiateAuth",
        {
            "ClientId": setup.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": parameters,
        },
    )


def _failed(connection: Connection, setup: _Setup, username: str) -> None:
    """Count a known user's failure; before a fifth, a correct password (not timed) ends the
    count, so that no answer under test is a lockout."""
    setup.failures[username] = setup.failures.get(username, 0) + 1
    if setup.failures[username] >= _FAILURES_PER_RESET:
        status, raw = connection.send(_sign_in(setup, username, setup.password, admin=False))
        if status != 200:
            raise RuntimeError(f"a correct password was refused: {raw[:300]!r}")
        setup.failures[username] = 0


def _sign_in_sample(
    connection: Connection, setup: _Setup, timings: _Timings, index: int, kind: str
) -> None:
    known = kind == KNOWN
    user = setup.sign_in_users[index % len(setup.sign_in_users)]
    wrong = secrets.token_urlsafe(12) + _POLICY_CLASSES
    for path, admin in ((PATHS[0], False), (PATHS[1], True)):
        name = user if known else _new_name()
        _timed(connection, timings, path, kind, _sign_in(setup, name, wrong, admin=admin))
        if known:
            _failed(connection, setup, user)
    name = user if known else _new_name()
    public_a = pow(2, secrets.randbits(256), _SRP_N)
    challenge = _timed(
        connection,
        timings,
        PATHS[2],
        kind,
        Call(
            "InitiateAuth",
            {
                "ClientId": setup.client_id,
                "AuthFlow": "USER_SRP_AUTH",
                "AuthParameters": {"USERNAME": name, "SRP_A": f"{public_a:x}"},
            },
        ),
    )
    parameters = challenge.get("ChallengeParameters", {})
    _timed(
        connection,
        timings,
        PATHS[3],
        kind,
        Call(
            "RespondToAuthChallenge",
            {
                "ClientId": setup.client_id,
                "ChallengeName": "PASSWORD_VERIFIER",
                "ChallengeResponses": {
                    "USERNAME": parameters.get("USER_ID_FOR_SRP", name),
                    "PASSWORD_CLAIM_SECRET_BLOCK": parameters.get("SECRET_BLOCK", ""),
                    "PASSWORD_CLAIM_SIGNATURE": base64.b64encode(secrets.token_bytes(32)).decode(),
                    "TIMESTAMP": _TIMESTAMP,
                },
            },
        ),
    )
    if known:
        _failed(connection, setup, user)


def _code_sample(
    connection: Connection, setup: _Setup, timings: _Timings, index: int, kind: str
) -> None:
    known = kind == KNOWN
    client = setup.client_id
    name = setup.recovery_users[index // _CODES_PER_USER] if known else _new_name()
    _timed(
        connection,
        timings,
        PATHS[4],
        kind,
        Call("ForgotPassword", {"ClientId": client, "Username": name}),
    )
    _timed(
        connection,
        timings,
        PATHS[5],
        kind,
        Call(
            "ConfirmForgotPassword",
            {
                "ClientId": client,
                "Username": name,
                "ConfirmationCode": _WRONG_CODE,
                "Password": secrets.token_urlsafe(12) + _POLICY_CLASSES,
            },
        ),
    )
    name = setup.unconfirmed_users[index // _CODES_PER_USER] if known else _new_name()
    _timed(
        connection,
        timings,
        PATHS[6],
        kind,
        Call("ResendConfirmationCode", {"ClientId": client, "Username": name}),
    )
    _timed(
        connection,
        timings,
        PATHS[7],
        kind,
        Call(
            "ConfirmSignUp",
            {"ClientId": client, "Username": name, "ConfirmationCode": _WRONG_CODE},
        ),
    )


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(sorted(values), n=100, method="inclusive")
    return cuts[max(0, min(98, round(fraction * 100) - 1))]


def enumeration_figures(timings: _Timings) -> dict[str, Any]:
    """p50 and p95 per path and kind of name, the p50 gap, and whether the answers matched."""
    paths: dict[str, Any] = {}
    for path in PATHS:
        known, unknown = timings.latencies[path][KNOWN], timings.latencies[path][UNKNOWN]
        gap = statistics.median(unknown) - statistics.median(known) if known and unknown else None
        paths[path] = {
            "samples": min(len(known), len(unknown)),
            "known_p50_ms": statistics.median(known) if known else float("nan"),
            "unknown_p50_ms": statistics.median(unknown) if unknown else float("nan"),
            "gap_p50_ms": gap,
            "known_p95_ms": _percentile(known, 0.95),
            "unknown_p95_ms": _percentile(unknown, 0.95),
            "known_answers": sorted(timings.answers[path][KNOWN]),
            "unknown_answers": sorted(timings.answers[path][UNKNOWN]),
            "same_answers": timings.answers[path][KNOWN] == timings.answers[path][UNKNOWN],
            "within_target": gap is not None and abs(gap) < TARGET_GAP_MS,
        }
    return paths


def enumeration_run(
    plan: EnumerationPlan, config: EnumerationConfig, step: Callable[[str], None]
) -> dict[str, Any]:
    """The whole scenario; the server and the Redis it starts are stopped at the end."""
    with ExitStack() as processes:

        def started(server: ServerProcess) -> ServerProcess:
            processes.callback(server.stop)
            return server

        redis = started(start_redis(log_dir=config.log_dir))
        redis_url = f"redis://{HOST}:{redis.port}"
        env = {**config.env, "CACHE_URL": f"{redis_url}/1", "CELERY_BROKER_URL": f"{redis_url}/0"}
        server = started(
            start_cognitoadmin(
                env=env, workers=1, threads=1, log_dir=config.log_dir, name="cognitoadmin-enum"
            )
        )
        endpoint = Endpoint("cognitoadmin", HOST, server.port, config.region, *config.access_key)
        connection = Connection(endpoint)
        processes.callback(connection.close)
        began = time.monotonic()
        setup = _setup(connection, plan)
        step(f"enumeration: pool, client and users set up ({time.monotonic() - began:.1f} s)")
        timings = _Timings()
        began = time.monotonic()
        # A warm-up of each path for each kind of name, not kept: first calls fill caches.
        for sample in (_sign_in_sample, _code_sample):
            for kind in (KNOWN, UNKNOWN):
                sample(connection, setup, _Timings(), -_CODES_PER_USER, kind)
        for index in range(plan.samples):
            order = (KNOWN, UNKNOWN) if index % 2 == 0 else (UNKNOWN, KNOWN)
            for kind in order:
                _sign_in_sample(connection, setup, timings, index, kind)
            for kind in order:
                _code_sample(connection, setup, timings, index, kind)
        step(
            f"enumeration: {plan.samples} samples of {len(PATHS)} paths for each kind of name"
            f" ({time.monotonic() - began:.1f} s)"
        )
    paths = enumeration_figures(timings)
    return {
        "server": "gunicorn gthread, 1 worker x 1 thread; Redis as cache and broker, no worker",
        "samples": plan.samples,
        "target_gap_ms": TARGET_GAP_MS,
        "paths": paths,
        "ok": all(figures["same_answers"] for figures in paths.values()),
    }


def enumeration_table(result: Mapping[str, Any]) -> list[str]:
    rows = [("enumeration (PreventUserExistenceErrors)", "known p50", "unknown p50", "gap", "")]
    for path, figures in result["paths"].items():
        gap = figures["gap_p50_ms"]
        verdict = "ok" if figures["within_target"] else "OVER"
        if not figures["same_answers"]:
            verdict += ", ANSWERS DIFFER"
        rows.append(
            (
                path,
                f"{figures['known_p50_ms']:.2f} ms",
                f"{figures['unknown_p50_ms']:.2f} ms",
                "-" if gap is None else f"{gap:+.2f} ms",
                verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        "  ".join(
            cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.append(
        f"{result['samples']} samples per path and kind; target: |gap| < {TARGET_GAP_MS:.0f} ms"
    )
    return lines
