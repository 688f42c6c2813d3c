"""The SyncTrigger: a function of the operator's, on a real HTTP server on loopback, sees each
update an identity makes before it is stored, may change or remove its values, and refuses the
whole update when it fails or answers what cannot be stored."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cognitoadmin.errors import ServiceError
from identities.models import Identity, IdentityPool
from sync.errors import InvalidLambdaFunctionOutputException, LambdaThrottledException
from sync.models import Record
from sync.services.configuration import sync_events_set
from sync.services.datasets import dataset_records_update
from tests.sync import test_aws_sync as data_ops
from tests.sync.test_datasets import (
    make_identity,
    make_identity_pool,
    remove,
    replace,
    session,
    sync_rows,
    update,
)

ARN = "arn:aws:lambda:us-east-1:123456789012:function:on-sync"
SECRET = "fnsec-test"

Answer = Callable[[dict[str, Any]], tuple[int, bytes]]


def echo(event: dict[str, Any]) -> tuple[int, bytes]:
    return 200, json.dumps(event).encode()


@dataclass
class Function:
    """The operator's function: `answer` turns each event into (status, body)."""

    url: str = ""
    answer: Answer = echo
    events: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)


@pytest.fixture
def function(settings: Any) -> Iterator[Function]:
    fn = Function()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            fn.bodies.append(body)
            fn.headers.append(dict(self.headers.items()))
            fn.events.append(json.loads(body))
            status, answer = fn.answer(fn.events[-1])
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fn.url = f"http://127.0.0.1:{server.server_address[1]}/on-sync"
    settings.COGNITOADMIN_FUNCTION_URLS = {ARN: fn.url}
    settings.COGNITOADMIN_FUNCTION_SECRET = SECRET
    settings.COGNITOADMIN_FUNCTION_TIMEOUT = 1
    yield fn
    server.shutdown()
    server.server_close()


def changing(records: Callable[[dict[str, Any]], dict[str, Any]]) -> Answer:
    """A function that answers the event with its datasetRecords replaced by `records(them)`."""

    def answer(event: dict[str, Any]) -> tuple[int, bytes]:
        return 200, json.dumps(
            {**event, "datasetRecords": records(event["datasetRecords"])}
        ).encode()

    return answer


@pytest.fixture
def identity(db: None, function: Function) -> Identity:
    identity = make_identity(make_identity_pool())
    sync_events_set(pool=identity.pool, events={"SyncTrigger": ARN})
    return identity


def triggered(identity: Identity, *patches: Any) -> list[Record]:
    return dataset_records_update(
        identity=identity,
        dataset_name="settings",
        patches=patches,
        sync_session_token=session(identity),
        modified_by=identity.identity_id,
        sync_trigger=True,
    )


def values(identity: Identity) -> dict[str, str | None]:
    return dict(Record.objects.filter(dataset__identity=identity).values_list("key", "value"))


@pytest.mark.django_db
def test_the_function_sees_old_and_new_values_and_a_signed_event(
    identity: Identity, function: Function
) -> None:
    update(identity, replace("theme", "light"), replace("lang", "fr"))

    triggered(identity, replace("theme", "dark", 1), remove("lang", 1), replace("new", "n"))

    [event] = function.events
    assert event == {
        "version": 2,
        "eventType": "SyncTrigger",
        "region": identity.pool.region,
        "identityPoolId": identity.pool.identity_pool_id,
        "identityId": identity.identity_id,
        "datasetName": "settings",
        "datasetRecords": {
            "theme": {"oldValue": "light", "newValue": "dark", "op": "replace"},
            "lang": {"oldValue": "fr", "newValue": None, "op": "remove"},
            "new": {"oldValue": None, "newValue": "n", "op": "replace"},
        },
    }
    [headers] = function.headers
    timestamp = headers["X-Cognitoadmin-Timestamp"]
    mac = hmac.new(SECRET.encode(), timestamp.encode() + b"." + function.bodies[0], hashlib.sha256)
    assert headers["X-Cognitoadmin-Signature"] == f"sha256={mac.hexdigest()}"
    assert values(identity) == {"theme": "dark", "lang": None, "new": "n"}


@pytest.mark.django_db
def test_what_the_function_answers_is_stored_and_returned(
    identity: Identity, function: Function
) -> None:
    update(identity, replace("coins", "10"))
    function.answer = changing(
        lambda records: {
            "coins": {**records["coins"], "newValue": "999"},
            "cheat": {**records["cheat"], "op": "remove"},
        }
    )

    answered = triggered(identity, replace("coins", "11", 1), replace("cheat", "on"))

    # A removal of a key the dataset never held changes nothing, so it is not answered.
    assert [(r.key, r.value, r.sync_count) for r in answered] == [("coins", "999", 2)]
    assert values(identity) == {"coins": "999"}


@pytest.mark.django_db
def test_the_function_does_not_run_for_a_developer_or_a_pool_without_it(
    identity: Identity, function: Function
) -> None:
    update(identity, replace("theme", "dark"))  # as a developer's call: no trigger
    other = make_identity(make_identity_pool("other"))
    triggered(other, replace("theme", "dark"))

    assert function.events == []
    assert values(identity) == values(other) == {"theme": "dark"}


def _refused(identity: Identity, error: type[ServiceError], *patches: Any) -> str:
    token = session(identity)
    before = sync_rows()
    with pytest.raises(error) as raised:
        dataset_records_update(
            identity=identity,
            dataset_name="settings",
            patches=patches,
            sync_session_token=token,
            modified_by=identity.identity_id,
            sync_trigger=True,
        )
    assert sync_rows() == before
    return raised.value.message


def _status(code: int) -> Answer:
    return lambda event: (code, b'{"errorMessage": "no"}')


def _body(body: bytes) -> Answer:
    return lambda event: (200, body)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "answer",
    [
        _status(500),
        _status(400),
        _body(b"not json"),
        _body(b"\xff\xfe"),
        _body(b"[1, 2]"),
        _body(b"[" * 100_000 + b"]" * 100_000),
        _body(b'{"datasetRecords": []}'),
        changing(lambda records: {}),
        changing(lambda records: {**records, "extra": {"op": "replace", "newValue": "x"}}),
        changing(lambda records: {"theme": {"op": "upsert", "newValue": "x"}}),
        changing(lambda records: {"theme": {"op": "replace", "newValue": 7}}),
        changing(lambda records: {"theme": {"op": "replace"}}),
        changing(lambda records: {"theme": "dark"}),
        changing(lambda records: {"theme": {"op": "replace", "newValue": "x" * 1_048_576}}),
        changing(lambda records: {"theme": {"op": "replace", "newValue": "\ud800"}}),
    ],
)
def test_a_function_that_fails_or_answers_what_cannot_be_stored_refuses_everything(
    identity: Identity, function: Function, answer: Answer
) -> None:
    update(identity, replace("theme", "light"))
    function.answer = answer

    _refused(identity, InvalidLambdaFunctionOutputException, replace("theme", "dark", 1))


@pytest.mark.django_db
def test_a_throttled_function_answers_lambda_throttled(
    identity: Identity, function: Function
) -> None:
    function.answer = _status(429)

    _refused(identity, LambdaThrottledException, replace("theme", "dark"))


@pytest.mark.django_db
def test_a_slow_or_unreachable_function_refuses_the_update(
    identity: Identity, function: Function, settings: Any
) -> None:
    def slow(event: dict[str, Any]) -> tuple[int, bytes]:
        time.sleep(1.5)
        return echo(event)

    function.answer = slow
    assert "timed out" in _refused(
        identity, InvalidLambdaFunctionOutputException, replace("a", "b")
    )

    settings.COGNITOADMIN_FUNCTION_URLS = {ARN: "http://127.0.0.1:9/on-sync"}
    assert "could not be reached" in _refused(
        identity, InvalidLambdaFunctionOutputException, replace("a", "b")
    )

    settings.COGNITOADMIN_FUNCTION_URLS = {}
    assert "No URL is configured" in _refused(
        identity, InvalidLambdaFunctionOutputException, replace("a", "b")
    )


@pytest.mark.django_db
def test_a_stale_patch_is_still_a_conflict_after_the_function(
    identity: Identity, function: Function
) -> None:
    update(identity, replace("theme", "light"))
    update(identity, replace("theme", "dark", 1))

    with pytest.raises(ServiceError, match="Current SyncCount"):
        triggered(identity, replace("theme", "blue", 1))
    assert values(identity) == {"theme": "dark"}


# End to end: boto3 with an identity's credentials and with a developer's key.
identity_pool = data_ops.identity_pool
developer = data_ops.developer


@pytest.mark.django_db(transaction=True)
def test_boto3_an_identitys_update_goes_through_the_function_a_developers_does_not(
    aws_url: str, identity_pool: IdentityPool, developer: Any, function: Function
) -> None:
    pool_id = identity_pool.identity_pool_id
    developer.set_cognito_events(IdentityPoolId=pool_id, Events={"SyncTrigger": ARN})
    function.answer = changing(
        lambda records: {k: {**r, "newValue": r["newValue"].upper()} for k, r in records.items()}
    )
    identity_id, device = data_ops._device(aws_url, identity_pool)
    ids = {"IdentityPoolId": pool_id, "IdentityId": identity_id, "DatasetName": "settings"}

    def push(client: Any, key: str, value: str) -> list[dict[str, Any]]:
        token = client.list_records(**ids)["SyncSessionToken"]
        patch = {"Op": "replace", "Key": key, "Value": value, "SyncCount": 0}
        answered = client.update_records(**ids, SyncSessionToken=token, RecordPatches=[patch])
        records: list[dict[str, Any]] = answered["Records"]
        return records

    [by_device] = push(device, "name", "ada")
    [by_developer] = push(developer, "team", "red")

    assert (by_device["Key"], by_device["Value"]) == ("name", "ADA")
    assert (by_developer["Key"], by_developer["Value"]) == ("team", "red")
    assert [e["datasetRecords"] for e in function.events] == [
        {"name": {"oldValue": None, "newValue": "ada", "op": "replace"}}
    ]

    function.answer = _status(500)
    before = sync_rows()
    with pytest.raises(ClientError) as refused:
        push(device, "level", "3")
    assert refused.value.response["Error"]["Code"] == "InvalidLambdaFunctionOutputException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert sync_rows() == before
