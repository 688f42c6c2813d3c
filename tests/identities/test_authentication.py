"""The management API's authentication, on a tiny DRF view with the project's default classes."""

from __future__ import annotations

import base64

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.contrib.auth.models import User
from django.test import Client
from django.urls import path
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from identities.models import AccessKey
from identities.services.access_keys import access_key_disable

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class WhoAmI(APIView):
    # Who the caller is, not what they may do (that is the authorization's, tested apart).
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return self.answer(request)

    def post(self, request: Request) -> Response:
        return self.answer(request)

    def answer(self, request: Request) -> Response:
        key = request.auth.access_key_id if isinstance(request.auth, AccessKey) else None
        return Response({"operator": request.user.get_username(), "access_key": key})


urlpatterns = [path("whoami/", WhoAmI.as_view())]


def sigv4_headers(
    key: tuple[AccessKey, str], method: str = "GET", body: bytes = b"", **headers: str
) -> dict[str, str]:
    access_key, secret = key
    request = AWSRequest(method=method, url="http://testserver/whoami/", data=body, headers=headers)
    SigV4Auth(Credentials(access_key.access_key_id, secret), "execute-api", "us-east-1").add_auth(
        request
    )
    return dict(request.headers.items())


def basic(key_id: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def verified_session(client: Client, operator: User) -> None:
    """What the admin's OTP sign-in leaves in the session."""
    client.force_login(operator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=operator).persistent_id
    session.save()


def test_sigv4_signed_get(client: Client, operator_key: tuple[AccessKey, str]) -> None:
    response = client.get("/whoami/", headers=sigv4_headers(operator_key))

    assert response.status_code == 200
    assert response.json() == {
        "operator": "operator",
        "access_key": operator_key[0].access_key_id,
    }


def test_sigv4_signed_post_with_a_body(client: Client, operator_key: tuple[AccessKey, str]) -> None:
    body = b'{"Name": "pool"}'
    headers = sigv4_headers(operator_key, "POST", body, **{"Content-Type": "application/json"})
    content_type = headers.pop("Content-Type")

    response = client.post("/whoami/", body, content_type=content_type, headers=headers)

    assert response.status_code == 200
    assert response.json()["operator"] == "operator"


def test_sigv4_bad_signature_is_401_with_the_aws_reason(
    client: Client, operator_key: tuple[AccessKey, str]
) -> None:
    key, secret = operator_key
    response = client.get("/whoami/", headers=sigv4_headers((key, secret + "x")))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "AWS4-HMAC-SHA256"
    body = response.json()
    # The signature error keeps the name the AWS endpoint gives it.
    assert body["code"] == "InvalidSignatureException"
    assert body["message"].startswith("The request signature we calculated does not match")


def test_sigv4_disabled_key_is_refused(client: Client, operator_key: tuple[AccessKey, str]) -> None:
    access_key_disable(key=operator_key[0])

    response = client.get("/whoami/", headers=sigv4_headers(operator_key))

    assert response.status_code == 401
    assert response.json() == {
        "code": "UnrecognizedClientException",
        "message": "The security token included in the request is invalid.",
    }


def test_sigv4_key_of_a_non_staff_user_is_refused(
    client: Client, operator_key: tuple[AccessKey, str]
) -> None:
    User.objects.filter(username="operator").update(is_staff=False)

    response = client.get("/whoami/", headers=sigv4_headers(operator_key))

    assert response.status_code == 401


def test_basic_with_key_id_and_secret(client: Client, operator_key: tuple[AccessKey, str]) -> None:
    key, secret = operator_key

    response = client.get("/whoami/", headers=basic(key.access_key_id, secret))

    assert response.status_code == 200
    assert response.json() == {"operator": "operator", "access_key": key.access_key_id}


def test_basic_wrong_secret_is_401(client: Client, operator_key: tuple[AccessKey, str]) -> None:
    key, _ = operator_key

    response = client.get("/whoami/", headers=basic(key.access_key_id, "not-the-secret-1234"))

    assert response.status_code == 401
    assert response.json()["message"] == "Incorrect access key ID or secret access key."


def test_basic_disabled_key_says_so(client: Client, operator_key: tuple[AccessKey, str]) -> None:
    key, secret = operator_key
    access_key_disable(key=key)

    response = client.get("/whoami/", headers=basic(key.access_key_id, secret))

    assert response.status_code == 401
    assert response.json()["message"] == f"Access key {key.access_key_id} is disabled."


def test_no_credentials_is_401(client: Client, operator: User) -> None:
    response = client.get("/whoami/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"]


def test_verified_session(client: Client, operator: User) -> None:
    verified_session(client, operator)

    response = client.get("/whoami/")

    assert response.status_code == 200
    assert response.json() == {"operator": "operator", "access_key": None}


def test_session_without_otp_verification_is_refused(client: Client, operator: User) -> None:
    client.force_login(operator)

    response = client.get("/whoami/")

    assert response.status_code == 401
    assert "one-time password" in response.json()["message"]


def test_session_without_otp_is_enough_when_otp_is_off(
    client: Client, operator: User, settings: Settings
) -> None:
    settings.COGNITOADMIN_ADMIN_OTP_REQUIRED = False
    client.force_login(operator)

    response = client.get("/whoami/")

    assert response.status_code == 200


def test_session_of_a_non_staff_user_is_refused(client: Client, operator: User) -> None:
    client.force_login(User.objects.create_user(username="someone"))

    response = client.get("/whoami/")

    assert response.status_code == 401
    assert "not an active operator" in response.json()["message"]


def test_session_writes_need_the_csrf_token(operator: User) -> None:
    client = Client(enforce_csrf_checks=True)
    verified_session(client, operator)

    refused = client.post("/whoami/")
    token = "a" * 32  # any well-formed token, as long as the cookie and the header agree
    client.cookies["csrftoken"] = token
    accepted = client.post("/whoami/", headers={"X-CSRFToken": token})

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["message"]
    assert accepted.status_code == 200
