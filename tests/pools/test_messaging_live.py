"""Messages to pool users through real components, started by these tests: a Redis broker of their
own (never the system's), an SMTP server in this process, an HTTP webhook for SMS, and Celery
workers as separate processes that read the test database.

What the outbox promises (pools/services/delivery.py), shown end to end: a request never waits on
a mail server or the broker, nothing the broker carries says what a message says, a message whose
first attempts fail arrives later, and none is sent twice (a worker killed mid-task, a task
dispatched again, the sweep).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import quote

import kombu.pools
import pytest
import redis
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import connection
from django.utils import timezone

from cognitoadmin.celery import app as celery_app
from cognitoadmin.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER
from pools.models import Delivery, DeliveryStatus, PoolUser, UserStatus
from pools.services.delivery import SWEEP_AFTER, deliveries_sweep, delivery_dispatch
from pools.tasks import delivery_send_task
from tests.builders import sent_code

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
PASSWORD = "Passw0rd!"
NEW_PASSWORD = "N3w-passw0rd!"
# How long anything the tests wait for may take: a worker's start, a message, a retry.
DEADLINE = 45.0
# The workers' first retry waits this long (COGNITOADMIN_DELIVERY_RETRY_DELAY), not 10 s.
RETRY_DELAY = 1
VISIBILITY_TIMEOUT = 3
WEBHOOK_SECRET = "webhook-secret-for-tests"

T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait(
    what: str, check: Callable[[], T | None], *, report: Callable[[], str], timeout: float
) -> T:
    """`check()`'s first truthy answer, polled until `timeout`; fails with `report()`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.\n{report()}")
        time.sleep(0.05)


# --- Redis ---------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of the tests' own on a free loopback port, without persistence; stopped and
    started again on the same port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self) -> None:
        if self.process is not None:
            return
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait("Redis to answer", self._answers, report=self._log, timeout=10)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process = None
        self.client.connection_pool.disconnect()

    def _answers(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.ConnectionError:
            return False

    def _log(self) -> str:
        path = self.directory / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""


class RedisMonitor:
    """Every command Redis runs while it is open (MONITOR), as raw bytes."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(b"MONITOR\r\n")
        self.data = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            self.data += chunk

    def close(self) -> bytes:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._reader.join(timeout=5)
        return bytes(self.data)


# Task message bodies, base64 in the Redis transport's envelope; MONITOR escapes its quotes.
_BODY = re.compile(rb'\\?"body\\?": \\?"([A-Za-z0-9+/=]+)\\?"')


def _task_bodies(raw: bytes) -> list[Any]:
    """The decoded bodies of the task messages in `raw` (queue entries or MONITOR output)."""
    bodies = []
    for encoded in _BODY.findall(raw):
        try:
            bodies.append(json.loads(base64.b64decode(encoded, validate=True)))
        except (binascii.Error, ValueError):
            continue
    return bodies


def _carries_only_ids(raw: bytes, delivery_ids: set[int], *secrets: str) -> None:
    """The broker's traffic `raw` holds task messages whose only argument is a delivery id, and
    none of `secrets` (the code, the address), in plain text or in a message body."""
    bodies = _task_bodies(raw)
    assert bodies, raw[:2000]
    for args, kwargs, _embed in bodies:
        assert kwargs == {}
        assert len(args) == 1
        assert args[0] in delivery_ids
    decoded = b"".join(json.dumps(body).encode() for body in bodies)
    for secret in secrets:
        assert secret.encode() not in raw
        assert secret.encode() not in decoded


# --- SMTP ----------------------------------------------------------------------------------------


class SinkHandler:
    """aiosmtpd handler: keeps each message it accepts. `mode`: "accept"; "refuse" (451, a
    transient refusal); "stall" (holds DATA until `release` is set, then answers 451 without
    keeping the message, so a worker killed meanwhile sent nothing)."""

    def __init__(self) -> None:
        self.mode = "accept"
        self.messages: list[EmailMessage] = []
        self.refused = 0
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.mode == "refuse":
            self.refused += 1
            return "451 4.3.0 Try again later"
        if self.mode == "stall":
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 2.0.0 OK"


class SmtpSink:
    """An SMTP server in this process on a fixed loopback port; `stop()` takes it off the network
    (connections are refused) until `start()`."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.handler = SinkHandler()
        self.controller: Controller | None = None

    def start(self) -> None:
        if self.controller is None:
            self.controller = Controller(
                self.handler, hostname="127.0.0.1", port=self.port, server_hostname="sink.test"
            )
            self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.handler.release.set()
            self.controller.stop()
            self.controller = None

    def reset(self) -> None:
        self.handler.mode = "accept"
        self.handler.messages.clear()
        self.handler.refused = 0
        self.handler.stalled.clear()
        self.handler.release.clear()
        self.start()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in list(self.handler.messages) if m["To"] == address]


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    content: str = part.get_content()
    return content


# --- SMS webhook ---------------------------------------------------------------------------------


@dataclass
class WebhookRequest:
    headers: dict[str, str]
    body: bytes
    status: int


# A webhook "status" that is no HTTP answer at all: a line of garbage, then the connection closed.
NOT_HTTP = 0


@dataclass
class Webhook:
    """An HTTP server standing for an SMS provider's gateway: answers each POST with the next
    status of `statuses` (then 200; NOT_HTTP: garbage), and keeps the requests."""

    statuses: list[int]
    requests: list[WebhookRequest] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = webhook.statuses.pop(0) if webhook.statuses else 200
                webhook.requests.append(WebhookRequest(dict(self.headers), body, status))
                if status == NOT_HTTP:
                    self.wfile.write(b"garbage\r\n\r\n")
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


# --- Celery workers ------------------------------------------------------------------------------


def _database_url() -> str:
    """The URL of the database this test process uses (the test database, once it is set up)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        assert os.path.isabs(name), f"the workers need a database file, not {name!r}"
        return f"sqlite:///{name}"
    assert connection.vendor == "postgresql", connection.vendor
    credentials = quote(str(db["USER"] or ""), safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(str(db["PASSWORD"]), safe="")
    host = str(db["HOST"] or "localhost")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(str(db['NAME']), safe='')}"


class Worker:
    """A `celery worker` process (solo pool, one task at a time), logging to `log`."""

    def __init__(self, *, name: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [
                    str(CELERY),
                    "-A",
                    "cognitoadmin",
                    "worker",
                    "--pool=solo",
                    "--concurrency=1",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    f"--hostname={self.name}@%h",
                ],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        _wait("the worker to be ready", self._ready, report=self.output, timeout=DEADLINE)

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            pytest.fail(f"The worker exited with {self.process.returncode}.\n{self.output()}")
        return " ready." in self.log.read_text(errors="replace")

    def stop(self) -> None:
        """Warm shutdown: the task at hand is finished first."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL: the task at hand is neither finished nor acknowledged."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.kill()
        self.process.wait(timeout=10)

    def output(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else "(no log)"
        return f"--- worker {self.name} log ({self.log}) ---\n{text}"


@dataclass
class Live:
    """The components of one test, and what the test waits for with them."""

    redis: RedisServer
    sink: SmtpSink
    directory: Path
    env: dict[str, str]
    workers: list[Worker] = field(default_factory=list)

    def worker(self, env: dict[str, str] | None = None, *, start: bool = True) -> Worker:
        """A worker with the tests' environment and `env` on top; started unless `start` is
        False."""
        name = f"w{len(self.workers) + 1}"
        worker = Worker(
            name=name, env={**self.env, **(env or {})}, log=self.directory / f"worker-{name}.log"
        )
        self.workers.append(worker)
        if start:
            worker.start()
        return worker

    def report(self) -> str:
        rows = list(
            Delivery.objects.order_by("pk").values(
                "pk", "kind", "channel", "status", "attempts", "last_error", "task_id"
            )
        )
        handler = self.sink.handler
        sink = (
            f"sink: mode={handler.mode} refused={handler.refused} "
            f"messages to {[m['To'] for m in handler.messages]}"
        )
        return "\n".join([f"deliveries: {rows}", sink, *(w.output() for w in self.workers)])

    def wait(self, what: str, check: Callable[[], T | None], timeout: float = DEADLINE) -> T:
        return _wait(what, check, report=self.report, timeout=timeout)

    def mail(self, address: str, count: int = 1) -> list[EmailMessage]:
        """The messages to `address`, once `count` have arrived."""

        def arrived() -> list[EmailMessage] | None:
            found = self.sink.to(address)
            return found if len(found) >= count else None

        return self.wait(f"{count} message(s) to {address}", arrived)

    def delivery(self, username: str, status: DeliveryStatus | None = None) -> Delivery:
        """The one message to `username`, once it is in `status`."""

        def find() -> Delivery | None:
            rows = list(Delivery.objects.filter(user__username=username))
            assert len(rows) <= 1, rows
            if rows and (status is None or rows[0].status == status):
                return rows[0]
            return None

        return self.wait(f"the delivery to {username} to be {status}", find)

    def sent(self, username: str, attempts: int = 1) -> Delivery:
        """The one message to `username`, once the worker has recorded it sent (which follows the
        mail server's acceptance): after `attempts` attempts, its sealed message dropped."""
        delivery = self.delivery(username, DeliveryStatus.SENT)
        recorded = (delivery.attempts, delivery.message_sealed, delivery.last_error)
        assert recorded == (attempts, "", ""), self.report()
        assert delivery.sent_at is not None
        return delivery

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if not os.access(REDIS_SERVER, os.X_OK):
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is required in CI: the messaging tests must run there.")
        pytest.skip("redis-server is not installed: the live messaging tests need it")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def smtp_sink() -> Iterator[SmtpSink]:
    # aiosmtpd logs every command at INFO: noise around a failure's report.
    mail_log = logging.getLogger("mail.log")
    level = mail_log.level
    mail_log.setLevel(logging.WARNING)
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()
    mail_log.setLevel(level)


def _celery_connections_reset() -> None:
    """Forget the app's broker connections and producers (kombu keeps them in global pools keyed
    by URL), so the next publish connects afresh to whatever the configuration says."""
    kombu.pools.reset()
    celery_app._pool = None  # type: ignore[attr-defined]
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def broker(redis_server: RedisServer) -> Iterator[RedisServer]:
    """This process publishes tasks to the tests' Redis (an empty one) instead of running them;
    the rest of the suite stays eager."""
    redis_server.start()
    redis_server.client.flushall()
    conf = celery_app.conf
    saved = {"task_always_eager": conf.task_always_eager, "broker_url": conf.broker_url}
    _celery_connections_reset()
    conf.update(task_always_eager=False, broker_url=redis_server.url)
    try:
        yield redis_server
    finally:
        conf.update(saved)
        _celery_connections_reset()


@pytest.fixture
def live(aws_url: str, broker: RedisServer, smtp_sink: SmtpSink, tmp_path: Path) -> Iterator[Live]:
    """The live server, Redis and the SMTP sink, and `live.worker()` to start workers against
    them and the test database (stopped after the test, before its data is flushed)."""
    smtp_sink.reset()
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "COGNITOADMIN_", "EMAIL_", "DJANGO_"))
        and key not in {"DATABASE_URL", "CACHE_URL", "DEBUG"}
    }
    env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "cognitoadmin.settings",
        "SECRET_KEY": settings.SECRET_KEY,
        "COGNITOADMIN_MASTER_KEY": settings.COGNITOADMIN_MASTER_KEY,
        "COGNITOADMIN_PUBLIC_URL": aws_url,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker.url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}?timeout=10",
        "COGNITOADMIN_DELIVERY_RETRY_DELAY": str(RETRY_DELAY),
        "COGNITOADMIN_LOCAL_DIR": str(tmp_path / "local"),
        "PYTHONUNBUFFERED": "1",
    }
    live = Live(redis=broker, sink=smtp_sink, directory=tmp_path, env=env)
    try:
        yield live
    finally:
        live.stop()
        smtp_sink.handler.release.set()


# --- pools and users, through the AWS endpoint ---------------------------------------------------


def _pool(idp: Any, **settings: Any) -> tuple[str, str]:
    """A new pool (email verified automatically unless `settings` say otherwise) and an app
    client of it that signs in with passwords: their ids."""
    settings.setdefault("AutoVerifiedAttributes", ["email"])
    pool_id: str = idp.create_user_pool(PoolName="live", **settings)["UserPool"]["Id"]
    client_id: str = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


def _sign_up(idp_public: Any, client_id: str, username: str) -> float:
    """SignUp with an email address `<username>@example.com`; returns how long it took."""
    began = time.monotonic()
    answer = idp_public.sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    took = time.monotonic() - began
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    return took


def _confirm(idp_public: Any, client_id: str, username: str, code: str) -> None:
    idp_public.confirm_sign_up(ClientId=client_id, Username=username, ConfirmationCode=code)
    assert PoolUser.objects.get(username=username).status == UserStatus.CONFIRMED


def _all_sent_once(live: Live, idp_public: Any, client_id: str, username: str) -> None:
    """After every task queued so far has run, `username` has exactly one message: a fresh
    message sent after them arrives (one solo worker takes the queue in order), and still only
    one to `username`."""
    fresh = f"{username}-after"
    _sign_up(idp_public, client_id, fresh)
    live.mail(f"{fresh}@example.com")
    live.delivery(fresh, DeliveryStatus.SENT)
    assert len(live.sink.to(f"{username}@example.com")) == 1, live.report()


# --- the tests -----------------------------------------------------------------------------------


def test_sign_up_mails_a_code_that_confirms_and_the_broker_never_sees_it(
    live: Live, idp: Any, idp_public: Any
) -> None:
    _pool_id, client_id = _pool(idp)
    live.worker()
    monitor = RedisMonitor(live.redis.port)
    try:
        _sign_up(idp_public, client_id, "dora")
        [message] = live.mail("dora@example.com")
        delivery = live.sent("dora")
    finally:
        traffic = monitor.close()

    assert message["Subject"] == "Your verification code"
    code = sent_code(_text(message))
    _confirm(idp_public, client_id, "dora", code)
    assert (delivery.kind, delivery.channel, delivery.destination) == (
        "SIGN_UP",
        "EMAIL",
        "d***@e***",
    )
    assert delivery.task_id
    # The broker got the task (the publish and the worker's take are in its traffic), and all
    # it ever held was the delivery's id.
    assert b"LPUSH" in traffic.upper()
    _carries_only_ids(traffic, {delivery.pk}, code, "dora@example.com")


def test_admin_create_user_mails_a_temporary_password_that_works_once(
    live: Live, idp: Any, idp_public: Any
) -> None:
    pool_id, client_id = _pool(idp)
    live.worker()
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username="nia",
        UserAttributes=[
            {"Name": "email", "Value": "nia@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
        DesiredDeliveryMediums=["EMAIL"],
    )
    [message] = live.mail("nia@example.com")
    assert message["Subject"] == "Your temporary password"
    found = re.fullmatch(
        r"Your username is nia and temporary password is (.+)\.", _text(message).strip()
    )
    assert found, _text(message)
    temporary = found.group(1)
    delivery = live.sent("nia")
    assert delivery.kind == "INVITATION"

    def sign_in(password: str) -> Any:
        return idp_public.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "nia", "PASSWORD": password},
        )

    challenge = sign_in(temporary)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    answered = idp_public.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "nia", "NEW_PASSWORD": NEW_PASSWORD},
    )
    assert answered["AuthenticationResult"]["AccessToken"]
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        sign_in(temporary)
    assert sign_in(NEW_PASSWORD)["AuthenticationResult"]["AccessToken"]
    assert PoolUser.objects.get(username="nia").status == UserStatus.CONFIRMED


def test_sign_up_answers_at_once_without_a_worker_which_sends_the_message_when_it_starts(
    live: Live, idp: Any, idp_public: Any
) -> None:
    _pool_id, client_id = _pool(idp)
    worker = live.worker(start=False)

    took = _sign_up(idp_public, client_id, "dora")
    assert took < 5, took
    delivery = live.delivery("dora")
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.attempts == 0
    assert delivery.task_id
    assert delivery.message_sealed
    [queued] = live.redis.client.lrange("celery", 0, -1)
    assert isinstance(queued, bytes)
    assert live.sink.handler.messages == []

    worker.start()
    [message] = live.mail("dora@example.com")
    code = sent_code(_text(message))
    live.sent("dora")
    _carries_only_ids(queued, {delivery.pk}, code, "dora@example.com")
    _confirm(idp_public, client_id, "dora", code)
    _all_sent_once(live, idp_public, client_id, "dora")


def test_sign_up_succeeds_with_the_broker_down_and_the_sweep_sends_the_message_later(
    live: Live, idp: Any, idp_public: Any
) -> None:
    _pool_id, client_id = _pool(idp)
    worker = live.worker()
    live.redis.stop()

    took = _sign_up(idp_public, client_id, "dora")
    assert took < 5, f"SignUp took {took:.1f} s with the broker down"
    delivery = live.delivery("dora")
    assert (delivery.status, delivery.task_id, delivery.attempts) == (DeliveryStatus.QUEUED, "", 0)
    # Not too early: the sweep leaves a fresh row alone.
    assert deliveries_sweep() == 0

    live.redis.start()
    assert live.sink.handler.messages == []
    later = timezone.now() + SWEEP_AFTER + dt.timedelta(seconds=1)
    assert deliveries_sweep(now=later) == 1
    [message] = live.mail("dora@example.com")
    live.sent("dora")
    _confirm(idp_public, client_id, "dora", sent_code(_text(message)))
    # The worker, which lost the broker too, came back with it.
    _all_sent_once(live, idp_public, client_id, "dora")
    assert "Connected to redis" in worker.output().rpartition("Cannot connect to redis")[2]


@pytest.mark.parametrize("outage", ["down", "refusing"])
def test_a_message_the_mail_server_could_not_take_arrives_once_after_a_retry(
    live: Live, idp: Any, idp_public: Any, outage: str
) -> None:
    _pool_id, client_id = _pool(idp)
    live.worker()
    if outage == "down":
        live.sink.stop()
    else:
        live.sink.handler.mode = "refuse"

    took = _sign_up(idp_public, client_id, "dora")
    assert took < 5, took
    failed = live.wait(
        "a failed first attempt",
        lambda: Delivery.objects.filter(user__username="dora", attempts__gte=1).first(),
    )
    assert failed.status == DeliveryStatus.QUEUED
    assert failed.message_sealed
    if outage == "down":
        assert failed.last_error.startswith("The mail server could not be reached"), failed
    else:
        assert failed.last_error.startswith("The mail server answered 451"), failed
    assert live.sink.handler.messages == []

    live.sink.handler.mode = "accept"
    live.sink.start()
    [message] = live.mail("dora@example.com")
    delivery = live.delivery("dora", DeliveryStatus.SENT)
    assert delivery.attempts >= 2
    live.sent("dora", attempts=delivery.attempts)
    _confirm(idp_public, client_id, "dora", sent_code(_text(message)))
    _all_sent_once(live, idp_public, client_id, "dora")


def test_a_task_of_a_worker_killed_while_sending_is_redelivered_and_sent_once(
    live: Live, idp: Any, idp_public: Any
) -> None:
    _pool_id, client_id = _pool(idp)
    short = {"COGNITOADMIN_TASK_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}
    live.sink.handler.mode = "stall"
    first = live.worker(short)

    _sign_up(idp_public, client_id, "dora")
    live.wait("the worker to be sending", live.sink.handler.stalled.is_set)
    client = live.redis.client
    # The task the worker took and has not acknowledged: its delivery tag, and when it was taken.
    taken = cast(list[tuple[bytes, float]], client.zrange("unacked_index", 0, -1, withscores=True))
    [(tag, taken_at)] = taken
    first.kill()
    live.sink.handler.mode = "accept"
    live.sink.handler.release.set()

    delivery = live.delivery("dora")
    # The killed worker's transaction died with it.
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.QUEUED, 0)
    assert client.hexists("unacked", tag)
    assert live.sink.handler.messages == []
    # A worker starting once the task's visibility timeout has passed takes it back.
    live.wait(
        "the visibility timeout to pass",
        lambda: time.time() > taken_at + VISIBILITY_TIMEOUT + 0.5,
    )
    live.worker(short)
    [message] = live.mail("dora@example.com")
    live.sent("dora")
    _confirm(idp_public, client_id, "dora", sent_code(_text(message)))
    _all_sent_once(live, idp_public, client_id, "dora")
    assert not client.hexists("unacked", tag)


def test_a_mail_server_that_hangs_holds_up_no_request(
    live: Live, idp: Any, idp_public: Any
) -> None:
    pool_id, client_id = _pool(idp)
    live.sink.handler.mode = "stall"
    live.worker()
    _sign_up(idp_public, client_id, "dora")
    live.wait("the worker to be sending", live.sink.handler.stalled.is_set)

    # While the worker waits on the mail server with dora's message, requests that write her
    # pool and her row's neighbours answer at once.
    took = _sign_up(idp_public, client_id, "eve")
    assert took < 3, f"SignUp took {took:.1f} s while a message was being sent"
    began = time.monotonic()
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username="nia",
        UserAttributes=[{"Name": "email", "Value": "nia@example.com"}],
        DesiredDeliveryMediums=["EMAIL"],
    )
    took = time.monotonic() - began
    assert took < 3, f"AdminCreateUser took {took:.1f} s while a message was being sent"
    # Nor does handing the queue the message being sent once more (as a commit or the sweep do).
    began = time.monotonic()
    delivery_dispatch(delivery_id=Delivery.objects.get(user__username="dora").pk)
    took = time.monotonic() - began
    assert took < 3, f"Dispatching the message being sent took {took:.1f} s"

    # The hung attempt ends in a transient refusal; every message then arrives once.
    live.sink.handler.mode = "accept"
    live.sink.handler.release.set()
    for username in ("dora", "eve", "nia"):
        live.mail(f"{username}@example.com")
        live.delivery(username, DeliveryStatus.SENT)
    assert Delivery.objects.get(user__username="dora").attempts == 2
    _all_sent_once(live, idp_public, client_id, "dora")
    assert len(live.sink.to("eve@example.com")) == len(live.sink.to("nia@example.com")) == 1


def test_a_sent_message_is_never_sent_again(live: Live, idp: Any, idp_public: Any) -> None:
    _pool_id, client_id = _pool(idp)
    live.worker()
    _sign_up(idp_public, client_id, "dora")
    live.mail("dora@example.com")
    delivery = live.sent("dora")

    delivery_send_task.delay(delivery.pk)
    delivery_send_task.delay(delivery.pk)
    far = timezone.now() + dt.timedelta(days=1)
    assert deliveries_sweep(now=far) == 0

    _all_sent_once(live, idp_public, client_id, "dora")
    again = live.sent("dora")
    assert (again.sent_at, again.updated_at) == (delivery.sent_at, delivery.updated_at)


def test_an_sms_the_webhook_could_not_take_arrives_signed_after_retries(
    live: Live, idp: Any, idp_public: Any
) -> None:
    _pool_id, client_id = _pool(idp, AutoVerifiedAttributes=["phone_number"])
    # An answer that is not HTTP, then HTTP 500: both transient failures, tried again.
    webhook = Webhook(statuses=[NOT_HTTP, 500])
    url = webhook.start()
    try:
        live.worker(
            {
                "COGNITOADMIN_SMS_BACKEND": "pools.services.sms.WebhookSmsBackend",
                "COGNITOADMIN_SMS_WEBHOOK_URL": url,
                "COGNITOADMIN_SMS_WEBHOOK_SECRET": WEBHOOK_SECRET,
            }
        )

        def sign_up(username: str, phone_number: str) -> None:
            answer = idp_public.sign_up(
                ClientId=client_id,
                Username=username,
                Password=PASSWORD,
                UserAttributes=[{"Name": "phone_number", "Value": phone_number}],
            )
            assert answer["CodeDeliveryDetails"] == {
                "Destination": "+*******" + phone_number[-4:],
                "DeliveryMedium": "SMS",
                "AttributeName": "phone_number",
            }

        sign_up("dora", "+14325551212")
        delivery = live.sent("dora", attempts=3)
        # Once a message sent after it has arrived, dora's has been posted for the last time.
        sign_up("eve", "+14325550000")
        live.delivery("eve", DeliveryStatus.SENT)
    finally:
        webhook.stop()

    garbled, refused, accepted, after = webhook.requests
    assert [r.status for r in webhook.requests] == [NOT_HTTP, 500, 200, 200]
    assert json.loads(after.body)["to"] == "+14325550000"
    for request in webhook.requests:
        timestamp = request.headers[TIMESTAMP_HEADER]
        assert abs(time.time() - int(timestamp)) < 60
        mac = hmac.new(
            WEBHOOK_SECRET.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
        )
        assert hmac.compare_digest(request.headers[SIGNATURE_HEADER], f"sha256={mac.hexdigest()}")
        assert request.headers["Content-Type"] == "application/json"
    body = json.loads(accepted.body)
    assert body == json.loads(refused.body) == json.loads(garbled.body)
    assert (body["id"], body["to"]) == (delivery.pk, "+14325551212")
    assert delivery.channel == "SMS"
    _confirm(idp_public, client_id, "dora", sent_code(body["body"]))
    assert live.sink.handler.messages == []
