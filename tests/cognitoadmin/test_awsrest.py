"""The AWS REST-JSON door (Cognito Sync): real boto3 clients against a live server, and signed
raw requests where the wire itself is the point.

The real Sync handlers are tested with their app; here each test registers the handlers it
needs, so the door is tested on its own."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, create_request_object, prepare_request_dict
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from django.test import Client, RequestFactory

from cognitoadmin import awsjson, awsrest
from cognitoadmin.authorization import ACCOUNT, ACTIONS, Action
from cognitoadmin.awsjson import AwsCall, Operation
from cognitoadmin.awsmodel import service_model
from cognitoadmin.errors import (
    LimitExceededException,
    ResourceConflictException,
    ResourceNotFoundException,
    ServiceError,
    TooManyRequestsException,
)
from identities.models import AccessKey
from tests.conftest import _boto3_client

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

JSON = "application/json"
Handler = Callable[[AwsCall, dict[str, Any]], dict[str, Any]]

POOL_ID = f"us-east-1:{uuid.UUID(int=1)}"
IDENTITY_ID = f"us-east-1:{uuid.UUID(int=2)}"
# As botocore puts them in a path: every ':' percent-encoded.
POOL_PATH = POOL_ID.replace(":", "%3A")
IDENTITY_PATH = IDENTITY_ID.replace(":", "%3A")
DATASET_PATH = f"/identitypools/{POOL_PATH}/identities/{IDENTITY_PATH}/datasets/settings"
WHEN = dt.datetime(2026, 12, 2, 5, 30, 0, 250000, tzinfo=dt.UTC)
RECORD = {
    "Key": "theme",
    "Value": "dark",
    "SyncCount": 3,
    "LastModifiedDate": WHEN,
    "LastModifiedBy": IDENTITY_ID,
    "DeviceLastModifiedDate": WHEN,
}
DATASET = {
    "IdentityId": IDENTITY_ID,
    "DatasetName": "settings",
    "CreationDate": WHEN,
    "LastModifiedDate": WHEN,
    "LastModifiedBy": IDENTITY_ID,
    "DataStorage": 12,
    "NumRecords": 1,
}


def register(
    monkeypatch: pytest.MonkeyPatch, name: str, handler: Handler, *, service: str = "cognito-sync"
) -> list[dict[str, Any]]:
    """Put `handler` in the registry for this test, as `operation()` would; return the inputs
    it was called with."""
    calls: list[dict[str, Any]] = []

    def spy(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
        calls.append(params)
        return handler(call, params)

    action = f"{service}:{name}"
    # Declared for this test only, whatever the real handlers declare.
    monkeypatch.setitem(
        ACTIONS, action, Action(name=action, permission="identities.view_accesskey")
    )
    operation = Operation(
        service=service,
        name=name,
        handler=spy,
        model=service_model(service).operation_model(name),
        action=action,
        resource=ACCOUNT,
    )
    monkeypatch.setitem(awsjson.REGISTRY, (service, name), operation)
    return calls


def raising(error: ServiceError) -> Handler:
    def handler(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
        raise error

    return handler


def signed_headers(
    key: tuple[AccessKey, str],
    method: str,
    url: str,
    body: bytes = b"",
    *,
    service: str = "cognito-sync",
    headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers of a request signed as botocore signs it (`url` as sent, percent-encoded)."""
    access_key, secret = key
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    SigV4Auth(Credentials(access_key.access_key_id, secret), service, "us-east-1").add_auth(request)
    return dict(request.headers.items())


def raw(key: tuple[AccessKey, str], method: str, path: str, body: bytes = b"") -> TestResponse:
    """`body` sent to `path` (with its query) through Django's test client, signed."""
    headers = signed_headers(
        key, method, f"http://testserver{path}", body, headers={"Content-Type": JSON}
    )
    return Client().generic(method, path, body, content_type=JSON, headers=headers)


def rest_error(response: Any, status: int) -> dict[str, Any]:
    """The error of a Django or `requests` response as botocore's rest-json parser reads it,
    after checking the envelope around it."""
    assert response.status_code == status, response.content
    assert response.headers["Content-Type"] == JSON
    uuid.UUID(response.headers["x-amzn-RequestId"])
    parsed = create_parser("rest-json").parse(
        {
            "status_code": status,
            "headers": {name.lower(): value for name, value in response.headers.items()},
            "body": response.content,
        },
        None,  # type: ignore[arg-type]  # botocore takes None (an error), its stubs do not
    )
    error: dict[str, Any] = parsed["Error"]
    assert json.loads(response.content)["message"] == error["Message"]
    return error


@pytest.fixture
def sync(aws_url: str, operator_key: tuple[AccessKey, str]) -> Any:
    """boto3 `cognito-sync` client signing with an operator's access key (SigV4)."""
    key, secret = operator_key
    return _boto3_client(
        "cognito-sync", aws_url, aws_access_key_id=key.access_key_id, aws_secret_access_key=secret
    )


# --- boto3 against a live server ---


def test_a_signed_get_reads_path_and_query_members(
    sync: Any, monkeypatch: pytest.MonkeyPatch, operator_key: tuple[AccessKey, str]
) -> None:
    seen: list[AwsCall] = []

    def list_records(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
        seen.append(call)
        return {"Records": [RECORD], "Count": 1, "DatasetSyncCount": 3, "DatasetExists": True}

    calls = register(monkeypatch, "ListRecords", list_records)

    response = sync.list_records(
        IdentityPoolId=POOL_ID,
        IdentityId=IDENTITY_ID,
        DatasetName="settings",
        LastSyncCount=2,
        MaxResults=10,
        NextToken="page/2+=?&",
        SyncSessionToken="session token",
    )

    metadata = response.pop("ResponseMetadata")
    assert response == {
        "Records": [RECORD],
        "Count": 1,
        "DatasetSyncCount": 3,
        "DatasetExists": True,
    }
    assert calls == [
        {
            "IdentityPoolId": POOL_ID,
            "IdentityId": IDENTITY_ID,
            "DatasetName": "settings",
            "LastSyncCount": 2,
            "MaxResults": 10,
            "NextToken": "page/2+=?&",
            "SyncSessionToken": "session token",
        }
    ]
    assert seen[0].caller is not None
    assert seen[0].caller.credential == operator_key[0]
    assert metadata["HTTPStatusCode"] == 200
    assert metadata["HTTPHeaders"]["content-type"] == "application/json"
    assert metadata["RequestId"] == metadata["HTTPHeaders"]["x-amzn-requestid"]


def test_a_post_reads_body_and_header_members(sync: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = register(monkeypatch, "UpdateRecords", lambda call, params: {"Records": [RECORD]})
    patch = {"Op": "replace", "Key": "theme", "Value": "dark", "SyncCount": 2}

    response = sync.update_records(
        IdentityPoolId=POOL_ID,
        IdentityId=IDENTITY_ID,
        DatasetName="settings",
        DeviceId="device-1",
        RecordPatches=[patch | {"DeviceLastModifiedDate": WHEN}],
        SyncSessionToken="session token",
        ClientContext="eyJjbGllbnQiOnt9fQ==",
    )

    assert response["Records"] == [RECORD]
    assert calls == [
        {
            "IdentityPoolId": POOL_ID,
            "IdentityId": IDENTITY_ID,
            "DatasetName": "settings",
            "DeviceId": "device-1",
            "RecordPatches": [patch | {"DeviceLastModifiedDate": WHEN}],
            "SyncSessionToken": "session token",
            "ClientContext": "eyJjbGllbnQiOnt9fQ==",
        }
    ]


def test_a_delete_is_routed_by_its_method(sync: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    deletes = register(monkeypatch, "DeleteDataset", lambda call, params: {"Dataset": DATASET})
    describes = register(monkeypatch, "DescribeDataset", lambda call, params: {"Dataset": {}})

    response = sync.delete_dataset(
        IdentityPoolId=POOL_ID, IdentityId=IDENTITY_ID, DatasetName="settings"
    )

    assert response["Dataset"] == DATASET
    assert deletes == [
        {"IdentityPoolId": POOL_ID, "IdentityId": IDENTITY_ID, "DatasetName": "settings"}
    ]
    assert describes == []


def test_an_operation_without_output_answers_an_empty_object(
    sync: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = register(monkeypatch, "SubscribeToDataset", lambda call, params: {})

    response = sync.subscribe_to_dataset(
        IdentityPoolId=POOL_ID, IdentityId=IDENTITY_ID, DatasetName="settings", DeviceId="d-1"
    )

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert calls[0]["DeviceId"] == "d-1"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ResourceNotFoundException("Dataset settings does not exist."), 404),
        (ResourceConflictException("Current SyncCount for: theme is: 3 not: 2"), 409),
        (TooManyRequestsException("Slow down."), 429),
        (LimitExceededException("Too many datasets."), 400),
    ],
)
def test_a_modelled_error_raises_boto3s_exception_with_its_status(
    sync: Any, monkeypatch: pytest.MonkeyPatch, error: ServiceError, status: int
) -> None:
    register(monkeypatch, "DescribeDataset", raising(error))

    with pytest.raises(getattr(sync.exceptions, error.aws_type)) as caught:
        sync.describe_dataset(IdentityPoolId=POOL_ID, IdentityId=IDENTITY_ID, DatasetName="s")

    assert caught.value.response["Error"] == {"Code": error.aws_type, "Message": error.message}
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_a_bad_signature_is_refused_before_the_handler(
    aws_url: str, monkeypatch: pytest.MonkeyPatch, operator_key: tuple[AccessKey, str]
) -> None:
    calls = register(monkeypatch, "ListRecords", lambda call, params: {})
    forged = _boto3_client(
        "cognito-sync",
        aws_url,
        aws_access_key_id=operator_key[0].access_key_id,
        aws_secret_access_key="not-the-secret",
    )

    with pytest.raises(ClientError) as caught:
        forged.list_records(IdentityPoolId=POOL_ID, IdentityId=IDENTITY_ID, DatasetName="s")

    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert calls == []


def test_an_unsigned_call_is_refused(aws_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = register(monkeypatch, "ListRecords", lambda call, params: {})

    response = requests.get(f"{aws_url}{DATASET_PATH}/records", timeout=30)

    assert rest_error(response, 400)["Code"] == "MissingAuthenticationTokenException"
    assert calls == []


def test_a_path_no_operation_has_is_a_404(
    aws_url: str, operator_key: tuple[AccessKey, str]
) -> None:
    url = f"{aws_url}/identitypools/{POOL_PATH}/nowhere"

    response = requests.get(url, headers=signed_headers(operator_key, "GET", url), timeout=30)

    assert rest_error(response, 404)["Code"] == "UnknownOperationException"


def test_a_method_the_path_does_not_serve_is_a_405(
    aws_url: str, monkeypatch: pytest.MonkeyPatch, operator_key: tuple[AccessKey, str]
) -> None:
    calls = register(monkeypatch, "DescribeDataset", lambda call, params: {})
    url = f"{aws_url}{DATASET_PATH}"

    response = requests.put(url, headers=signed_headers(operator_key, "PUT", url), timeout=30)

    error = rest_error(response, 405)
    assert error["Code"] == "UnknownOperationException"
    assert "GET" in error["Message"].partition("(only ")[2]
    assert calls == []


def test_a_preflight_allows_every_method_of_the_routes(aws_url: str) -> None:
    response = requests.options(
        f"{aws_url}{DATASET_PATH}",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "authorization, x-amz-client-context",
        },
        timeout=30,
    )

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "DELETE" in response.headers["Access-Control-Allow-Methods"]
    assert "x-amz-client-context" in response.headers["Access-Control-Allow-Headers"]


# --- Signed raw requests: what the wire can carry that boto3 never sends ---

RECORDS = f"{DATASET_PATH}/records"
UPDATE = DATASET_PATH


def _post(body: bytes) -> tuple[str, str, bytes]:
    return ("POST", UPDATE, body)


def _get(path: str) -> tuple[str, str, bytes]:
    return ("GET", path, b"")


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        (_post(b"not json"), "SerializationException"),
        (_post(b"[1, 2]"), "SerializationException"),
        (_post(b'"text"'), "SerializationException"),
        (_post(b'{"RecordPatches": ' + b"[" * 100 + b"]" * 100 + b"}"), "SerializationException"),
        (
            _post(
                b'{"RecordPatches": [{"Op": "replace", "Key": "k", "SyncCount": '
                + b"9" * 5000
                + b"}]}"
            ),
            "SerializationException",
        ),
        (_post(b'{"DeviceId": "\\ud800"}'), "InvalidParameterException"),
        (_post(b'{"DeviceId": "a\\u0000b"}'), "InvalidParameterException"),
        (_post(b'{"RecordPatches": {"Op": "replace"}}'), "SerializationException"),
        (
            _post(b'{"RecordPatches": [{"Op": "nope", "Key": "k", "SyncCount": 1}]}'),
            "InvalidParameterException",
        ),
        (_get(f"{RECORDS}?maxResults=abc"), "SerializationException"),
        (_get(f"{RECORDS}?lastSyncCount=99999999999999999999"), "SerializationException"),
        (_get(f"{RECORDS}?maxResults=1.5"), "SerializationException"),
        (_get(f"{RECORDS}?nextToken=%zz"), "SerializationException"),
        (_get(f"{RECORDS}?nextToken=%FF"), "SerializationException"),
        (_get(f"{RECORDS}?nextToken=a%00b"), "InvalidParameterException"),
        (_get(RECORDS.replace("settings", "set%00tings")), "InvalidParameterException"),
        (_get(RECORDS.replace(POOL_PATH, "no-colon")), "InvalidParameterException"),
    ],
)
def test_malformed_input_is_a_client_error_and_runs_no_handler(
    monkeypatch: pytest.MonkeyPatch,
    operator_key: tuple[AccessKey, str],
    sent: tuple[str, str, bytes],
    code: str,
) -> None:
    calls = register(monkeypatch, "ListRecords", lambda call, params: {})
    calls += register(monkeypatch, "UpdateRecords", lambda call, params: {})

    response = raw(operator_key, *sent)

    assert rest_error(response, 400)["Code"] == code
    assert calls == []


def test_a_trailing_slash_is_another_path(
    monkeypatch: pytest.MonkeyPatch, operator_key: tuple[AccessKey, str]
) -> None:
    calls = register(monkeypatch, "ListRecords", lambda call, params: {})

    response = raw(operator_key, "GET", f"{RECORDS}/")

    assert rest_error(response, 404)["Code"] == "UnknownOperationException"
    assert calls == []


def test_an_error_names_the_member_as_the_json_door_does(
    monkeypatch: pytest.MonkeyPatch, operator_key: tuple[AccessKey, str]
) -> None:
    register(monkeypatch, "ListRecords", lambda call, params: {})

    response = raw(operator_key, "GET", RECORDS.replace("settings", "bad%20name"))

    assert rest_error(response, 400)["Message"] == (
        "1 validation error detected: Value 'bad name' at 'datasetName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.:-]+"
    )


def test_a_signature_over_another_body_is_refused(
    monkeypatch: pytest.MonkeyPatch, operator_key: tuple[AccessKey, str]
) -> None:
    calls = register(monkeypatch, "UpdateRecords", lambda call, params: {})
    headers = signed_headers(operator_key, "POST", f"http://testserver{UPDATE}", b"{}")

    response = Client().post(
        UPDATE, b'{"DeviceId": "other"}', content_type="application/json", headers=headers
    )

    assert rest_error(response, 400)["Code"] == "InvalidSignatureException"
    assert calls == []


# --- Routing beyond Cognito Sync's paths: greedy labels and fixed query parts ---


def _served(
    key: tuple[AccessKey, str], service: str, method: str, path: str
) -> tuple[int, dict[str, Any]]:
    headers = signed_headers(key, method, f"http://testserver{path}", service=service)
    response = awsrest.dispatch(RequestFactory().generic(method, path, headers=headers))
    return response.status_code, json.loads(response.content)


def test_a_greedy_label_takes_the_rest_of_the_path(
    monkeypatch: pytest.MonkeyPatch, operator_key: tuple[AccessKey, str]
) -> None:
    calls = register(monkeypatch, "GetTopicRuleDestination", lambda c, p: {}, service="iot")

    status, _ = _served(operator_key, "iot", "GET", "/destinations/arn%3Aaws%3Aiot/a/b")

    assert status == 200
    assert calls == [{"arn": "arn:aws:iot/a/b"}]


def test_a_fixed_query_part_tells_apart_operations_of_one_path(
    monkeypatch: pytest.MonkeyPatch, operator_key: tuple[AccessKey, str]
) -> None:
    layers = register(monkeypatch, "ListLayers", lambda c, p: {}, service="lambda")
    by_arn = register(monkeypatch, "GetLayerVersionByArn", lambda c, p: {}, service="lambda")
    arn = "arn:aws:lambda:us-east-1:000000000000:layer:tools:1"

    listed, _ = _served(operator_key, "lambda", "GET", "/2018-10-31/layers?MaxItems=5")
    found, _ = _served(
        operator_key, "lambda", "GET", f"/2018-10-31/layers?find=LayerVersion&Arn={arn}"
    )

    assert (listed, found) == (200, 200)
    assert layers == [{"MaxItems": 5}]
    assert by_arn == [{"Arn": arn}]


def test_an_encoded_slash_stays_in_its_segment_where_the_server_keeps_the_raw_path(
    monkeypatch: pytest.MonkeyPatch, operator_key: tuple[AccessKey, str]
) -> None:
    calls = register(monkeypatch, "DescribeDataset", lambda c, p: {})
    path = DATASET_PATH.replace("settings", "a%2Fb")
    headers = signed_headers(operator_key, "GET", f"http://testserver{path}")
    # gunicorn's RAW_URI: the path as sent, which WSGI's PATH_INFO no longer tells.
    request = RequestFactory().generic("GET", path, headers=headers, RAW_URI=path)

    response = awsrest.dispatch(request)

    assert "Value 'a/b' at 'datasetName'" in rest_error(response, 400)["Message"]
    assert calls == []


@pytest.mark.parametrize(
    ("service", "name", "params"),
    [
        (
            "lambda",
            "ListDurableExecutionsByFunction",
            {
                "FunctionName": "reader",
                "Statuses": ["RUNNING", "FAILED"],
                "StartedAfter": WHEN,
                "ReverseOrder": True,
                "MaxItems": 0,
                "Marker": "m/+=&",
            },
        ),
        (
            "apigateway",
            "GetExport",
            {
                "restApiId": "a1",
                "stageName": "prod",
                "exportType": "oas30",
                "parameters": {"extensions": "postman", "é": "a b"},
                "accepts": "application/yaml",
            },
        ),
    ],
)
def test_what_botocore_serialises_reads_back_as_sent(
    monkeypatch: pytest.MonkeyPatch,
    operator_key: tuple[AccessKey, str],
    service: str,
    name: str,
    params: dict[str, Any],
) -> None:
    calls = register(monkeypatch, name, lambda c, p: {}, service=service)
    wire = create_serializer("rest-json").serialize_to_request(
        params, service_model(service).operation_model(name)
    )
    prepare_request_dict(wire, endpoint_url="http://testserver")
    sent = create_request_object(wire).prepare()
    headers = signed_headers(
        operator_key, sent.method, sent.url, service=service, headers=dict(sent.headers.items())
    )
    path = sent.url.removeprefix("http://testserver")

    response = awsrest.dispatch(RequestFactory().generic(sent.method, path, headers=headers))

    assert response.status_code == 200, response.content
    assert calls == [params]
