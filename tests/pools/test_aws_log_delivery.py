"""AWS endpoint, boto3 against a live server: log export of user pools (GetLogDeliveryConfiguration,
SetLogDeliveryConfiguration), and the events real calls send to real sinks: a JSON-lines file, a
Redis stream and a webhook on loopback."""

from __future__ import annotations

import json
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from botocore.exceptions import ClientError
from django.core.checks import Error
from pytest_django import Settings

from pools.checks import check_log_destinations
from pools.models import AppClient, Delivery, DeliveryStatus, LogDeliveryConfiguration, UserPool
from pools.services.log_delivery import auth_event_log
from pools.services.log_sinks import Sink, sink_for
from tests.builders import make_app_client, make_user, make_user_pool
from tests.cognitoadmin.test_fuzz_aws import snapshot

pytestmark = pytest.mark.django_db(transaction=True)

GROUP_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:cognito-exported"
STREAM_ARN = "arn:aws:firehose:us-east-1:123456789012:deliverystream/activity"
BUCKET_ARN = "arn:aws:s3:::amzn-s3-demo-logging-bucket"
PASSWORD = "Correct-horse-9"
NOTIFICATIONS = {
    "EventSource": "userNotification",
    "LogLevel": "ERROR",
    "CloudWatchLogsConfiguration": {"LogGroupArn": GROUP_ARN},
}
TO_BUCKET = {"S3Configuration": {"BucketArn": BUCKET_ARN}}
AUTH_EVENTS = {
    "EventSource": "userAuthEvents",
    "LogLevel": "INFO",
    "FirehoseConfiguration": {"StreamArn": STREAM_ARN},
}


@pytest.fixture
def plus_pool(db: None) -> UserPool:
    return make_user_pool(UserPoolTier="PLUS", UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"})


@pytest.fixture
def app(plus_pool: UserPool) -> AppClient:
    return make_app_client(pool=plus_pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])


def _refused(idp: Any, code: str, **request: Any) -> str:
    before = snapshot()
    with pytest.raises(ClientError) as error:
        idp.set_log_delivery_configuration(**request)
    assert error.value.response["Error"]["Code"] == code, error.value.response
    assert snapshot() == before
    message: str = error.value.response["Error"]["Message"]
    return message


# --- the operations ---------------------------------------------------------------------------


def test_a_pool_never_configured_has_no_log_configurations(idp: Any, pool: UserPool) -> None:
    got = idp.get_log_delivery_configuration(UserPoolId=pool.pool_id)
    assert got["LogDeliveryConfiguration"] == {"UserPoolId": pool.pool_id, "LogConfigurations": []}


def test_set_then_get_echoes_the_arns_as_given(idp: Any, plus_pool: UserPool) -> None:
    request = [NOTIFICATIONS, AUTH_EVENTS]
    set_ = idp.set_log_delivery_configuration(
        UserPoolId=plus_pool.pool_id, LogConfigurations=request
    )
    expected = {"UserPoolId": plus_pool.pool_id, "LogConfigurations": request}
    assert set_["LogDeliveryConfiguration"] == expected
    got = idp.get_log_delivery_configuration(UserPoolId=plus_pool.pool_id)
    assert got["LogDeliveryConfiguration"] == expected


def test_a_new_set_replaces_the_old_and_an_empty_one_stops_export(
    idp: Any, plus_pool: UserPool
) -> None:
    to_bucket = {"EventSource": "userAuthEvents", "LogLevel": "INFO", **TO_BUCKET}
    idp.set_log_delivery_configuration(
        UserPoolId=plus_pool.pool_id, LogConfigurations=[NOTIFICATIONS, AUTH_EVENTS]
    )
    idp.set_log_delivery_configuration(UserPoolId=plus_pool.pool_id, LogConfigurations=[to_bucket])
    got = idp.get_log_delivery_configuration(UserPoolId=plus_pool.pool_id)
    assert got["LogDeliveryConfiguration"]["LogConfigurations"] == [to_bucket]
    idp.set_log_delivery_configuration(UserPoolId=plus_pool.pool_id, LogConfigurations=[])
    got = idp.get_log_delivery_configuration(UserPoolId=plus_pool.pool_id)
    assert got["LogDeliveryConfiguration"]["LogConfigurations"] == []


@pytest.mark.parametrize(
    ("configurations", "code", "says"),
    [
        ([{**NOTIFICATIONS, "LogLevel": "INFO"}], "InvalidParameterException", "ERROR level"),
        (
            [{"EventSource": "userNotification", "LogLevel": "ERROR", **TO_BUCKET}],
            "InvalidParameterException",
            "CloudWatch Logs",
        ),
        ([{**AUTH_EVENTS, "LogLevel": "ERROR"}], "InvalidParameterException", "INFO level"),
        ([NOTIFICATIONS, NOTIFICATIONS], "InvalidParameterException", "one log configuration"),
        (
            [{"EventSource": "userNotification", "LogLevel": "ERROR"}],
            "InvalidParameterException",
            "exactly one destination",
        ),
        (
            [{**AUTH_EVENTS, "CloudWatchLogsConfiguration": {"LogGroupArn": GROUP_ARN}}],
            "InvalidParameterException",
            "exactly one destination",
        ),
        (
            [{**NOTIFICATIONS, "CloudWatchLogsConfiguration": {}}],
            "InvalidParameterException",
            "LogGroupArn",
        ),
        (
            [{**NOTIFICATIONS, "CloudWatchLogsConfiguration": {"LogGroupArn": STREAM_ARN}}],
            "InvalidParameterException",
            "not the ARN of a CloudWatchLogs destination",
        ),
        (
            [{**NOTIFICATIONS, "CloudWatchLogsConfiguration": {"LogGroupArn": "not-an-arn" * 3}}],
            "InvalidParameterException",
            "",
        ),
    ],
)
def test_refusals_change_nothing(
    idp: Any, plus_pool: UserPool, configurations: list[Any], code: str, says: str
) -> None:
    idp.set_log_delivery_configuration(UserPoolId=plus_pool.pool_id, LogConfigurations=[])
    message = _refused(idp, code, UserPoolId=plus_pool.pool_id, LogConfigurations=configurations)
    assert says in message
    got = idp.get_log_delivery_configuration(UserPoolId=plus_pool.pool_id)
    assert got["LogDeliveryConfiguration"]["LogConfigurations"] == []


def test_user_activity_needs_the_plus_plan(idp: Any, pool: UserPool) -> None:
    message = _refused(
        idp,
        "FeatureUnavailableInTierException",
        UserPoolId=pool.pool_id,
        LogConfigurations=[AUTH_EVENTS],
    )
    assert "PLUS" in message


def test_user_activity_needs_threat_protection(idp: Any) -> None:
    pool = make_user_pool(UserPoolTier="PLUS")
    message = _refused(
        idp, "InvalidParameterException", UserPoolId=pool.pool_id, LogConfigurations=[AUTH_EVENTS]
    )
    assert "AdvancedSecurityMode" in message


def test_user_notifications_need_no_plan(idp: Any) -> None:
    pool = make_user_pool(UserPoolTier="LITE")
    idp.set_log_delivery_configuration(UserPoolId=pool.pool_id, LogConfigurations=[NOTIFICATIONS])


def test_an_unknown_pool_is_not_found(idp: Any) -> None:
    for call in (idp.get_log_delivery_configuration, idp.set_log_delivery_configuration):
        kwargs: dict[str, Any] = {"UserPoolId": "us-east-1_Missing00"}
        if call == idp.set_log_delivery_configuration:
            kwargs["LogConfigurations"] = [NOTIFICATIONS]
        before = snapshot()
        with pytest.raises(ClientError) as error:
            call(**kwargs)
        assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert snapshot() == before


# --- where events go --------------------------------------------------------------------------


def test_arns_without_a_mapping_go_to_their_kinds_default(
    settings: Settings, tmp_path: Path
) -> None:
    settings.LOCAL_DIR = tmp_path
    settings.CACHE_URL = ""
    settings.COGNITOADMIN_LOG_DESTINATIONS = {}
    logs = tmp_path / "logs"
    scope = logs / "us-east-1" / "123456789012"
    assert sink_for(GROUP_ARN) == Sink("file", str(scope / "cognito-exported.jsonl"))
    # One name in another region or account is another log group.
    elsewhere = GROUP_ARN.replace("us-east-1:123456789012", "eu-west-1:210987654321")
    assert sink_for(elsewhere) == Sink(
        "file", str(logs / "eu-west-1" / "210987654321" / "cognito-exported.jsonl")
    )
    vended = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/../x:*"
    assert sink_for(vended) == Sink("file", str(scope / "_aws_vendedlogs_.._x.jsonl"))
    assert sink_for(STREAM_ARN) == Sink(
        "file", str(logs / "firehose" / "us-east-1" / "123456789012" / "activity.jsonl")
    )
    assert sink_for(BUCKET_ARN) == Sink("daily", str(logs / "s3" / "amzn-s3-demo-logging-bucket"))
    # A name no file system takes is shortened, with a digest that keeps two such names apart.
    long_group = sink_for(GROUP_ARN.replace("exported", "x" * 1500)).location
    other_long = sink_for(GROUP_ARN.replace("exported", "x" * 1499 + "y")).location
    assert len(Path(long_group).name) < 255
    assert long_group != other_long
    settings.CACHE_URL = "redis://127.0.0.1:6379/3"
    # On the cache's Redis the streams keep to a key space of their own, whatever the ARN says.
    assert sink_for(STREAM_ARN) == Sink(
        "redis",
        "redis://127.0.0.1:6379/3",
        stream="cognitoadmin:logs:us-east-1:123456789012:activity",
    )
    odd = STREAM_ARN.replace("deliverystream/activity", "deliverystream/:1:views.decorators")
    assert sink_for(odd).stream == "cognitoadmin:logs:us-east-1:123456789012:_1_views.decorators"


def test_the_longest_matching_prefix_decides(settings: Settings) -> None:
    settings.COGNITOADMIN_LOG_DESTINATIONS = {
        "arn:aws:logs:": "file:///var/log/all.jsonl",
        GROUP_ARN: "https://logs.example.com/in",
        "arn:aws:firehose:": "redis://127.0.0.1:6379/0",
    }
    assert sink_for(GROUP_ARN) == Sink("webhook", "https://logs.example.com/in")
    assert sink_for(GROUP_ARN.replace("exported", "other")) == Sink("file", "/var/log/all.jsonl")
    assert sink_for(STREAM_ARN) == Sink("redis", "redis://127.0.0.1:6379/0", stream="activity")


@pytest.mark.parametrize(
    "mapping",
    [
        {"log-group:x": "file:///tmp/x.jsonl"},
        {GROUP_ARN: "file://relative.jsonl"},
        {GROUP_ARN: "ftp://example.com/x"},
        {GROUP_ARN: "https:///no-host"},
        {"arn:aws:firehose:": "redis://127.0.0.1:6379/0"},  # a prefix names no stream
    ],
)
def test_a_malformed_destination_setting_fails_the_checks(
    settings: Settings, mapping: dict[str, str]
) -> None:
    settings.COGNITOADMIN_LOG_DESTINATIONS = mapping
    problems = check_log_destinations(app_configs=None, databases=None)
    assert [type(p) for p in problems] == [Error]
    assert problems[0].id == "pools.E002"


def test_the_server_settings_pass_the_checks() -> None:
    assert check_log_destinations(app_configs=None, databases=None) == []


def test_a_pool_without_export_costs_no_query(
    app: AppClient, django_assert_num_queries: Any
) -> None:
    plain = make_app_client(pool=make_user_pool())
    with django_assert_num_queries(0):
        auth_event_log(client=plain, username="x", user=None, response="Fail")
    auth_event_log(client=app, username="x", user=None, response="Fail")  # fills the cache
    with django_assert_num_queries(0):
        auth_event_log(client=app, username="x", user=None, response="Fail")


def _failed_sign_in(
    idp_public: Any, app: AppClient, username: str, code: str = "NotAuthorizedException"
) -> None:
    with pytest.raises(ClientError) as error:
        idp_public.initiate_auth(
            ClientId=app.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": "wrong-Password-1"},
        )
    assert error.value.response["Error"]["Code"] == code


def test_sign_ins_go_to_a_jsonl_file(
    idp: Any, idp_public: Any, app: AppClient, settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "activity.jsonl"
    settings.COGNITOADMIN_LOG_DESTINATIONS = {STREAM_ARN: f"file://{out}"}
    pool = app.pool
    user = make_user(pool=pool, username="alice", password=PASSWORD, email="alice@example.com")
    _failed_sign_in(idp_public, app, "alice")  # caches "no export" for the pool
    assert not out.exists()
    # The setter forgets the cached configuration: the next sign-ins are logged.
    idp.set_log_delivery_configuration(UserPoolId=pool.pool_id, LogConfigurations=[AUTH_EVENTS])

    _failed_sign_in(idp_public, app, "alice")
    idp_public.initiate_auth(
        ClientId=app.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )

    failed, passed = (json.loads(line) for line in out.read_text().splitlines())
    for event in (failed, passed):
        assert event["eventSource"] == "USER_ACTIVITY"
        assert event["logLevel"] == "INFO"
        assert event["logSourceId"] == {"userPoolId": pool.pool_id}
        assert event["eventTimestamp"].isdigit()
        message = event["message"]
        assert (message["eventType"], message["userName"]) == ("SignIn", "alice")
        assert (message["userPoolId"], message["clientId"]) == (pool.pool_id, app.client_id)
        assert message["ipAddress"] == "127.0.0.1"
        uuid.UUID(message["eventId"])
        uuid.UUID(message["requestId"])
        assert PASSWORD not in json.dumps(event)
    assert (failed["message"]["eventResponse"], failed["message"]["userSub"]) == ("Fail", "")
    assert passed["message"]["eventResponse"] == "Pass"
    assert passed["message"]["userSub"] == str(user.sub)


def test_no_events_without_configuration_or_threat_protection(
    idp: Any, idp_public: Any, app: AppClient, settings: Settings, tmp_path: Path
) -> None:
    settings.LOCAL_DIR = tmp_path
    settings.CACHE_URL = ""
    make_user(pool=app.pool, username="bob", password=PASSWORD)
    _failed_sign_in(idp_public, app, "bob")
    assert not (tmp_path / "logs").exists()

    # Configured, then threat protection turned off: the pool's sign-ins are not assessed, so
    # there is no user activity to export.
    idp.set_log_delivery_configuration(UserPoolId=app.pool.pool_id, LogConfigurations=[AUTH_EVENTS])
    idp.update_user_pool(
        UserPoolId=app.pool.pool_id,
        UserPoolTier="PLUS",
        UserPoolAddOns={"AdvancedSecurityMode": "OFF"},
    )
    _failed_sign_in(idp_public, app, "bob")
    assert not (tmp_path / "logs").exists()
    idp.update_user_pool(
        UserPoolId=app.pool.pool_id,
        UserPoolTier="PLUS",
        UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"},
    )
    _failed_sign_in(idp_public, app, "bob")
    assert [path.name for path in (tmp_path / "logs").rglob("*.jsonl")] == ["activity.jsonl"]


@pytest.fixture
def redis_stream(settings: Settings) -> Iterator[str]:
    name = f"test-log-delivery-{uuid.uuid4().hex}"
    settings.COGNITOADMIN_LOG_DESTINATIONS = {
        "arn:aws:firehose:": f"redis://127.0.0.1:6379/0?stream={name}"
    }
    yield name
    with redis.Redis.from_url("redis://127.0.0.1:6379/0") as client:
        client.delete(name)


def test_sign_ins_go_to_a_redis_stream(
    idp: Any, idp_public: Any, app: AppClient, redis_stream: str
) -> None:
    make_user(pool=app.pool, username="carol", password=PASSWORD)
    idp.set_log_delivery_configuration(UserPoolId=app.pool.pool_id, LogConfigurations=[AUTH_EVENTS])
    _failed_sign_in(idp_public, app, "carol")
    _failed_sign_in(idp_public, app, "nobody", "UserNotFoundException")
    with redis.Redis.from_url("redis://127.0.0.1:6379/0") as client:
        entries = client.xrange(redis_stream)
    events = [json.loads(fields[b"event"]) for _id, fields in entries]
    assert [(e["message"]["userName"], e["message"]["eventResponse"]) for e in events] == [
        ("carol", "Fail"),
        ("nobody", "Fail"),
    ]


class _Webhook:
    """An HTTP server on loopback that keeps each JSON body POSTed to it."""

    def __init__(self) -> None:
        received = self.received = []  # type: list[dict[str, Any]]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/logs"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[_Webhook]:
    hook = _Webhook()
    yield hook
    hook.close()


class _Refusing:
    """aiosmtpd handler that refuses every message for good."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "550 5.1.1 Mailbox unavailable"


@pytest.fixture
def refusing_smtp(settings: Settings) -> Iterator[None]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(_Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield
    controller.stop()


@pytest.mark.usefixtures("refusing_smtp")
def test_a_failed_email_and_a_failed_sign_in_reach_a_webhook(
    idp: Any, idp_public: Any, app: AppClient, settings: Settings, webhook: _Webhook
) -> None:
    settings.COGNITOADMIN_LOG_DESTINATIONS = {GROUP_ARN: webhook.url, STREAM_ARN: webhook.url}
    pool = app.pool
    idp.set_log_delivery_configuration(
        UserPoolId=pool.pool_id, LogConfigurations=[NOTIFICATIONS, AUTH_EVENTS]
    )

    idp.admin_create_user(
        UserPoolId=pool.pool_id,
        Username="dave",
        UserAttributes=[{"Name": "email", "Value": "dave@example.com"}],
        DesiredDeliveryMediums=["EMAIL"],
        TemporaryPassword="Temporary-Pass-1",
    )
    delivery = Delivery.objects.get(pool=pool)
    assert delivery.status == DeliveryStatus.FAILED
    _failed_sign_in(idp_public, app, "dave")

    notification, sign_in = webhook.received
    assert notification["eventSource"] == "USER_NOTIFICATION"
    assert notification["logLevel"] == "ERROR"
    assert notification["logSourceId"] == {"userPoolId": pool.pool_id}
    details = notification["message"]["details"]
    assert "EMAIL" in details
    assert "d***@e***" in details
    assert "550" in details
    assert "Temporary-Pass-1" not in json.dumps(notification)
    assert "dave@example.com" not in json.dumps(notification)
    assert (sign_in["eventSource"], sign_in["message"]["eventResponse"]) == (
        "USER_ACTIVITY",
        "Fail",
    )


def test_a_sink_out_of_reach_breaks_nothing(
    idp: Any, idp_public: Any, app: AppClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.COGNITOADMIN_LOG_DESTINATIONS = {STREAM_ARN: f"http://127.0.0.1:{closed}/gone"}
    idp.set_log_delivery_configuration(UserPoolId=app.pool.pool_id, LogConfigurations=[AUTH_EVENTS])
    make_user(pool=app.pool, username="erin", password=PASSWORD)
    _failed_sign_in(idp_public, app, "erin")
    result = idp_public.initiate_auth(
        ClientId=app.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "erin", "PASSWORD": PASSWORD},
    )
    assert "AccessToken" in result["AuthenticationResult"]
    assert caplog.text.count("USER_ACTIVITY log event for " + STREAM_ARN + " is dropped") == 2


README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_example_runs(
    aws_url: str, operator_key: tuple[Any, str], capsys: pytest.CaptureFixture[str]
) -> None:
    text = README.read_text()
    section = text[text.index("## Log export") :]
    (code,) = re.findall(
        r"^```python\n(.*?)^```$", section[: section.index("\n## ", 5)], re.M | re.S
    )
    key, secret = operator_key
    code = (
        code.replace("http://127.0.0.1:8000", aws_url)
        .replace("AKIAIOSFODNN7EXAMPLE", key.access_key_id)
        .replace("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", secret)
    )
    exec(compile(code, str(README), "exec"), {})  # noqa: S102 - the README's own example
    assert capsys.readouterr().out.strip() == "['userNotification', 'userAuthEvents']"
    stored = LogDeliveryConfiguration.objects.get(pool__name="logged").log_configurations
    assert [c["EventSource"] for c in stored] == ["userNotification", "userAuthEvents"]
