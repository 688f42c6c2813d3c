"""AWS endpoint, boto3 against a live server: what end users call themselves, with no AWS
credentials at all: SignUp, ConfirmSignUp, ResendConfirmationCode, ForgotPassword,
ConfirmForgotPassword, and the operations their access token authorises (GetUser, ChangePassword,
UpdateUserAttributes, GetUserAttributeVerificationCode, VerifyUserAttribute, DeleteUser,
DeleteUserAttributes, GlobalSignOut).

The rules are tested exhaustively in test_signup.py, test_recovery.py and test_profile.py; these
tests show that each operation reaches the wire as Cognito's, with its errors."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError
from django.core.mail import EmailMessage
from pycognito.aws_srp import AWSSRP

from identities.models import AccessKey
from pools.models import AppClient, PoolUser, UserPool, UserStatus, VerificationCode
from pools.services.clients import app_client_secret
from pools.services.passwords import password_check
from tests.builders import make_app_client, make_user, make_user_pool, sent_code

pytestmark = pytest.mark.django_db

PASSWORD = "Passw0rd!"
NEW = "N3w-passw0rd!"
FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
NO_TOKEN = "not.an.access-token"
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def pool(db: None) -> UserPool:
    """A pool that verifies email addresses automatically, so sign-up sends a code by email.
    (Replaces conftest's `pool`, which its `user`, alice, belongs to.)"""
    return make_user_pool(AutoVerifiedAttributes=["email"])


@pytest.fixture
def client(pool: UserPool) -> AppClient:
    return make_app_client(pool=pool, ExplicitAuthFlows=FLOWS)


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    message: str = error.value.response["Error"]["Message"]
    return message


def _state() -> dict[str, list[dict[str, Any]]]:
    """Every stored user and code, to show that a refused call changed none."""
    return {
        model.__name__: [dict(row) for row in model.objects.order_by("pk").values()]
        for model in (PoolUser, VerificationCode)
    }


def _users() -> list[dict[str, Any]]:
    return [dict(row) for row in PoolUser.objects.order_by("pk").values()]


def _stored(username: str) -> PoolUser:
    return PoolUser.objects.get(username=username)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _tokens(idp_public: Any, client: AppClient, username: str, password: str = PASSWORD) -> Any:
    return idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )["AuthenticationResult"]


def _sign_up(idp_public: Any, client: AppClient, username: str = "dora", **extra: Any) -> Any:
    return idp_public.sign_up(
        ClientId=client.client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
        **extra,
    )


def _attributes(answer: Any) -> dict[str, str]:
    return {item["Name"]: item["Value"] for item in answer["UserAttributes"]}


# --- the whole journey -----------------------------------------------------------------------


def test_sign_up_confirm_sign_in_refresh_change_password_and_sign_out(
    idp_public: Any, client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    signed_up = _sign_up(idp_public, client)
    stored = _stored("dora")
    assert stored.status == UserStatus.UNCONFIRMED
    assert {key: signed_up[key] for key in signed_up if key != "ResponseMetadata"} == {
        "UserConfirmed": False,
        "UserSub": str(stored.sub),
        "CodeDeliveryDetails": {
            "Destination": "d***@e***",
            "DeliveryMedium": "EMAIL",
            "AttributeName": "email",
        },
    }
    [message] = mailoutbox
    assert message.to == ["dora@example.com"]

    idp_public.confirm_sign_up(
        ClientId=client.client_id, Username="dora", ConfirmationCode=sent_code(str(message.body))
    )
    stored = _stored("dora")
    assert (stored.status, stored.email_verified) == (UserStatus.CONFIRMED, True)

    tokens = _tokens(idp_public, client, "dora")
    profile = idp_public.get_user(AccessToken=tokens["AccessToken"])
    assert profile["Username"] == "dora"
    assert profile["UserAttributes"] == [
        {"Name": "sub", "Value": str(stored.sub)},
        {"Name": "email", "Value": "dora@example.com"},
        {"Name": "email_verified", "Value": "true"},
    ]

    refreshed = idp_public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]
    idp_public.change_password(
        AccessToken=refreshed["AccessToken"], PreviousPassword=PASSWORD, ProposedPassword=NEW
    )
    with pytest.raises(idp_public.exceptions.NotAuthorizedException):
        _tokens(idp_public, client, "dora")
    latest = _tokens(idp_public, client, "dora", NEW)

    idp_public.global_sign_out(AccessToken=latest["AccessToken"])

    for access_token in (tokens["AccessToken"], refreshed["AccessToken"], latest["AccessToken"]):
        with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refused:
            idp_public.get_user(AccessToken=access_token)
        assert _message(refused) == "Access Token has been revoked"
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refresh:
        idp_public.initiate_auth(
            ClientId=client.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": latest["RefreshToken"]},
        )
    assert _message(refresh) == "Refresh Token has been revoked"


# --- SignUp, ConfirmSignUp, ResendConfirmationCode -------------------------------------------


def test_refused_sign_ups_change_nothing(
    idp_public: Any, client: AppClient, user: PoolUser, mailoutbox: list[EmailMessage]
) -> None:
    before = _state()

    with pytest.raises(idp_public.exceptions.UsernameExistsException):
        _sign_up(idp_public, client, "ALICE")
    with pytest.raises(idp_public.exceptions.InvalidPasswordException):
        idp_public.sign_up(ClientId=client.client_id, Username="dora", Password="short")
    with pytest.raises(idp_public.exceptions.ResourceNotFoundException) as unknown:
        idp_public.sign_up(ClientId="a" * 26, Username="dora", Password=PASSWORD)
    assert _message(unknown) == f"User pool client {'a' * 26} does not exist."

    assert _state() == before
    assert mailoutbox == []


def test_a_client_with_a_secret_signs_up_with_the_secret_hash(
    idp_public: Any, pool: UserPool, mailoutbox: list[EmailMessage]
) -> None:
    confidential = make_app_client(pool=pool, GenerateSecret=True)
    secret = app_client_secret(client=confidential)
    assert secret is not None
    secret_hash = AWSSRP.get_secret_hash("dora", confidential.client_id, secret)

    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as missing:
        _sign_up(idp_public, confidential)
    assert _message(missing) == (
        f"Client {confidential.client_id} is configured for secret but secret was not received"
    )
    assert not PoolUser.objects.exists()

    _sign_up(idp_public, confidential, SecretHash=secret_hash)
    idp_public.confirm_sign_up(
        ClientId=confidential.client_id,
        Username="dora",
        ConfirmationCode=sent_code(str(mailoutbox[-1].body)),
        SecretHash=secret_hash,
    )
    assert _stored("dora").status == UserStatus.CONFIRMED


def test_a_wrong_or_replaced_confirmation_code_confirms_nothing(
    idp_public: Any, client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    _sign_up(idp_public, client)
    first = sent_code(str(mailoutbox[-1].body))
    users = _users()

    with pytest.raises(idp_public.exceptions.CodeMismatchException):
        idp_public.confirm_sign_up(
            ClientId=client.client_id, Username="dora", ConfirmationCode=_wrong(first)
        )
    resent = idp_public.resend_confirmation_code(ClientId=client.client_id, Username="dora")
    assert resent["CodeDeliveryDetails"]["Destination"] == "d***@e***"
    with pytest.raises(idp_public.exceptions.CodeMismatchException):  # the new code replaced it
        idp_public.confirm_sign_up(
            ClientId=client.client_id, Username="dora", ConfirmationCode=first
        )
    assert _users() == users

    idp_public.confirm_sign_up(
        ClientId=client.client_id,
        Username="dora",
        ConfirmationCode=sent_code(str(mailoutbox[-1].body)),
    )
    assert _stored("dora").status == UserStatus.CONFIRMED


def test_confirmation_codes_are_resent_five_times_an_hour(
    idp_public: Any, client: AppClient, mailoutbox: list[EmailMessage]
) -> None:
    _sign_up(idp_public, client)
    for _ in range(5):
        idp_public.resend_confirmation_code(ClientId=client.client_id, Username="dora")
    before = _state()

    with pytest.raises(idp_public.exceptions.LimitExceededException) as refused:
        idp_public.resend_confirmation_code(ClientId=client.client_id, Username="dora")

    assert _message(refused) == "Attempt limit exceeded, please try after some time."
    assert _state() == before
    assert len(mailoutbox) == 6


# --- ForgotPassword, ConfirmForgotPassword ---------------------------------------------------


def test_a_forgotten_password_is_reset_with_the_emailed_code(
    idp_public: Any, client: AppClient, user: PoolUser, mailoutbox: list[EmailMessage]
) -> None:
    signed_in = _tokens(idp_public, client, "alice")

    sent = idp_public.forgot_password(ClientId=client.client_id, Username="alice")
    assert sent["CodeDeliveryDetails"] == {
        "Destination": "a***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    code = sent_code(str(mailoutbox[-1].body))
    users = _users()

    def confirm(code: str, password: str) -> None:
        idp_public.confirm_forgot_password(
            ClientId=client.client_id, Username="alice", ConfirmationCode=code, Password=password
        )

    with pytest.raises(idp_public.exceptions.CodeMismatchException):
        confirm(_wrong(code), NEW)
    with pytest.raises(idp_public.exceptions.InvalidPasswordException):
        confirm(code, "short")
    assert _users() == users

    confirm(code, NEW)
    assert password_check(user=_stored("alice"), password=NEW)
    assert _tokens(idp_public, client, "alice", NEW)["AccessToken"]
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as revoked:
        idp_public.get_user(AccessToken=signed_in["AccessToken"])
    assert _message(revoked) == "Access Token has been revoked"
    with pytest.raises(idp_public.exceptions.ExpiredCodeException):
        confirm(code, PASSWORD)


# --- the signed-in user's own account --------------------------------------------------------


def test_get_user_shows_only_what_the_client_may_read(
    idp_public: Any, pool: UserPool, user: PoolUser
) -> None:
    narrow = make_app_client(pool=pool, ExplicitAuthFlows=FLOWS, ReadAttributes=["email"])

    profile = idp_public.get_user(AccessToken=_tokens(idp_public, narrow, "alice")["AccessToken"])

    assert set(profile) - {"ResponseMetadata"} == {"Username", "UserAttributes"}
    assert _attributes(profile) == {"sub": str(user.sub), "email": "alice@example.com"}


def test_a_changed_email_is_verified_with_a_code(
    idp_public: Any, client: AppClient, user: PoolUser, mailoutbox: list[EmailMessage]
) -> None:
    access_token = _tokens(idp_public, client, "alice")["AccessToken"]

    updated = idp_public.update_user_attributes(
        AccessToken=access_token,
        UserAttributes=[
            {"Name": "email", "Value": "ally@example.com"},
            {"Name": "name", "Value": "Ally"},
        ],
    )
    assert updated["CodeDeliveryDetailsList"] == [
        {"Destination": "a***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    ]
    stored = _stored("alice")
    assert (stored.email, stored.email_verified, stored.name) == ("ally@example.com", False, "Ally")

    resent = idp_public.get_user_attribute_verification_code(
        AccessToken=access_token, AttributeName="email"
    )
    assert resent["CodeDeliveryDetails"]["Destination"] == "a***@e***"
    code = sent_code(str(mailoutbox[-1].body))
    assert [m.to for m in mailoutbox] == [["ally@example.com"], ["ally@example.com"]]
    with pytest.raises(idp_public.exceptions.CodeMismatchException):
        idp_public.verify_user_attribute(
            AccessToken=access_token, AttributeName="email", Code=_wrong(code)
        )
    assert _stored("alice").email_verified is False

    idp_public.verify_user_attribute(AccessToken=access_token, AttributeName="email", Code=code)
    assert _stored("alice").email_verified is True


def test_a_wrong_current_password_changes_nothing(
    idp_public: Any, client: AppClient, user: PoolUser
) -> None:
    access_token = _tokens(idp_public, client, "alice")["AccessToken"]
    users = _users()

    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as wrong:
        idp_public.change_password(
            AccessToken=access_token, PreviousPassword="Wr0ng-password", ProposedPassword=NEW
        )
    assert _message(wrong) == "Incorrect username or password."
    with pytest.raises(idp_public.exceptions.InvalidPasswordException):
        idp_public.change_password(
            AccessToken=access_token, PreviousPassword=PASSWORD, ProposedPassword="short"
        )

    assert _users() == users


def test_users_delete_their_attributes_and_their_account(
    idp_public: Any, client: AppClient, pool: UserPool
) -> None:
    make_user(pool=pool, username="alice", password=PASSWORD, name="Alice", locale="en")
    access_token = _tokens(idp_public, client, "alice")["AccessToken"]

    idp_public.delete_user_attributes(AccessToken=access_token, UserAttributeNames=["name"])
    assert set(_attributes(idp_public.get_user(AccessToken=access_token))) == {"sub", "locale"}

    idp_public.delete_user(AccessToken=access_token)
    assert not PoolUser.objects.exists()
    with pytest.raises(idp_public.exceptions.UserNotFoundException):
        idp_public.get_user(AccessToken=access_token)


def test_token_operations_refuse_anything_but_a_good_access_token(
    idp_public: Any, client: AppClient, user: PoolUser
) -> None:
    id_token = _tokens(idp_public, client, "alice")["IdToken"]
    calls = {
        "get_user": {},
        "change_password": {"PreviousPassword": PASSWORD, "ProposedPassword": NEW},
        "update_user_attributes": {"UserAttributes": [{"Name": "name", "Value": "A"}]},
        "get_user_attribute_verification_code": {"AttributeName": "email"},
        "verify_user_attribute": {"AttributeName": "email", "Code": "123456"},
        "delete_user_attributes": {"UserAttributeNames": ["name"]},
        "delete_user": {},
        "global_sign_out": {},
    }
    before = _state()

    for name, params in calls.items():
        with pytest.raises(idp_public.exceptions.NotAuthorizedException) as refused:
            getattr(idp_public, name)(AccessToken=NO_TOKEN, **params)
        assert _message(refused) == "Invalid Access Token", name
    with pytest.raises(idp_public.exceptions.NotAuthorizedException) as not_access:
        idp_public.get_user(AccessToken=id_token)
    assert _message(not_access) == "Invalid Access Token"

    assert _state() == before


# --- the README's example --------------------------------------------------------------------


def _readme_example(heading: str = "Sign-up, sign-in and tokens") -> str:
    """The one Python block of the README's section `heading`."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    section = text[start : text.index("\n## ", start + 1)]
    [block] = re.findall(r"^```python\n(.*?)^```$", section, re.M | re.S)
    return str(block)


def _readme_example_ready(aws_url: str, operator_key: tuple[AccessKey, str]) -> str:
    """The sign-up example, pointed at the live server with the operator's key."""
    key, secret = operator_key
    code = _readme_example()
    for placeholder, value in (
        ("http://127.0.0.1:8000", aws_url),
        ("AKIAIOSFODNN7EXAMPLE", key.access_key_id),
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", secret),
    ):
        assert placeholder in code
        code = code.replace(placeholder, value)
    return code


def test_the_readme_example_runs_as_written(
    aws_url: str,
    operator_key: tuple[AccessKey, str],
    mailoutbox: list[EmailMessage],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = _readme_example_ready(aws_url, operator_key)
    # The reader types the code from the email; here it is read from the mail sent.
    namespace: dict[str, Any] = {"input": lambda prompt: sent_code(str(mailoutbox[-1].body))}

    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - the README's own example

    printed = capsys.readouterr().out.splitlines()
    assert printed == ["a***@e***", "Ana", "Access Token has been revoked"]
    ana = PoolUser.objects.get(pool__pool_id=namespace["pool_id"])
    assert (ana.email, ana.status) == ("ana@example.com", UserStatus.CONFIRMED)
    assert password_check(user=ana, password="Batt3ry-staple!")


def test_the_readme_mfa_example_runs_as_written_after_the_sign_up_example(
    aws_url: str,
    operator_key: tuple[AccessKey, str],
    mailoutbox: list[EmailMessage],
    capsys: pytest.CaptureFixture[str],
) -> None:
    namespace: dict[str, Any] = {"input": lambda prompt: sent_code(str(mailoutbox[-1].body))}
    exec(compile(_readme_example_ready(aws_url, operator_key), str(README), "exec"), namespace)  # noqa: S102
    capsys.readouterr()
    # The reader types the app's next code; here it is computed as the app would show it.
    namespace["input"] = lambda prompt: namespace["app"].at(time.time() + 30)

    mfa = _readme_example("MFA and remembered devices")
    exec(compile(mfa, str(README), "exec"), namespace)  # noqa: S102 - the README's own example

    assert capsys.readouterr().out.splitlines() == ["SOFTWARE_TOKEN_MFA", "SOFTWARE_TOKEN_MFA"]
    claims = jwt.decode(namespace["tokens"]["IdToken"], options={"verify_signature": False})
    assert claims["amr"] == ["pwd", "mfa", "otp"]
