"""The servers under test, started and stopped by the benchmark, on loopback only: this project
under gunicorn, and moto's own `moto_server`; and for the messaging scenario, a Redis of its own,
an SMTP sink (`bench.smtp_sink`) and a Celery worker.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

HOST = "127.0.0.1"
_READY_TIMEOUT_SECONDS = 60.0
_STOP_TIMEOUT_SECONDS = 15.0
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    """A loopback port nobody listens on now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    return int(stat.rsplit(")", 1)[1].split()[1])


def _cpu_ticks(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()
    # utime and stime (fields 14 and 15 of stat; 12 and 13 after the command name).
    return int(fields[11]) + int(fields[12])


def cpu_seconds_between(before: dict[int, int], after: dict[int, int]) -> float:
    """CPU time spent between two snapshots (pid -> ticks) of a set of processes. A process that
    started in between counts from zero; one that ended is left out, its last ticks unknown (a
    database backend closed when its connection reached CONN_MAX_AGE)."""
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items()) / _CLOCK_TICKS


def database_cpu_snapshot(database: str) -> dict[int, int]:
    """CPU ticks of the live PostgreSQL backends connected to `database` (their process titles
    name it), which work for this server and not for moto."""
    snapshot: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            snapshot[int(entry.name)] = _cpu_ticks(int(entry.name))
    return snapshot


@dataclass
class ServerProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]

    def pids(self) -> list[int]:
        """The server's process and its descendants (gunicorn's workers)."""
        family = {self.process.pid}
        candidates = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
        grew = True
        while grew:
            grew = False
            for pid in candidates:
                if pid not in family and _parent_of(pid) in family:
                    family.add(pid)
                    grew = True
        return sorted(family)

    def cpu_snapshot(self) -> dict[int, int]:
        """CPU ticks (user + system) used so far by each of the server's live processes."""
        return {pid: _cpu_ticks(pid) for pid in self.pids()}

    def stop(self) -> None:
        """SIGTERM to the process this benchmark started (gunicorn stops its own workers)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=_STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=_STOP_TIMEOUT_SECONDS)
        self.log_file.close()

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def _answers_http(port: int) -> bool:
    with socket.create_connection((HOST, port), timeout=1) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\nHost: " + HOST.encode() + b"\r\n\r\n")
        return sock.recv(12).startswith(b"HTTP/")


def _answers_redis(port: int) -> bool:
    with socket.create_connection((HOST, port), timeout=1) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(7).startswith(b"+PONG")


def _answers_smtp(port: int) -> bool:
    with socket.create_connection((HOST, port), timeout=1) as sock:
        greeting = sock.recv(3)
        sock.sendall(b"QUIT\r\n")
        return greeting == b"220"


def _wait_ready(server: ServerProcess, answers: Callable[[int], bool] = _answers_http) -> None:
    """Until the server answers on its port (HTTP unless told); an exit or the timeout is an
    error."""
    deadline = time.monotonic() + _READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        with contextlib.suppress(OSError):
            if answers(server.port):
                return
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer within {_READY_TIMEOUT_SECONDS:.0f} s")


def _start(
    name: str,
    command: list[str],
    env: Mapping[str, str],
    log_dir: Path,
    port: int,
    *,
    answers: Callable[[int], bool] | None = _answers_http,
) -> ServerProcess:
    """Start `command`, its output to `<log_dir>/<name>.log`, and wait until it `answers` on
    `port` (None: do not wait; a process with no port says it is ready some other way)."""
    log_path = log_dir / f"{name}.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(  # noqa: S603 (fixed commands, no shell)
        command, env=dict(env), stdout=log_file, stderr=subprocess.STDOUT, cwd=Path.cwd()
    )
    server = ServerProcess(name, port, process, log_path, log_file)
    if answers is not None:
        try:
            _wait_ready(server, answers)
        except BaseException:
            server.stop()
            raise
    return server


def start_cognitoadmin(
    *,
    env: Mapping[str, str],
    workers: int,
    threads: int,
    log_dir: Path,
    name: str = "cognitoadmin",
) -> ServerProcess:
    """This project as production runs it: gunicorn, DEBUG off, `workers` processes of
    `threads` threads each (gthread: keep-alive connections, as SDKs use them). `name` names its
    log, when several run side by side."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "cognitoadmin.wsgi:application",
        f"--bind={HOST}:{port}",
        f"--workers={workers}",
        "--worker-class=gthread",
        f"--threads={threads}",
        "--keep-alive=30",
        "--timeout=120",
        "--log-level=warning",
    ]
    server_env = {**env, "COGNITOADMIN_PUBLIC_URL": f"http://{HOST}:{port}"}
    return _start(name, command, server_env, log_dir, port)


def start_moto(*, sizes: list[int], log_dir: Path) -> tuple[ServerProcess, dict[str, str], float]:
    """moto's own server (`moto_server`: one process, a thread per connection), with a pool of
    each size in `sizes` filled beforehand (`bench.moto_seeded`); returns it, those pools' ids
    by size, and the seconds the filling took."""
    if importlib.util.find_spec("moto") is None:
        raise RuntimeError(
            "moto is not installed: `.venv/bin/pip install -e '.[bench]'` brings it."
        )
    port = free_port()
    pools_file = log_dir / "moto-pools.json"
    command = [
        sys.executable,
        "-m",
        "bench.moto_seeded",
        str(pools_file),
        str(port),
        *(str(size) for size in sizes),
    ]
    # moto is a separate program: it gets none of this project's settings or secrets.
    server = _start("moto", command, _program_env(), log_dir, port)
    filled = json.loads(pools_file.read_text())
    pools: dict[str, str] = filled["pools"]
    return server, pools, float(filled["seconds"])


def _program_env() -> dict[str, str]:
    """The environment of a program that is not this project: none of its settings or secrets."""
    return {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ")}


def start_redis(*, log_dir: Path) -> ServerProcess:
    """A Redis of the benchmark's own, on a free port, nothing saved (never the system's Redis
    on 6379); its working directory is a fresh one in `log_dir`."""
    if not os.access(REDIS_SERVER, os.X_OK):
        raise RuntimeError(f"{REDIS_SERVER} is missing: the messaging scenario needs it.")
    port = free_port()
    data_dir = log_dir / "redis"
    data_dir.mkdir(exist_ok=True)
    command = [
        REDIS_SERVER,
        "--bind",
        HOST,
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(data_dir),
        "--daemonize",
        "no",
        "--loglevel",
        "warning",
    ]
    return _start("redis", command, _program_env(), log_dir, port, answers=_answers_redis)


def start_smtp_sink(*, log_dir: Path) -> tuple[ServerProcess, Path]:
    """`bench.smtp_sink` on a free port; returns it and the file it writes a line to for every
    message it accepts."""
    if importlib.util.find_spec("aiosmtpd") is None:
        raise RuntimeError(
            "aiosmtpd is not installed: `.venv/bin/pip install -e '.[dev]'` brings it."
        )
    port = free_port()
    received = log_dir / "smtp-sink.jsonl"
    received.write_text("")
    command = [sys.executable, "-m", "bench.smtp_sink", str(received), str(port)]
    server = _start("smtp-sink", command, _program_env(), log_dir, port, answers=_answers_smtp)
    return server, received


def start_celery_worker(
    *, env: Mapping[str, str], concurrency: int, log_dir: Path
) -> ServerProcess:
    """`celery -A cognitoadmin worker` as production would run it: the prefork pool of
    `concurrency` processes, with the settings in `env` (the broker's URL among them). It has no
    port: it is ready once it delivers a first message, which the caller waits for."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "cognitoadmin",
        "worker",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "--loglevel=WARNING",
        "--hostname=bench@%h",
        # No other workers to talk to: start at once, and no chatter while measuring.
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
    ]
    return _start("celery-worker", command, env, log_dir, 0, answers=None)
