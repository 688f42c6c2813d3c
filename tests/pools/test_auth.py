from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pycognito.aws_srp import AWSSRP
from pytest_django import DjangoAssertNumQueries

from pools.errors import (
    InvalidParameterException,
    InvalidPasswordException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    UnsupportedOperationException,
    UserNotConfirmedException,
    UserNotFoundException,
)
from pools.models import AppClient, AuthSession, PoolUser, RefreshToken, UserPool, UserStatus
from pools.services import passwords
from pools.services.auth import AuthOutcome, auth_initiate, auth_respond
from pools.services.clients import app_client_secret
from pools.services.passwords import password_replace
from pools.services.signup import sign_up
from pools.services.srp import N_HEX, N, pad_hex
from pools.services.users import (
    user_create,
    user_disable,
    user_reset_password,
)
from tests.builders import make_app_client, make_user, make_user_pool
from tests.conftest import Clock

pytestmark = pytest.mark.django_db

PASSWORD = "Passw0rd!"
TEMPORARY = "Temp0rary!"
NEW_PASSWORD = "N3w-Passw0rd!"
START = dt.datetime(2024, 1, 3, 4, 5, 6, tzinfo=dt.UTC)
ALL_FLOWS = [
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]


@pytest.fixture
def client(pool: UserPool) -> AppClient:
    return make_app_client(pool=pool, ExplicitAuthFlows=ALL_FLOWS)


@pytest.fixture
def secret_client(pool: UserPool) -> AppClient:
    return make_app_client(pool=pool, ExplicitAuthFlows=ALL_FLOWS, GenerateSecret=True)


@pytest.fixture
def hiding_client(pool: UserPool) -> AppClient:
    return make_app_client(
        pool=pool, ExplicitAuthFlows=ALL_FLOWS, PreventUserExistenceErrors="ENABLED"
    )


def _password_auth(
    client: AppClient, username: str, password: str, *, admin: bool = False, **extra: str
) -> AuthOutcome:
    flow = "ADMIN_USER_PASSWORD_AUTH" if admin else "USER_PASSWORD_AUTH"
    return auth_initiate(
        client=client,
        flow=flow,
        parameters={"USERNAME": username, "PASSWORD": password, **extra},
        admin=admin,
    )


class Srp:
    """pycognito's SRP client, run against the services instead of an endpoint."""

    def __init__(
        self, client: AppClient, username: str, password: str, *, secret: bool = False
    ) -> None:
        self.client = client
        self.aws = AWSSRP(
            username=username,
            password=password,
            pool_id=client.pool.pool_id,
            client_id=client.client_id,
            client=object(),
            client_secret=app_client_secret(client=client) if secret else None,
        )
        self.params: dict[str, str] = self.aws.get_auth_params()

    def initiate(self, *, admin: bool = False) -> AuthOutcome:
        return auth_initiate(
            client=self.client, flow="USER_SRP_AUTH", parameters=self.params, admin=admin
        )

    def answer(self, challenge: AuthOutcome) -> dict[str, str]:
        responses: dict[str, str] = self.aws.process_challenge(
            challenge.challenge_parameters, self.params
        )
        return responses

    def respond(
        self, responses: dict[str, str], *, session: str | None = None, admin: bool = False
    ) -> AuthOutcome:
        return auth_respond(
            client=self.client,
            challenge_name="PASSWORD_VERIFIER",
            session=session,
            responses=responses,
            admin=admin,
        )

    def sign_in(self) -> AuthOutcome:
        challenge = self.initiate()
        return self.respond(self.answer(challenge))


def _claims(outcome: AuthOutcome, kind: str = "AccessToken") -> dict[str, Any]:
    assert outcome.authentication_result is not None
    claims: dict[str, Any] = jwt.decode(
        outcome.authentication_result[kind], options={"verify_signature": False}
    )
    return claims


def _state(user: PoolUser) -> dict[str, Any]:
    """What a refused sign-in must leave as it was."""
    row = PoolUser.objects.get(pk=user.pk)
    return {
        "status": row.status,
        "password": row.password,
        "srp_verifier": row.srp_verifier_sealed,
        "failures": row.failed_sign_in_count,
        "locked_until": row.locked_until,
        "updated_at": row.updated_at,
        "refresh_tokens": RefreshToken.objects.filter(user=user).count(),
    }


def _new_password_user(pool: UserPool, username: str = "newbie", **attributes: str) -> PoolUser:
    return user_create(
        pool=pool,
        username=username,
        attributes=attributes,
        temporary_password=TEMPORARY,
        message_action="SUPPRESS",
    )


# --- USER_PASSWORD_AUTH / ADMIN_USER_PASSWORD_AUTH -------------------------------------------


def test_password_auth_returns_cognitos_tokens(client: AppClient, user: PoolUser) -> None:
    outcome = _password_auth(client, "alice", PASSWORD)
    aws = outcome.as_aws()
    assert aws["ChallengeParameters"] == {}
    assert set(aws["AuthenticationResult"]) >= {"AccessToken", "IdToken", "RefreshToken"}
    claims = _claims(outcome)
    assert claims["username"] == "alice"
    assert claims["client_id"] == client.client_id
    assert _claims(outcome, "IdToken")["email"] == "alice@example.com"


def test_password_auth_takes_a_bounded_number_of_queries(
    client: AppClient, user: PoolUser, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    _password_auth(client, "alice", PASSWORD)  # the signing key is cached from here on
    # The user, the sign-in's refresh-token row, the signing key and the user's groups.
    with django_assert_max_num_queries(4):
        _password_auth(client, "alice", PASSWORD)


def test_the_username_is_matched_case_insensitively(client: AppClient, user: PoolUser) -> None:
    assert _claims(_password_auth(client, "ALICE", PASSWORD))["username"] == "alice"


def test_a_verified_alias_signs_in() -> None:
    pool = make_user_pool(AliasAttributes=["email"])
    client = make_app_client(pool=pool, ExplicitAuthFlows=ALL_FLOWS)
    make_user(
        pool=pool,
        username="dave",
        password=PASSWORD,
        email="dave@example.com",
        email_verified="true",
    )
    assert _claims(_password_auth(client, "dave@example.com", PASSWORD))["username"] == "dave"


def test_an_email_pool_signs_in_with_the_email() -> None:
    pool = make_user_pool(UsernameAttributes=["email"])
    client = make_app_client(pool=pool, ExplicitAuthFlows=ALL_FLOWS)
    user = make_user(pool=pool, username="erin@example.com", password=PASSWORD)
    assert _claims(_password_auth(client, "erin@example.com", PASSWORD))["sub"] == str(user.sub)


@pytest.mark.parametrize("flow", ["ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"])
def test_admin_password_flows_sign_in_through_admin_initiate_auth(
    client: AppClient, user: PoolUser, flow: str
) -> None:
    outcome = auth_initiate(
        client=client,
        flow=flow,
        parameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
        admin=True,
    )
    assert _claims(outcome)["username"] == "alice"


@pytest.mark.parametrize(
    ("flow", "admin"),
    [
        ("USER_PASSWORD_AUTH", True),
        ("ADMIN_USER_PASSWORD_AUTH", False),
        ("ADMIN_NO_SRP_AUTH", False),
    ],
)
def test_a_flow_through_the_wrong_operation_is_refused(
    client: AppClient, user: PoolUser, flow: str, admin: bool
) -> None:
    before = _state(user)
    with pytest.raises(InvalidParameterException) as error:
        auth_initiate(
            client=client,
            flow=flow,
            parameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
            admin=admin,
        )
    assert error.value.message == "Initiate Auth method not supported."
    assert _state(user) == before


@pytest.mark.parametrize(
    ("flow", "admin", "parameters"),
    [
        ("USER_PASSWORD_AUTH", False, {"USERNAME": "alice", "PASSWORD": PASSWORD}),
        ("ADMIN_USER_PASSWORD_AUTH", True, {"USERNAME": "alice", "PASSWORD": PASSWORD}),
        ("USER_SRP_AUTH", False, {"USERNAME": "alice", "SRP_A": "abc"}),
        ("REFRESH_TOKEN_AUTH", False, {"REFRESH_TOKEN": "token"}),
        ("REFRESH_TOKEN", True, {"REFRESH_TOKEN": "token"}),
        ("USER_AUTH", False, {"USERNAME": "alice"}),
    ],
)
def test_a_flow_the_client_does_not_allow_is_refused(
    pool: UserPool, user: PoolUser, flow: str, admin: bool, parameters: dict[str, str]
) -> None:
    client = make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH"])
    before = _state(user)
    with pytest.raises(InvalidParameterException) as error:
        auth_initiate(client=client, flow=flow, parameters=parameters, admin=admin)
    assert error.value.message == f"{flow} flow not enabled for this client"
    assert _state(user) == before
    assert not AuthSession.objects.exists()


def test_a_legacy_client_keeps_srp_and_refresh_enabled(pool: UserPool, user: PoolUser) -> None:
    client = make_app_client(pool=pool, ExplicitAuthFlows=["USER_PASSWORD_AUTH"])
    signed_in = _password_auth(client, "alice", PASSWORD)
    assert signed_in.authentication_result is not None
    assert Srp(client, "alice", PASSWORD).sign_in().authentication_result is not None
    refreshed = auth_initiate(
        client=client,
        flow="REFRESH_TOKEN_AUTH",
        parameters={"REFRESH_TOKEN": signed_in.authentication_result["RefreshToken"]},
        admin=False,
    )
    assert refreshed.authentication_result is not None


def test_a_refresh_reads_its_token_row_once(client: AppClient, user: PoolUser) -> None:
    signed_in = _password_auth(client, "alice", PASSWORD)
    assert signed_in.authentication_result is not None
    token = signed_in.authentication_result["RefreshToken"]

    with CaptureQueriesContext(connection) as queries:
        auth_initiate(
            client=client,
            flow="REFRESH_TOKEN_AUTH",
            parameters={"REFRESH_TOKEN": token},
            admin=False,
        )

    lookups = [q["sql"] for q in queries.captured_queries if '"token_digest" =' in q["sql"]]
    assert len(lookups) == 1


def test_a_custom_auth_only_legacy_client_refuses_srp(pool: UserPool, user: PoolUser) -> None:
    client = make_app_client(pool=pool, ExplicitAuthFlows=["CUSTOM_AUTH_FLOW_ONLY"])
    with pytest.raises(InvalidParameterException, match="USER_SRP_AUTH flow not enabled"):
        Srp(client, "alice", PASSWORD).initiate()


def test_an_unknown_flow_is_refused(client: AppClient) -> None:
    with pytest.raises(InvalidParameterException, match="MAGIC_AUTH is not a valid AuthFlow"):
        auth_initiate(client=client, flow="MAGIC_AUTH", parameters={}, admin=False)


@pytest.mark.parametrize("flow", ["CUSTOM_AUTH"])
def test_flows_not_built_yet_say_so(pool: UserPool, user: PoolUser, flow: str) -> None:
    client = make_app_client(pool=pool, ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH", "ALLOW_USER_AUTH"])
    with pytest.raises(UnsupportedOperationException, match=f"{flow} flow is not available"):
        auth_initiate(client=client, flow=flow, parameters={"USERNAME": "alice"}, admin=False)


@pytest.mark.parametrize(
    ("parameters", "missing"),
    [({"PASSWORD": PASSWORD}, "USERNAME"), ({"USERNAME": "alice"}, "PASSWORD")],
)
def test_password_auth_needs_username_and_password(
    client: AppClient, user: PoolUser, parameters: dict[str, str], missing: str
) -> None:
    with pytest.raises(InvalidParameterException) as error:
        auth_initiate(client=client, flow="USER_PASSWORD_AUTH", parameters=parameters, admin=False)
    assert error.value.message == f"Missing required parameter {missing}"


def test_a_wrong_password_is_refused_and_counted(client: AppClient, user: PoolUser) -> None:
    with pytest.raises(NotAuthorizedException) as error:
        _password_auth(client, "alice", "Wr0ng-password")
    assert error.value.message == "Incorrect username or password."
    assert PoolUser.objects.get(pk=user.pk).failed_sign_in_count == 1
    assert not RefreshToken.objects.exists()


def test_an_unknown_user_is_not_found_with_legacy_errors(client: AppClient, user: PoolUser) -> None:
    with pytest.raises(UserNotFoundException):
        _password_auth(client, "nobody", PASSWORD)


def test_an_unknown_user_is_answered_as_a_wrong_password_after_the_same_work(
    hiding_client: AppClient, user: PoolUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []

    def spy(password: str, encoded: str, setter: Callable[[str], None] | None = None) -> bool:
        checked.append(encoded)
        return check_password(password, encoded, setter)

    monkeypatch.setattr(passwords, "check_password", spy)
    with pytest.raises(NotAuthorizedException) as unknown:
        _password_auth(hiding_client, "nobody", PASSWORD)
    with pytest.raises(NotAuthorizedException) as wrong:
        _password_auth(hiding_client, "alice", "Wr0ng-password")
    assert unknown.value.message == wrong.value.message == "Incorrect username or password."
    # One hash check each: a dummy one for the user who does not exist.
    assert len(checked) == 2
    assert checked[0] != PoolUser.objects.get(pk=user.pk).password


def test_a_disabled_user_is_refused_even_with_the_right_password(
    client: AppClient, user: PoolUser
) -> None:
    user_disable(user=user)
    before = _state(user)
    with pytest.raises(NotAuthorizedException) as error:
        _password_auth(client, "alice", PASSWORD)
    assert error.value.message == "User is disabled."
    assert _state(user) == before


def test_an_unconfirmed_user_is_told_only_with_the_right_password(
    client: AppClient, pool: UserPool
) -> None:
    sign_up(client=client, username="frank", password=PASSWORD, attributes={})
    user = PoolUser.objects.get(pool=pool, username="frank")
    assert user.status == UserStatus.UNCONFIRMED
    with pytest.raises(NotAuthorizedException, match="Incorrect username or password"):
        _password_auth(client, "frank", "Wr0ng-password")
    before = _state(user)
    with pytest.raises(UserNotConfirmedException) as error:
        _password_auth(client, "frank", PASSWORD)
    assert error.value.message == "User is not confirmed."
    assert _state(user) == {**before, "failures": 0, "locked_until": None}


def test_a_user_whose_password_was_reset_must_reset_it(client: AppClient, user: PoolUser) -> None:
    user_reset_password(user=user)
    before = _state(user)
    with pytest.raises(PasswordResetRequiredException) as error:
        _password_auth(client, "alice", PASSWORD)
    assert error.value.message == "Password reset required for the user"
    assert _state(user) == before


def test_an_expired_temporary_password_is_refused(
    client: AppClient, pool: UserPool, clock: Clock
) -> None:
    user = _new_password_user(pool)
    clock.advance(days=pool.temporary_password_validity_days, seconds=1)
    before = _state(user)
    with pytest.raises(NotAuthorizedException) as error:
        _password_auth(client, "newbie", TEMPORARY)
    assert error.value.message == (
        "Temporary password has expired and must be reset by an administrator."
    )
    assert _state(user) == before
    assert not AuthSession.objects.exists()


def test_a_password_hashed_by_an_older_hasher_is_rehashed_at_sign_in(
    client: AppClient, user: PoolUser, settings: Any
) -> None:
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert PoolUser.objects.get(pk=user.pk).password.startswith("md5$")
    _password_auth(client, "alice", PASSWORD)
    assert PoolUser.objects.get(pk=user.pk).password.startswith("pbkdf2_sha256$")


def test_a_user_without_a_verifier_gets_one_at_password_sign_in(
    client: AppClient, user: PoolUser
) -> None:
    PoolUser.objects.filter(pk=user.pk).update(srp_salt="", srp_verifier_sealed="")
    with pytest.raises(NotAuthorizedException, match="Incorrect username or password"):
        Srp(client, "alice", PASSWORD).sign_in()
    _password_auth(client, "alice", PASSWORD)
    assert PoolUser.objects.get(pk=user.pk).srp_verifier_sealed
    assert Srp(client, "alice", PASSWORD).sign_in().authentication_result is not None


# --- SECRET_HASH ----------------------------------------------------------------------------


def _secret_hash(client: AppClient, username: str) -> str:
    secret = app_client_secret(client=client)
    assert secret is not None
    return str(AWSSRP.get_secret_hash(username, client.client_id, secret))


def test_a_client_with_a_secret_needs_the_secret_hash(
    secret_client: AppClient, user: PoolUser
) -> None:
    with pytest.raises(NotAuthorizedException) as missing:
        _password_auth(secret_client, "alice", PASSWORD)
    assert missing.value.message == (
        f"Client {secret_client.client_id} is configured for secret but secret was not received"
    )
    with pytest.raises(NotAuthorizedException) as wrong:
        _password_auth(
            secret_client, "alice", PASSWORD, SECRET_HASH=_secret_hash(secret_client, "bob")
        )
    assert (
        wrong.value.message == f"Unable to verify secret hash for client {secret_client.client_id}"
    )
    assert PoolUser.objects.get(pk=user.pk).failed_sign_in_count == 0
    outcome = _password_auth(
        secret_client, "alice", PASSWORD, SECRET_HASH=_secret_hash(secret_client, "alice")
    )
    assert outcome.authentication_result is not None


def test_srp_with_a_client_secret(secret_client: AppClient, user: PoolUser) -> None:
    outcome = Srp(secret_client, "alice", PASSWORD, secret=True).sign_in()
    assert _claims(outcome)["username"] == "alice"


def test_srp_answers_need_the_secret_hash_too(secret_client: AppClient, user: PoolUser) -> None:
    srp = Srp(secret_client, "alice", PASSWORD, secret=True)
    responses = srp.answer(srp.initiate())
    del responses["SECRET_HASH"]
    with pytest.raises(NotAuthorizedException, match="secret was not received"):
        srp.respond(responses)


def test_refresh_with_a_secret_accepts_the_internal_or_the_sign_in_name() -> None:
    pool = make_user_pool(UsernameAttributes=["email"])
    client = make_app_client(pool=pool, ExplicitAuthFlows=ALL_FLOWS, GenerateSecret=True)
    user = make_user(pool=pool, username="gina@example.com", password=PASSWORD)
    signed_in = _password_auth(
        client,
        "gina@example.com",
        PASSWORD,
        SECRET_HASH=_secret_hash(client, "gina@example.com"),
    )
    assert signed_in.authentication_result is not None
    token = signed_in.authentication_result["RefreshToken"]
    for name in (user.username, "gina@example.com"):
        refreshed = auth_initiate(
            client=client,
            flow="REFRESH_TOKEN_AUTH",
            parameters={"REFRESH_TOKEN": token, "SECRET_HASH": _secret_hash(client, name)},
            admin=False,
        )
        assert refreshed.authentication_result is not None
    with pytest.raises(NotAuthorizedException, match="Unable to verify secret hash"):
        auth_initiate(
            client=client,
            flow="REFRESH_TOKEN_AUTH",
            parameters={"REFRESH_TOKEN": token, "SECRET_HASH": _secret_hash(client, "someone")},
            admin=False,
        )


# --- refresh --------------------------------------------------------------------------------


@pytest.mark.parametrize("flow", ["REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"])
def test_refresh_gives_new_tokens_of_the_same_sign_in(
    client: AppClient, user: PoolUser, flow: str
) -> None:
    signed_in = _password_auth(client, "alice", PASSWORD)
    assert signed_in.authentication_result is not None
    refreshed = auth_initiate(
        client=client,
        flow=flow,
        parameters={"REFRESH_TOKEN": signed_in.authentication_result["RefreshToken"]},
        admin=flow == "REFRESH_TOKEN",
    )
    assert refreshed.authentication_result is not None
    assert "RefreshToken" not in refreshed.authentication_result
    assert _claims(refreshed)["origin_jti"] == _claims(signed_in)["origin_jti"]


def test_refresh_needs_the_token(client: AppClient) -> None:
    with pytest.raises(InvalidParameterException, match="Missing required parameter REFRESH_TOKEN"):
        auth_initiate(client=client, flow="REFRESH_TOKEN_AUTH", parameters={}, admin=False)


# --- USER_SRP_AUTH / PASSWORD_VERIFIER ------------------------------------------------------


def test_srp_sign_in_with_pycognito(client: AppClient, user: PoolUser) -> None:
    srp = Srp(client, "alice", PASSWORD)
    challenge = srp.initiate()
    assert challenge.challenge_name == "PASSWORD_VERIFIER"
    parameters = challenge.challenge_parameters
    assert parameters["USERNAME"] == parameters["USER_ID_FOR_SRP"] == "alice"
    assert parameters["SALT"] == PoolUser.objects.get(pk=user.pk).srp_salt
    assert parameters["SECRET_BLOCK"] == challenge.session
    assert challenge.session is not None and len(challenge.session) >= 20
    base64.b64decode(parameters["SECRET_BLOCK"], validate=True)
    assert challenge.as_aws() == {
        "ChallengeName": "PASSWORD_VERIFIER",
        "Session": challenge.session,
        "ChallengeParameters": parameters,
    }
    outcome = srp.respond(srp.answer(challenge))
    assert _claims(outcome)["username"] == "alice"


def test_srp_works_when_the_client_sends_the_session_back(
    client: AppClient, user: PoolUser
) -> None:
    srp = Srp(client, "alice", PASSWORD)
    challenge = srp.initiate()
    outcome = srp.respond(srp.answer(challenge), session=challenge.session)
    assert outcome.authentication_result is not None


def test_srp_admin_initiate_auth(client: AppClient, user: PoolUser) -> None:
    srp = Srp(client, "alice", PASSWORD)
    challenge = srp.initiate(admin=True)
    assert srp.respond(srp.answer(challenge), admin=True).authentication_result is not None


def test_srp_in_an_email_pool_uses_the_uuid_username() -> None:
    pool = make_user_pool(UsernameAttributes=["email"])
    client = make_app_client(pool=pool, ExplicitAuthFlows=ALL_FLOWS)
    user = make_user(pool=pool, username="hana@example.com", password=PASSWORD)
    srp = Srp(client, "hana@example.com", PASSWORD)
    challenge = srp.initiate()
    assert challenge.challenge_parameters["USER_ID_FOR_SRP"] == str(user.sub)
    assert _claims(srp.respond(srp.answer(challenge)))["sub"] == str(user.sub)


@pytest.mark.parametrize(
    "salt",
    [
        bytes.fromhex("00" + "0f" * 15),  # a leading zero byte, then a low nibble
        bytes.fromhex("00" + "8f" * 15),  # a leading zero byte, then the high bit
        bytes.fromhex("0000" + "12" * 14),  # two zero bytes
        bytes.fromhex("80" + "00" * 15),  # the high bit set
        bytes.fromhex("ff" * 16),
        bytes.fromhex("0" * 31 + "1"),  # the smallest odd-length salt
    ],
    ids=["zero-low", "zero-high", "two-zeros", "high-bit", "all-ones", "one"],
)
def test_srp_works_with_every_shape_of_salt(
    client: AppClient, user: PoolUser, monkeypatch: pytest.MonkeyPatch, salt: bytes
) -> None:
    monkeypatch.setattr(passwords, "srp_salt_new", lambda: int.from_bytes(salt, "big"))
    password_replace(user=user, password=PASSWORD)
    srp = Srp(client, "alice", PASSWORD)
    challenge = srp.initiate()
    assert challenge.challenge_parameters["SALT"] == pad_hex(int.from_bytes(salt, "big"))
    assert srp.respond(srp.answer(challenge)).authentication_result is not None


def test_a_wrong_srp_proof_is_refused_and_counted(client: AppClient, user: PoolUser) -> None:
    with pytest.raises(NotAuthorizedException) as error:
        Srp(client, "alice", "Wr0ng-password").sign_in()
    assert error.value.message == "Incorrect username or password."
    assert PoolUser.objects.get(pk=user.pk).failed_sign_in_count == 1
    assert not RefreshToken.objects.exists()
    assert AuthSession.objects.get().used_at is not None


def test_a_tampered_signature_is_refused(client: AppClient, user: PoolUser) -> None:
    srp = Srp(client, "alice", PASSWORD)
    responses = srp.answer(srp.initiate())
    responses["TIMESTAMP"] = responses["TIMESTAMP"].replace("UTC", "GMT")
    with pytest.raises(NotAuthorizedException, match="Incorrect username or password"):
        srp.respond(responses)


def test_a_replayed_srp_answer_is_refused(client: AppClient, user: PoolUser) -> None:
    srp = Srp(client, "alice", PASSWORD)
    responses = srp.answer(srp.initiate())
    srp.respond(responses)
    before = _state(user)
    with pytest.raises(NotAuthorizedException) as error:
        srp.respond(responses)
    assert error.value.message == "Invalid session for the user, session can only be used once."
    assert _state(user) == before


def test_an_srp_session_expires_with_the_clients_auth_session_validity(
    pool: UserPool, user: PoolUser, clock: Clock
) -> None:
    client = make_app_client(pool=pool, ExplicitAuthFlows=ALL_FLOWS, AuthSessionValidity=5)
    srp = Srp(client, "alice", PASSWORD)
    responses = srp.answer(srp.initiate())
    clock.advance(minutes=5)
    before = _state(user)
    with pytest.raises(NotAuthorizedException) as error:
        srp.respond(responses)
    assert error.value.message == "Invalid session for the user, session is expired."
    assert _state(user) == before


def test_an_srp_session_is_still_good_just_before_it_expires(
    client: AppClient, user: PoolUser, clock: Clock
) -> None:
    srp = Srp(client, "alice", PASSWORD)
    responses = srp.answer(srp.initiate())
    clock.advance(minutes=2, seconds=59)
    assert srp.respond(responses).authentication_result is not None


def test_an_srp_session_is_bound_to_its_client(
    client: AppClient, pool: UserPool, user: PoolUser
) -> None:
    srp = Srp(client, "alice", PASSWORD)
    responses = srp.answer(srp.initiate())
    other = make_app_client(pool=pool, ExplicitAuthFlows=ALL_FLOWS)
    with pytest.raises(NotAuthorizedException, match=r"^Invalid session for the user\.$"):
        auth_respond(
            client=other,
            challenge_name="PASSWORD_VERIFIER",
            session=None,
            responses=responses,
            admin=False,
        )
    assert srp.respond(responses).authentication_result is not None


def test_an_srp_session_begun_by_initiate_auth_is_not_answered_by_the_admin_operation(
    client: AppClient, user: PoolUser
) -> None:
    srp = Srp(client, "alice", PASSWORD)
    responses = srp.answer(srp.initiate())
    with pytest.raises(NotAuthorizedException, match=r"^Invalid session for the user\.$"):
        srp.respond(responses, admin=True)


def test_a_session_that_differs_from_the_secret_block_is_refused(
    client: AppClient, user: PoolUser
) -> None:
    srp = Srp(client, "alice", PASSWORD)
    responses = srp.answer(srp.initiate())
    other = Srp(client, "alice", PASSWORD).initiate()
    with pytest.raises(NotAuthorizedException, match=r"^Invalid session for the user\.$"):
        srp.respond(responses, session=other.session)


def test_an_unknown_secret_block_is_an_invalid_session(client: AppClient, user: PoolUser) -> None:
    srp = Srp(client, "alice", PASSWORD)
    responses = srp.answer(srp.initiate())
    responses["PASSWORD_CLAIM_SECRET_BLOCK"] = base64.b64encode(b"x" * 48).decode()
    with pytest.raises(NotAuthorizedException, match=r"^Invalid session for the user\.$"):
        srp.respond(responses)


def test_an_answer_for_another_user_is_refused(
    client: AppClient, pool: UserPool, user: PoolUser
) -> None:
    make_user(pool=pool, username="mallory", password=PASSWORD)
    srp = Srp(client, "alice", PASSWORD)
    responses = srp.answer(srp.initiate())
    responses["USERNAME"] = "mallory"
    with pytest.raises(NotAuthorizedException, match="Incorrect username or password"):
        srp.respond(responses)


@pytest.mark.parametrize("missing", ["PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP", "USERNAME"])
def test_an_srp_answer_needs_every_response(
    client: AppClient, user: PoolUser, missing: str
) -> None:
    srp = Srp(client, "alice", PASSWORD)
    responses = srp.answer(srp.initiate())
    del responses[missing]
    with pytest.raises(InvalidParameterException, match=f"Missing required parameter {missing}"):
        srp.respond(responses)
    assert AuthSession.objects.get().used_at is None


@pytest.mark.parametrize("srp_a", ["not-hex", "0", N_HEX, f"{2 * N:x}"])
def test_a_bad_srp_a_is_refused(client: AppClient, user: PoolUser, srp_a: str) -> None:
    with pytest.raises(InvalidParameterException, match="SRP_A"):
        auth_initiate(
            client=client,
            flow="USER_SRP_AUTH",
            parameters={"USERNAME": "alice", "SRP_A": srp_a},
            admin=False,
        )
    assert not AuthSession.objects.exists()


def test_srp_sessions_are_stored_as_digests_with_sealed_state(
    client: AppClient, user: PoolUser
) -> None:
    challenge = Srp(client, "alice", PASSWORD).initiate()
    row = AuthSession.objects.get()
    assert challenge.session is not None
    assert challenge.session not in row.session_digest
    assert row.user == user
    assert row.client == client
    assert row.challenge_name == "PASSWORD_VERIFIER"
    assert challenge.challenge_parameters["SRP_B"] not in row.state_sealed


def test_srp_for_an_unknown_user_is_not_found_with_legacy_errors(
    client: AppClient, user: PoolUser
) -> None:
    with pytest.raises(UserNotFoundException):
        Srp(client, "nobody", PASSWORD).initiate()


def test_srp_for_an_unknown_user_looks_like_a_real_challenge_then_fails(
    hiding_client: AppClient, user: PoolUser
) -> None:
    first = Srp(hiding_client, "nobody", PASSWORD).initiate()
    again = Srp(hiding_client, "nobody", PASSWORD).initiate()
    other = Srp(hiding_client, "somebody", PASSWORD).initiate()
    assert first.challenge_name == "PASSWORD_VERIFIER"
    assert set(first.challenge_parameters) == {
        "SALT",
        "SRP_B",
        "SECRET_BLOCK",
        "USERNAME",
        "USER_ID_FOR_SRP",
    }
    assert first.challenge_parameters["USER_ID_FOR_SRP"] == "nobody"
    assert first.challenge_parameters["SALT"] == again.challenge_parameters["SALT"]
    assert first.challenge_parameters["SALT"] != other.challenge_parameters["SALT"]
    srp = Srp(hiding_client, "nobody", PASSWORD)
    with pytest.raises(NotAuthorizedException) as error:
        srp.sign_in()
    assert error.value.message == "Incorrect username or password."


def test_srp_decoys_in_an_email_pool_have_uuid_usernames() -> None:
    pool = make_user_pool(UsernameAttributes=["email"])
    client = make_app_client(
        pool=pool, ExplicitAuthFlows=ALL_FLOWS, PreventUserExistenceErrors="ENABLED"
    )
    first = Srp(client, "ghost@example.com", PASSWORD).initiate()
    again = Srp(client, "ghost@example.com", PASSWORD).initiate()
    user_id = first.challenge_parameters["USER_ID_FOR_SRP"]
    assert user_id == again.challenge_parameters["USER_ID_FOR_SRP"]
    assert len(user_id) == 36 and user_id.count("-") == 4


def test_srp_refuses_a_disabled_user_at_once(client: AppClient, user: PoolUser) -> None:
    user_disable(user=user)
    with pytest.raises(NotAuthorizedException, match=r"^User is disabled\.$"):
        Srp(client, "alice", PASSWORD).initiate()
    assert not AuthSession.objects.exists()


def test_srp_refuses_a_user_disabled_during_the_challenge(
    client: AppClient, user: PoolUser
) -> None:
    srp = Srp(client, "alice", PASSWORD)
    responses = srp.answer(srp.initiate())
    user_disable(user=user)
    with pytest.raises(NotAuthorizedException, match=r"^User is disabled\.$"):
        srp.respond(responses)
    assert not RefreshToken.objects.exists()


def test_srp_refuses_a_user_whose_password_was_reset(client: AppClient, user: PoolUser) -> None:
    user_reset_password(user=user)
    with pytest.raises(PasswordResetRequiredException):
        Srp(client, "alice", PASSWORD).initiate()


def test_srp_tells_an_unconfirmed_user_at_initiate_auth(client: AppClient, pool: UserPool) -> None:
    # AWS answers USER_SRP_AUTH's first step with UserNotConfirmedException, before any proof
    # (amazon-cognito-identity-js#288, where AWS calls it intended; amplify-swift#3053's
    # InitiateAuth error in a userSRP sign-in; moto's test_initiate_auth_for_unconfirmed_user).
    sign_up(client=client, username="ivan", password=PASSWORD, attributes={})
    with pytest.raises(UserNotConfirmedException) as error:
        Srp(client, "ivan", "Wr0ng-password").initiate()
    assert error.value.message == "User is not confirmed."
    assert not AuthSession.objects.exists()


def test_an_unknown_challenge_is_refused(client: AppClient) -> None:
    with pytest.raises(InvalidParameterException, match="CUSTOM_CHALLENGE challenge"):
        auth_respond(
            client=client,
            challenge_name="CUSTOM_CHALLENGE",
            session="x" * 20,
            responses={"USERNAME": "alice", "ANSWER": "42"},
            admin=False,
        )


# --- lockout through sign-in ----------------------------------------------------------------


def test_five_wrong_passwords_lock_the_user_out_for_a_second(
    client: AppClient, user: PoolUser, clock: Clock
) -> None:
    for _ in range(5):
        with pytest.raises(NotAuthorizedException, match="Incorrect username or password"):
            _password_auth(client, "alice", "Wr0ng-password")
    before = _state(user)
    with pytest.raises(NotAuthorizedException) as error:
        _password_auth(client, "alice", PASSWORD)
    assert error.value.message == "Password attempts exceeded"
    assert _state(user) == before
    clock.advance(seconds=1)
    assert _password_auth(client, "alice", PASSWORD).authentication_result is not None
    assert PoolUser.objects.get(pk=user.pk).failed_sign_in_count == 0


def test_wrong_srp_proofs_lock_the_user_out_too(
    client: AppClient, user: PoolUser, clock: Clock
) -> None:
    for _ in range(5):
        with pytest.raises(NotAuthorizedException, match="Incorrect username or password"):
            Srp(client, "alice", "Wr0ng-password").sign_in()
    with pytest.raises(NotAuthorizedException, match=r"^Password attempts exceeded$"):
        Srp(client, "alice", PASSWORD).initiate()
    clock.advance(seconds=1)
    assert Srp(client, "alice", PASSWORD).sign_in().authentication_result is not None


def test_a_lockout_that_begins_during_the_challenge_refuses_the_answer(
    client: AppClient, user: PoolUser
) -> None:
    srp = Srp(client, "alice", PASSWORD)
    responses = srp.answer(srp.initiate())
    for _ in range(5):
        with pytest.raises(NotAuthorizedException):
            _password_auth(client, "alice", "Wr0ng-password")
    with pytest.raises(NotAuthorizedException, match=r"^Password attempts exceeded$"):
        srp.respond(responses)
    assert PoolUser.objects.get(pk=user.pk).failed_sign_in_count == 5


# --- NEW_PASSWORD_REQUIRED ------------------------------------------------------------------


def _new_password(
    client: AppClient, challenge: AuthOutcome, username: str, **responses: str
) -> AuthOutcome:
    return auth_respond(
        client=client,
        challenge_name="NEW_PASSWORD_REQUIRED",
        session=challenge.session,
        responses={"USERNAME": username, "NEW_PASSWORD": NEW_PASSWORD, **responses},
        admin=False,
    )


def test_a_temporary_password_leads_to_new_password_required(
    client: AppClient, pool: UserPool
) -> None:
    user = _new_password_user(pool, email="newbie@example.com", email_verified="true")
    challenge = _password_auth(client, "newbie", TEMPORARY)
    assert challenge.challenge_name == "NEW_PASSWORD_REQUIRED"
    assert challenge.session is not None and len(challenge.session) >= 20
    parameters = challenge.challenge_parameters
    assert parameters["USER_ID_FOR_SRP"] == "newbie"
    assert json.loads(parameters["userAttributes"]) == {
        "email": "newbie@example.com",
        "email_verified": "true",
    }
    assert json.loads(parameters["requiredAttributes"]) == []
    assert not RefreshToken.objects.filter(user=user).exists()

    outcome = _new_password(client, challenge, "newbie")
    assert _claims(outcome)["username"] == "newbie"
    user.refresh_from_db()
    assert user.status == UserStatus.CONFIRMED
    assert user.temporary_password_expires_at is None
    with pytest.raises(NotAuthorizedException, match="Incorrect username or password"):
        _password_auth(client, "newbie", TEMPORARY)
    assert _password_auth(client, "newbie", NEW_PASSWORD).authentication_result is not None
    assert Srp(client, "newbie", NEW_PASSWORD).sign_in().authentication_result is not None


def test_new_password_required_after_srp_with_the_temporary_password(
    client: AppClient, pool: UserPool
) -> None:
    _new_password_user(pool)
    challenge = Srp(client, "newbie", TEMPORARY).sign_in()
    assert challenge.challenge_name == "NEW_PASSWORD_REQUIRED"
    outcome = _new_password(client, challenge, "newbie")
    assert outcome.authentication_result is not None


def test_new_password_required_through_the_admin_operations(
    client: AppClient, pool: UserPool
) -> None:
    _new_password_user(pool)
    challenge = _password_auth(client, "newbie", TEMPORARY, admin=True)
    outcome = auth_respond(
        client=client,
        challenge_name="NEW_PASSWORD_REQUIRED",
        session=challenge.session,
        responses={"USERNAME": "newbie", "NEW_PASSWORD": NEW_PASSWORD},
        admin=True,
    )
    assert outcome.authentication_result is not None


def test_required_attributes_are_asked_for_and_must_be_given(client: AppClient) -> None:
    pool = make_user_pool(Schema=[{"Name": "name", "Required": True}])
    client = make_app_client(pool=pool, ExplicitAuthFlows=ALL_FLOWS)
    user = _new_password_user(pool)
    challenge = _password_auth(client, "newbie", TEMPORARY)
    assert json.loads(challenge.challenge_parameters["requiredAttributes"]) == [
        "userAttributes.name"
    ]
    before = _state(user)
    with pytest.raises(InvalidParameterException) as error:
        _new_password(client, challenge, "newbie")
    assert error.value.message == "Invalid attributes given, name is missing"
    assert _state(user) == before

    outcome = _new_password(client, challenge, "newbie", **{"userAttributes.name": "Newbie"})
    assert outcome.authentication_result is not None
    assert PoolUser.objects.get(pk=user.pk).name == "Newbie"


def test_a_new_password_must_satisfy_the_policy_and_the_session_stays_open(
    client: AppClient, pool: UserPool
) -> None:
    user = _new_password_user(pool)
    challenge = _password_auth(client, "newbie", TEMPORARY)
    before = _state(user)
    with pytest.raises(InvalidPasswordException, match="Password not long enough"):
        _new_password(client, challenge, "newbie", NEW_PASSWORD="Sh0rt!")
    assert _state(user) == before
    assert _new_password(client, challenge, "newbie").authentication_result is not None


def test_a_client_may_write_only_its_write_attributes(pool: UserPool) -> None:
    client = make_app_client(
        pool=pool, ExplicitAuthFlows=ALL_FLOWS, WriteAttributes=["name", "email"]
    )
    user = _new_password_user(pool)
    challenge = _password_auth(client, "newbie", TEMPORARY)
    before = _state(user)
    with pytest.raises(NotAuthorizedException, match="unauthorized attribute"):
        _new_password(client, challenge, "newbie", **{"userAttributes.nickname": "nick"})
    assert _state(user) == before


def test_a_new_password_session_works_once(client: AppClient, pool: UserPool) -> None:
    user = _new_password_user(pool)
    challenge = _password_auth(client, "newbie", TEMPORARY)
    _new_password(client, challenge, "newbie")
    before = _state(user)
    with pytest.raises(NotAuthorizedException) as error:
        _new_password(client, challenge, "newbie", NEW_PASSWORD="An0ther-Passw0rd!")
    assert error.value.message == "Invalid session for the user, session can only be used once."
    assert _state(user) == before


def test_a_new_password_session_expires(client: AppClient, pool: UserPool, clock: Clock) -> None:
    user = _new_password_user(pool)
    challenge = _password_auth(client, "newbie", TEMPORARY)
    clock.advance(minutes=3)
    before = _state(user)
    with pytest.raises(NotAuthorizedException) as error:
        _new_password(client, challenge, "newbie")
    assert error.value.message == "Invalid session for the user, session is expired."
    assert _state(user) == before


def test_a_new_password_answer_needs_the_session(client: AppClient, pool: UserPool) -> None:
    _new_password_user(pool)
    challenge = _password_auth(client, "newbie", TEMPORARY)
    with pytest.raises(InvalidParameterException, match="Missing required parameter Session"):
        auth_respond(
            client=client,
            challenge_name="NEW_PASSWORD_REQUIRED",
            session=None,
            responses={"USERNAME": "newbie", "NEW_PASSWORD": NEW_PASSWORD},
            admin=False,
        )
    assert challenge.session is not None


def test_a_session_answers_only_its_own_challenge(client: AppClient, pool: UserPool) -> None:
    _new_password_user(pool)
    challenge = Srp(client, "newbie", TEMPORARY).initiate()
    with pytest.raises(
        InvalidParameterException, match="waiting for an answer to PASSWORD_VERIFIER"
    ):
        _new_password(client, challenge, "newbie")


def test_a_new_password_answer_for_another_user_is_refused(
    client: AppClient, pool: UserPool, user: PoolUser
) -> None:
    newbie = _new_password_user(pool)
    challenge = _password_auth(client, "newbie", TEMPORARY)
    before = _state(newbie)
    with pytest.raises(NotAuthorizedException, match="Incorrect username or password"):
        _new_password(client, challenge, "alice")
    assert _state(newbie) == before


def test_a_new_password_challenge_ends_when_an_administrator_sets_the_password(
    client: AppClient, pool: UserPool
) -> None:
    user = _new_password_user(pool)
    challenge = _password_auth(client, "newbie", TEMPORARY)
    password_replace(user=user, password=PASSWORD)
    before = _state(user)
    with pytest.raises(NotAuthorizedException, match=r"^Invalid session for the user\.$"):
        _new_password(client, challenge, "newbie")
    assert _state(user) == before
