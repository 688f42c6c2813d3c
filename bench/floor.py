"""The in-process floor of a password sign-in: one Argon2id verification with the project's
hasher and two RS256 signatures (ID and access token) with a 2048-bit key. No HTTP, no database:
what a sign-in cannot do without, measured as CPU time on one core.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.hashers import get_hasher

RSA_BITS = 2048


@dataclass(frozen=True)
class Floor:
    hasher: str
    argon2_verify_ms: float
    rs256_sign_ms: float
    rs256_verify_ms: float
    # The same verification while every core runs one: 19 MiB a hash, side by side, share the
    # caches, so a server busy on all cores pays this rather than the one-core figure.
    argon2_verify_ms_all_cores: float

    @property
    def sign_in_ms(self) -> float:
        return self.argon2_verify_ms + 2 * self.rs256_sign_ms

    @property
    def sign_ins_per_core_second(self) -> float:
        return 1000 / self.sign_in_ms

    @property
    def sign_ins_per_core_second_all_cores(self) -> float:
        return 1000 / (self.argon2_verify_ms_all_cores + 2 * self.rs256_sign_ms)

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "sign_in_ms": self.sign_in_ms,
            "sign_ins_per_core_second": self.sign_ins_per_core_second,
            "sign_ins_per_core_second_all_cores": self.sign_ins_per_core_second_all_cores,
        }


def _cpu_ms(action: Callable[[], object], rounds: int) -> float:
    """Mean CPU time of `action` in this process, in milliseconds, after one warm-up call."""
    action()
    began = time.process_time()
    for _ in range(rounds):
        action()
    return (time.process_time() - began) * 1000 / rounds


def _claims() -> dict[str, Any]:
    """An access token's worth of claims, as this server puts in one."""
    now = int(time.time())
    return {
        "sub": str(uuid.uuid4()),
        "iss": "http://127.0.0.1:8000/us-east-1_AbCdEfGhI",
        "client_id": "a" * 26,
        "origin_jti": str(uuid.uuid4()),
        "event_id": str(uuid.uuid4()),
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": now,
        "exp": now + 3600,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "username": "bench-user0000001",
        "version": 2,
    }


def _argon2_verify_ms(password: str, encoded: str, rounds: int) -> float:
    hasher = get_hasher("default")
    return _cpu_ms(lambda: hasher.verify(password, encoded), rounds)


def _argon2_verify_ms_all_cores(password: str, encoded: str, rounds: int) -> float:
    processes = os.cpu_count() or 1
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        times = pool.starmap(_argon2_verify_ms, [(password, encoded, rounds)] * processes)
    return statistics.fmean(times)


def floor_measure(*, argon2_rounds: int, rs256_rounds: int) -> Floor:
    """Django must be set up, with no database connection open (the measuring processes are
    forked): the hasher is the first of PASSWORD_HASHERS, as sign-in uses."""
    hasher = get_hasher("default")
    password = secrets.token_urlsafe(12)
    encoded = hasher.encode(password, hasher.salt())
    argon2_ms = _argon2_verify_ms(password, encoded, argon2_rounds)
    argon2_all_cores_ms = _argon2_verify_ms_all_cores(password, encoded, argon2_rounds)

    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    claims = _claims()
    headers = {"kid": "bench", "typ": None}
    sign_ms = _cpu_ms(
        lambda: jwt.encode(claims, key, algorithm="RS256", headers=headers), rs256_rounds
    )
    token = jwt.encode(claims, key, algorithm="RS256", headers=headers)
    public = key.public_key()
    verify_ms = _cpu_ms(
        lambda: jwt.decode(token, public, algorithms=["RS256"], options={"verify_exp": False}),
        rs256_rounds,
    )
    return Floor(
        hasher=f"{type(hasher).__module__}.{type(hasher).__qualname__}",
        argon2_verify_ms=argon2_ms,
        rs256_sign_ms=sign_ms,
        rs256_verify_ms=verify_ms,
        argon2_verify_ms_all_cores=argon2_all_cores_ms,
    )
