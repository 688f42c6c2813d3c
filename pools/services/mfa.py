"""MFA for pool users: the factors a user has and prefers, authenticator apps (TOTP) and the
one-time codes that SMS and email carry during a sign-in.

The sign-in state machine (`auth.py`) asks `mfa_owed` which challenge a signed-in user still
owes, and checks answers here. The rules, as Cognito applies them:

- A pool with MfaConfiguration OFF asks for nothing. Otherwise a factor counts when the pool
  allows it (SetUserPoolMfaConfig) and the user has turned it on (SetUserMFAPreference, the legacy
  SetUserSettings, or VerifySoftwareToken), with a phone number for SMS, an email address for
  email and a verified authenticator for TOTP. Federated users are never asked.
- One factor: its challenge. Several: the preferred one, or SELECT_MFA_TYPE without a preference.
- None, in an OPTIONAL pool: no MFA. None, in an ON pool: SMS to the user's phone number when the
  pool allows SMS (Cognito's long-standing default), else MFA_SETUP with the factors that can be
  set up.

Authenticator keys are sealed at rest and checked with django-otp's TOTP (30-second steps, one
step either side) and its throttling; an accepted code's step is remembered so that no code works
twice. SMS and email codes are six digits, kept only as a digest in the sealed session state.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.db import transaction
from django_otp.oath import TOTP

from cognitoadmin.crypto import digest, seal, unseal_str
from cognitoadmin.errors import ServiceError
from pools.errors import (
    AliasExistsException,
    CodeMismatchException,
    EnableSoftwareTokenMFAException,
    InvalidParameterException,
    ResourceNotFoundException,
    SoftwareTokenMFANotFoundException,
    TooManyRequestsException,
)
from pools.models import (
    DeliveryKind,
    MfaConfiguration,
    MfaFactor,
    PoolUser,
    SoftwareToken,
    UserPool,
    UserStatus,
)
from pools.selectors.mfa import software_token_find
from pools.services.delivery import Medium, delivery_queue
from pools.services.messages import mfa_message
from pools.services.users import user_verify_attribute

KEY_PURPOSE = "software_token_key"
CODE_PURPOSE = "mfa_code"
# 160-bit keys, RFC 4226's recommendation: 32 base32 characters, no padding.
KEY_BYTES = 20
TOTP_STEP = 30
TOTP_DIGITS = 6
# Steps either side of now that still match: clocks and typing take time.
TOTP_TOLERANCE = 1
CODE_DIGITS = 6

FACTORS: tuple[MfaFactor, ...] = (MfaFactor.SMS, MfaFactor.SOFTWARE_TOKEN, MfaFactor.EMAIL)
# SetUserMFAPreference's members, by factor.
SETTINGS_MEMBERS: dict[MfaFactor, str] = {
    MfaFactor.SMS: "SMSMfaSettings",
    MfaFactor.SOFTWARE_TOKEN: "SoftwareTokenMfaSettings",
    MfaFactor.EMAIL: "EmailMfaSettings",
}
MEDIUM_FOR_FACTOR: dict[MfaFactor, Medium] = {MfaFactor.SMS: "SMS", MfaFactor.EMAIL: "EMAIL"}
# The ID token's `amr` after each factor (RFC 8176 names).
AMR_FOR_FACTOR: dict[MfaFactor, tuple[str, ...]] = {
    MfaFactor.SMS: ("pwd", "mfa", "sms"),
    MfaFactor.SOFTWARE_TOKEN: ("pwd", "mfa", "otp"),
    MfaFactor.EMAIL: ("pwd", "mfa", "otp"),
}
_ENABLED_FIELD: dict[MfaFactor, str] = {
    MfaFactor.SMS: "mfa_sms_enabled",
    MfaFactor.SOFTWARE_TOKEN: "mfa_software_token_enabled",
    MfaFactor.EMAIL: "mfa_email_enabled",
}
LEGACY_SMS_OPTION = {"DeliveryMedium": "SMS", "AttributeName": "phone_number"}

TOTP_NOT_VERIFIED = "User has not verified software token mfa"
CODE_MISMATCH = "Invalid code or auth state for the user."
TOTP_THROTTLED = "Too many failed attempts with this software token; wait and try again."


# --- which factors count --------------------------------------------------------------------


def mfa_factors_allowed(*, pool: UserPool) -> list[MfaFactor]:
    """The factors the pool lets its users sign in with."""
    if pool.mfa_configuration == MfaConfiguration.OFF:
        return []
    allowed = {
        MfaFactor.SMS: pool.sms_mfa_enabled,
        MfaFactor.SOFTWARE_TOKEN: pool.software_token_mfa_enabled,
        MfaFactor.EMAIL: pool.email_mfa_enabled,
    }
    return [factor for factor in FACTORS if allowed[factor]]


def _usable(user: PoolUser, factor: MfaFactor) -> bool:
    """Whether the user has what `factor` needs: an address, or a verified authenticator."""
    if factor == MfaFactor.SMS:
        return bool(user.phone_number)
    if factor == MfaFactor.EMAIL:
        return bool(user.email)
    token = software_token_find(user=user)
    return token is not None and token.confirmed


def mfa_factors_enabled(*, user: PoolUser) -> list[MfaFactor]:
    """The factors the user has turned on, whatever the pool allows now (UserMFASettingList)."""
    return [factor for factor in FACTORS if getattr(user, _ENABLED_FIELD[factor])]


def _factors_active(user: PoolUser) -> list[MfaFactor]:
    """The factors a sign-in of `user` can ask for now."""
    allowed = mfa_factors_allowed(pool=user.pool)
    return [
        factor
        for factor in mfa_factors_enabled(user=user)
        if factor in allowed and _usable(user, factor)
    ]


@dataclass(frozen=True)
class MfaOwed:
    """What a signed-in user still owes: `challenge` is the factor to ask for, SELECT_MFA_TYPE
    (choose one of `factors`) or MFA_SETUP (set up one of `factors`)."""

    challenge: str
    factors: tuple[MfaFactor, ...] = ()


SELECT_MFA_TYPE = "SELECT_MFA_TYPE"
MFA_SETUP = "MFA_SETUP"


def _owed_unset(user: PoolUser) -> MfaOwed:
    """What a user of an ON pool owes who has turned no factor on."""
    allowed = mfa_factors_allowed(pool=user.pool)
    if MfaFactor.SMS in allowed and user.phone_number:
        return MfaOwed(challenge=MfaFactor.SMS)
    return MfaOwed(challenge=MFA_SETUP, factors=tuple(allowed))


def mfa_owed(*, user: PoolUser) -> MfaOwed | None:
    """The MFA step a user who has proved their password owes, or None."""
    pool = user.pool
    if pool.mfa_configuration == MfaConfiguration.OFF or user.status == (
        UserStatus.EXTERNAL_PROVIDER
    ):
        return None
    active = _factors_active(user)
    if not active:
        return None if pool.mfa_configuration == MfaConfiguration.OPTIONAL else _owed_unset(user)
    if len(active) == 1:
        return MfaOwed(challenge=active[0])
    if user.mfa_preferred in active:
        return MfaOwed(challenge=MfaFactor(user.mfa_preferred))
    return MfaOwed(challenge=SELECT_MFA_TYPE, factors=tuple(active))


# --- what users and operators see -----------------------------------------------------------


def mfa_settings_shape(user: PoolUser) -> dict[str, Any]:
    """GetUser's and AdminGetUser's MFA members; Cognito leaves out those with nothing to say."""
    shape: dict[str, Any] = {}
    enabled = mfa_factors_enabled(user=user)
    if enabled:
        shape["UserMFASettingList"] = [str(factor) for factor in enabled]
    if user.mfa_preferred:
        shape["PreferredMfaSetting"] = user.mfa_preferred
    if user.mfa_sms_enabled:
        shape["MFAOptions"] = [dict(LEGACY_SMS_OPTION)]
    return shape


# --- preferences ----------------------------------------------------------------------------


def _enable_check(user: PoolUser, factor: MfaFactor) -> None:
    if factor not in mfa_factors_allowed(pool=user.pool):
        raise InvalidParameterException(f"{factor} is not enabled for this user pool.")
    if factor == MfaFactor.SOFTWARE_TOKEN and not _usable(user, factor):
        raise InvalidParameterException(TOTP_NOT_VERIFIED)
    if factor == MfaFactor.SMS and not user.phone_number:
        raise InvalidParameterException("User does not have a phone_number to send SMS to.")
    if factor == MfaFactor.EMAIL and not user.email:
        raise InvalidParameterException("User does not have an email to send codes to.")


def _flag(settings: Mapping[str, Any], name: str, member: str) -> bool | None:
    value = settings.get(name)
    if value is not None and not isinstance(value, bool):
        raise InvalidParameterException(f"{member}.{name} must be a boolean.")
    return value


def _preferences_parse(
    preferences: Mapping[str, Any],
) -> dict[MfaFactor, tuple[bool | None, bool | None]]:
    """(Enabled, PreferredMfa) of each factor named, None where a member is left out."""
    parsed: dict[MfaFactor, tuple[bool | None, bool | None]] = {}
    for factor, member in SETTINGS_MEMBERS.items():
        settings = preferences.get(member)
        if settings is None:
            continue
        if not isinstance(settings, Mapping):
            raise InvalidParameterException(f"{member} must be an object.")
        parsed[factor] = (
            _flag(settings, "Enabled", member),
            _flag(settings, "PreferredMfa", member),
        )
    return parsed


def mfa_preference_set(*, user: PoolUser, preferences: Mapping[str, Any]) -> PoolUser:
    """SetUserMFAPreference / AdminSetUserMFAPreference: each factor named (by its AWS member)
    is turned on or off (`Enabled`) and made or unmade the preferred one (`PreferredMfa`); factors
    not named keep their settings. Everything is checked before anything changes."""
    enabled = {factor: bool(getattr(user, _ENABLED_FIELD[factor])) for factor in FACTORS}
    preferred = user.mfa_preferred
    chosen: list[MfaFactor] = []
    for factor, (on, prefer) in _preferences_parse(preferences).items():
        if on is not None:
            enabled[factor] = on
        if prefer:
            chosen.append(factor)
        elif prefer is False and preferred == factor:
            preferred = ""
    if len(chosen) > 1:
        raise InvalidParameterException("Only one MFA factor can be preferred.")
    for factor in chosen:
        if not enabled[factor]:
            raise InvalidParameterException(f"A preferred MFA factor must be enabled: {factor}.")
        preferred = factor
    for factor in FACTORS:
        if enabled[factor] and not getattr(user, _ENABLED_FIELD[factor]):
            _enable_check(user, factor)
    if (
        user.mfa_software_token_enabled
        and not enabled[MfaFactor.SOFTWARE_TOKEN]
        and user.pool.mfa_configuration == MfaConfiguration.ON
    ):
        # Cognito's rule (SoftwareTokenMfaSettingsType): the user may only change which factor
        # is preferred. An operator's `mfa_reset` still can.
        raise InvalidParameterException(
            "Software token MFA cannot be turned off while the user pool requires MFA."
        )
    if preferred and not enabled[MfaFactor(preferred)]:
        preferred = ""
    for factor in FACTORS:
        setattr(user, _ENABLED_FIELD[factor], enabled[factor])
    user.mfa_preferred = preferred
    user.save(update_fields=[*_ENABLED_FIELD.values(), "mfa_preferred", "updated_at"])
    return user


def mfa_settings_legacy_set(*, user: PoolUser, options: Sequence[Mapping[str, Any]]) -> PoolUser:
    """SetUserSettings / AdminSetUserSettings (MFAOptions, SMS only): an SMS option to the phone
    number turns SMS MFA on, an empty list turns it off."""
    for option in options:
        if (option.get("DeliveryMedium"), option.get("AttributeName")) != ("SMS", "phone_number"):
            raise InvalidParameterException(
                "Only phone_number attribute with SMS delivery medium is supported in MFAOptions."
            )
    return mfa_preference_set(
        user=user, preferences={SETTINGS_MEMBERS[MfaFactor.SMS]: {"Enabled": bool(options)}}
    )


@transaction.atomic
def software_token_delete(*, user: PoolUser) -> None:
    """AdminDeleteSoftwareToken: the user's authenticator is forgotten and TOTP turned off.
    ResourceNotFoundException (the operation's error for it) when there is none."""
    deleted, _ = SoftwareToken.objects.filter(user=user).delete()
    if not deleted:
        raise ResourceNotFoundException("The user has no software token.")
    _software_token_off(user)


def _software_token_off(user: PoolUser) -> None:
    user.mfa_software_token_enabled = False
    if user.mfa_preferred == MfaFactor.SOFTWARE_TOKEN:
        user.mfa_preferred = ""
    user.save(update_fields=["mfa_software_token_enabled", "mfa_preferred", "updated_at"])


@transaction.atomic
def mfa_reset(*, user: PoolUser) -> PoolUser:
    """An operator's reset: every factor off, no preference, the authenticator forgotten. The
    user can then sign in with a password alone (or set MFA up again, in an ON pool)."""
    SoftwareToken.objects.filter(user=user).delete()
    for field in _ENABLED_FIELD.values():
        setattr(user, field, False)
    user.mfa_preferred = ""
    user.save(update_fields=[*_ENABLED_FIELD.values(), "mfa_preferred", "updated_at"])
    return user


# --- authenticator apps (TOTP) --------------------------------------------------------------


def _totp_step_matching(*, key_b32: str, code: str, min_t: int) -> int | None:
    """The time step at which `code` is the key's code (within the tolerance, not before
    `min_t`), or None."""
    if len(code) != TOTP_DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = TOTP(base64.b32decode(key_b32), step=TOTP_STEP, digits=TOTP_DIGITS)
    if not totp.verify(int(code), tolerance=TOTP_TOLERANCE, min_t=min_t):
        return None
    step: int = totp.t()
    return step


def software_token_associate(*, user: PoolUser) -> str:
    """AssociateSoftwareToken: a new secret (base32) for the user's authenticator app. It takes
    effect once VerifySoftwareToken has seen a code from it."""
    if MfaFactor.SOFTWARE_TOKEN not in mfa_factors_allowed(pool=user.pool):
        raise InvalidParameterException("Software token MFA is not enabled for this user pool.")
    secret = base64.b32encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")
    token, _ = SoftwareToken.objects.get_or_create(user=user, defaults={"pool_id": user.pool_id})
    token.pending_key_sealed = seal(secret, purpose=KEY_PURPOSE)
    token.save(update_fields=["pending_key_sealed", "updated_at"])
    return secret


def _throttle_check(token: SoftwareToken) -> None:
    allowed, _details = token.verify_is_allowed()
    if not allowed:
        raise TooManyRequestsException(TOTP_THROTTLED)


def _totp_attempt(*, user: PoolUser, code: str, pending: bool, friendly_name: str = "") -> None:
    """Check `code` against the user's pending key (`pending`) or their key, under the row's lock.
    A wrong code counts towards django-otp's throttle, and that count is kept although the caller
    fails."""
    refusal: ServiceError | None = None
    with transaction.atomic():
        token = SoftwareToken.objects.select_for_update().filter(user=user).first()
        sealed = token and (token.pending_key_sealed if pending else token.key_sealed)
        if token is None or not sealed:
            raise SoftwareTokenMFANotFoundException()
        _throttle_check(token)
        key = unseal_str(sealed, purpose=KEY_PURPOSE)
        step = _totp_step_matching(
            key_b32=key, code=code, min_t=-1 if pending else token.last_t + 1
        )
        if step is None:
            token.throttle_increment(commit=False)
            token.save(update_fields=["throttling_failure_count", "throttling_failure_timestamp"])
            refusal = (
                EnableSoftwareTokenMFAException()
                if pending
                else CodeMismatchException(CODE_MISMATCH)
            )
        else:
            token.throttle_reset(commit=False)
            token.last_t = step
            if pending:
                token.key_sealed, token.pending_key_sealed = sealed, ""
                token.friendly_name = friendly_name
            token.save()
            if pending:
                user.mfa_software_token_enabled = True
                user.save(update_fields=["mfa_software_token_enabled", "updated_at"])
    if refusal is not None:
        raise refusal


def software_token_verify(*, user: PoolUser, code: str, friendly_name: str = "") -> None:
    """VerifySoftwareToken: a code from the newly associated secret makes it the user's
    authenticator and turns TOTP MFA on. A wrong code raises EnableSoftwareTokenMFAException."""
    if MfaFactor.SOFTWARE_TOKEN not in mfa_factors_allowed(pool=user.pool):
        raise InvalidParameterException("Software token MFA is not enabled for this user pool.")
    _totp_attempt(user=user, code=code, pending=True, friendly_name=friendly_name)


def software_token_check(*, user: PoolUser, code: str) -> None:
    """A SOFTWARE_TOKEN_MFA answer: CodeMismatchException unless `code` is the authenticator's
    current code (and newer than the last one accepted)."""
    _totp_attempt(user=user, code=code, pending=False)


def software_token_friendly_name(*, user: PoolUser) -> str:
    token = software_token_find(user=user)
    return token.friendly_name if token else ""


def software_token_otpauth_uri(*, user: PoolUser, secret: str) -> str:
    """The `otpauth://` URI an authenticator app scans: issuer the pool's name, account the
    username."""
    issuer = user.pool.name
    label = quote(f"{issuer}:{user.username}", safe=":@")
    query = urlencode({"secret": secret, "issuer": issuer, "digits": TOTP_DIGITS})
    return f"otpauth://totp/{label}?{query}&period={TOTP_STEP}"


def otpauth_qr_svg(uri: str) -> str:
    """The URI as an SVG QR code, to be shown inline."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg: str = image.to_string(encoding="unicode")
    return svg


# --- codes by SMS and email -----------------------------------------------------------------


def _code_digest(*, user: PoolUser, code: str) -> str:
    return digest(f"{user.sub}:{code}", purpose=CODE_PURPOSE)


def mfa_code_send(*, user: PoolUser, factor: MfaFactor) -> tuple[str, dict[str, Any]]:
    """A new code for an SMS_MFA or EMAIL_OTP challenge, queued to the user's phone or email with
    the pool's MFA template; returns its digest (for the session) and CodeDeliveryDetails."""
    medium = MEDIUM_FOR_FACTOR[factor]
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    details = delivery_queue(
        user=user,
        kind=DeliveryKind.MFA,
        medium=medium,
        message=mfa_message(user=user, channel=medium, code=code),
    )
    return _code_digest(user=user, code=code), details


def mfa_code_matches(*, user: PoolUser, code: str, expected_digest: str) -> bool:
    return secrets.compare_digest(_code_digest(user=user, code=code), expected_digest)


def mfa_factor_proved(*, user: PoolUser, factor: MfaFactor) -> None:
    """A code that reached the user's phone or email proves the address: it is marked verified,
    as Cognito does after SMS_MFA and EMAIL_OTP. An address that is another user's verified
    alias stays unverified here; the sign-in goes on."""
    attribute = {MfaFactor.SMS: "phone_number", MfaFactor.EMAIL: "email"}.get(factor)
    if attribute is None or getattr(user, f"{attribute}_verified"):
        return
    try:
        user_verify_attribute(user=user, attribute=attribute)
    except AliasExistsException:
        return
