"""SigV4 verification against signatures made by botocore itself, as AWS SDKs make them."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Collection

import botocore.auth
import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import timezone
from pytest_django import Settings

from identities.models import AccessKey
from identities.services.access_keys import access_key_disable
from identities.sigv4 import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
    sigv4_verify,
)

pytestmark = pytest.mark.django_db

REGION = "us-east-1"
HOST = "http://testserver"


def sign(
    method: str,
    path: str,
    *,
    key: tuple[AccessKey, str],
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    service: str = "execute-api",
    region: str = REGION,
    signer: type[SigV4Auth] = SigV4Auth,
) -> dict[str, str]:
    """The headers botocore sends for this request, Authorization included."""
    access_key, secret = key
    request = AWSRequest(method=method, url=HOST + path, data=body, headers=headers or {})
    signer(Credentials(access_key.access_key_id, secret), service, region).add_auth(request)
    return dict(request.headers.items())


def django_request(
    method: str, path: str, headers: dict[str, str], body: bytes = b"", *, raw_uri: str = ""
) -> HttpRequest:
    """The request as Django receives it over WSGI (path decoded, raw body kept); `raw_uri` as
    gunicorn passes the undecoded request target."""
    headers = dict(headers)
    content_type = headers.pop("Content-Type", "application/octet-stream")
    request: HttpRequest = RequestFactory().generic(
        method, path, data=body, content_type=content_type, headers=headers
    )
    if raw_uri:
        request.META["RAW_URI"] = raw_uri
    return request


def verify(
    request: HttpRequest,
    *,
    services: Collection[str] | None = None,
    double_encode_path: bool = True,
) -> AccessKey:
    return sigv4_verify(request, services=services, double_encode_path=double_encode_path)


def signed_at(monkeypatch: pytest.MonkeyPatch, when: dt.datetime) -> None:
    """Make botocore sign as if its clock said `when`."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: when)


def test_a_signed_get_with_a_query_is_accepted(operator_key: tuple[AccessKey, str]) -> None:
    path = "/api/v1/pools/?limit=5&after=abc"
    headers = sign("GET", path, key=operator_key)

    key = verify(django_request("GET", path, headers))

    assert key == operator_key[0]
    assert key.operator.username == "operator"


def test_a_json_post_is_accepted_for_its_service(operator_key: tuple[AccessKey, str]) -> None:
    body = b'{"MaxResults": 10}'
    headers = sign(
        "POST",
        "/",
        key=operator_key,
        body=body,
        service="cognito-idp",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools",
        },
    )

    key = verify(django_request("POST", "/", headers, body), services={"cognito-idp"})

    assert key == operator_key[0]


def test_verification_records_the_key_use(operator_key: tuple[AccessKey, str]) -> None:
    headers = sign("GET", "/api/v1/", key=operator_key)

    verify(django_request("GET", "/api/v1/", headers))

    assert AccessKey.objects.get(pk=operator_key[0].pk).last_used_at is not None


def test_sync_paths_are_double_encoded(operator_key: tuple[AccessKey, str]) -> None:
    # boto3 sends cognito-sync ids percent-encoded and signs them encoded once more (WIRE.md §3).
    path = "/identitypools/us-east-1%3A0000-1111/identities/us-east-1%3Aabcd/datasets"
    headers = sign("GET", path, key=operator_key, service="cognito-sync")

    assert verify(django_request("GET", path, headers), services={"cognito-sync"})
    with pytest.raises(InvalidSignatureException, match="does not match"):
        verify(django_request("GET", path, headers), double_encode_path=False)


def test_the_raw_path_from_the_server_wins_over_the_decoded_one(
    operator_key: tuple[AccessKey, str],
) -> None:
    # A client that sent ':' unencoded: only the raw URI (gunicorn's RAW_URI) tells it apart.
    path = "/datasets/a:b"
    headers = sign("GET", path, key=operator_key)

    assert verify(django_request("GET", path, headers, raw_uri=path))
    with pytest.raises(InvalidSignatureException):
        verify(django_request("GET", path, headers))


def test_single_encoding_checks_the_path_as_sent(operator_key: tuple[AccessKey, str]) -> None:
    # The S3 rule: the signer takes the sent path as it is (and signs the payload hash header).
    path = "/bucket/a%3Ab"
    headers = sign("PUT", path, key=operator_key, body=b"data", service="s3", signer=S3SigV4Auth)

    assert verify(django_request("PUT", path, headers, b"data"), double_encode_path=False)
    with pytest.raises(InvalidSignatureException):
        verify(django_request("PUT", path, headers, b"data"), double_encode_path=True)


def test_a_date_header_can_date_the_signature(operator_key: tuple[AccessKey, str]) -> None:
    # botocore signs with `Date` instead of `X-Amz-Date` when the request already has one.
    headers = sign("GET", "/api/v1/", key=operator_key, headers={"Date": "placeholder"})
    assert "X-Amz-Date" not in headers

    assert verify(django_request("GET", "/api/v1/", headers))


def test_no_authorization_is_a_missing_token(operator_key: tuple[AccessKey, str]) -> None:
    with pytest.raises(MissingAuthenticationTokenException, match="Missing Authentication Token"):
        verify(django_request("GET", "/api/v1/", {}))


def test_another_scheme_is_an_incomplete_signature(operator_key: tuple[AccessKey, str]) -> None:
    request = django_request("GET", "/", {"Authorization": "Bearer abc"})

    with pytest.raises(IncompleteSignatureException, match="AWS4-HMAC-SHA256") as caught:
        verify(request)

    assert caught.value.aws_type == "IncompleteSignatureException"


def test_missing_parameters_are_named(operator_key: tuple[AccessKey, str]) -> None:
    headers = sign("GET", "/", key=operator_key)
    headers["Authorization"] = headers["Authorization"].split(", Signature=")[0]

    with pytest.raises(IncompleteSignatureException, match="requires 'Signature' parameter"):
        verify(django_request("GET", "/", headers))


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ("/us-east-1/", "/", "must have the form"),
        ("Signature=", "Signature=A", "64 lowercase hexadecimal"),
    ],
)
def test_a_malformed_authorization_is_an_incomplete_signature(
    operator_key: tuple[AccessKey, str], replace: str, by: str, message: str
) -> None:
    headers = sign("GET", "/", key=operator_key)
    headers["Authorization"] = headers["Authorization"].replace(replace, by)

    with pytest.raises(IncompleteSignatureException, match=message):
        verify(django_request("GET", "/", headers))


def test_a_request_without_a_date_is_refused(operator_key: tuple[AccessKey, str]) -> None:
    headers = sign("GET", "/", key=operator_key)
    del headers["X-Amz-Date"]

    with pytest.raises(IncompleteSignatureException, match="'X-Amz-Date' or a 'Date'"):
        verify(django_request("GET", "/", headers))


@pytest.mark.parametrize("header", ["host", "x-amz-date"])
def test_host_and_date_must_be_signed(operator_key: tuple[AccessKey, str], header: str) -> None:
    headers = sign("GET", "/", key=operator_key)
    headers["Authorization"] = headers["Authorization"].replace(
        "SignedHeaders=host;x-amz-date",
        "SignedHeaders=" + ("x-amz-date" if header == "host" else "host"),
    )

    with pytest.raises(IncompleteSignatureException, match="must be a 'SignedHeader'"):
        verify(django_request("GET", "/", headers))


def test_every_region_is_served_by_default(operator_key: tuple[AccessKey, str]) -> None:
    headers = sign("GET", "/", key=operator_key, region="eu-west-1")

    assert verify(django_request("GET", "/", headers)) == operator_key[0]


@pytest.mark.parametrize("region", ["moon-base-1", "US-EAST-1", "us-east", "eu_west_1"])
def test_a_scope_that_names_no_region_is_refused(
    operator_key: tuple[AccessKey, str], region: str
) -> None:
    headers = sign("GET", "/", key=operator_key, region=region)

    with pytest.raises(InvalidSignatureException, match=f"valid region, not '{region}'"):
        verify(django_request("GET", "/", headers))


def test_a_region_left_out_of_the_served_list_is_refused(
    operator_key: tuple[AccessKey, str], settings: Settings
) -> None:
    settings.COGNITOADMIN_REGIONS = ["us-east-1", "eu-west-2"]
    served = sign("GET", "/", key=operator_key, region="eu-west-2")
    other = sign("GET", "/", key=operator_key, region="eu-west-1")

    assert verify(django_request("GET", "/", served)) == operator_key[0]
    with pytest.raises(InvalidSignatureException, match="valid region, not 'eu-west-1'"):
        verify(django_request("GET", "/", other))


def test_iam_is_global_and_signed_for_any_region(
    operator_key: tuple[AccessKey, str], settings: Settings
) -> None:
    settings.COGNITOADMIN_REGIONS = ["eu-west-2"]
    headers = sign("POST", "/", key=operator_key, service="iam", region="us-east-1")

    assert verify(django_request("POST", "/", headers), services={"iam"}) == operator_key[0]


def test_a_service_the_caller_does_not_serve_is_refused(
    operator_key: tuple[AccessKey, str],
) -> None:
    headers = sign("POST", "/", key=operator_key, service="cognito-identity")

    with pytest.raises(InvalidSignatureException, match="correct service: 'cognito-idp'"):
        verify(django_request("POST", "/", headers), services={"cognito-idp"})


def test_a_wrong_terminator_is_refused(operator_key: tuple[AccessKey, str]) -> None:
    headers = sign("GET", "/", key=operator_key)
    headers["Authorization"] = headers["Authorization"].replace("/aws4_request", "/aws5_request")

    with pytest.raises(InvalidSignatureException, match="valid terminator"):
        verify(django_request("GET", "/", headers))


def test_a_scope_date_other_than_the_request_date_is_refused(
    operator_key: tuple[AccessKey, str],
) -> None:
    headers = sign("GET", "/", key=operator_key)
    today = headers["X-Amz-Date"][:8]
    headers["Authorization"] = headers["Authorization"].replace(f"/{today}/", "/20000101/")

    with pytest.raises(InvalidSignatureException, match="Date in Credential scope"):
        verify(django_request("GET", "/", headers))


def test_an_old_signature_has_expired(
    operator_key: tuple[AccessKey, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_at(monkeypatch, timezone.now() - dt.timedelta(minutes=6))
    headers = sign("GET", "/", key=operator_key)

    with pytest.raises(InvalidSignatureException, match=r"^Signature expired: \d{8}T\d{6}Z is now"):
        verify(django_request("GET", "/", headers))

    assert AccessKey.objects.get(pk=operator_key[0].pk).last_used_at is None


def test_a_signature_from_the_future_is_not_yet_current(
    operator_key: tuple[AccessKey, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_at(monkeypatch, timezone.now() + dt.timedelta(minutes=6))
    headers = sign("GET", "/", key=operator_key)

    with pytest.raises(InvalidSignatureException, match="Signature not yet current"):
        verify(django_request("GET", "/", headers))


def test_a_clock_a_few_minutes_off_is_tolerated(
    operator_key: tuple[AccessKey, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_at(monkeypatch, timezone.now() - dt.timedelta(minutes=4))
    headers = sign("GET", "/", key=operator_key)

    assert verify(django_request("GET", "/", headers))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda path, body: (path, body + b" "),
        lambda path, body: (path + "?extra=1", body),
        lambda path, body: ("/other/", body),
    ],
    ids=["body", "query", "path"],
)
def test_a_changed_request_does_not_match(
    operator_key: tuple[AccessKey, str], tamper: Callable[[str, bytes], tuple[str, bytes]]
) -> None:
    headers = sign("POST", "/api/v1/", key=operator_key, body=b"{}")
    path, body = tamper("/api/v1/", b"{}")

    with pytest.raises(InvalidSignatureException) as caught:
        verify(django_request("POST", path, headers, body))

    assert caught.value.message.startswith("The request signature we calculated does not match")
    assert AccessKey.objects.get(pk=operator_key[0].pk).last_used_at is None


def test_a_changed_signed_header_does_not_match(operator_key: tuple[AccessKey, str]) -> None:
    headers = sign("POST", "/", key=operator_key, headers={"X-Amz-Target": "Svc.ListThings"})
    headers["X-Amz-Target"] = "Svc.DeleteThings"

    with pytest.raises(InvalidSignatureException, match="does not match"):
        verify(django_request("POST", "/", headers))


def test_a_signed_header_missing_from_the_request_does_not_match(
    operator_key: tuple[AccessKey, str],
) -> None:
    headers = sign("POST", "/", key=operator_key, headers={"X-Amz-Target": "Svc.ListThings"})
    del headers["X-Amz-Target"]

    with pytest.raises(InvalidSignatureException, match="'x-amz-target' is missing"):
        verify(django_request("POST", "/", headers))


def test_a_payload_hash_header_must_match_the_body(operator_key: tuple[AccessKey, str]) -> None:
    wrong_hash = hashlib.sha256(b"other body").hexdigest()
    headers = sign(
        "POST", "/", key=operator_key, body=b"body", headers={"X-Amz-Content-SHA256": wrong_hash}
    )

    with pytest.raises(InvalidSignatureException, match="x-amz-content-sha256"):
        verify(django_request("POST", "/", headers, b"body"))


def test_a_wrong_secret_does_not_match(operator_key: tuple[AccessKey, str]) -> None:
    key, secret = operator_key
    headers = sign("GET", "/", key=(key, secret[::-1]))

    with pytest.raises(InvalidSignatureException, match="does not match"):
        verify(django_request("GET", "/", headers))


def test_an_unknown_key_is_unrecognized(operator_key: tuple[AccessKey, str]) -> None:
    unknown = AccessKey(access_key_id="AKIAIOSFODNN7EXAMPLE")
    headers = sign("GET", "/", key=(unknown, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))

    with pytest.raises(UnrecognizedClientException) as caught:
        verify(django_request("GET", "/", headers))

    assert caught.value.message == "The security token included in the request is invalid."
    assert caught.value.aws_type == "UnrecognizedClientException"


def test_a_disabled_key_is_unrecognized(operator_key: tuple[AccessKey, str]) -> None:
    access_key_disable(key=operator_key[0])
    headers = sign("GET", "/", key=operator_key)

    with pytest.raises(UnrecognizedClientException):
        verify(django_request("GET", "/", headers))

    assert AccessKey.objects.get(pk=operator_key[0].pk).last_used_at is None


@pytest.mark.parametrize("field", ["is_active", "is_staff"])
def test_a_key_of_an_operator_who_lost_access_is_unrecognized(
    operator_key: tuple[AccessKey, str], field: str
) -> None:
    User.objects.filter(pk=operator_key[0].operator.pk).update(**{field: False})
    headers = sign("GET", "/", key=operator_key)

    with pytest.raises(UnrecognizedClientException):
        verify(django_request("GET", "/", headers))
