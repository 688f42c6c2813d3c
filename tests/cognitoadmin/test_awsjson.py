"""The AWS JSON 1.1 protocol layer, through a live server: raw HTTP where the wire itself is the
point, boto3 where a real client's reading of it is."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
import time
import uuid
from typing import Any

import boto3
import botocore.auth
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from cognitoadmin.awsjson import REGISTRY, AwsCall
from cognitoadmin.awsmodel import OutputShapeError, service_model, validate_output
from identities.models import AccessKey
from identities.services.access_keys import access_key_disable
from pools.models import UserPool
from tests.builders import make_user_pool

pytestmark = pytest.mark.django_db(transaction=True)

PREFIX = "AWSCognitoIdentityProviderService"
JSON_11 = "application/x-amz-json-1.1"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


def signed_headers(
    url: str,
    key: tuple[AccessKey, str],
    operation: str,
    body: bytes,
    *,
    service: str = "cognito-idp",
    content_type: str = JSON_11,
) -> dict[str, str]:
    """The headers boto3 sends for `operation` with `body`, Authorization included."""
    access_key, secret = key
    request = AWSRequest(
        method="POST",
        url=url + "/",
        data=body,
        headers={"Content-Type": content_type, "X-Amz-Target": f"{PREFIX}.{operation}"},
    )
    SigV4Auth(Credentials(access_key.access_key_id, secret), service, "us-east-1").add_auth(request)
    return dict(request.headers.items())


def post(url: str, body: bytes | str, headers: dict[str, str]) -> requests.Response:
    return requests.post(url + "/", data=body, headers=headers, timeout=30)


def signed_post(
    url: str, key: tuple[AccessKey, str], operation: str, body: bytes, **options: str
) -> requests.Response:
    return post(url, body, signed_headers(url, key, operation, body, **options))


def assert_aws_error(response: requests.Response, code: str, status: int = 400) -> str:
    """Check the whole AWS error envelope; return the message."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == JSON_11
    assert response.headers["x-amzn-ErrorType"] == f"{code}:"
    uuid.UUID(response.headers["x-amzn-RequestId"])
    assert response.headers["Date"].endswith(" GMT")
    body = response.json()
    assert body["__type"] == code
    message: str = body["message"]
    return message


def client_error(call: Any, **params: Any) -> Any:
    """botocore's parsed error response of a call that must fail."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response


def boto3_idp(url: str, access_key_id: str, secret: str) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


# --- Dispatch: which operation, which body ---


def test_an_unknown_operation_is_named_in_the_error(aws_url: str) -> None:
    response = post(aws_url, b"{}", {"X-Amz-Target": f"{PREFIX}.NoSuchThing"})

    message = assert_aws_error(response, "UnknownOperationException")
    assert f"{PREFIX}.NoSuchThing" in message


@pytest.mark.parametrize("target", ["DynamoDB_20120810.ListTables", "ListUserPools"])
def test_a_target_of_another_service_is_unknown(aws_url: str, target: str) -> None:
    response = post(aws_url, b"{}", {"X-Amz-Target": target, "Content-Type": JSON_11})

    assert_aws_error(response, "UnknownOperationException")


def test_a_post_without_a_target_is_an_unknown_operation(aws_url: str) -> None:
    response = post(aws_url, b"{}", {"Content-Type": JSON_11})

    message = assert_aws_error(response, "UnknownOperationException")
    assert "X-Amz-Target" in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"MaxResults": 10', "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "Expected an object"),
        (b'"MaxResults"', "Expected an object"),
        (b'{"MaxResults": "ten"}', "Expected an integer at 'maxResults'"),
        (b'{"MaxResults": true}', "Expected an integer at 'maxResults'"),
    ],
)
def test_a_body_that_is_not_the_input_shape_is_a_serialization_error(
    aws_url: str, operator_key: tuple[AccessKey, str], body: bytes, expected: str
) -> None:
    response = signed_post(aws_url, operator_key, "ListUserPools", body)

    assert expected in assert_aws_error(response, "SerializationException")


def test_a_wrong_member_type_deep_in_the_input_is_a_serialization_error(
    aws_url: str, operator_key: tuple[AccessKey, str]
) -> None:
    body = json.dumps(
        {"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": "8"}}}
    ).encode()

    response = signed_post(aws_url, operator_key, "CreateUserPool", body)

    assert "passwordPolicy.minimumLength" in assert_aws_error(response, "SerializationException")
    assert UserPool.objects.count() == 0


@pytest.mark.parametrize("precedence", [2**31, -(2**31) - 1, 2**63])
def test_an_integer_beyond_32_bits_is_a_serialization_error_and_creates_nothing(
    aws_url: str, operator_key: tuple[AccessKey, str], pool: UserPool, precedence: int
) -> None:
    body = json.dumps({"UserPoolId": pool.pool_id, "GroupName": "g", "Precedence": precedence})

    response = signed_post(aws_url, operator_key, "CreateGroup", body.encode())

    assert "32-bit integer at 'precedence'" in assert_aws_error(response, "SerializationException")
    assert not pool.groups.exists()


def test_the_largest_32_bit_integer_is_accepted(idp: Any, pool: UserPool) -> None:
    group = idp.create_group(UserPoolId=pool.pool_id, GroupName="g", Precedence=2**31 - 1)["Group"]

    assert group["Precedence"] == 2**31 - 1


def test_a_constraint_violation_names_the_member_as_cognito_does(idp: Any) -> None:
    error = client_error(idp.describe_user_pool, UserPoolId="not a pool id")

    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidParameterException"
    assert error["Error"]["Message"] == (
        "1 validation error detected: Value 'not a pool id' at 'userPoolId' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+"
    )


def test_several_violations_are_counted_and_nothing_is_created(idp: Any) -> None:
    error = client_error(idp.create_user_pool, PoolName="x" * 129, MfaConfiguration="SOMETIMES")

    message = error["Error"]["Message"]
    assert error["Error"]["Code"] == "InvalidParameterException"
    assert message.startswith("2 validation errors detected: ")
    assert "at 'poolName' failed to satisfy constraint: Member must have length less than" in (
        message
    )
    assert "at 'mfaConfiguration' failed to satisfy constraint: Member must satisfy enum" in (
        message
    )
    assert UserPool.objects.count() == 0


def test_a_modelled_error_becomes_botocores_exception_class(idp: Any) -> None:
    with pytest.raises(idp.exceptions.ResourceNotFoundException) as caught:
        idp.describe_user_pool(UserPoolId="us-east-1_missing0")

    assert (
        caught.value.response["Error"]["Message"] == "User pool us-east-1_missing0 does not exist."
    )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# --- Responses: headers, content type, timestamps ---


def test_a_success_carries_a_request_id_and_the_json_11_content_type(
    aws_url: str, operator_key: tuple[AccessKey, str]
) -> None:
    response = signed_post(aws_url, operator_key, "ListUserPools", b'{"MaxResults": 10}')

    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSON_11
    uuid.UUID(response.headers["x-amzn-RequestId"])
    assert "x-amzn-ErrorType" not in response.headers
    assert response.json() == {"UserPools": []}


def test_boto3_reads_the_request_id(idp: Any) -> None:
    first = idp.list_user_pools(MaxResults=10)["ResponseMetadata"]
    second = idp.list_user_pools(MaxResults=10)["ResponseMetadata"]

    assert first["RequestId"] == first["HTTPHeaders"]["x-amzn-requestid"]
    assert first["RequestId"] != second["RequestId"]


def test_timestamps_are_epoch_seconds_on_the_wire_and_datetimes_in_boto3(
    aws_url: str, idp: Any, operator_key: tuple[AccessKey, str]
) -> None:
    before = time.time()
    pool_id = idp.create_user_pool(PoolName="stamps")["UserPool"]["Id"]

    raw = signed_post(
        aws_url, operator_key, "DescribeUserPool", json.dumps({"UserPoolId": pool_id}).encode()
    ).json()["UserPool"]
    parsed = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]

    for member in ("CreationDate", "LastModifiedDate"):
        assert isinstance(raw[member], int | float)
        assert not isinstance(raw[member], bool)
        assert before - 1 <= raw[member] <= time.time() + 1
        assert isinstance(parsed[member], dt.datetime)
        assert parsed[member].timestamp() == pytest.approx(raw[member])


def test_a_json_content_type_is_accepted_too(
    aws_url: str, operator_key: tuple[AccessKey, str]
) -> None:
    response = signed_post(
        aws_url,
        operator_key,
        "ListUserPools",
        b'{"MaxResults": 1}',
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json() == {"UserPools": []}


def test_an_empty_body_is_an_empty_input(aws_url: str, operator_key: tuple[AccessKey, str]) -> None:
    response = signed_post(aws_url, operator_key, "ListUserPools", b"")

    message = assert_aws_error(response, "InvalidParameterException")
    assert message == (
        "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: "
        "Member must not be null"
    )


# --- Browsers and people ---


def test_a_cors_preflight_is_answered(aws_url: str) -> None:
    asked = "content-type,x-amz-target,x-amz-user-agent,authorization,x-amz-date"
    response = requests.options(
        aws_url + "/",
        headers={
            "Origin": "http://app.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": asked,
        },
        timeout=30,
    )

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://app.example.com"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == asked


def test_posts_carry_cors_headers_that_expose_the_error_and_request_id(aws_url: str) -> None:
    response = requests.post(
        aws_url + "/",
        data=b"{}",
        headers={"Origin": "http://app.example.com", "X-Amz-Target": f"{PREFIX}.Nope"},
        timeout=30,
    )

    assert response.headers["Access-Control-Allow-Origin"] == "http://app.example.com"
    exposed = {
        h.strip().lower() for h in response.headers["Access-Control-Expose-Headers"].split(",")
    }
    assert {"x-amzn-requestid", "x-amzn-errortype", "date"} <= exposed


def test_get_still_shows_the_landing_page(aws_url: str) -> None:
    response = requests.get(aws_url + "/", timeout=30)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert 'href="/admin/"' in response.text


# --- Internal errors and the output check ---


def _replace_handler(monkeypatch: pytest.MonkeyPatch, name: str, handler: Any) -> None:
    key = ("cognito-idp", name)
    monkeypatch.setitem(REGISTRY, key, dataclasses.replace(REGISTRY[key], handler=handler))


def test_a_result_outside_the_output_shape_is_an_internal_error_with_its_reason_logged(
    aws_url: str,
    idp: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def misnamed(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
        return {"UserPools": [{"Id": "us-east-1_abc", "Name": "p"}], "Nexttoken": "x"}

    _replace_handler(monkeypatch, "ListUserPools", misnamed)

    with caplog.at_level(logging.ERROR):
        error = client_error(idp.list_user_pools, MaxResults=10)

    assert error["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert error["Error"] == {"Code": "InternalErrorException", "Message": "Internal server error."}
    logged = "\n".join(r.getMessage() + str(r.exc_info and r.exc_info[1]) for r in caplog.records)
    assert "ListUserPools output: Nexttoken: not a member of ListUserPoolsResponse" in logged
    assert "UserPools[0]" not in logged  # members that fit are not reported


def test_the_output_check_can_be_turned_off(
    aws_url: str, idp: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.COGNITOADMIN_AWS_CHECK_OUTPUT = False

    def extra(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
        return {"UserPools": [], "Surplus": 1}

    _replace_handler(monkeypatch, "ListUserPools", extra)

    assert idp.list_user_pools(MaxResults=10)["UserPools"] == []


def test_an_unexpected_exception_is_a_500_internal_error(
    aws_url: str, operator_key: tuple[AccessKey, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("secret detail")

    _replace_handler(monkeypatch, "ListUserPools", broken)

    response = signed_post(aws_url, operator_key, "ListUserPools", b'{"MaxResults": 1}')

    assert assert_aws_error(response, "InternalErrorException", 500) == "Internal server error."
    assert "secret detail" not in response.text


def _model(name: str) -> Any:
    return service_model("cognito-idp").operation_model(name)


def test_output_check_accepts_a_result_that_fits() -> None:
    now = dt.datetime.now(dt.UTC)
    validate_output(
        _model("DescribeUserPool"),
        {
            "UserPool": {
                "Id": "us-east-1_abc",
                "CreationDate": now,
                "EstimatedNumberOfUsers": 0,
                "Policies": {"PasswordPolicy": {"MinimumLength": 8, "RequireSymbols": True}},
                "SchemaAttributes": [{"Name": "email", "AttributeDataType": "String"}],
                "UserPoolTags": {"team": "a"},
                "MfaConfiguration": "OFF",
            }
        },
    )
    validate_output(_model("DeleteUserPool"), {})


@pytest.mark.parametrize(
    ("name", "result", "reason"),
    [
        (
            "DescribeUserPool",
            {"UserPool": {"id": "x"}},
            "UserPool.id: not a member of UserPoolType",
        ),
        ("DescribeUserPool", {"UserPool": []}, "UserPool: list where an object belongs"),
        ("DescribeUserPool", {"UserPool": {"Id": 5}}, "UserPool.Id: int where a string belongs"),
        ("DescribeUserPool", {"UserPool": {"Id": None}}, "UserPool.Id: null (leave it out"),
        (
            "DescribeUserPool",
            {"UserPool": {"EstimatedNumberOfUsers": True}},
            "UserPool.EstimatedNumberOfUsers: bool where an integer belongs",
        ),
        (
            "DescribeUserPool",
            {"UserPool": {"Policies": {"PasswordPolicy": {"RequireSymbols": "true"}}}},
            "UserPool.Policies.PasswordPolicy.RequireSymbols: str where a boolean belongs",
        ),
        (
            "DescribeUserPool",
            {"UserPool": {"CreationDate": 1700000000}},
            "UserPool.CreationDate: int where an aware datetime belongs",
        ),
        (
            "DescribeUserPool",
            {"UserPool": {"CreationDate": dt.datetime(2024, 1, 1)}},  # noqa: DTZ001 - the point
            "UserPool.CreationDate: datetime where an aware datetime belongs",
        ),
        (
            "DescribeUserPool",
            {"UserPool": {"SchemaAttributes": [{"Name": "email", "Mutable": "yes"}]}},
            "UserPool.SchemaAttributes[0].Mutable: str where a boolean belongs",
        ),
        (
            "DescribeUserPool",
            {"UserPool": {"UserPoolTags": {"team": 1}}},
            "UserPool.UserPoolTags['team']: int where a string belongs",
        ),
        (
            "DescribeUserPool",
            {"UserPool": {"MfaConfiguration": "SOMETIMES"}},
            "UserPool.MfaConfiguration: 'SOMETIMES' is not one of UserPoolMfaType",
        ),
        (
            "DescribeUserPool",
            {"UserPool": {"UserPoolAddOns": {}}},
            "UserPool.UserPoolAddOns.AdvancedSecurityMode: required member is missing",
        ),
        ("DeleteUserPool", {"Deleted": True}, "the result must be {}"),
    ],
)
def test_output_check_names_each_misfit(name: str, result: Any, reason: str) -> None:
    with pytest.raises(OutputShapeError) as caught:
        validate_output(_model(name), result)

    assert str(caught.value).startswith(f"{name} output: ")
    assert reason in str(caught.value)


# --- SigV4 through the endpoint ---


def test_a_boto3_signature_is_accepted_and_records_the_key_use(
    idp: Any, operator_key: tuple[AccessKey, str]
) -> None:
    pool_id = idp.create_user_pool(PoolName="signed")["UserPool"]["Id"]

    assert UserPool.objects.filter(pool_id=pool_id).exists()
    key = AccessKey.objects.get(pk=operator_key[0].pk)
    assert key.last_used_at is not None


def test_a_wrong_secret_is_an_invalid_signature_and_changes_nothing(
    aws_url: str, operator_key: tuple[AccessKey, str]
) -> None:
    secret = "wrong" + operator_key[1][5:]

    client = boto3_idp(aws_url, operator_key[0].access_key_id, secret)

    error = client_error(client.create_user_pool, PoolName="never")

    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"] == {"Code": "InvalidSignatureException", "Message": SIGNATURE_MISMATCH}
    assert UserPool.objects.count() == 0


def test_an_unknown_key_is_an_unrecognized_client(aws_url: str) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    client = boto3_idp(aws_url, "AKIAIOSFODNN7EXAMPLE", secret)

    error = client_error(client.create_user_pool, PoolName="never")

    assert error["Error"] == {
        "Code": "UnrecognizedClientException",
        "Message": "The security token included in the request is invalid.",
    }
    assert UserPool.objects.count() == 0


def test_a_disabled_key_is_refused(idp: Any, operator_key: tuple[AccessKey, str]) -> None:
    make_user_pool(name="existing")
    access_key_disable(key=operator_key[0])

    error = client_error(idp.create_user_pool, PoolName="never")

    assert error["Error"]["Code"] == "UnrecognizedClientException"
    assert list(UserPool.objects.values_list("name", flat=True)) == ["existing"]


def test_an_old_signature_has_expired(idp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    signed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=6)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: signed_at)

    error = client_error(idp.create_user_pool, PoolName="never")

    assert error["Error"]["Code"] == "InvalidSignatureException"
    assert re.fullmatch(
        rf"Signature expired: {signed_at:%Y%m%dT%H%M%SZ} is now earlier than \d{{8}}T\d{{6}}Z "
        r"\(\d{8}T\d{6}Z - 5 min\.\)",
        error["Error"]["Message"],
    )
    assert UserPool.objects.count() == 0


def test_a_tampered_body_does_not_match_its_signature(
    aws_url: str, operator_key: tuple[AccessKey, str]
) -> None:
    headers = signed_headers(aws_url, operator_key, "CreateUserPool", b'{"PoolName": "signed"}')

    response = post(aws_url, b'{"PoolName": "swapped"}', headers)

    assert assert_aws_error(response, "InvalidSignatureException") == SIGNATURE_MISMATCH
    assert UserPool.objects.count() == 0


def test_a_tampered_target_does_not_match_its_signature(
    aws_url: str, operator_key: tuple[AccessKey, str]
) -> None:
    body = b'{"PoolName": "p"}'
    headers = signed_headers(aws_url, operator_key, "CreateUserPool", body)
    headers["X-Amz-Target"] = f"{PREFIX}.DeleteUserPool"

    response = post(aws_url, body, headers)

    assert_aws_error(response, "InvalidSignatureException")


def test_a_signed_operation_without_a_signature_is_missing_its_token(idp_public: Any) -> None:
    error = client_error(idp_public.create_user_pool, PoolName="never")

    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"] == {
        "Code": "MissingAuthenticationTokenException",
        "Message": "Missing Authentication Token",
    }
    assert UserPool.objects.count() == 0


def test_a_bearer_token_on_a_signed_operation_is_an_incomplete_signature(aws_url: str) -> None:
    response = post(
        aws_url,
        b'{"MaxResults": 1}',
        {"X-Amz-Target": f"{PREFIX}.ListUserPools", "Authorization": "Bearer abc.def.ghi"},
    )

    assert_aws_error(response, "IncompleteSignatureException")


def test_a_signature_for_another_service_is_refused(
    aws_url: str, operator_key: tuple[AccessKey, str]
) -> None:
    response = signed_post(
        aws_url, operator_key, "CreateUserPool", b'{"PoolName": "p"}', service="cognito-identity"
    )

    message = assert_aws_error(response, "InvalidSignatureException")
    assert message == "Credential should be scoped to correct service: 'cognito-idp'."
    assert UserPool.objects.count() == 0
