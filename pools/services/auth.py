"""Sign-in: InitiateAuth / AdminInitiateAuth and RespondToAuthChallenge /
AdminRespondToAuthChallenge, as one small state machine.

A flow (`_FLOWS`) starts a sign-in. Once the user has proved their password, the steps in
`_AFTER_PASSWORD` are asked in order whether the user owes a challenge (a new password now; MFA
later); the first that does answers with it, and a user who owes none gets tokens. A challenge is
answered through `_CHALLENGES`, whose handler ends by going through the same sequence. New flows
and challenges are new entries in these tables.

Between steps the state is an `AuthSession` row: the client holds a random token, the row holds
only its digest and the state sealed, is bound to the user and the client, works once and expires
after the client's AuthSessionValidity. For PASSWORD_VERIFIER the token is also the SECRET_BLOCK,
because pycognito answers that challenge without sending the Session back.

Wrong passwords and SRP proofs count towards the lockout (`lockout.py`); with
PreventUserExistenceErrors an unknown user is answered as a wrong password, after the same work:
the same lockout schedule (kept for the name tried), the same hash, the same SRP arithmetic, the
same unseal and digests.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cognitoadmin.crypto import SealError, digest, seal, unseal_str
from pools.errors import (
    CodeMismatchException,
    InvalidParameterException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    UnsupportedOperationException,
    UserNotConfirmedException,
    UserNotFoundException,
    WebAuthnConfigurationMissingException,
)
from pools.models import (
    AppClient,
    AuthSession,
    MfaFactor,
    PoolUser,
    PreventUserExistenceErrors,
    SchemaAttribute,
    UserPool,
    UserStatus,
)
from pools.selectors.devices import device_get
from pools.selectors.tokens import refresh_token_find
from pools.selectors.users import user_for_client_request, user_readable_attribute_names
from pools.services.attributes import attributes_validate
from pools.services.client_requests import unknown_user_check, unknown_user_write
from pools.services.clients import (
    LEGACY_AUTH_FLOWS,
    app_client_check_write_attributes,
    app_client_verify_secret_hash,
)
from pools.services.codes import code_delivery_simulated_for_sign_in
from pools.services.devices import (
    device_authenticated,
    device_skips_mfa,
    device_srp_material,
    device_track,
)
from pools.services.lockout import (
    lockout_check,
    lockout_check_unknown,
    lockout_record_failure,
    lockout_record_failure_unknown,
    lockout_record_success,
)
from pools.services.log_delivery import auth_event_log
from pools.services.mfa import (
    AMR_FOR_FACTOR,
    CODE_MISMATCH,
    MEDIUM_FOR_FACTOR,
    MFA_SETUP,
    SELECT_MFA_TYPE,
    mfa_code_matches,
    mfa_code_send,
    mfa_factor_proved,
    mfa_owed,
    mfa_preference_set,
    software_token_associate,
    software_token_check,
    software_token_friendly_name,
    software_token_otpauth_uri,
    software_token_verify,
)
from pools.services.passwords import (
    SRP_VERIFIER_PURPOSE,
    password_check,
    password_replace,
    password_validate,
)
from pools.services.refresh import refresh_token_redeem
from pools.services.srp import (
    N_BYTES,
    SALT_BYTES,
    N,
    pad_hex,
    srp_claim_signature,
    srp_pool_name,
    srp_private_b_new,
    srp_public_a_valid,
    srp_public_b,
    srp_session_key,
)
from pools.services.tokens import USER_DISABLED, tokens_issue
from pools.services.users import user_update_attributes
from pools.services.webauthn import (
    webauthn_authentication_options,
    webauthn_authentication_verify,
    webauthn_has_credentials,
    webauthn_relying_party_id,
)

PASSWORD_VERIFIER = "PASSWORD_VERIFIER"  # noqa: S105
NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"  # noqa: S105
DEVICE_SRP_AUTH = "DEVICE_SRP_AUTH"
DEVICE_PASSWORD_VERIFIER = "DEVICE_PASSWORD_VERIFIER"  # noqa: S105

INCORRECT_CREDENTIALS = "Incorrect username or password."
TEMPORARY_PASSWORD_EXPIRED = "Temporary password has expired and must be reset by an administrator."  # noqa: S105
SESSION_INVALID = "Invalid session for the user."
SESSION_USED = "Invalid session for the user, session can only be used once."
SESSION_EXPIRED = "Invalid session for the user, session is expired."
PASSKEY_REFUSED = "Passkey authentication failed."
PASSKEY_NOT_MULTI_FACTOR = (
    "This user must complete MFA: sign in with a passkey that verifies the user, or another factor."
)
# Answers a session takes to a code challenge (SMS, email, authenticator, its set-up) before it
# ends: guessing a six-digit code gets this many tries per password proved.
CODE_ATTEMPTS_PER_SESSION = 3

SESSION_DIGEST_PURPOSE = "auth_session"
SESSION_STATE_PURPOSE = "auth_session_state"
# 48 random bytes: 64 characters of standard base64 without padding, a valid Session and a valid
# SECRET_BLOCK alike.
SESSION_TOKEN_BYTES = 48
SRP_DECOY_PURPOSE = "srp_decoy"
USER_ATTRIBUTE_PREFIX = "userAttributes."


@dataclass(frozen=True)
class AuthOutcome:
    """What a sign-in step answers: tokens, or the next challenge and the session to answer it.
    A hosted sign-in (the `/login` pages) ends with the user and how they proved it instead of
    tokens: the authorization code's exchange issues those, with the scopes it was granted."""

    authentication_result: dict[str, Any] | None = None
    challenge_name: str | None = None
    session: str | None = None
    challenge_parameters: dict[str, str] = field(default_factory=dict)
    signed_in_user: PoolUser | None = None
    amr: tuple[str, ...] = ()
    # SELECT_CHALLENGE's choice of first factors (USER_AUTH).
    available_challenges: tuple[str, ...] = ()
    # Who signed in, once tokens are due (for the sign-in's user activity log).
    user: PoolUser | None = field(default=None, compare=False, repr=False)

    def as_aws(self) -> dict[str, Any]:
        """The output members of InitiateAuth and RespondToAuthChallenge (and the Admin ones)."""
        if self.authentication_result is not None:
            return {"ChallengeParameters": {}, "AuthenticationResult": self.authentication_result}
        shape: dict[str, Any] = {
            "ChallengeName": self.challenge_name,
            "Session": self.session,
            "ChallengeParameters": self.challenge_parameters,
        }
        if self.available_challenges:
            shape["AvailableChallenges"] = list(self.available_challenges)
        return shape


# --- shared rules ---------------------------------------------------------------------------


def _required(values: Mapping[str, str], name: str) -> str:
    value = values.get(name)
    if not value:
        raise InvalidParameterException(f"Missing required parameter {name}")
    return value


def _secret_hash_check(
    *, client: AppClient, secret_hash: str | None, usernames: Iterable[str | None]
) -> None:
    """SECRET_HASH, for a client that has a secret. Clients differ in which name of the user they
    hash (the name they signed in with, the internal username, ...), so any of `usernames` is
    accepted; the error is the one for the first."""
    error: NotAuthorizedException | None = None
    for username in dict.fromkeys(name for name in usernames if name) or [""]:
        try:
            app_client_verify_secret_hash(client=client, username=username, secret_hash=secret_hash)
        except NotAuthorizedException as exc:
            error = error or exc
        else:
            return
    if error is not None:
        raise error


def _user_names(user: PoolUser) -> list[str]:
    """Every name a client may have hashed into SECRET_HASH for `user`."""
    return [user.username, str(user.sub), user.email, user.phone_number, user.preferred_username]


def _user_resolve(*, client: AppClient, username: str) -> PoolUser | None:
    """The user `username` names (a username or a sign-in alias). None when there is none and the
    client hides that (PreventUserExistenceErrors), so the caller answers as for a wrong password.
    """
    user = user_for_client_request(client=client, username=username)
    if user is None:
        unknown_user_check(client=client, message=UserNotFoundException.default_message)
    return user


def _check_before_password(user: PoolUser) -> None:
    """States that refuse a sign-in whatever the password."""
    if not user.enabled:
        raise NotAuthorizedException(USER_DISABLED)
    if user.status == UserStatus.RESET_REQUIRED:
        # An administrator reset (or an import) left no usable password to check.
        raise PasswordResetRequiredException()
    lockout_check(user=user)


def _check_after_password(user: PoolUser) -> None:
    """States that are told only to someone who knows the password."""
    if user.status == UserStatus.UNCONFIRMED:
        raise UserNotConfirmedException()
    expires_at = user.temporary_password_expires_at
    if (
        user.status == UserStatus.FORCE_CHANGE_PASSWORD
        and expires_at is not None
        and expires_at <= timezone.now()
    ):
        raise NotAuthorizedException(TEMPORARY_PASSWORD_EXPIRED)


# --- sessions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pending:
    """An open session, as the handler of its challenge receives it."""

    row: AuthSession
    state: dict[str, Any]


def _session_open(
    *,
    client: AppClient,
    user: PoolUser | None,
    challenge_name: str,
    admin: bool,
    state: Mapping[str, Any] | None = None,
    token: str = "",
) -> str:
    """A new session for `challenge_name`. With `token` (a session just used up), the new one
    takes over its token: the used row goes."""
    if token:
        AuthSession.objects.filter(
            session_digest=digest(token, purpose=SESSION_DIGEST_PURPOSE), used_at__isnull=False
        ).delete()
    else:
        token = base64.b64encode(secrets.token_bytes(SESSION_TOKEN_BYTES)).decode("ascii")
    AuthSession.objects.create(
        pool_id=client.pool_id,
        client=client,
        user=user,
        session_digest=digest(token, purpose=SESSION_DIGEST_PURPOSE),
        challenge_name=challenge_name,
        state_sealed=seal(
            json.dumps({**(state or {}), "admin": admin}), purpose=SESSION_STATE_PURPOSE
        ),
        expires_at=timezone.now() + dt.timedelta(minutes=client.auth_session_validity),
    )
    return token


def _session_find(
    *, client: AppClient, token: str, challenge_name: str, admin: bool, hosted: bool = False
) -> _Pending:
    """The open session `token` names, for this client and this kind of call (a session begun by
    an Admin operation is answered by one, and only by one; one begun on the hosted pages, only
    there)."""
    row = (
        AuthSession.objects.select_related("user__pool")
        .filter(session_digest=digest(token, purpose=SESSION_DIGEST_PURPOSE))
        .first()
    )
    if row is None or row.client_id != client.pk:
        raise NotAuthorizedException(SESSION_INVALID)
    pending = _session_open_row(row)
    if pending.state.get("admin") != admin or pending.state.get("hosted", False) != hosted:
        raise NotAuthorizedException(SESSION_INVALID)
    if row.challenge_name != challenge_name:
        raise InvalidParameterException(
            f"The session is waiting for an answer to {row.challenge_name}, not {challenge_name}."
        )
    return pending


def _session_open_row(row: AuthSession) -> _Pending:
    """`row` with its state, if it can still be answered."""
    if row.used_at is not None:
        raise NotAuthorizedException(SESSION_USED)
    if row.failed_attempts >= CODE_ATTEMPTS_PER_SESSION:
        raise NotAuthorizedException(SESSION_INVALID)
    if row.expires_at <= timezone.now():
        raise NotAuthorizedException(SESSION_EXPIRED)
    try:
        state: dict[str, Any] = json.loads(
            unseal_str(row.state_sealed, purpose=SESSION_STATE_PURPOSE)
        )
    except SealError:
        raise NotAuthorizedException(SESSION_INVALID) from None
    return _Pending(row=row, state=state)


def _session_attempt(pending: _Pending) -> None:
    """Take one of the session's tries at a code before checking it, so that concurrent guesses
    cannot exceed CODE_ATTEMPTS_PER_SESSION between them."""
    taken = AuthSession.objects.filter(
        pk=pending.row.pk, used_at__isnull=True, failed_attempts__lt=CODE_ATTEMPTS_PER_SESSION
    ).update(failed_attempts=F("failed_attempts") + 1)
    if not taken:
        raise NotAuthorizedException(SESSION_INVALID)


def _session_consume(pending: _Pending) -> None:
    """Mark the session used. A conditional update, so of two concurrent answers only one wins."""
    used = AuthSession.objects.filter(pk=pending.row.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not used:
        raise NotAuthorizedException(SESSION_USED)


# --- after the password: the challenges a user may still owe --------------------------------


@dataclass(frozen=True)
class _SignIn:
    """A user who has proved their password, on the way to tokens. `amr` is set once MFA is
    done; `device_key` names the device the client signs in from, if any."""

    client: AppClient
    user: PoolUser
    admin: bool
    amr: tuple[str, ...] = ()
    device_key: str = ""
    # The device has answered DEVICE_PASSWORD_VERIFIER in this sign-in.
    device_proved: bool = False
    # The Session the step just answered came with, for a device challenge that keeps it.
    session_token: str = ""
    # On the hosted pages: ends with the user, not tokens (see AuthOutcome).
    hosted: bool = False

    def carried(self) -> dict[str, Any]:
        """What a session keeps of the sign-in, for `_resumed`."""
        return {
            "hosted": self.hosted,
            "amr": list(self.amr),
            "device_key": self.device_key,
            "device_proved": self.device_proved,
        }


def _resumed(
    pending: _Pending,
    *,
    client: AppClient,
    admin: bool,
    amr: Sequence[str] | None = None,
    device_proved: bool | None = None,
    session_token: str = "",
) -> _SignIn:
    """The sign-in a session carries on, with `amr` once MFA is done."""
    user = pending.row.user
    if user is None:
        raise NotAuthorizedException(SESSION_INVALID)
    state = pending.state
    return _SignIn(
        client=client,
        user=user,
        admin=admin,
        amr=tuple(state.get("amr", ()) if amr is None else amr),
        device_key=state.get("device_key", ""),
        device_proved=state.get("device_proved", False) if device_proved is None else device_proved,
        session_token=session_token,
        hosted=state.get("hosted", False),
    )


def _schema_required(pool: UserPool) -> list[str]:
    rows = SchemaAttribute.objects.filter(pool=pool, required=True).exclude(
        name="sub", is_custom=False
    )
    return [row.full_name for row in rows]


def _missing_required(user: PoolUser, given: Mapping[str, str]) -> list[str]:
    return [
        name
        for name in _schema_required(user.pool)
        if not given.get(name) and (name in given or user.attribute_value(name) is None)
    ]


def _readable_attributes(user: PoolUser, client: AppClient) -> dict[str, str]:
    """The values of the user's attributes the client may read, `sub` left out."""
    values = {
        name: user.attribute_value(name)
        for name in user_readable_attribute_names(user=user, client=client)
    }
    return {name: value for name, value in values.items() if value is not None}


def _new_password_challenge(sign_in: _SignIn) -> AuthOutcome | None:
    """A user with a temporary password chooses their own, and gives any required attribute
    they lack."""
    user = sign_in.user
    if user.status != UserStatus.FORCE_CHANGE_PASSWORD:
        return None
    session = _session_open(
        client=sign_in.client,
        user=user,
        challenge_name=NEW_PASSWORD_REQUIRED,
        admin=sign_in.admin,
        state=sign_in.carried(),
    )
    required = [USER_ATTRIBUTE_PREFIX + name for name in _missing_required(user, {})]
    return AuthOutcome(
        challenge_name=NEW_PASSWORD_REQUIRED,
        session=session,
        challenge_parameters={
            "USER_ID_FOR_SRP": user.username,
            "userAttributes": json.dumps(_readable_attributes(user, sign_in.client)),
            "requiredAttributes": json.dumps(required),
        },
    )


# The responses that carry each factor's code.
CODE_RESPONSES: dict[MfaFactor, str] = {
    MfaFactor.SMS: "SMS_MFA_CODE",
    MfaFactor.SOFTWARE_TOKEN: "SOFTWARE_TOKEN_MFA_CODE",
    MfaFactor.EMAIL: "EMAIL_OTP_CODE",
}


def _factor_challenge(sign_in: _SignIn, factor: MfaFactor) -> AuthOutcome:
    """Ask for `factor`'s code: an SMS or email goes out now, an authenticator shows its own."""
    user = sign_in.user
    state = sign_in.carried()
    parameters = {"USER_ID_FOR_SRP": user.username}
    if factor == MfaFactor.SOFTWARE_TOKEN:
        name = software_token_friendly_name(user=user)
        if name:
            parameters["FRIENDLY_DEVICE_NAME"] = name
    else:
        state["code"], details = mfa_code_send(user=user, factor=factor)
        parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] = details["DeliveryMedium"]
        parameters["CODE_DELIVERY_DESTINATION"] = details["Destination"]
    session = _session_open(
        client=sign_in.client, user=user, challenge_name=factor, admin=sign_in.admin, state=state
    )
    return AuthOutcome(challenge_name=factor, session=session, challenge_parameters=parameters)


def _device_challenge(sign_in: _SignIn) -> AuthOutcome | None:
    """A sign-in that names a confirmed device proves the device next (DEVICE_SRP_AUTH). A key
    that is not the user's device is refused with "Device does not exist.", on which clients
    forget it and sign in again."""
    if not sign_in.device_key or sign_in.device_proved:
        return None
    if not device_get(user=sign_in.user, device_key=sign_in.device_key).confirmed:
        return None
    # After an MFA answer the device challenge keeps that answer's Session: acij's sendMFACode
    # answers DEVICE_SRP_AUTH with the Session it already holds, not the one returned.
    session = _session_open(
        client=sign_in.client,
        user=sign_in.user,
        challenge_name=DEVICE_SRP_AUTH,
        admin=sign_in.admin,
        state=sign_in.carried(),
        token=sign_in.session_token,
    )
    return AuthOutcome(challenge_name=DEVICE_SRP_AUTH, session=session)


def _mfa_challenge(sign_in: _SignIn) -> AuthOutcome | None:
    """The MFA the user owes (`mfa.mfa_owed`): a factor's code, a choice, or a set-up. A
    sign-in from a remembered device owes none; the device's proof (`_device_challenge`) comes
    next and is never skipped."""
    if sign_in.amr:
        return None
    if sign_in.device_key and device_skips_mfa(
        device_get(user=sign_in.user, device_key=sign_in.device_key)
    ):
        return None
    owed = mfa_owed(user=sign_in.user)
    if owed is None:
        return None
    if owed.challenge in CODE_RESPONSES:
        return _factor_challenge(sign_in, MfaFactor(owed.challenge))
    factors = [str(factor) for factor in owed.factors]
    session = _session_open(
        client=sign_in.client,
        user=sign_in.user,
        challenge_name=owed.challenge,
        admin=sign_in.admin,
        state={**sign_in.carried(), "factors": factors},
    )
    member = "MFAS_CAN_CHOOSE" if owed.challenge == SELECT_MFA_TYPE else "MFAS_CAN_SETUP"
    parameters = {"USER_ID_FOR_SRP": sign_in.user.username, member: json.dumps(factors)}
    return AuthOutcome(
        challenge_name=owed.challenge, session=session, challenge_parameters=parameters
    )


# MFA before the device's proof, as clients expect it (amazon-cognito-identity-js's sendMFACode
# answers DEVICE_SRP_AUTH): a remembered device skips MFA on its word, and proves itself next.
_AFTER_PASSWORD: tuple[Callable[[_SignIn], AuthOutcome | None], ...] = (
    _new_password_challenge,
    _mfa_challenge,
    _device_challenge,
)


def _signed_in(sign_in: _SignIn) -> AuthOutcome:
    for step in _AFTER_PASSWORD:
        outcome = step(sign_in)
        if outcome is not None:
            return outcome
    if sign_in.hosted:
        # A browser is no tracked device; the code's exchange issues the tokens.
        return AuthOutcome(signed_in_user=sign_in.user, amr=sign_in.amr, user=sign_in.user)
    device_key = sign_in.device_key
    new_device = None if device_key else device_track(user=sign_in.user)
    if new_device is not None:
        device_key = new_device.device_key
    result = tokens_issue(
        user=sign_in.user, client=sign_in.client, amr=sign_in.amr, device_key=device_key
    )
    if new_device is not None:
        result["NewDeviceMetadata"] = {
            "DeviceKey": new_device.device_key,
            "DeviceGroupKey": new_device.device_group_key,
        }
    return AuthOutcome(authentication_result=result, user=sign_in.user)


def _password_proved(sign_in: _SignIn) -> AuthOutcome:
    lockout_record_success(user=sign_in.user)
    _check_after_password(sign_in.user)
    return _signed_in(sign_in)


# --- flows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Start:
    client: AppClient
    flow: str
    parameters: Mapping[str, str]
    admin: bool
    hosted: bool = False
    # InitiateAuth's Session: ConfirmSignUp's, for USER_AUTH.
    session: str | None = None


def _start_password(start: _Start) -> AuthOutcome:
    """USER_PASSWORD_AUTH and ADMIN_USER_PASSWORD_AUTH: the password itself, checked against the
    stored hash."""
    username = _required(start.parameters, "USERNAME")
    password = _required(start.parameters, "PASSWORD")
    if not start.hosted:  # the hosted pages are this server: the client proves itself at /token
        _secret_hash_check(
            client=start.client,
            secret_hash=start.parameters.get("SECRET_HASH"),
            usernames=[username],
        )
    user = _user_resolve(client=start.client, username=username)
    return _password_sign_in(start, user=user, username=username, password=password)


def _password_sign_in(
    start: _Start, *, user: PoolUser | None, username: str, password: str
) -> AuthOutcome:
    """The password checked against the stored hash, for `user` (None: nobody of that name, and
    the client hides it)."""
    if user is None:
        # A wrong password for a user of that name: locked out alike, hashed alike, counted alike.
        lockout_check_unknown(pool=start.client.pool, username=username)
        password_check(user=None, password=password)
        lockout_record_failure_unknown(pool=start.client.pool, username=username)
        unknown_user_write(client=start.client)
        raise NotAuthorizedException(INCORRECT_CREDENTIALS)
    _check_before_password(user)
    if not password_check(user=user, password=password):
        lockout_record_failure(user=user)
        raise NotAuthorizedException(INCORRECT_CREDENTIALS)
    return _password_proved(
        _SignIn(
            client=start.client,
            user=user,
            admin=start.admin,
            device_key=start.parameters.get("DEVICE_KEY", ""),
            hosted=start.hosted,
        )
    )


def _srp_decoy(*, pool: UserPool, username: str) -> tuple[str, str, int]:
    """USER_ID_FOR_SRP, salt and verifier for a user who does not exist (or has no verifier yet):
    derived from a server secret and the name, so that asking twice gets the same salt, and
    indistinguishable from a real user's without that secret. No password matches them."""
    seed = digest(f"{pool.pool_id}/{pool.normalize_username(username)}", purpose=SRP_DECOY_PURPOSE)
    material = hashlib.shake_256(bytes.fromhex(seed)).digest(SALT_BYTES + N_BYTES + 16)
    salt = int.from_bytes(material[:SALT_BYTES], "big")
    verifier = int.from_bytes(material[SALT_BYTES : SALT_BYTES + N_BYTES], "big") % N
    # Pools that sign in with an email or phone number give every user a UUID as username.
    user_id = (
        str(uuid.UUID(bytes=material[-16:], version=4)) if pool.username_attributes else username
    )
    return user_id, pad_hex(salt), verifier


@functools.cache
def _srp_decoy_sealed(master_key: str) -> str:
    """A sealed verifier of the stored kind and size, for the unseal an unknown user costs too."""
    return seal(pad_hex(N - 1), purpose=SRP_VERIFIER_PURPOSE)


def _srp_material(
    *, client: AppClient, user: PoolUser | None, username: str
) -> tuple[str, str, int]:
    """USER_ID_FOR_SRP, SALT and the verifier for the PASSWORD_VERIFIER challenge. The decoy is
    derived and a verifier unsealed for every user, known or not, so that both take as long."""
    decoy_id, decoy_salt, decoy_verifier = _srp_decoy(pool=client.pool, username=username)
    sealed = user.srp_verifier_sealed if user is not None else ""
    unsealed = unseal_str(
        sealed or _srp_decoy_sealed(settings.COGNITOADMIN_MASTER_KEY), purpose=SRP_VERIFIER_PURPOSE
    )
    if user is None or not sealed:
        return (user.username if user else decoy_id), decoy_salt, decoy_verifier
    return user.username, user.srp_salt, int(unsealed, 16)


def _srp_public_a(srp_a: str) -> int:
    """The client's A, checked as SRP-6a requires."""
    try:
        public_a = int(srp_a, 16)
    except ValueError:
        raise InvalidParameterException("SRP_A must be a hexadecimal number.") from None
    if not srp_public_a_valid(public_a):
        raise InvalidParameterException("SRP_A is not a valid SRP value.")
    return public_a


def _srp_server_values(verifier: int) -> tuple[int, int]:
    """A fresh secret b and B = k·v + g^b for `verifier`."""
    private_b = srp_private_b_new()
    public_b = srp_public_b(verifier=verifier, private_b=private_b)
    while public_b == 0:  # SRP-6a forbids B = 0 mod N; another b fixes it
        private_b = srp_private_b_new()
        public_b = srp_public_b(verifier=verifier, private_b=private_b)
    return private_b, public_b


def _srp_signature_expected(
    *,
    verifier: int,
    state: Mapping[str, Any],
    pool_name: str,
    user_id: str,
    secret_block: str,
    timestamp: str,
) -> str:
    """The PASSWORD_CLAIM_SIGNATURE a client that knows the secret behind `verifier` sends, for
    the A, B and b a session's `state` holds ("" when the key is not defined)."""
    key = srp_session_key(
        verifier=verifier,
        public_a=int(state["a"], 16),
        public_b=int(state["B"], 16),
        private_b=int(state["b"], 16),
    )
    if key is None:
        return ""
    return srp_claim_signature(
        key=key,
        pool_name=pool_name,
        user_id_for_srp=user_id,
        secret_block=base64.b64decode(secret_block),
        timestamp=timestamp,
    )


def _start_srp(start: _Start) -> AuthOutcome:
    """USER_SRP_AUTH: answer the client's A with B, the salt and a SECRET_BLOCK to sign."""
    username = _required(start.parameters, "USERNAME")
    srp_a = _required(start.parameters, "SRP_A")
    _secret_hash_check(
        client=start.client, secret_hash=start.parameters.get("SECRET_HASH"), usernames=[username]
    )
    public_a = _srp_public_a(srp_a)
    user = _user_resolve(client=start.client, username=username)
    return _srp_begin(start, user=user, username=username, public_a=public_a)


def _srp_begin(
    start: _Start, *, user: PoolUser | None, username: str, public_a: int
) -> AuthOutcome:
    """PASSWORD_VERIFIER for the client's A: B, the salt and a SECRET_BLOCK to sign."""
    if user is None:
        lockout_check_unknown(pool=start.client.pool, username=username)
    else:
        _check_before_password(user)
        if (
            user.status == UserStatus.UNCONFIRMED
            and start.client.prevent_user_existence_errors != PreventUserExistenceErrors.ENABLED
        ):
            # AWS refuses an unconfirmed user here, before any proof, whatever the password:
            # amazon-cognito-identity-js#288 (AWS: intended), aws-amplify/amplify-swift#3053
            # (InitiateAuth's UserNotConfirmedException in a userSRP sign-in), moto's
            # test_initiate_auth_for_unconfirmed_user. A client that hides which users exist
            # answers unknown users with a challenge, so this one gets one too, and the proof
            # tells the rest (`_check_after_password`).
            raise UserNotConfirmedException()
    user_id, salt_hex, verifier = _srp_material(client=start.client, user=user, username=username)
    private_b, public_b = _srp_server_values(verifier)
    session = _session_open(
        client=start.client,
        user=user,
        challenge_name=PASSWORD_VERIFIER,
        admin=start.admin,
        state={
            "username": username,
            "user_id": user_id,
            "a": f"{public_a:x}",
            "b": f"{private_b:x}",
            "B": f"{public_b:x}",
        },
    )
    return AuthOutcome(
        challenge_name=PASSWORD_VERIFIER,
        session=session,
        challenge_parameters={
            "SALT": salt_hex,
            "SRP_B": f"{public_b:x}",
            "SECRET_BLOCK": session,
            "USERNAME": user_id,
            "USER_ID_FOR_SRP": user_id,
        },
    )


def _start_refresh(start: _Start) -> AuthOutcome:
    """REFRESH_TOKEN_AUTH / REFRESH_TOKEN: new ID and access tokens for the same sign-in."""
    refresh_token = _required(start.parameters, "REFRESH_TOKEN")
    owner = refresh_token_find(token=refresh_token)
    # Cognito hashes the internal username here; clients often hash the name they signed in with.
    names = [start.parameters.get("USERNAME"), *(_user_names(owner.user) if owner else [])]
    _secret_hash_check(
        client=start.client, secret_hash=start.parameters.get("SECRET_HASH"), usernames=names
    )
    return AuthOutcome(
        authentication_result=refresh_token_redeem(
            client=start.client,
            row=owner,
            rotate=False,
            device_key=start.parameters.get("DEVICE_KEY"),
        )
    )


def _start_not_available(start: _Start) -> AuthOutcome:
    raise UnsupportedOperationException(
        f"The {start.flow} flow is not available on this server yet."
    )


# --- choice-based sign-in (USER_AUTH) -------------------------------------------------------
#
# The user names themselves and proves it with one of the first factors the pool allows
# (SignInPolicy) and they have: their password (sent, or by SRP), a code sent to their verified
# email address or phone number, or a passkey. PREFERRED_CHALLENGE starts one at once (and falls
# back to the choice when the user lacks it); without it SELECT_CHALLENGE lists the choice.
#
# MFA: a password is followed by the MFA the user owes, as in every other flow. A one-time code
# is itself the proof of a second channel and is offered only to users who owe no MFA, as
# Cognito does; a passkey likewise, unless the pool counts passkeys with user verification as
# multi-factor (FactorConfiguration MULTI_FACTOR_WITH_USER_VERIFICATION), when such an assertion
# is the MFA too.
#
# With PreventUserExistenceErrors the choice is the pool's, the same for every name, and a
# factor a user lacks (or a name nobody has) gets a challenge that no answer passes, so that
# neither the list nor the next step tells who exists or what they have.

SELECT_CHALLENGE = "SELECT_CHALLENGE"
PASSWORD_CHALLENGE = "PASSWORD"  # noqa: S105
PASSWORD_SRP = "PASSWORD_SRP"  # noqa: S105
SMS_OTP = "SMS_OTP"
WEB_AUTHN = "WEB_AUTHN"
EMAIL_OTP = str(MfaFactor.EMAIL)
FIRST_FACTORS = (PASSWORD_CHALLENGE, PASSWORD_SRP, WEB_AUTHN, EMAIL_OTP, SMS_OTP)
# The code challenges of a first factor: the MFA factor whose delivery they share, and the
# response that carries the code.
_OTP_FACTORS: dict[str, tuple[MfaFactor, str]] = {
    EMAIL_OTP: (MfaFactor.EMAIL, "EMAIL_OTP_CODE"),
    SMS_OTP: (MfaFactor.SMS, "SMS_OTP_CODE"),
}
MULTI_FACTOR_WITH_USER_VERIFICATION = "MULTI_FACTOR_WITH_USER_VERIFICATION"
# The state of ConfirmSignUp's Session: no challenge anyone answers, a sign-in USER_AUTH completes.
SIGN_UP_CONFIRMED = "SIGN_UP_CONFIRMED"
# How each first factor proved the user (RFC 8176): a code by email ("otp"), by SMS ("sms"), a
# passkey ("hwk"), with user verification also a second factor ("mfa").
AMR_FOR_FIRST_FACTOR: dict[str, tuple[str, ...]] = {
    EMAIL_OTP: ("otp",),
    SMS_OTP: ("sms",),
    WEB_AUTHN: ("hwk",),
}
AMR_PASSKEY_VERIFIED = ("hwk", "mfa")


def auth_first_factors_offered(pool: UserPool) -> list[str]:
    """The first factors the pool offers, as challenge names (a password is sent or proved by
    SRP). Passkeys need a relying party: a pool with neither a relying party id nor a domain
    offers none."""
    allowed = set(pool.allowed_first_auth_factors)
    allowed |= {PASSWORD_SRP} if PASSWORD_CHALLENGE in allowed else set()
    if WEB_AUTHN in allowed:
        try:
            webauthn_relying_party_id(pool)
        except WebAuthnConfigurationMissingException:
            allowed.discard(WEB_AUTHN)
    return [factor for factor in FIRST_FACTORS if factor in allowed]


def _user_has_factor(user: PoolUser, factor: str) -> bool:
    """Whether `user` can sign in with `factor`, leaving aside whether the pool allows it."""
    if factor in (PASSWORD_CHALLENGE, PASSWORD_SRP):
        return bool(user.password)
    owes_mfa = mfa_owed(user=user) is not None
    if factor == WEB_AUTHN:
        passkeys_count_as_mfa = (
            user.pool.webauthn_factor_configuration == MULTI_FACTOR_WITH_USER_VERIFICATION
        )
        return webauthn_has_credentials(user=user) and (passkeys_count_as_mfa or not owes_mfa)
    if owes_mfa:
        return False
    if factor == EMAIL_OTP:
        return bool(user.email and user.email_verified)
    return bool(user.phone_number and user.phone_number_verified)


def _hides_users(client: AppClient) -> bool:
    return client.prevent_user_existence_errors == PreventUserExistenceErrors.ENABLED


def _first_factors_of(client: AppClient, user: PoolUser | None) -> list[str]:
    """AvailableChallenges: the pool's first factors that the user has; for every name alike when
    the client hides which users exist."""
    offered = auth_first_factors_offered(client.pool)
    if _hides_users(client):
        return offered
    assert user is not None  # noqa: S101 (only hidden clients sign in nobody)
    return [factor for factor in offered if _user_has_factor(user, factor)]


def _check_factor_allowed(pool: UserPool, factor: str, member: str) -> None:
    if factor not in FIRST_FACTORS:
        raise InvalidParameterException(f"{member} must be one of {', '.join(FIRST_FACTORS)}.")
    if factor not in auth_first_factors_offered(pool):
        raise InvalidParameterException(
            f"{factor} is not an allowed first authentication factor of this user pool."
        )


def _start_user_auth(start: _Start) -> AuthOutcome:
    """USER_AUTH: the user's first factor, the one they prefer or the one they choose."""
    username = _required(start.parameters, "USERNAME")
    preferred = start.parameters.get("PREFERRED_CHALLENGE")
    if preferred is not None:
        _check_factor_allowed(start.client.pool, preferred, "PREFERRED_CHALLENGE")
    if not start.hosted:  # the hosted pages are this server: the client proves itself at /token
        _secret_hash_check(
            client=start.client,
            secret_hash=start.parameters.get("SECRET_HASH"),
            usernames=[username],
        )
    if start.session:
        return _sign_up_session_sign_in(start, username)
    user = _user_resolve(client=start.client, username=username)
    _check_before_first_factor(start.client, user, username)
    available = _first_factors_of(start.client, user)
    if preferred in available:
        return _first_factor_begin(
            start, user=user, username=username, factor=preferred, values=start.parameters
        )
    session = _session_open(
        client=start.client,
        user=user,
        challenge_name=SELECT_CHALLENGE,
        admin=start.admin,
        state={"username": username, "available": available, "hosted": start.hosted},
    )
    return AuthOutcome(
        challenge_name=SELECT_CHALLENGE, session=session, available_challenges=tuple(available)
    )


def auth_sign_up_session(*, client: AppClient, user: PoolUser, medium: str) -> str:
    """ConfirmSignUp's Session: the code that confirmed the sign-up came through the user's email
    or phone (`medium`), which USER_AUTH takes as their first factor, once, from the same client,
    within the client's AuthSessionValidity."""
    return _session_open(
        client=client,
        user=user,
        challenge_name=SIGN_UP_CONFIRMED,
        admin=False,
        state={"amr": list(AMR_FOR_FIRST_FACTOR[SMS_OTP if medium == "SMS" else EMAIL_OTP])},
    )


def _sign_up_session_sign_in(start: _Start, username: str) -> AuthOutcome:
    """USER_AUTH with ConfirmSignUp's Session: signed in by the sign-up's code, with the MFA the
    user owes still to come."""
    assert start.session is not None  # noqa: S101 (the caller's condition)
    row = (
        AuthSession.objects.select_related("user__pool")
        .filter(
            session_digest=digest(start.session, purpose=SESSION_DIGEST_PURPOSE),
            client=start.client,
            challenge_name=SIGN_UP_CONFIRMED,
        )
        .first()
    )
    if row is None or row.user is None:
        raise NotAuthorizedException(SESSION_INVALID)
    pending = _session_open_row(row)
    user = row.user
    normalize = user.pool.normalize_username
    if pending.state.get("admin") != start.admin or normalize(username) not in {
        normalize(name) for name in _user_names(user) if name
    }:
        raise NotAuthorizedException(SESSION_INVALID)
    _check_before_password(user)
    _check_after_password(user)
    _session_consume(pending)
    amr = tuple(pending.state["amr"]) if mfa_owed(user=user) is None else ()
    return _signed_in(
        _SignIn(client=start.client, user=user, admin=start.admin, amr=amr, hosted=start.hosted)
    )


def _first_factor_begin(
    start: _Start,
    *,
    user: PoolUser | None,
    username: str,
    factor: str,
    values: Mapping[str, str],
) -> AuthOutcome:
    """Start `factor`, one of the user's AvailableChallenges, with what `values` (AuthParameters,
    or the answer to SELECT_CHALLENGE) carry for it: PASSWORD, SRP_A."""
    has_factor = user is not None and _user_has_factor(user, factor)
    if factor == PASSWORD_CHALLENGE:
        return _password_sign_in(
            start, user=user, username=username, password=_required(values, "PASSWORD")
        )
    if factor == PASSWORD_SRP:
        public_a = _srp_public_a(_required(values, "SRP_A"))
        return _srp_begin(start, user=user, username=username, public_a=public_a)
    state: dict[str, Any] = {"username": username, "first_factor": factor, "hosted": start.hosted}
    parameters: dict[str, str] = {}
    if factor == WEB_AUTHN:
        # A client that hides who exists names no credential: passkeys are discoverable (the
        # registration asks for a resident key), and a list of ids would tell who has one.
        named = has_factor and not _hides_users(start.client)
        options, state["challenge"] = webauthn_authentication_options(
            pool=start.client.pool, user=user if named else None
        )
        parameters["CREDENTIAL_REQUEST_OPTIONS"] = json.dumps(options, separators=(",", ":"))
    else:
        mfa_factor, _response = _OTP_FACTORS[factor]
        if has_factor:
            assert user is not None  # noqa: S101 (has_factor)
            state["code"], details = mfa_code_send(user=user, factor=mfa_factor)
        else:
            # No code goes out and none matches: a digest of nothing anyone was sent.
            state["code"] = secrets.token_hex(32)
            details = code_delivery_simulated_for_sign_in(
                client=start.client, username=username, medium=MEDIUM_FOR_FACTOR[mfa_factor]
            )
        parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] = details["DeliveryMedium"]
        parameters["CODE_DELIVERY_DESTINATION"] = details["Destination"]
    session = _session_open(
        client=start.client,
        user=user,
        challenge_name=factor,
        admin=start.admin,
        state={**state, "device_key": start.parameters.get("DEVICE_KEY", "")},
    )
    return AuthOutcome(challenge_name=factor, session=session, challenge_parameters=parameters)


def _check_before_first_factor(client: AppClient, user: PoolUser | None, username: str) -> None:
    """States that refuse a sign-in whatever the factor; for a name nobody has (where the client
    hides it), the lockout kept for that name, as the password flows check it."""
    if user is None:
        lockout_check_unknown(pool=client.pool, username=username)
    else:
        _check_before_password(user)


def _first_factor_pending(answer: _Answer, challenge_name: str) -> tuple[_Pending, PoolUser | None]:
    """The session of a USER_AUTH step (for nobody, where the client hides who exists), with the
    checks of `_answered` and of `_check_before_first_factor`."""
    pending, user = _answered(answer, challenge_name)
    _check_before_first_factor(answer.client, user, pending.state["username"])
    return pending, user


def _answer_select_challenge(answer: _Answer, choice: str | None = None) -> AuthOutcome:
    """SELECT_CHALLENGE: ANSWER names one of the AvailableChallenges, with what it needs
    (PASSWORD, SRP_A); a code or passkey challenge follows, or the password's outcome. PASSWORD and
    PASSWORD_SRP answer the same session when the choice came without its value."""
    pending, user = _first_factor_pending(answer, SELECT_CHALLENGE)
    choice = choice or _required(answer.responses, "ANSWER")
    available = pending.state["available"]
    if choice not in available:
        raise InvalidParameterException(f"ANSWER must be one of {', '.join(available)}.")
    username = pending.state["username"]
    start = _Start(
        client=answer.client,
        flow="USER_AUTH",
        parameters=answer.responses,
        admin=answer.admin,
        hosted=answer.hosted,
    )
    needed = {PASSWORD_CHALLENGE: "PASSWORD", PASSWORD_SRP: "SRP_A"}.get(choice)
    _session_consume(pending)
    if needed and not answer.responses.get(needed):
        # The password is asked for next, through a session that takes the same choice again.
        session = _session_open(
            client=answer.client,
            user=user,
            challenge_name=SELECT_CHALLENGE,
            admin=answer.admin,
            state=pending.state,
        )
        return AuthOutcome(challenge_name=choice, session=session)
    return _first_factor_begin(
        start, user=user, username=username, factor=choice, values=answer.responses
    )


def _answer_password_choice(answer: _Answer) -> AuthOutcome:
    return _answer_select_challenge(answer, PASSWORD_CHALLENGE)


def _answer_password_srp_choice(answer: _Answer) -> AuthOutcome:
    return _answer_select_challenge(answer, PASSWORD_SRP)


def _first_factor_proved(
    answer: _Answer, pending: _Pending, user: PoolUser, amr: tuple[str, ...]
) -> AuthOutcome:
    _check_after_password(user)
    return _signed_in(
        _SignIn(
            client=answer.client,
            user=user,
            admin=answer.admin,
            amr=amr,
            device_key=pending.state.get("device_key", ""),
            hosted=answer.hosted,
        )
    )


def _answer_otp(answer: _Answer, challenge_name: str) -> AuthOutcome:
    """EMAIL_OTP or SMS_OTP as a first factor: the code, within the session's tries."""
    pending, user = _first_factor_pending(answer, challenge_name)
    return _otp_checked(answer, pending, user, challenge_name)


def _otp_checked(
    answer: _Answer, pending: _Pending, user: PoolUser | None, challenge_name: str
) -> AuthOutcome:
    """The code of a first factor's challenge, whose session `_first_factor_pending` found. A
    user who has come to owe MFA since the code was offered is asked for it next."""
    factor, response = _OTP_FACTORS[challenge_name]
    code = _required(answer.responses, response)
    _session_attempt(pending)
    if user is None or not mfa_code_matches(
        user=user, code=code, expected_digest=pending.state["code"]
    ):
        raise CodeMismatchException(CODE_MISMATCH)
    with transaction.atomic():
        _session_consume(pending)
        mfa_factor_proved(user=user, factor=factor)
    amr = AMR_FOR_FIRST_FACTOR[challenge_name] if mfa_owed(user=user) is None else ()
    return _first_factor_proved(answer, pending, user, amr)


def _answer_sms_otp(answer: _Answer) -> AuthOutcome:
    return _answer_otp(answer, SMS_OTP)


def _answer_web_authn(answer: _Answer) -> AuthOutcome:
    """WEB_AUTHN: the passkey's assertion (CREDENTIAL, AuthenticationResponseJSON) for the
    challenge the session holds. Used up whatever the outcome: a challenge is signed once."""
    pending, user = _first_factor_pending(answer, WEB_AUTHN)
    credential = _required(answer.responses, "CREDENTIAL")
    _session_consume(pending)
    if user is None or not webauthn_has_credentials(user=user):
        raise NotAuthorizedException(PASSKEY_REFUSED)
    try:
        verified = webauthn_authentication_verify(
            user=user, credential=credential, challenge=pending.state["challenge"]
        )
    except (NotAuthorizedException, InvalidParameterException):
        if _hides_users(answer.client):
            # Why it failed would tell that the name is a user's, and one with a passkey.
            raise NotAuthorizedException(PASSKEY_REFUSED) from None
        raise
    counts_as_mfa = verified and (
        user.pool.webauthn_factor_configuration == MULTI_FACTOR_WITH_USER_VERIFICATION
    )
    if mfa_owed(user=user) is not None and not counts_as_mfa:
        # Offered to such a user only as their MFA too, which an assertion without user
        # verification is not.
        raise NotAuthorizedException(PASSKEY_NOT_MULTI_FACTOR)
    return _first_factor_proved(
        answer,
        pending,
        user,
        AMR_PASSKEY_VERIFIED if counts_as_mfa else AMR_FOR_FIRST_FACTOR[WEB_AUTHN],
    )


def auth_factors_configured(*, user: PoolUser) -> list[str]:
    """GetUserAuthFactors' ConfiguredUserAuthFactors: the first factors of USER_AUTH that the
    pool allows and the user has set up (a password, a verified email address or phone number, a
    passkey), whether or not their MFA lets them use one today."""
    pool_factors = set(user.pool.allowed_first_auth_factors)
    configured = {
        PASSWORD_CHALLENGE: bool(user.password),
        EMAIL_OTP: bool(user.email and user.email_verified),
        SMS_OTP: bool(user.phone_number and user.phone_number_verified),
        WEB_AUTHN: webauthn_has_credentials(user=user),
    }
    return [factor for factor, has in configured.items() if has and factor in pool_factors]


@dataclass(frozen=True)
class _Flow:
    start: Callable[[_Start], AuthOutcome]
    # The ExplicitAuthFlows values that enable the flow.
    enabled_by: frozenset[str]
    initiate: bool = True  # InitiateAuth accepts it
    admin_initiate: bool = True  # AdminInitiateAuth accepts it
    # Before ALLOW_* names existed, SRP and refresh needed no switch (unless custom auth only).
    legacy_default: bool = False


_PASSWORD_ADMIN = _Flow(
    _start_password,
    frozenset({"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"}),
    initiate=False,
)
_REFRESH = _Flow(_start_refresh, frozenset({"ALLOW_REFRESH_TOKEN_AUTH"}), legacy_default=True)
_FLOWS: dict[str, _Flow] = {
    "USER_PASSWORD_AUTH": _Flow(
        _start_password,
        frozenset({"ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"}),
        admin_initiate=False,
    ),
    "ADMIN_USER_PASSWORD_AUTH": _PASSWORD_ADMIN,
    "ADMIN_NO_SRP_AUTH": _PASSWORD_ADMIN,
    "USER_SRP_AUTH": _Flow(_start_srp, frozenset({"ALLOW_USER_SRP_AUTH"}), legacy_default=True),
    "REFRESH_TOKEN_AUTH": _REFRESH,
    "REFRESH_TOKEN": _REFRESH,
    "CUSTOM_AUTH": _Flow(
        _start_not_available, frozenset({"ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"})
    ),
    "USER_AUTH": _Flow(_start_user_auth, frozenset({"ALLOW_USER_AUTH"})),
}


def _flow_enabled(client: AppClient, spec: _Flow, flow: str) -> bool:
    explicit = set(client.explicit_auth_flows)
    if explicit & spec.enabled_by:
        return True
    legacy_client = LEGACY_AUTH_FLOWS.issuperset(explicit)
    custom_only = "CUSTOM_AUTH_FLOW_ONLY" in explicit
    return spec.legacy_default and legacy_client and not (custom_only and flow == "USER_SRP_AUTH")


# A sign-in that ends with one of these failed (a wrong password or code, a user who may not sign
# in); others (a malformed request, a client that does not allow the flow) are no sign-in.
_SIGN_IN_FAILURES = (
    NotAuthorizedException,
    UserNotFoundException,
    UserNotConfirmedException,
    PasswordResetRequiredException,
    CodeMismatchException,
)


def _logged(
    *,
    client: AppClient,
    username: str,
    ip_address: str,
    request_id: str,
    outcome: Callable[[], AuthOutcome],
) -> AuthOutcome:
    """`outcome()`, with its user activity log: Pass once tokens are due, Fail on a failure;
    a challenge on the way logs nothing yet."""
    log = partial(
        auth_event_log,
        client=client,
        username=username,
        ip_address=ip_address,
        request_id=request_id,
    )
    try:
        result = outcome()
    except _SIGN_IN_FAILURES:
        log(user=None, response="Fail")
        raise
    if result.user is not None:
        log(user=result.user, response="Pass")
    return result


def auth_initiate(
    *,
    client: AppClient,
    flow: str,
    parameters: Mapping[str, str],
    admin: bool,
    client_metadata: Mapping[str, str] | None = None,
    session: str | None = None,
    ip_address: str = "",
    request_id: str = "",
) -> AuthOutcome:
    """InitiateAuth (`admin` False) or AdminInitiateAuth (`admin` True) with `flow` and its
    AuthParameters. `client_metadata` is for Lambda triggers, which this server does not run.
    `session` is ConfirmSignUp's, which only USER_AUTH takes. `ip_address` and `request_id`,
    the call's, go into the user activity log."""
    spec = _FLOWS.get(flow)
    if spec is None:
        raise InvalidParameterException(f"{flow} is not a valid AuthFlow.")
    if not (spec.admin_initiate if admin else spec.initiate):
        raise InvalidParameterException("Initiate Auth method not supported.")
    if not _flow_enabled(client, spec, flow):
        raise InvalidParameterException(f"{flow} flow not enabled for this client")
    start = _Start(
        client=client,
        flow=flow,
        parameters=parameters,
        admin=admin,
        session=session if flow == "USER_AUTH" else None,
    )
    if spec is _REFRESH:
        return spec.start(start)  # a refresh is no sign-in
    return _logged(
        client=client,
        username=parameters.get("USERNAME", ""),
        ip_address=ip_address,
        request_id=request_id,
        outcome=partial(spec.start, start),
    )


def auth_hosted_sign_in(
    *, client: AppClient, username: str, password: str, ip_address: str = ""
) -> AuthOutcome:
    """The hosted `/login` page's sign-in: USER_PASSWORD_AUTH's own start (lockout, disabled and
    unconfirmed users, PreventUserExistenceErrors, the same hash work), then the same challenges,
    answered through `auth_respond(hosted=True)`. ExplicitAuthFlows govern the API, not the hosted
    pages (as in Cognito), and no SECRET_HASH is asked: the client authenticates at /oauth2/token.
    """
    parameters = {"USERNAME": username, "PASSWORD": password}
    start = _Start(
        client=client, flow="USER_PASSWORD_AUTH", parameters=parameters, admin=False, hosted=True
    )
    return _logged(
        client=client,
        username=username,
        ip_address=ip_address,
        request_id="",
        outcome=partial(_start_password, start),
    )


def auth_hosted_first_factor(
    *, client: AppClient, username: str, factor: str, ip_address: str = ""
) -> AuthOutcome:
    """The hosted `/login` page's sign-in without a password: USER_AUTH's own start with `factor`
    (EMAIL_OTP, SMS_OTP or WEB_AUTHN) preferred, whose challenge is answered through
    `auth_respond(hosted=True)`. As for `auth_hosted_sign_in`, the pool's SignInPolicy governs the
    hosted pages, not the client's ExplicitAuthFlows. A user who lacks the factor gets
    SELECT_CHALLENGE, with what they have."""
    parameters = {"USERNAME": username, "PREFERRED_CHALLENGE": factor}
    start = _Start(client=client, flow="USER_AUTH", parameters=parameters, admin=False, hosted=True)
    return _logged(
        client=client,
        username=username,
        ip_address=ip_address,
        request_id="",
        outcome=partial(_start_user_auth, start),
    )


# --- challenges -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    client: AppClient
    session: str | None
    responses: Mapping[str, str]
    admin: bool
    hosted: bool = False


def _answer_password_verifier(answer: _Answer) -> AuthOutcome:
    """PASSWORD_VERIFIER: check the client's proof that it knows the password behind the
    verifier. The session is used up whatever the outcome: b is never used twice."""
    responses = answer.responses
    username = _required(responses, "USERNAME")
    secret_block = _required(responses, "PASSWORD_CLAIM_SECRET_BLOCK")
    signature = _required(responses, "PASSWORD_CLAIM_SIGNATURE")
    timestamp = _required(responses, "TIMESTAMP")
    if answer.session is not None and answer.session != secret_block:
        raise NotAuthorizedException(SESSION_INVALID)
    pending = _session_find(
        client=answer.client,
        token=secret_block,
        challenge_name=PASSWORD_VERIFIER,
        admin=answer.admin,
    )
    state, user = pending.state, pending.row.user
    # Clients name their device in this answer. An unknown one is refused before the session is
    # used, so that the client's retry without it (Amplify's, amazon-cognito-identity-js's) works.
    device_key = responses.get("DEVICE_KEY", "")
    if device_key and user is not None:
        device_get(user=user, device_key=device_key)
    _session_consume(pending)
    _secret_hash_check(
        client=answer.client,
        secret_hash=responses.get("SECRET_HASH"),
        usernames=[
            username,
            state["username"],
            state["user_id"],
            *(_user_names(user) if user else []),
        ],
    )
    normalize = answer.client.pool.normalize_username
    if normalize(username) not in {normalize(state["user_id"]), normalize(state["username"])}:
        raise NotAuthorizedException(INCORRECT_CREDENTIALS)
    # The user may have been disabled or locked out since the challenge was sent.
    if user is None:
        lockout_check_unknown(pool=answer.client.pool, username=state["username"])
    else:
        _check_before_password(user)
    _user_id, _salt, verifier = _srp_material(
        client=answer.client, user=user, username=state["username"]
    )
    expected = _srp_signature_expected(
        verifier=verifier,
        state=state,
        pool_name=srp_pool_name(answer.client.pool.pool_id),
        user_id=state["user_id"],
        secret_block=secret_block,
        timestamp=timestamp,
    )
    matches = hmac.compare_digest(expected.encode(), signature.encode())
    if user is None:
        # No proof matches a decoy verifier: a wrong password, counted for the name tried.
        lockout_record_failure_unknown(pool=answer.client.pool, username=state["username"])
        unknown_user_write(client=answer.client)
        raise NotAuthorizedException(INCORRECT_CREDENTIALS)
    if not matches:
        lockout_record_failure(user=user)
        raise NotAuthorizedException(INCORRECT_CREDENTIALS)
    return _password_proved(
        _SignIn(client=answer.client, user=user, admin=answer.admin, device_key=device_key)
    )


def _answer_new_password(answer: _Answer) -> AuthOutcome:
    """NEW_PASSWORD_REQUIRED: the user's own password replaces the temporary one, with any
    attributes given as `userAttributes.<name>`; the user is then CONFIRMED. A refused password
    or attribute leaves the session open, so the user can try again."""
    responses = answer.responses
    if not answer.session:
        raise InvalidParameterException("Missing required parameter Session")
    new_password = _required(responses, "NEW_PASSWORD")
    pending, user = _continued(answer, NEW_PASSWORD_REQUIRED)
    if user.status != UserStatus.FORCE_CHANGE_PASSWORD:
        # An administrator set a password meanwhile: this challenge no longer applies.
        raise NotAuthorizedException(SESSION_INVALID)
    password_validate(pool=user.pool, password=new_password)
    attributes = {
        name.removeprefix(USER_ATTRIBUTE_PREFIX): value
        for name, value in responses.items()
        if name.startswith(USER_ATTRIBUTE_PREFIX)
    }
    app_client_check_write_attributes(client=answer.client, names=attributes)
    attributes_validate(pool=user.pool, attributes=attributes, creating=False, admin=False)
    missing = _missing_required(user, attributes)
    if missing:
        raise InvalidParameterException(
            f"Invalid attributes given, {' and '.join(missing)} is missing"
        )
    with transaction.atomic():
        _session_consume(pending)
        if attributes:
            user_update_attributes(user=user, attributes=attributes)
        # Signing in: the sessions of the temporary password are the ones being made.
        password_replace(user=user, password=new_password, sign_out=False)
    return _signed_in(_resumed(pending, client=answer.client, admin=answer.admin))


# --- MFA answers ----------------------------------------------------------------------------


def _answered(
    answer: _Answer, challenge_name: str, token: str | None = None
) -> tuple[_Pending, PoolUser | None]:
    """The session an answer continues (`token`, or the Session), its user, and the checks every
    answer after the first step passes: USERNAME naming the user the sign-in began for,
    SECRET_HASH, and a user who is not disabled."""
    token = token or answer.session
    if not token:
        raise InvalidParameterException("Missing required parameter Session")
    username = _required(answer.responses, "USERNAME")
    pending = _session_find(
        client=answer.client,
        token=token,
        challenge_name=challenge_name,
        admin=answer.admin,
        hosted=answer.hosted,
    )
    user = pending.row.user
    names = [pending.state.get("username"), *(_user_names(user) if user else [])]
    if not answer.hosted:
        _secret_hash_check(
            client=answer.client,
            secret_hash=answer.responses.get("SECRET_HASH"),
            usernames=[username, *names],
        )
    normalize = answer.client.pool.normalize_username
    if normalize(username) not in {normalize(name) for name in names if name}:
        raise NotAuthorizedException(INCORRECT_CREDENTIALS)
    if user is not None and not user.enabled:
        raise NotAuthorizedException(USER_DISABLED)
    return pending, user


def _continued(
    answer: _Answer, challenge_name: str, token: str | None = None
) -> tuple[_Pending, PoolUser]:
    """`_answered`, for a step after the password: it has a user."""
    pending, user = _answered(answer, challenge_name, token)
    if user is None:
        raise NotAuthorizedException(SESSION_INVALID)
    return pending, user


def _answer_factor(answer: _Answer, factor: MfaFactor) -> AuthOutcome:
    """SMS_MFA, EMAIL_OTP and SOFTWARE_TOKEN_MFA: the code, within the session's tries. A wrong
    code leaves the session open for another try; the right one ends it with tokens."""
    pending, user = _continued(answer, factor)
    return _factor_checked(answer, pending, user, factor)


def _factor_checked(
    answer: _Answer, pending: _Pending, user: PoolUser, factor: MfaFactor
) -> AuthOutcome:
    """The code of an MFA challenge, whose session `_continued` found."""
    code = _required(answer.responses, CODE_RESPONSES[factor])
    _session_attempt(pending)
    if factor == MfaFactor.SOFTWARE_TOKEN:
        software_token_check(user=user, code=code)
    elif not mfa_code_matches(user=user, code=code, expected_digest=pending.state["code"]):
        raise CodeMismatchException(CODE_MISMATCH)
    with transaction.atomic():
        _session_consume(pending)
        mfa_factor_proved(user=user, factor=factor)
    sign_in = _resumed(
        pending,
        client=answer.client,
        admin=answer.admin,
        amr=AMR_FOR_FACTOR[factor],
        session_token=answer.session or "",
    )
    return _signed_in(sign_in)


def _answer_sms(answer: _Answer) -> AuthOutcome:
    return _answer_factor(answer, MfaFactor.SMS)


def _answer_email(answer: _Answer) -> AuthOutcome:
    """EMAIL_OTP: the code of email MFA, or of a USER_AUTH sign-in that began with it (one name
    serves two challenges; the session's sealed state tells which)."""
    pending, user = _answered(answer, EMAIL_OTP)
    if "first_factor" in pending.state:
        _check_before_first_factor(answer.client, user, pending.state["username"])
        return _otp_checked(answer, pending, user, EMAIL_OTP)
    if user is None:
        raise NotAuthorizedException(SESSION_INVALID)
    return _factor_checked(answer, pending, user, MfaFactor.EMAIL)


def _answer_software_token(answer: _Answer) -> AuthOutcome:
    return _answer_factor(answer, MfaFactor.SOFTWARE_TOKEN)


def _answer_select_mfa_type(answer: _Answer) -> AuthOutcome:
    """SELECT_MFA_TYPE: ANSWER names one of the factors offered, whose challenge follows."""
    pending, _user = _continued(answer, SELECT_MFA_TYPE)
    choice = _required(answer.responses, "ANSWER")
    # Cognito's clients name the email factor EMAIL_MFA here, and EMAIL_OTP elsewhere.
    choice = MfaFactor.EMAIL if choice == "EMAIL_MFA" else choice
    if choice not in pending.state["factors"]:
        raise InvalidParameterException(
            f"ANSWER must be one of {', '.join(pending.state['factors'])}."
        )
    _session_consume(pending)
    return _factor_challenge(
        _resumed(pending, client=answer.client, admin=answer.admin), MfaFactor(choice)
    )


def _answer_mfa_setup(answer: _Answer) -> AuthOutcome:
    """MFA_SETUP: after VerifySoftwareToken has enabled an authenticator through this session,
    the sign-in ends with tokens; with EMAIL (where the pool offers email MFA) that address gets
    email MFA and an EMAIL_OTP challenge follows."""
    pending, user = _continued(answer, MFA_SETUP)
    if pending.state.get("software_token_verified"):
        _session_consume(pending)
        amr = AMR_FOR_FACTOR[MfaFactor.SOFTWARE_TOKEN]
        return _signed_in(_resumed(pending, client=answer.client, admin=answer.admin, amr=amr))
    email = answer.responses.get("EMAIL")
    if email is None or MfaFactor.EMAIL not in pending.state["factors"]:
        raise InvalidParameterException(
            "Set up an MFA factor first: VerifySoftwareToken with this session, or EMAIL."
        )
    with transaction.atomic():
        _session_consume(pending)
        if email != user.email:
            attributes = {"email": email}
            app_client_check_write_attributes(client=answer.client, names=attributes)
            attributes_validate(pool=user.pool, attributes=attributes, creating=False, admin=False)
            user_update_attributes(user=user, attributes=attributes)
        mfa_preference_set(
            user=user, preferences={"EmailMfaSettings": {"Enabled": True, "PreferredMfa": True}}
        )
        return _factor_challenge(
            _resumed(pending, client=answer.client, admin=answer.admin), MfaFactor.EMAIL
        )


# --- device answers -------------------------------------------------------------------------


def _answer_device_srp(answer: _Answer) -> AuthOutcome:
    """DEVICE_SRP_AUTH: the device's A; B, the device's salt and a SECRET_BLOCK come back as
    DEVICE_PASSWORD_VERIFIER."""
    pending, user = _continued(answer, DEVICE_SRP_AUTH)
    device_key = _required(answer.responses, "DEVICE_KEY")
    public_a = _srp_public_a(_required(answer.responses, "SRP_A"))
    if device_key != pending.state["device_key"]:
        raise NotAuthorizedException(SESSION_INVALID)
    salt_hex, verifier = device_srp_material(device_get(user=user, device_key=device_key))
    private_b, public_b = _srp_server_values(verifier)
    _session_consume(pending)
    session = _session_open(
        client=answer.client,
        user=user,
        challenge_name=DEVICE_PASSWORD_VERIFIER,
        admin=answer.admin,
        state={
            **pending.state,
            "a": f"{public_a:x}",
            "b": f"{private_b:x}",
            "B": f"{public_b:x}",
        },
    )
    return AuthOutcome(
        challenge_name=DEVICE_PASSWORD_VERIFIER,
        session=session,
        challenge_parameters={
            "SRP_B": f"{public_b:x}",
            "SALT": salt_hex,
            "SECRET_BLOCK": session,
            "USERNAME": user.username,
            "DEVICE_KEY": device_key,
        },
    )


def _answer_device_password_verifier(answer: _Answer) -> AuthOutcome:
    """DEVICE_PASSWORD_VERIFIER: the device's proof, exactly as PASSWORD_VERIFIER's with the
    group key as pool name and the device key as user id. Used up whatever the outcome."""
    responses = answer.responses
    secret_block = _required(responses, "PASSWORD_CLAIM_SECRET_BLOCK")
    signature = _required(responses, "PASSWORD_CLAIM_SIGNATURE")
    timestamp = _required(responses, "TIMESTAMP")
    if answer.session is not None and answer.session != secret_block:
        raise NotAuthorizedException(SESSION_INVALID)
    pending, user = _continued(answer, DEVICE_PASSWORD_VERIFIER, token=secret_block)
    _session_consume(pending)
    device = device_get(user=user, device_key=pending.state["device_key"])
    _salt, verifier = device_srp_material(device)
    expected = _srp_signature_expected(
        verifier=verifier,
        state=pending.state,
        pool_name=device.device_group_key,
        user_id=device.device_key,
        secret_block=secret_block,
        timestamp=timestamp,
    )
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise NotAuthorizedException(INCORRECT_CREDENTIALS)
    device_authenticated(device=device)
    return _signed_in(
        _resumed(pending, client=answer.client, admin=answer.admin, device_proved=True)
    )


def _setup_session(token: str | None) -> _Pending:
    """The MFA_SETUP session AssociateSoftwareToken or VerifySoftwareToken names. These calls
    name no app client: the session is bound to its own."""
    if not token:
        raise InvalidParameterException("Either AccessToken or Session must be given.")
    row = (
        AuthSession.objects.select_related("user__pool", "client__pool")
        .filter(session_digest=digest(token, purpose=SESSION_DIGEST_PURPOSE))
        .first()
    )
    if row is None or row.user is None:
        raise NotAuthorizedException(SESSION_INVALID)
    pending = _session_open_row(row)
    if row.challenge_name != MFA_SETUP or MfaFactor.SOFTWARE_TOKEN not in pending.state["factors"]:
        raise NotAuthorizedException(SESSION_INVALID)
    return pending


def _setup_session_next(pending: _Pending, **state: Any) -> str:
    """Use up `pending` and open the MFA_SETUP session that follows it."""
    _session_consume(pending)
    assert pending.row.user is not None  # noqa: S101 (checked by _setup_session)
    return _session_open(
        client=pending.row.client,
        user=pending.row.user,
        challenge_name=MFA_SETUP,
        admin=pending.state["admin"],
        state={**pending.state, **state},
    )


@dataclass(frozen=True)
class SoftwareTokenAssociation:
    secret: str
    session: str
    # What the user's authenticator app scans (the hosted MFA set-up page shows it as a QR code).
    otpauth_uri: str


@transaction.atomic
def auth_software_token_associate(*, session: str | None) -> SoftwareTokenAssociation:
    """AssociateSoftwareToken with the Session of an MFA_SETUP challenge: a secret for the user's
    authenticator and the session to verify it with."""
    pending = _setup_session(session)
    assert pending.row.user is not None  # noqa: S101 (checked by _setup_session)
    user = pending.row.user
    secret = software_token_associate(user=user)
    return SoftwareTokenAssociation(
        secret=secret,
        session=_setup_session_next(pending),
        otpauth_uri=software_token_otpauth_uri(user=user, secret=secret),
    )


def auth_software_token_verify(*, session: str | None, code: str, friendly_name: str) -> str:
    """VerifySoftwareToken with the Session AssociateSoftwareToken gave: the code turns the
    authenticator on, and the session returned answers MFA_SETUP. A wrong code takes one of the
    session's tries."""
    pending = _setup_session(session)
    assert pending.row.user is not None  # noqa: S101 (checked by _setup_session)
    _session_attempt(pending)
    software_token_verify(user=pending.row.user, code=code, friendly_name=friendly_name)
    with transaction.atomic():
        return _setup_session_next(pending, software_token_verified=True)


_CHALLENGES: dict[str, Callable[[_Answer], AuthOutcome]] = {
    PASSWORD_VERIFIER: _answer_password_verifier,
    NEW_PASSWORD_REQUIRED: _answer_new_password,
    MfaFactor.SMS: _answer_sms,
    MfaFactor.EMAIL: _answer_email,
    MfaFactor.SOFTWARE_TOKEN: _answer_software_token,
    SELECT_MFA_TYPE: _answer_select_mfa_type,
    MFA_SETUP: _answer_mfa_setup,
    DEVICE_SRP_AUTH: _answer_device_srp,
    DEVICE_PASSWORD_VERIFIER: _answer_device_password_verifier,
    SELECT_CHALLENGE: _answer_select_challenge,
    PASSWORD_CHALLENGE: _answer_password_choice,
    PASSWORD_SRP: _answer_password_srp_choice,
    SMS_OTP: _answer_sms_otp,
    WEB_AUTHN: _answer_web_authn,
}


def auth_respond(
    *,
    client: AppClient,
    challenge_name: str,
    session: str | None,
    responses: Mapping[str, str],
    admin: bool,
    hosted: bool = False,
    ip_address: str = "",
    request_id: str = "",
) -> AuthOutcome:
    """RespondToAuthChallenge (`admin` False) or AdminRespondToAuthChallenge (`admin` True), or
    the hosted pages' answer to a challenge of `auth_hosted_sign_in` (`hosted` True)."""
    handler = _CHALLENGES.get(challenge_name)
    if handler is None:
        # RespondToAuthChallenge has no UnsupportedOperationException: its error for this.
        raise InvalidParameterException(
            f"The {challenge_name} challenge is not available on this server yet."
        )
    answer = _Answer(
        client=client, session=session, responses=responses, admin=admin, hosted=hosted
    )
    return _logged(
        client=client,
        username=responses.get("USERNAME", ""),
        ip_address=ip_address,
        request_id=request_id,
        outcome=partial(handler, answer),
    )
