"""The AWS Query door (IAM, STS): botocore's own serializer and parser against ours, real boto3
clients against a live server, and raw bodies where the wire itself is the point.

The real IAM and STS handlers are tested with their apps; here each test registers the handlers
it needs, so the door is tested on its own."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, create_request_object, prepare_request_dict
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from django.test import Client

from cognitoadmin import awsjson
from cognitoadmin.authorization import ACCOUNT, ACTIONS, Action
from cognitoadmin.awsjson import AwsCall, Operation
from cognitoadmin.awsmodel import is_unsigned, service_model, validate_input
from cognitoadmin.awsquery import error_wire, error_xml, form_fields, form_input, result_xml
from cognitoadmin.errors import ServiceError, TooManyRequestsException
from identities.models import AccessKey
from tests.builders import make_access_key
from tests.conftest import _boto3_client

FORM = "application/x-www-form-urlencoded"
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
FAULT_NS = "http://webservices.amazon.com/AWSFault/2005-15-09"
ROLE_ARN = "arn:aws:iam::000000000000:role/reader"
WEB_IDENTITY = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
# Milliseconds: what the Query wire carries of a time.
WHEN = dt.datetime(2026, 12, 2, 5, 30, 0, 250000, tzinfo=dt.UTC)

Handler = Callable[[AwsCall, dict[str, Any]], dict[str, Any]]


def _model(service: str, name: str) -> OperationModel:
    return service_model(service).operation_model(name)


def wire_body(operation: OperationModel, params: Mapping[str, Any]) -> bytes:
    """The body botocore posts for `operation` with `params`, byte for byte."""
    request = create_serializer("query").serialize_to_request(params, operation)
    prepare_request_dict(request, endpoint_url="https://example.com")
    body = create_request_object(request).prepare().body
    return body.encode() if isinstance(body, str) else body


def read_back(operation: OperationModel, params: Mapping[str, Any]) -> dict[str, Any]:
    """`params` through botocore's serializer and back through the door's form reading."""
    return form_input(operation, form_fields(wire_body(operation, params)))


def botocore_reads(
    status: int, body: bytes, shape: Shape | None = None, headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """What botocore's Query parser reads from an answer (`shape`: the output's, if any)."""
    parsed: dict[str, Any] = create_parser("query").parse(
        {"status_code": status, "headers": dict(headers or {}), "body": body},
        shape,  # type: ignore[arg-type]  # botocore takes None (no output), its stubs do not
    )
    return parsed


def parsed_result(operation: OperationModel, result: Mapping[str, Any]) -> dict[str, Any]:
    """The door's XML for `result` as botocore's Query parser reads it, metadata left out."""
    body = result_xml(operation, result, rid="req-1").encode()
    parsed = botocore_reads(200, body, operation.output_shape)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1"
    return parsed


def query_error(response: Any, status: int, namespace: str = IAM_NS) -> dict[str, str]:
    """The error of a Django or `requests` response as botocore reads it, after checking the
    envelope around it."""
    assert response.status_code == status, response.content
    assert response.headers["Content-Type"] == "text/xml"
    assert response.content.startswith(f'<ErrorResponse xmlns="{namespace}">'.encode())
    parsed = botocore_reads(status, response.content, headers=response.headers)
    rid = response.headers["x-amzn-RequestId"]
    uuid.UUID(rid)
    assert parsed["ResponseMetadata"]["RequestId"] == rid
    error: dict[str, str] = parsed["Error"]
    assert error["Type"] == ("Receiver" if status >= 500 else "Sender")
    return error


# --- Reading botocore's forms ---


def test_create_role_with_tags_reads_back_as_sent() -> None:
    params = {
        "RoleName": "reader",
        "AssumeRolePolicyDocument": '{"Version": "2012-10-17", "Statement": []}',
        "Path": "/team/",
        "MaxSessionDuration": 3600,
        "Tags": [{"Key": "team", "Value": "a b+c"}, {"Key": "cost", "Value": ""}],
    }
    operation = _model("iam", "CreateRole")

    assert read_back(operation, params) == params
    assert validate_input(operation, read_back(operation, params)) == params


@pytest.mark.parametrize(
    ("service", "name", "params"),
    [
        (
            "iam",
            "PutRolePolicy",
            {
                "RoleName": "reader",
                "PolicyName": "s3",
                "PolicyDocument": '{"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}\n',
            },
        ),
        ("iam", "TagRole", {"RoleName": "r", "Tags": [{"Key": "k", "Value": "v=1&w=2%"}]}),
        ("iam", "UntagRole", {"RoleName": "r", "TagKeys": ["team", "cost", "é"]}),
        ("iam", "UntagRole", {"RoleName": "r", "TagKeys": []}),
        ("iam", "ListRoles", {"PathPrefix": "/", "Marker": "m/+=", "MaxItems": 1000}),
        (
            "sts",
            "AssumeRoleWithWebIdentity",
            {
                "RoleArn": ROLE_ARN,
                "RoleSessionName": "app",
                "WebIdentityToken": "eyJ.payload.sig",
                "DurationSeconds": 900,
                "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
            },
        ),
        (
            "iam",
            "CreatePolicy",
            {
                "PolicyName": "p",
                "PolicyDocument": "{}",
                "Description": "Tabs\tand\nlines",
                "Tags": [{"Key": "a", "Value": "b"}],
            },
        ),
        ("iam", "PutAccountProperties", {"Properties": {"first": "1", "second&": "2"}}),
        ("sts", "GetCallerIdentity", {}),
    ],
)
def test_operations_read_back_as_botocore_sent_them(
    service: str, name: str, params: dict[str, Any]
) -> None:
    assert read_back(_model(service, name), params) == params


def _sample(shape: Shape, path: str, depth: int = 0) -> Any:  # noqa: PLR0911
    """A value of every member of `shape`, as botocore's client-side check lets through (the
    minimums): two members per list and map, texts that need percent-encoding, each different."""
    low = shape.metadata.get("min", 0)
    if isinstance(shape, StructureShape):
        if depth > 8:
            return {}
        members = list(shape.members.items())
        chosen = members[:1] if shape.is_tagged_union else members
        return {name: _sample(member, f"{path}.{name}", depth + 1) for name, member in chosen}
    if isinstance(shape, ListShape):
        count = max(2, low)
        return [_sample(shape.member, f"{path}.{index}", depth + 1) for index in range(count)]
    if isinstance(shape, MapShape):
        return {
            f"{key}{path}": _sample(shape.value, f"{path}.{key}", depth + 1)
            for key in ("k 1", "k&2")
        }
    kind = shape.type_name
    if kind == "string":
        enum = shape.metadata.get("enum")
        return enum[0] if enum else f"{path} +&=%é<>\r\n".ljust(low, "x")
    if kind in {"integer", "long"}:
        return max(low, len(path))
    if kind == "boolean":
        return len(path) % 2 == 0
    if kind in {"double", "float"}:
        return max(low, len(path)) + 0.5
    if kind == "timestamp":
        return WHEN
    assert kind == "blob", kind
    return f"{path}\x00\xff".encode().ljust(low, b"x")


def _as_read(shape: Shape, value: Any, *, epoch: bool = True) -> Any:
    """`value` as the door hands it to `validate_input`, in the JSON door's forms (timestamps
    as epoch seconds, blobs as base64 text); or, not `epoch`, as handlers return it (blobs as
    base64 text, timestamps as datetimes)."""
    if isinstance(shape, StructureShape):
        return {
            name: _as_read(shape.members[name], item, epoch=epoch) for name, item in value.items()
        }
    if isinstance(shape, ListShape):
        return [_as_read(shape.member, item, epoch=epoch) for item in value]
    if isinstance(shape, MapShape):
        return {key: _as_read(shape.value, item, epoch=epoch) for key, item in value.items()}
    if isinstance(value, dt.datetime) and epoch:
        return value.timestamp()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _outcome(operation: OperationModel, params: Any) -> Any:
    try:
        return validate_input(operation, params)
    except ServiceError as refusal:
        return (refusal.aws_type, refusal.message)


QUERY_OPERATIONS = [
    pytest.param(_model(service, name), id=f"{service}.{name}")
    for service in ("iam", "sts")
    for name in service_model(service).operation_names
]


@pytest.mark.parametrize("operation", QUERY_OPERATIONS)
def test_every_input_reads_back_and_validates_as_on_the_json_door(
    operation: OperationModel,
) -> None:
    shape = operation.input_shape
    params = _sample(shape, "") if shape is not None else {}
    expected = _as_read(shape, params) if shape is not None else {}

    read = read_back(operation, params)

    assert read == expected
    assert _outcome(operation, read) == _outcome(operation, expected)


@pytest.mark.parametrize("operation", QUERY_OPERATIONS)
def test_every_output_reads_back_in_botocore(operation: OperationModel) -> None:
    shape = operation.output_shape
    # botocore hands the caller blobs as bytes; handlers return them as base64 text.
    expected = _sample(shape, "") if shape is not None else {}
    result = _as_read(shape, expected, epoch=False) if shape is not None else {}

    assert parsed_result(operation, result) == expected


# A service the Query protocol could describe, with what IAM and STS do not use: flattened
# lists and maps, renamed members, list items and map keys, timestamps, doubles, blobs.
_EXAMPLE_MEMBERS = {
    "Flat": {"shape": "FlatList"},
    "Named": {"shape": "NamedFlatList"},
    "Custom": {"shape": "CustomList"},
    "Renamed": {"shape": "Text", "locationName": "Alias"},
    "Pairs": {"shape": "PairMap"},
    "FlatPairs": {"shape": "FlatMap"},
    "When": {"shape": "Time"},
    "Ratio": {"shape": "Ratio"},
    "On": {"shape": "Flag"},
    "Big": {"shape": "Big"},
    "Data": {"shape": "Data"},
    "Nested": {"shape": "ItemList"},
}
EXAMPLE = ServiceModel(
    {
        "metadata": {
            "protocol": "query",
            "apiVersion": "2030-01-01",
            "xmlNamespace": "https://example.com/doc/2030-01-01/",
            "endpointPrefix": "example",
            "serviceId": "Example",
            "signatureVersion": "v4",
        },
        "operations": {
            "Echo": {
                "name": "Echo",
                "http": {"method": "POST", "requestUri": "/"},
                "input": {"shape": "EchoInput"},
                "output": {"shape": "EchoOutput", "resultWrapper": "EchoResult"},
            }
        },
        "shapes": {
            "EchoInput": {"type": "structure", "members": _EXAMPLE_MEMBERS},
            "EchoOutput": {"type": "structure", "members": _EXAMPLE_MEMBERS},
            "Text": {"type": "string"},
            "Time": {"type": "timestamp"},
            "Ratio": {"type": "double"},
            "Flag": {"type": "boolean"},
            "Big": {"type": "long"},
            "Data": {"type": "blob"},
            "FlatList": {"type": "list", "member": {"shape": "Text"}, "flattened": True},
            "NamedFlatList": {
                "type": "list",
                "member": {"shape": "Text", "locationName": "Item"},
                "flattened": True,
            },
            "CustomList": {"type": "list", "member": {"shape": "Text", "locationName": "item"}},
            "PairMap": {"type": "map", "key": {"shape": "Text"}, "value": {"shape": "Big"}},
            "FlatMap": {
                "type": "map",
                "key": {"shape": "Text", "locationName": "Name"},
                "value": {"shape": "Text", "locationName": "Val"},
                "flattened": True,
            },
            "ItemList": {"type": "list", "member": {"shape": "Item"}},
            "Item": {
                "type": "structure",
                "members": {"Tags": {"shape": "CustomList"}, "At": {"shape": "Time"}},
            },
        },
    },
    service_name="example",
)
ECHO = EXAMPLE.operation_model("Echo")
ECHO_PARAMS: dict[str, Any] = {
    "Flat": ["a", "b c"],
    "Named": ["x&y", "z"],
    "Custom": ["1", "2", "3"],
    "Renamed": "alias",
    "Pairs": {"one": 1, "minus two": -2},
    "FlatPairs": {"k": "v", "k2": ""},
    "When": WHEN,
    "Ratio": -12.75,
    "On": False,
    "Big": 2**62,
    "Data": b"\x00\x01binary",
    "Nested": [{"Tags": ["t"], "At": WHEN}, {"Tags": []}],
}


def test_flattened_and_renamed_members_travel_under_botocores_names() -> None:
    fields = form_fields(wire_body(ECHO, ECHO_PARAMS))

    assert {"Flat.2", "Item.1", "Custom.item.3", "Alias", "Pairs.entry.2.value"} <= set(fields)
    assert {"FlatPairs.1.Name", "FlatPairs.2.Val", "Nested.member.1.Tags.item.1"} <= set(fields)
    assert fields["When"] == "2026-12-02T05:30:00.250000Z"


def test_every_kind_of_member_reads_back_as_sent() -> None:
    checked = validate_input(ECHO, read_back(ECHO, ECHO_PARAMS))

    assert checked == {**ECHO_PARAMS, "Data": base64.b64encode(b"\x00\x01binary").decode()}
    assert checked["When"].tzinfo is not None


def test_every_kind_of_member_is_written_as_botocore_reads_it() -> None:
    result = {**ECHO_PARAMS, "Data": base64.b64encode(b"\x00\x01binary").decode()}

    assert parsed_result(ECHO, result) == ECHO_PARAMS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-02T05:30:00Z", dt.datetime(2026, 12, 2, 5, 30, tzinfo=dt.UTC)),
        ("2026-12-02T05:30:00.123Z", dt.datetime(2026, 12, 2, 5, 30, 0, 123000, tzinfo=dt.UTC)),
        ("2026-12-02T07:30:00+02:00", dt.datetime(2026, 12, 2, 5, 30, tzinfo=dt.UTC)),
    ],
)
def test_timestamps_are_read_as_iso_8601(text: str, expected: dt.datetime) -> None:
    fields = {"When": text}

    assert validate_input(ECHO, form_input(ECHO, fields))["When"] == expected


# --- Writing results ---


def test_get_role_with_tags_and_last_use_reads_back_in_botocore() -> None:
    result = {
        "Role": {
            "Path": "/",
            "RoleName": "reader",
            "RoleId": "AROAEXAMPLEEXAMPLE01",
            "Arn": ROLE_ARN,
            "CreateDate": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
            "AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%7D",
            "MaxSessionDuration": 3600,
            "Tags": [{"Key": "team", "Value": "a&b <c>"}, {"Key": "empty", "Value": ""}],
            "RoleLastUsed": {"LastUsedDate": WHEN, "Region": "us-east-1"},
        }
    }

    assert parsed_result(_model("iam", "GetRole"), result) == result


def test_timestamps_are_written_in_utc_with_a_z() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    result = {"Credentials": _credentials(dt.datetime(2026, 12, 2, 6, 30, 0, 999999, paris))}

    body = result_xml(_model("sts", "AssumeRoleWithWebIdentity"), result, rid="r")

    assert "<Expiration>2026-12-02T05:30:00.999Z</Expiration>" in body
    no_fraction = {"Credentials": _credentials(dt.datetime(2026, 12, 2, 5, 30, tzinfo=dt.UTC))}
    body = result_xml(_model("sts", "AssumeRoleWithWebIdentity"), no_fraction, rid="r")
    assert "<Expiration>2026-12-02T05:30:00Z</Expiration>" in body


def _credentials(expiration: dt.datetime) -> dict[str, Any]:
    return {
        "AccessKeyId": "ASIAEXAMPLEEXAMPLE01",
        "SecretAccessKey": "secret/+=",
        "SessionToken": "token",
        "Expiration": expiration,
    }


@pytest.mark.parametrize(
    ("service", "name", "result"),
    [
        (
            "iam",
            "ListRoles",
            {
                "Roles": [
                    {
                        "Path": "/",
                        "RoleName": name,
                        "RoleId": f"AROA{name.upper()}EXAMPLE00000",
                        "Arn": f"arn:aws:iam::000000000000:role/{name}",
                        "CreateDate": WHEN,
                    }
                    for name in ("a", "b")
                ],
                "IsTruncated": True,
                "Marker": "next&page",
            },
        ),
        ("iam", "ListRoles", {"Roles": [], "IsTruncated": False}),
        (
            "iam",
            "ListRoleTags",
            {"Tags": [{"Key": "k", "Value": "v"}], "IsTruncated": False},
        ),
        (
            "sts",
            "GetCallerIdentity",
            {
                "UserId": "AIDAEXAMPLE",
                "Account": "000000000000",
                "Arn": "arn:aws:iam::000000000000:user/operator",
            },
        ),
        (
            "sts",
            "AssumeRoleWithWebIdentity",
            {
                "Credentials": _credentials(WHEN),
                "SubjectFromWebIdentityToken": "us-east-1:1234",
                "AssumedRoleUser": {"AssumedRoleId": "AROA:app", "Arn": f"{ROLE_ARN}/app"},
                "PackedPolicySize": 6,
                "Provider": "cognito-identity.amazonaws.com",
                "Audience": "us-east-1:pool",
            },
        ),
        ("iam", "DeleteRole", {}),
    ],
)
def test_results_read_back_in_botocore(service: str, name: str, result: dict[str, Any]) -> None:
    assert parsed_result(_model(service, name), result) == result


def test_an_operation_without_output_answers_only_its_request_id() -> None:
    body = result_xml(_model("iam", "DeleteRole"), {}, rid="req-9")

    assert body == (
        f'<DeleteRoleResponse xmlns="{IAM_NS}"><ResponseMetadata><RequestId>req-9</RequestId>'
        "</ResponseMetadata></DeleteRoleResponse>"
    )


def test_text_is_escaped_and_characters_xml_cannot_carry_are_replaced() -> None:
    value = "a&b<c>d\"e'f]]>\r\n\tg\x00h\x1bi\ud800j\uffffk\U0001f600"
    result = {"Tags": [{"Key": "k", "Value": value}], "IsTruncated": False}

    parsed = parsed_result(_model("iam", "ListRoleTags"), result)

    assert (
        parsed["Tags"][0]["Value"] == "a&b<c>d\"e'f]]>\r\n\tg\ufffdh\ufffdi\ufffdj\ufffdk\U0001f600"
    )


# --- Errors on the wire ---


class NoSuchEntityException(ServiceError):
    aws_type = "NoSuchEntityException"
    http_status = 404


def _error(aws_type: str) -> ServiceError:
    # A status of its own that no mapping gives, to show where it is kept.
    error_class = type(aws_type, (ServiceError,), {"aws_type": aws_type, "http_status": 418})
    error: ServiceError = error_class("it failed")
    return error


@pytest.mark.parametrize(
    ("aws_type", "service", "code", "status"),
    [
        ("NoSuchEntityException", "iam", "NoSuchEntity", 404),
        ("EntityAlreadyExistsException", "iam", "EntityAlreadyExists", 409),
        ("LimitExceededException", "iam", "LimitExceeded", 409),
        ("MalformedPolicyDocument", "iam", "MalformedPolicyDocument", 400),
        ("MalformedPolicyDocument", "sts", "MalformedPolicyDocument", 400),
        ("InvalidIdentityTokenException", "sts", "InvalidIdentityToken", 400),
        ("IDPRejectedClaimException", "sts", "IDPRejectedClaim", 403),
        ("ExpiredTokenException", "sts", "ExpiredTokenException", 400),
        ("ExpiredTokenException", "iam", "ExpiredToken", 400),
        ("InvalidParameterException", "iam", "ValidationError", 400),
        ("SerializationException", "sts", "ValidationError", 400),
        ("AccessDeniedException", "iam", "AccessDenied", 403),
        ("UnrecognizedClientException", "sts", "InvalidClientTokenId", 403),
        ("InvalidSignatureException", "iam", "SignatureDoesNotMatch", 403),
        ("IncompleteSignatureException", "iam", "IncompleteSignature", 400),
        ("MissingAuthenticationTokenException", "sts", "MissingAuthenticationToken", 403),
        ("InternalErrorException", "iam", "InternalFailure", 500),
        ("TooManyRequestsException", "iam", "Throttling", 400),
        ("OrganizationNotFoundException", "iam", "OrganizationNotFoundException", 418),
        ("SomethingElse", "iam", "SomethingElse", 418),
        ("SomethingElse", None, "SomethingElse", 418),
        ("InvalidSignatureException", None, "SignatureDoesNotMatch", 403),
    ],
)
def test_errors_travel_with_the_code_and_status_botocore_expects(
    aws_type: str, service: str | None, code: str, status: int
) -> None:
    error = _error(aws_type)

    assert error_wire(error, service=service) == (code, status)
    document, sent_status = error_xml(error, service=service, rid="r")
    parsed = botocore_reads(sent_status, document.encode())
    assert sent_status == status
    assert parsed["Error"] == {
        "Type": "Receiver" if status >= 500 else "Sender",
        "Code": code,
        "Message": "it failed",
    }


@pytest.mark.parametrize(
    ("service", "code", "exception"),
    [
        ("iam", "NoSuchEntity", "NoSuchEntityException"),
        ("iam", "LimitExceeded", "LimitExceededException"),
        ("iam", "MalformedPolicyDocument", "MalformedPolicyDocumentException"),
        ("sts", "ExpiredTokenException", "ExpiredTokenException"),
        ("sts", "IDPRejectedClaim", "IDPRejectedClaimException"),
    ],
)
def test_modelled_codes_raise_boto3s_exception_classes(
    service: str, code: str, exception: str
) -> None:
    client = boto3.client(
        service, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )

    assert client.exceptions.from_code(code) is getattr(client.exceptions, exception)


# --- End to end: boto3 against a live server ---


def register(
    monkeypatch: pytest.MonkeyPatch,
    service: str,
    name: str,
    handler: Handler,
    *,
    model: OperationModel | None = None,
) -> list[dict[str, Any]]:
    """Put `handler` in the registry for this test, as `operation()` would; return the inputs
    it was called with."""
    model = model or _model(service, name)
    calls: list[dict[str, Any]] = []

    def spy(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
        calls.append(params)
        return handler(call, params)

    action = None
    if not is_unsigned(model):
        action = f"{service}:{name}"
        # Declared for this test only, whatever the real handlers declare.
        monkeypatch.setitem(
            ACTIONS, action, Action(name=action, permission="identities.view_accesskey")
        )
    operation = Operation(
        service=service,
        name=name,
        handler=spy,
        model=model,
        action=action,
        resource=ACCOUNT if action else None,
    )
    monkeypatch.setitem(awsjson.REGISTRY, (service, name), operation)
    return calls


def _role(name: str = "reader") -> dict[str, Any]:
    return {
        "Path": "/",
        "RoleName": name,
        "RoleId": "AROAEXAMPLEEXAMPLE01",
        "Arn": f"arn:aws:iam::000000000000:role/{name}",
        "CreateDate": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "Tags": [{"Key": "team", "Value": "blue"}],
        "RoleLastUsed": {"LastUsedDate": WHEN, "Region": "us-east-1"},
    }


def _role_answer(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return {"Role": _role(params["RoleName"])}


def _missing_role(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    raise NoSuchEntityException(f"The role with name {params['RoleName']} cannot be found.")


@pytest.fixture
def iam(aws_url: str, operator_key: tuple[AccessKey, str]) -> Any:
    key, secret = operator_key
    return _boto3_client(
        "iam", aws_url, aws_access_key_id=key.access_key_id, aws_secret_access_key=secret
    )


@pytest.fixture
def sts(aws_url: str, operator_key: tuple[AccessKey, str]) -> Any:
    key, secret = operator_key
    return _boto3_client(
        "sts", aws_url, aws_access_key_id=key.access_key_id, aws_secret_access_key=secret
    )


def signed_form(
    url: str, key: tuple[AccessKey, str], body: bytes, *, service: str = "iam"
) -> requests.Response:
    """`body` posted as a form, signed as boto3 signs it."""
    access_key, secret = key
    request = AWSRequest(method="POST", url=url + "/", data=body, headers={"Content-Type": FORM})
    SigV4Auth(Credentials(access_key.access_key_id, secret), service, "us-east-1").add_auth(request)
    return requests.post(url + "/", data=body, headers=dict(request.headers.items()), timeout=30)


def test_a_signed_call_returns_the_handlers_result_to_boto3(
    iam: Any, monkeypatch: pytest.MonkeyPatch, operator_key: tuple[AccessKey, str]
) -> None:
    seen: list[AwsCall] = []

    def get_role(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
        seen.append(call)
        return _role_answer(call, params)

    calls = register(monkeypatch, "iam", "GetRole", get_role)

    response = iam.get_role(RoleName="reader")

    metadata = response.pop("ResponseMetadata")
    assert response == {"Role": _role()}
    assert calls == [{"RoleName": "reader"}]
    assert seen[0].caller is not None
    assert seen[0].caller.credential == operator_key[0]
    assert metadata["HTTPHeaders"]["content-type"] == "text/xml"
    assert metadata["RequestId"] == metadata["HTTPHeaders"]["x-amzn-requestid"]


def test_a_signed_sts_call_is_served(sts: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    identity = {
        "UserId": "AIDAEXAMPLE",
        "Account": "000000000000",
        "Arn": "arn:aws:iam::000000000000:user/operator",
    }
    register(monkeypatch, "sts", "GetCallerIdentity", lambda call, params: identity)

    response = sts.get_caller_identity()

    assert {name: response[name] for name in identity} == identity


def test_an_unsigned_call_needs_no_credentials(
    aws_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = {
        "Credentials": _credentials(WHEN),
        "AssumedRoleUser": {"AssumedRoleId": "AROA:app", "Arn": f"{ROLE_ARN}/app"},
    }
    calls = register(monkeypatch, "sts", "AssumeRoleWithWebIdentity", lambda call, p: answer)
    sts_public = _boto3_client("sts", aws_url)

    response = sts_public.assume_role_with_web_identity(
        RoleArn=ROLE_ARN, RoleSessionName="app", WebIdentityToken="eyJ.x.y", DurationSeconds=900
    )

    assert response["Credentials"] == answer["Credentials"]
    assert response["Credentials"]["Expiration"] == WHEN
    assert calls == [
        {
            "RoleArn": ROLE_ARN,
            "RoleSessionName": "app",
            "WebIdentityToken": "eyJ.x.y",
            "DurationSeconds": 900,
        }
    ]


def test_a_modelled_error_raises_boto3s_exception_with_its_status(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(monkeypatch, "iam", "GetRole", _missing_role)

    with pytest.raises(iam.exceptions.NoSuchEntityException) as caught:
        iam.get_role(RoleName="gone")

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert caught.value.response["Error"] == {
        "Type": "Sender",
        "Code": "NoSuchEntity",
        "Message": "The role with name gone cannot be found.",
    }


def test_a_constraint_violation_is_a_validation_error_and_runs_no_handler(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = register(monkeypatch, "iam", "GetRole", _role_answer)

    with pytest.raises(ClientError) as caught:
        iam.get_role(RoleName="not a role name")

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert caught.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'not a role name' at 'roleName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    )
    assert calls == []


def test_a_bad_signature_is_refused_and_runs_no_handler(
    aws_url: str, monkeypatch: pytest.MonkeyPatch, operator_key: tuple[AccessKey, str]
) -> None:
    calls = register(monkeypatch, "iam", "GetRole", _role_answer)
    key, secret = operator_key
    client = _boto3_client(
        "iam", aws_url, aws_access_key_id=key.access_key_id, aws_secret_access_key="x" + secret
    )

    with pytest.raises(ClientError) as caught:
        client.get_role(RoleName="reader")

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert calls == []


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        ({}, "MissingAuthenticationToken"),
        (
            {
                "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
                "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            },
            "InvalidClientTokenId",
        ),
    ],
)
def test_a_call_without_a_known_key_is_refused_and_runs_no_handler(
    aws_url: str, monkeypatch: pytest.MonkeyPatch, credentials: dict[str, str], code: str
) -> None:
    calls = register(monkeypatch, "iam", "GetRole", _role_answer)
    client = _boto3_client("iam", aws_url, **credentials)

    with pytest.raises(ClientError) as caught:
        client.get_role(RoleName="reader")

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert caught.value.response["Error"]["Code"] == code
    assert calls == []


def test_a_key_whose_policy_does_not_allow_the_action_is_denied(
    aws_url: str, monkeypatch: pytest.MonkeyPatch, operator_key: tuple[AccessKey, str]
) -> None:
    calls = register(monkeypatch, "iam", "GetRole", _role_answer)
    narrow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "cognito-idp:*", "Resource": "*"}],
    }
    key, secret = make_access_key(operator=operator_key[0].operator, policy=narrow)
    client = _boto3_client(
        "iam", aws_url, aws_access_key_id=key.access_key_id, aws_secret_access_key=secret
    )

    with pytest.raises(ClientError) as caught:
        client.get_role(RoleName="reader")

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert calls == []


def test_the_limiters_run_for_query_calls_too(iam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = register(monkeypatch, "iam", "GetRole", _role_answer)

    def slow_down(call: AwsCall, params: dict[str, Any]) -> None:
        raise TooManyRequestsException("Rate exceeded")

    monkeypatch.setattr(awsjson, "_limiters", [slow_down])

    with pytest.raises(ClientError) as caught:
        iam.get_role(RoleName="reader")

    assert caught.value.response["Error"]["Code"] == "Throttling"
    assert calls == []


def test_a_result_outside_the_output_shape_is_an_internal_failure(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(monkeypatch, "iam", "GetRole", lambda call, params: {"Role": {"Name": "typo"}})

    with pytest.raises(ClientError) as caught:
        iam.get_role(RoleName="reader")

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert caught.value.response["Error"] == {
        "Type": "Receiver",
        "Code": "InternalFailure",
        "Message": "Internal server error.",
    }


def test_a_wrong_value_type_is_a_validation_error_naming_the_field(
    aws_url: str, monkeypatch: pytest.MonkeyPatch, operator_key: tuple[AccessKey, str]
) -> None:
    calls = register(monkeypatch, "iam", "ListRoles", lambda call, params: {"Roles": []})

    response = signed_form(
        aws_url, operator_key, b"Action=ListRoles&Version=2010-05-08&MaxItems=abc"
    )

    error = query_error(response, 400)
    assert error["Code"] == "ValidationError"
    assert error["Message"] == "Expected an integer at 'MaxItems'."
    assert calls == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "Action=NoSuchThing&Version=2010-05-08",
            "Could not find operation NoSuchThing for version 2010-05-08",
        ),
        (
            "Action=GetRole&Version=2011-06-15",
            "Could not find operation GetRole for version 2011-06-15",
        ),
        ("Action=GetRole", "Could not find operation GetRole for version NO_VERSION_SPECIFIED"),
        ("Action=GetRole&Version=", "Could not find operation GetRole for version "),
        ("Version=2010-05-08", "Could not find operation  for version 2010-05-08"),
        ("", "Could not find operation  for version NO_VERSION_SPECIFIED"),
    ],
)
def test_an_unknown_action_or_version_is_an_invalid_action(
    aws_url: str, monkeypatch: pytest.MonkeyPatch, body: str, message: str
) -> None:
    calls = register(monkeypatch, "iam", "GetRole", _role_answer)

    response = requests.post(
        aws_url + "/", data=body, headers={"Content-Type": f"{FORM}; charset=utf-8"}, timeout=30
    )

    error = query_error(response, 400, namespace=FAULT_NS)
    assert error == {"Type": "Sender", "Code": "InvalidAction", "Message": message}
    assert calls == []


def test_an_operation_this_server_does_not_serve_is_an_invalid_action_in_boto3(
    aws_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(awsjson.REGISTRY, ("iam", "GetAccountSummary"), raising=False)
    client = _boto3_client("iam", aws_url)

    with pytest.raises(ClientError) as caught:
        client.get_account_summary()

    assert caught.value.response["Error"]["Code"] == "InvalidAction"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize(
    ("body", "namespace"),
    [
        # Counted before the operation is known.
        ("&".join(f"Field{index}=x" for index in range(1001)), FAULT_NS),
        (WEB_IDENTITY + "&" + "A." * 5000 + "B=1", STS_NS),
        (WEB_IDENTITY + "&PolicyArns.member.1" + ".member.1" * 10 + ".arn=x", STS_NS),
    ],
    ids=["too many fields", "deep name", "nested members"],
)
def test_a_huge_or_deeply_nested_body_is_a_client_error(
    aws_url: str, monkeypatch: pytest.MonkeyPatch, body: str, namespace: str
) -> None:
    calls = register(monkeypatch, "sts", "AssumeRoleWithWebIdentity", lambda call, p: {})

    response = requests.post(aws_url + "/", data=body, headers={"Content-Type": FORM}, timeout=30)

    error = query_error(response, 400, namespace=namespace)
    assert error["Code"] == "InvalidQueryParameter"
    assert calls == []


def test_a_body_beyond_djangos_limit_is_refused(
    aws_url: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    calls = register(monkeypatch, "sts", "AssumeRoleWithWebIdentity", lambda call, p: {})

    response = requests.post(
        aws_url + "/",
        data=WEB_IDENTITY + "&Policy=" + "x" * 2000,
        headers={"Content-Type": FORM},
        timeout=30,
    )

    assert (
        query_error(response, 413, namespace=FAULT_NS)["Code"] == "RequestEntityTooLargeException"
    )
    assert calls == []


def test_query_answers_carry_cors_headers(aws_url: str) -> None:
    response = requests.post(
        aws_url + "/",
        data="Action=Nope&Version=2010-05-08",
        headers={"Content-Type": FORM, "Origin": "http://app.example.com"},
        timeout=30,
    )

    assert response.headers["Access-Control-Allow-Origin"] == "http://app.example.com"
    assert "x-amzn-requestid" in response.headers["Access-Control-Expose-Headers"].lower()


# --- Raw bodies through Django's test client ---


@pytest.fixture
def web_identity(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The unsigned AssumeRoleWithWebIdentity, answering with credentials; its inputs."""
    answer = {"Credentials": _credentials(WHEN)}
    return register(monkeypatch, "sts", "AssumeRoleWithWebIdentity", lambda call, p: answer)


def post_form(body: bytes | str, content_type: str = FORM) -> Any:
    return Client().post("/", data=body, content_type=content_type)


GOOD = WEB_IDENTITY + f"&RoleArn={ROLE_ARN}&RoleSessionName=app&WebIdentityToken=eyJ.x.y"


def test_a_raw_form_is_answered_in_xml(web_identity: list[dict[str, Any]]) -> None:
    response = post_form(GOOD + "&Unknown=1&PolicyArns.unknown=2&RoleArn.part=3")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml"
    assert response.content.startswith(
        f'<AssumeRoleWithWebIdentityResponse xmlns="{STS_NS}">'
        "<AssumeRoleWithWebIdentityResult><Credentials>".encode()
    )
    rid = response.headers["x-amzn-RequestId"]
    assert response.content.endswith(
        f"<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>"
        "</AssumeRoleWithWebIdentityResponse>".encode()
    )
    assert web_identity == [
        {"RoleArn": ROLE_ARN, "RoleSessionName": "app", "WebIdentityToken": "eyJ.x.y"}
    ]


def test_a_field_sent_twice_keeps_its_first_value(web_identity: list[dict[str, Any]]) -> None:
    response = post_form(
        GOOD.replace("Version=2011-06-15", "Version=2011-06-15&Version=1999")
        + "&RoleSessionName=second"
    )

    assert response.status_code == 200
    assert web_identity[0]["RoleSessionName"] == "app"


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (GOOD + "&Policy=%zz", "InvalidQueryParameter", "starts no percent-encoding"),
        (GOOD + "&Policy=%4", "InvalidQueryParameter", "starts no percent-encoding"),
        (GOOD + "&Policy=100%", "InvalidQueryParameter", "starts no percent-encoding"),
        (GOOD + "&Policy=%ff%fe", "InvalidQueryParameter", "not UTF-8"),
        (GOOD.encode() + b"&Policy=\xff", "InvalidQueryParameter", "not UTF-8"),
        (GOOD + "&Policy=%ed%a0%80", "InvalidQueryParameter", "not UTF-8"),
        (GOOD + "&Policy=a%00b", "ValidationError", "NUL character"),
        (GOOD + "&Pol%00icy=x", "ValidationError", "NUL character"),
    ],
)
def test_a_body_that_is_no_form_is_refused_before_anything_runs(
    web_identity: list[dict[str, Any]], body: bytes | str, code: str, message: str
) -> None:
    error = query_error(post_form(body), 400, namespace=FAULT_NS)

    assert error["Code"] == code
    assert message in error["Message"]
    assert web_identity == []


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        (
            "&PolicyArns.member.1.arn=a&PolicyArns.member.3.arn=c",
            "InvalidQueryParameter",
            "Members of 'PolicyArns.member' are numbered from 1 without gaps: "
            "'PolicyArns.member.2' is missing.",
        ),
        (
            "&PolicyArns.member.0.arn=a",
            "InvalidQueryParameter",
            "Members of 'PolicyArns.member' are numbered 1, 2, 3, ...: '0' is not one.",
        ),
        (
            "&PolicyArns.member.01.arn=a",
            "InvalidQueryParameter",
            "Members of 'PolicyArns.member' are numbered 1, 2, 3, ...: '01' is not one.",
        ),
        (
            "&PolicyArns.member.x.arn=a",
            "InvalidQueryParameter",
            "Members of 'PolicyArns.member' are numbered 1, 2, 3, ...: 'x' is not one.",
        ),
        (
            "&PolicyArns.member." + "9" * 5000 + ".arn=a",
            "InvalidQueryParameter",
            "Members of 'PolicyArns.member' are numbered 1, 2, 3, ...: '"
            + "9" * 64
            + "...' is not one.",
        ),
        (
            "&PolicyArns.member.1000.arn=a",
            "InvalidQueryParameter",
            "'PolicyArns.member.1' is missing.",
        ),
        ("&DurationSeconds=abc", "ValidationError", "Expected an integer at 'DurationSeconds'."),
        ("&DurationSeconds=9.5", "ValidationError", "Expected an integer at 'DurationSeconds'."),
        (
            "&DurationSeconds=" + "9" * 5000,
            "ValidationError",
            "Expected an integer at 'DurationSeconds'.",
        ),
        ("&DurationSeconds=", "ValidationError", "Expected an integer at 'DurationSeconds'."),
        (
            "&DurationSeconds=60",
            "ValidationError",
            "1 validation error detected: Value '60' at 'durationSeconds' failed to satisfy "
            "constraint: Member must have value greater than or equal to 900",
        ),
        ("&PolicyArns=abc", "ValidationError", "Expected a list at 'PolicyArns'."),
        (
            "&PolicyArns.member.1=abc",
            "ValidationError",
            "Expected a structure at 'PolicyArns.member.1'.",
        ),
    ],
)
def test_a_malformed_input_is_refused_and_named(
    web_identity: list[dict[str, Any]], fields: str, code: str, message: str
) -> None:
    error = query_error(post_form(GOOD + fields), 400, namespace=STS_NS)

    assert error["Code"] == code
    assert message in error["Message"]
    assert web_identity == []


def test_a_sensitive_value_is_never_echoed(web_identity: list[dict[str, Any]]) -> None:
    response = post_form(GOOD.replace("WebIdentityToken=eyJ.x.y", "WebIdentityToken=z9q"))

    error = query_error(response, 400, namespace=STS_NS)
    assert error["Message"] == (
        "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: "
        "Member must have length greater than or equal to 4"
    )
    assert b"z9q" not in response.content
    assert web_identity == []


def test_an_unexpected_failure_is_an_internal_failure_that_leaks_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("secret detail")

    register(monkeypatch, "sts", "AssumeRoleWithWebIdentity", broken)

    response = post_form(GOOD)

    error = query_error(response, 500, namespace=STS_NS)
    assert error == {
        "Type": "Receiver",
        "Code": "InternalFailure",
        "Message": "Internal server error.",
    }
    assert b"secret detail" not in response.content


def test_an_action_two_services_share_goes_to_the_one_the_request_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    web_identity = _model("sts", "AssumeRoleWithWebIdentity")
    answer = {"Credentials": _credentials(WHEN)}
    in_sts = register(monkeypatch, "sts", "AssumeRoleWithWebIdentity", lambda call, p: answer)
    in_iam = register(
        monkeypatch, "iam", "AssumeRoleWithWebIdentity", lambda call, p: answer, model=web_identity
    )
    iam_body = GOOD.replace("Version=2011-06-15", "Version=2010-05-08")

    def scoped(service: str, body: str) -> Any:
        credential = f"Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/{service}/aws4_request"
        authorization = f"AWS4-HMAC-SHA256 {credential}, SignedHeaders=host, Signature=00"
        return Client().post(
            "/", data=body, content_type=FORM, headers={"Authorization": authorization}
        )

    assert scoped("iam", iam_body).status_code == 200
    assert (len(in_iam), len(in_sts)) == (1, 0)
    assert scoped("sts", GOOD).status_code == 200
    assert (len(in_iam), len(in_sts)) == (1, 1)
    # Unsigned, a request names its service by its API version.
    assert post_form(iam_body).status_code == 200
    assert (len(in_iam), len(in_sts)) == (2, 1)
    assert post_form(GOOD).status_code == 200
    assert (len(in_iam), len(in_sts)) == (2, 2)


def test_a_target_still_goes_to_the_json_door_whatever_the_content_type() -> None:
    response = Client().post(
        "/", data=GOOD, content_type=FORM, headers={"X-Amz-Target": "Nope.Nothing"}
    )

    assert response.status_code == 400
    assert json.loads(response.content)["__type"] == "UnknownOperationException"


def test_a_post_that_is_no_form_still_goes_to_the_json_door() -> None:
    response = post_form(GOOD, content_type="text/plain")

    assert json.loads(response.content)["__type"] == "UnknownOperationException"


def test_the_form_content_type_may_name_any_charset(web_identity: list[dict[str, Any]]) -> None:
    response = post_form(GOOD, content_type="Application/X-WWW-Form-URLEncoded; charset=latin-1")

    assert response.status_code == 200
