"""Input checks driven by botocore's model, as the services run them for every door."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from cognitoadmin import awsjson, awsmodel
from cognitoadmin.awsmodel import (
    SerializationException,
    input_checked,
    model_validate,
    service_model,
    validate_input,
)
from cognitoadmin.errors import InvalidParameterException
from pools.models import AppClient

JSON_11 = "application/x-amz-json-1.1"


def test_a_service_names_a_bad_member_in_aws_words() -> None:
    with pytest.raises(InvalidParameterException) as caught:
        model_validate("ListGroups", {"UserPoolId": "us-east-1_abc", "Limit": 61})

    assert caught.value.message == (
        "1 validation error detected: Value '61' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 60"
    )


def test_a_member_of_the_wrong_type_is_a_bad_parameter_outside_the_endpoint() -> None:
    # The endpoint answers SerializationException for this; a service called by another door
    # has no JSON to blame.
    with pytest.raises(InvalidParameterException, match="Expected an integer at 'limit'"):
        model_validate("ListGroups", {"UserPoolId": "us-east-1_abc", "Limit": "ten"})


def test_members_come_back_typed_without_unknown_or_absent_ones() -> None:
    params = {"UserPoolId": "us-east-1_abc", "Unknown": 1, "NextToken": None}

    assert model_validate("ListGroups", params) == {"UserPoolId": "us-east-1_abc"}
    with input_checked("cognito-idp", "ListGroups"):
        assert model_validate("ListGroups", params) == {"UserPoolId": "us-east-1_abc", "Unknown": 1}


@pytest.mark.parametrize("document", [{"id": "abc", "response": {"a": [1, None]}}, [1], "text"])
def test_a_document_member_is_kept_whole_whatever_json_it_holds(document: Any) -> None:
    params = {"AccessToken": "a.b.c", "Credential": document}

    assert model_validate("CompleteWebAuthnRegistration", params) == params


def test_a_required_member_left_out_is_named() -> None:
    with pytest.raises(InvalidParameterException, match="'userPoolId' failed to satisfy"):
        model_validate("ListGroups", {"UserPoolId": None})


def test_inside_an_endpoint_call_the_same_operation_is_not_checked_again() -> None:
    bad = {"UserPoolId": "us-east-1_abc", "Limit": 61}

    with input_checked("cognito-idp", "ListGroups"):
        assert model_validate("ListGroups", bad) == bad
        # Another operation in the same call is still checked.
        with pytest.raises(InvalidParameterException):
            model_validate("ListUsers", bad)
    with pytest.raises(InvalidParameterException):
        model_validate("ListGroups", bad)


@pytest.mark.django_db
def test_an_endpoint_call_checks_its_input_once(
    app_client: AppClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = awsmodel.validate_input

    def counting(operation: Any, params: Any, **options: Any) -> dict[str, Any]:
        checked.append(operation.name)
        return real(operation, params, **options)

    monkeypatch.setattr(awsjson, "validate_input", counting)
    monkeypatch.setattr(awsmodel, "validate_input", counting)
    body = {
        "ClientId": app_client.client_id,
        "Username": "ana",
        "Password": "Passw0rd!",
        "UserAttributes": [{"Name": "email", "Value": "ana@example.com"}],
    }

    response = Client().post(
        "/",
        json.dumps(body),
        content_type=JSON_11,
        headers={"X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp"},
    )

    assert response.status_code == 200, response.content
    assert checked == ["SignUp"]


@pytest.mark.parametrize("seconds", [1e300, -1e300, float("nan"), float("inf")])
def test_epoch_seconds_no_datetime_holds_are_a_serialization_error(seconds: float) -> None:
    model = service_model("cognito-sync").operation_model("UpdateRecords")
    params = {
        "IdentityPoolId": "us-east-1:00000000-0000-0000-0000-000000000000",
        "IdentityId": "us-east-1:00000000-0000-0000-0000-000000000000",
        "DatasetName": "d",
        "SyncSessionToken": "t",
        "RecordPatches": [
            {"Op": "replace", "Key": "k", "SyncCount": 0, "DeviceLastModifiedDate": seconds}
        ],
    }

    with pytest.raises(SerializationException, match="epoch seconds"):
        validate_input(model, params)
