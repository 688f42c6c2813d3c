"""User pools: CreateUserPool, UpdateUserPool, DeleteUserPool, AddCustomAttributes,
SetUserPoolMfaConfig, TagResource and UntagResource.

Settings arrive in the AWS request shape (PascalCase members). Each request is first checked against
botocore's input shape for its operation (types, lengths, ranges, patterns, enums; unknown members
dropped), so the rules written here are the ones the model cannot express.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from cognitoadmin.awsmodel import model_validate
from cognitoadmin.errors import ServiceError
from cognitoadmin.ids import new_user_pool_id
from cognitoadmin.regions import region_for_new
from pools.errors import (
    FeatureUnavailableInTierException,
    InvalidParameterException,
    UserPoolTaggingException,
)
from pools.models import (
    DeletionProtection,
    MfaConfiguration,
    SchemaAttribute,
    UserPool,
    UserPoolTier,
    first_auth_factors_default,
)
from pools.selectors.pools import user_pool_locked
from pools.services.schema import custom_attributes_build, schema_attributes_build

MAX_TAGS = 50
DEFAULT_PASSWORD_MINIMUM_LENGTH = 8
DEFAULT_TEMPORARY_PASSWORD_VALIDITY_DAYS = 7
DEFAULT_EMAIL_CONFIGURATION: dict[str, Any] = {"EmailSendingAccount": "COGNITO_DEFAULT"}
DEFAULT_USER_POOL_ADD_ONS: dict[str, Any] = {"AdvancedSecurityMode": "OFF"}
DEFAULT_EMAIL_OPTION = "CONFIRM_WITH_CODE"

# The legacy top-level message members and their VerificationMessageTemplate counterparts.
_LEGACY_VERIFICATION_MEMBERS = (
    ("SmsVerificationMessage", "SmsMessage", "sms_verification_message"),
    ("EmailVerificationMessage", "EmailMessage", "email_verification_message"),
    ("EmailVerificationSubject", "EmailSubject", "email_verification_subject"),
)
_INVITE_PLACEHOLDERS = ("{username}", "{####}")
# Lambda triggers that deliver codes themselves receive them encrypted with the pool's KMS key.
_CUSTOM_SENDERS = ("CustomSMSSender", "CustomEmailSender")
_PAID_TIERS = (UserPoolTier.ESSENTIALS, UserPoolTier.PLUS)
# A relying party id is a host name (WebAuthn's "valid domain string"): labels of letters,
# digits and hyphens, as the pool's domain or a parent of it.
_RELYING_PARTY_ID = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*")

_SMS_REQUIRED_FOR_MFA = (
    "SMS configuration and Auto verification for phone_number are required when MFA is "
    "required/optional"
)
_MFA_OFF_WITH_FACTOR = (
    "Invalid MFA configuration given, can't turn off MFA and configure an MFA together."
)
_MFA_WITHOUT_FACTOR = (
    "Invalid MFA configuration given, can't disable all MFAs with a required or optional "
    "configuration."
)


def _as_dict(settings: Any, what: str) -> dict[str, Any]:
    if not isinstance(settings, Mapping):
        raise InvalidParameterException(f"{what} must be an object.")
    return dict(settings)


def _as_list(values: Any) -> Any:
    # A lone string is a Sequence too; leave it as is so that validation names it as not a list.
    return values if isinstance(values, str) else list(values)


def _distinct(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


# ---------------------------------------------------------------------------------------------
# Settings shared by CreateUserPool and UpdateUserPool


def _password_fields(checked: Mapping[str, Any]) -> dict[str, Any]:
    policy = checked.get("Policies", {}).get("PasswordPolicy", {})
    temporary = policy.get("TemporaryPasswordValidityDays")
    unused = checked.get("AdminCreateUserConfig", {}).get("UnusedAccountValidityDays")
    if temporary is not None and unused is not None:
        raise InvalidParameterException(
            "Please use TemporaryPasswordValidityDays in PasswordPolicy instead of "
            "UnusedAccountValidityDays"
        )
    days = temporary if temporary is not None else unused
    # Without a PasswordPolicy the pool gets Cognito's default one (every class required); in a
    # policy that is given, a requirement left out is simply not required.
    required = "PasswordPolicy" not in checked.get("Policies", {})
    return {
        "password_minimum_length": policy.get("MinimumLength", DEFAULT_PASSWORD_MINIMUM_LENGTH),
        "password_require_uppercase": policy.get("RequireUppercase", required),
        "password_require_lowercase": policy.get("RequireLowercase", required),
        "password_require_numbers": policy.get("RequireNumbers", required),
        "password_require_symbols": policy.get("RequireSymbols", required),
        "password_history_size": policy.get("PasswordHistorySize", 0),
        # 0 means "the default", as Cognito documents.
        "temporary_password_validity_days": days or DEFAULT_TEMPORARY_PASSWORD_VALIDITY_DAYS,
    }


def _message_fields(checked: Mapping[str, Any]) -> dict[str, Any]:
    # A template may hold both the code and the link messages, as on AWS: DefaultEmailOption
    # picks the one sign-up sends.
    template = dict(checked.get("VerificationMessageTemplate", {}))
    fields: dict[str, Any] = {}
    for legacy, member, column in _LEGACY_VERIFICATION_MEMBERS:
        if legacy in checked and member in template and checked[legacy] != template[member]:
            raise InvalidParameterException(
                f"{legacy} and VerificationMessageTemplate.{member} differ; give one of them."
            )
        fields[column] = template.get(member, checked.get(legacy, ""))
        # The legacy member and the template's mirror each other, as AWS answers them.
        if fields[column]:
            template[member] = fields[column]
    template.setdefault("DefaultEmailOption", DEFAULT_EMAIL_OPTION)
    fields["verification_message_template"] = template
    fields["sms_authentication_message"] = checked.get("SmsAuthenticationMessage", "")

    admin = checked.get("AdminCreateUserConfig", {})
    invite = dict(admin.get("InviteMessageTemplate", {}))
    for member in ("SMSMessage", "EmailMessage"):
        message = invite.get(member)
        if message is not None and not all(p in message for p in _INVITE_PLACEHOLDERS):
            raise InvalidParameterException(
                f"AdminCreateUserConfig.InviteMessageTemplate.{member} must contain the "
                "{username} and {####} placeholders."
            )
    fields["invite_message_template"] = invite
    fields["allow_admin_create_user_only"] = admin.get("AllowAdminCreateUserOnly", False)
    return fields


def _recovery_mechanisms(checked: Mapping[str, Any]) -> list[dict[str, Any]]:
    mechanisms: list[dict[str, Any]] = checked.get("AccountRecoverySetting", {}).get(
        "RecoveryMechanisms", []
    )
    names = [m["Name"] for m in mechanisms]
    priorities = [m["Priority"] for m in mechanisms]
    if len(set(names)) != len(names):
        raise InvalidParameterException(
            "AccountRecoverySetting.RecoveryMechanisms must not name a mechanism twice."
        )
    if len(set(priorities)) != len(priorities):
        raise InvalidParameterException(
            "AccountRecoverySetting.RecoveryMechanisms must have distinct priorities."
        )
    if "admin_only" in names and len(names) > 1:
        raise InvalidParameterException(
            "The admin_only recovery mechanism cannot be combined with another mechanism."
        )
    return [
        {"Priority": m["Priority"], "Name": m["Name"]}
        for m in sorted(mechanisms, key=lambda m: m["Priority"])
    ]


def _lambda_config(checked: Mapping[str, Any]) -> dict[str, Any]:
    config = dict(checked.get("LambdaConfig", {}))
    # The legacy PreTokenGeneration ARN and the versioned config name the same trigger; Cognito
    # reports both, so each is filled from the other.
    legacy = config.get("PreTokenGeneration")
    versioned = config.get("PreTokenGenerationConfig")
    if legacy is not None and versioned is not None and versioned["LambdaArn"] != legacy:
        raise InvalidParameterException(
            "LambdaConfig.PreTokenGeneration and PreTokenGenerationConfig.LambdaArn must name "
            "the same function."
        )
    if versioned is not None:
        config["PreTokenGeneration"] = versioned["LambdaArn"]
    elif legacy is not None:
        config["PreTokenGenerationConfig"] = {"LambdaVersion": "V1_0", "LambdaArn": legacy}
    for sender in _CUSTOM_SENDERS:
        if sender in config and "KMSKeyID" not in config:
            raise InvalidParameterException(f"LambdaConfig.{sender} requires a KMSKeyID.")
    return config


def _email_configuration(checked: Mapping[str, Any]) -> dict[str, Any]:
    if "EmailConfiguration" not in checked:
        return dict(DEFAULT_EMAIL_CONFIGURATION)
    config = dict(checked["EmailConfiguration"])
    config.setdefault("EmailSendingAccount", DEFAULT_EMAIL_CONFIGURATION["EmailSendingAccount"])
    if config["EmailSendingAccount"] == "DEVELOPER" and "SourceArn" not in config:
        raise InvalidParameterException(
            "EmailConfiguration.SourceArn is required when EmailSendingAccount is DEVELOPER."
        )
    return config


def _sms_configuration(config: Mapping[str, Any] | None, path: str) -> dict[str, Any]:
    if config is None:
        return {}
    has_sns = bool(config.get("SnsCallerArn"))
    has_eums = "EumsSms" in config
    if has_sns == has_eums:
        raise InvalidParameterException(f"{path} takes either SnsCallerArn or EumsSms.")
    return dict(config)


def _check_tags(
    tags: Mapping[str, str],
    too_many: type[ServiceError] = UserPoolTaggingException,
) -> None:
    """`too_many`: the error botocore's model gives the operation (CreateUserPool and
    UpdateUserPool have UserPoolTaggingException; TagResource only InvalidParameterException)."""
    if any(key.lower().startswith("aws:") for key in tags):
        raise InvalidParameterException("Tag keys starting with 'aws:' are reserved for AWS use.")
    if len(tags) > MAX_TAGS:
        raise too_many(f"A user pool can have at most {MAX_TAGS} tags.")


def _settings_fields(checked: Mapping[str, Any]) -> dict[str, Any]:
    """Model fields for every member CreateUserPool and UpdateUserPool share.

    An absent member takes Cognito's default: UpdateUserPool resets what it is not given.
    """
    auto_verified = _distinct(checked.get("AutoVerifiedAttributes", []))
    device = checked.get("DeviceConfiguration")
    tags = dict(checked.get("UserPoolTags", {}))
    _check_tags(tags)
    return {
        **_password_fields(checked),
        **_message_fields(checked),
        "deletion_protection": checked.get("DeletionProtection", DeletionProtection.INACTIVE),
        "lambda_config": _lambda_config(checked),
        "auto_verified_attributes": auto_verified,
        "mfa_configuration": checked.get("MfaConfiguration", MfaConfiguration.OFF),
        "device_tracking_enabled": device is not None,
        "device_challenge_required_on_new_device": (device or {}).get(
            "ChallengeRequiredOnNewDevice", False
        ),
        "device_only_remembered_on_user_prompt": (device or {}).get(
            "DeviceOnlyRememberedOnUserPrompt", False
        ),
        "email_configuration": _email_configuration(checked),
        "sms_configuration": _sms_configuration(
            checked.get("SmsConfiguration"), "SmsConfiguration"
        ),
        "tags": tags,
        "user_pool_add_ons": dict(checked.get("UserPoolAddOns", DEFAULT_USER_POOL_ADD_ONS)),
        "account_recovery_mechanisms": _recovery_mechanisms(checked),
        "tier": checked.get("UserPoolTier", UserPoolTier.ESSENTIALS),
        "allowed_first_auth_factors": _distinct(
            checked.get("Policies", {})
            .get("SignInPolicy", {})
            .get("AllowedFirstAuthFactors", first_auth_factors_default())
        ),
    }


def _require_verification(checked: Mapping[str, Any]) -> list[str] | None:
    settings = checked.get("UserAttributeUpdateSettings")
    if settings is None:
        return None
    return _distinct(settings.get("AttributesRequireVerificationBeforeUpdate", []))


def _check_pool(pool: UserPool) -> None:
    """Rules that tie settings together, checked on the pool as it would be saved."""
    unverified = set(pool.attributes_require_verification_before_update) - set(
        pool.auto_verified_attributes
    )
    if unverified:
        raise InvalidParameterException(
            "UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate may only name "
            f"attributes in AutoVerifiedAttributes, not {', '.join(sorted(unverified))}."
        )
    mfa_on = pool.mfa_configuration != MfaConfiguration.OFF
    factors = (pool.sms_mfa_enabled, pool.software_token_mfa_enabled, pool.email_mfa_enabled)
    if mfa_on and not any(factors):
        raise InvalidParameterException(_MFA_WITHOUT_FACTOR)
    if pool.sms_mfa_enabled and not pool.sms_configuration:
        raise InvalidParameterException(_SMS_REQUIRED_FOR_MFA)
    if pool.email_mfa_enabled:
        if pool.email_configuration.get("EmailSendingAccount") != "DEVELOPER":
            raise InvalidParameterException(
                "Email MFA requires EmailConfiguration.EmailSendingAccount DEVELOPER."
            )
        if pool.tier not in _PAID_TIERS:
            raise FeatureUnavailableInTierException(
                "Email MFA requires the ESSENTIALS or PLUS feature plan."
            )
    if pool.user_pool_add_ons.get("AdvancedSecurityMode", "OFF") != "OFF" and (
        pool.tier != UserPoolTier.PLUS
    ):
        raise FeatureUnavailableInTierException(
            "Threat protection (UserPoolAddOns.AdvancedSecurityMode) requires the PLUS feature "
            "plan."
        )
    if pool.password_history_size and pool.tier not in _PAID_TIERS:
        raise FeatureUnavailableInTierException(
            "PasswordHistorySize requires the ESSENTIALS or PLUS feature plan."
        )
    _check_first_factors(pool)
    version = pool.lambda_config.get("PreTokenGenerationConfig", {}).get("LambdaVersion")
    if version in ("V2_0", "V3_0") and pool.tier not in _PAID_TIERS:
        raise FeatureUnavailableInTierException(
            f"Pre token generation {version} requires the ESSENTIALS or PLUS feature plan."
        )


def _check_first_factors(pool: UserPool) -> None:
    """SignInPolicy: a password stays possible for everyone, and the passwordless factors need the
    plan and the messages that carry them (an OTP by email goes through the pool's own email
    sending, as email MFA does)."""
    factors = set(pool.allowed_first_auth_factors)
    if "PASSWORD" not in factors:
        raise InvalidParameterException(
            "SignInPolicy.AllowedFirstAuthFactors must include PASSWORD."
        )
    if "SOFTWARE_TOKEN" in factors:
        raise InvalidParameterException(
            "SOFTWARE_TOKEN is not supported as a first authentication factor."
        )
    if factors - {"PASSWORD"} and pool.tier not in _PAID_TIERS:
        raise FeatureUnavailableInTierException(
            "Passwordless first factors (EMAIL_OTP, SMS_OTP, WEB_AUTHN) require the ESSENTIALS or "
            "PLUS feature plan."
        )
    if "EMAIL_OTP" in factors and pool.email_configuration.get("EmailSendingAccount") != (
        "DEVELOPER"
    ):
        raise InvalidParameterException(
            "EMAIL_OTP sign-in requires EmailConfiguration.EmailSendingAccount DEVELOPER."
        )
    if "SMS_OTP" in factors and not pool.sms_configuration:
        raise InvalidParameterException("SMS_OTP sign-in requires an SmsConfiguration.")


def _webauthn_settings(pool: UserPool, config: Mapping[str, Any]) -> None:
    """WebAuthnConfiguration: a member left out keeps its value."""
    rp_id = config.get("RelyingPartyId")
    if rp_id is not None:
        if not _RELYING_PARTY_ID.fullmatch(rp_id):
            raise InvalidParameterException(
                "WebAuthnConfiguration.RelyingPartyId must be a domain name, such as "
                "auth.example.com, without a scheme, port or path."
            )
        pool.webauthn_relying_party_id = rp_id.lower()
    pool.webauthn_user_verification = config.get(
        "UserVerification", pool.webauthn_user_verification
    )
    pool.webauthn_factor_configuration = config.get(
        "FactorConfiguration", pool.webauthn_factor_configuration
    )


# ---------------------------------------------------------------------------------------------
# Services


@transaction.atomic
def user_pool_create(
    *, name: str, settings: Mapping[str, Any] | None = None, region: str | None = None
) -> UserPool:
    """A new pool, in `region` when given (else the call's region, see `cognitoadmin.regions`)."""
    checked = model_validate(
        "CreateUserPool", {**_as_dict(settings or {}, "settings"), "PoolName": name}
    )

    username_attributes = _distinct(checked.get("UsernameAttributes", []))
    alias_attributes = _distinct(checked.get("AliasAttributes", []))
    if username_attributes and alias_attributes:
        raise InvalidParameterException(
            "UsernameAttributes and AliasAttributes are mutually exclusive; set one of them."
        )
    schema = schema_attributes_build(schema=checked.get("Schema", []))
    if "preferred_username" in alias_attributes and any(
        row.name == "preferred_username" and not row.is_custom and row.required for row in schema
    ):
        raise InvalidParameterException(
            "preferred_username can be a required attribute or an alias, not both."
        )

    fields = _settings_fields(checked)
    # Usernames are case-insensitive unless the pool asks otherwise (DESIGN.md): the console's
    # default and Cognito's advice, though the bare API would default to case-sensitive.
    pool = UserPool(
        pool_id=new_user_pool_id(region_for_new(region)),
        name=name,
        username_attributes=username_attributes,
        alias_attributes=alias_attributes,
        username_case_sensitive=checked.get("UsernameConfiguration", {}).get(
            "CaseSensitive", False
        ),
        attributes_require_verification_before_update=_require_verification(checked) or [],
        **fields,
    )
    # CreateUserPool can only configure SMS MFA; the other factors come from SetUserPoolMfaConfig.
    if pool.mfa_configuration != MfaConfiguration.OFF:
        if not pool.sms_configuration:
            raise InvalidParameterException(_SMS_REQUIRED_FOR_MFA)
        pool.sms_mfa_enabled = True
    _check_pool(pool)
    pool.save()
    for row in schema:
        row.pool = pool
    SchemaAttribute.objects.bulk_create(schema)
    return pool


@transaction.atomic
def user_pool_update(*, pool: UserPool, settings: Mapping[str, Any]) -> UserPool:
    """UpdateUserPool: every updatable setting not given returns to its default, as in Cognito.

    Three members keep their value when absent: PoolName (it has no default),
    UserAttributeUpdateSettings (Cognito leaves it alone unless it is sent) and the MFA factors
    enabled by SetUserPoolMfaConfig, which UpdateUserPool has no members for.
    """
    checked = model_validate(
        "UpdateUserPool", {**_as_dict(settings, "settings"), "UserPoolId": pool.pool_id}
    )
    pool = user_pool_locked(pool=pool)
    fields = _settings_fields(checked)
    fields["name"] = checked.get("PoolName", pool.name)
    require_verification = _require_verification(checked)
    if require_verification is not None:
        fields["attributes_require_verification_before_update"] = require_verification

    others_enabled = pool.software_token_mfa_enabled or pool.email_mfa_enabled
    for field, value in fields.items():
        setattr(pool, field, value)
    if pool.mfa_configuration == MfaConfiguration.OFF:
        pool.sms_mfa_enabled = pool.software_token_mfa_enabled = pool.email_mfa_enabled = False
        pool.email_mfa_configuration = {}
    elif not pool.sms_configuration:
        pool.sms_mfa_enabled = False
        if not others_enabled:
            raise InvalidParameterException(_SMS_REQUIRED_FOR_MFA)
    else:
        # As in CreateUserPool, SMS delivery settings turn SMS MFA on when nothing else would
        # satisfy the MFA setting; a pool set up for TOTP or email keeps its choice.
        pool.sms_mfa_enabled = pool.sms_mfa_enabled or not others_enabled
    _check_pool(pool)
    pool.save()
    return pool


@transaction.atomic
def user_pool_delete(*, pool: UserPool) -> None:
    pool = user_pool_locked(pool=pool)
    if pool.deletion_protection == DeletionProtection.ACTIVE:
        raise InvalidParameterException(
            "The user pool cannot be deleted because deletion protection is activated. "
            "Deletion protection must be inactivated first."
        )
    pool.delete()


@transaction.atomic
def user_pool_add_custom_attributes(
    *, pool: UserPool, attributes: Sequence[Mapping[str, Any]]
) -> UserPool:
    checked = model_validate(
        "AddCustomAttributes",
        {"UserPoolId": pool.pool_id, "CustomAttributes": _as_list(attributes)},
    )
    pool = user_pool_locked(pool=pool)
    rows = custom_attributes_build(pool=pool, attributes=checked["CustomAttributes"])
    SchemaAttribute.objects.bulk_create(rows)
    pool.save(update_fields=["updated_at"])
    return pool


@transaction.atomic
def user_pool_set_mfa_config(*, pool: UserPool, settings: Mapping[str, Any]) -> UserPool:
    """SetUserPoolMfaConfig: the factors given replace the enabled ones; a factor left out is
    turned off. MfaConfiguration keeps its value when not given."""
    checked = model_validate(
        "SetUserPoolMfaConfig", {**_as_dict(settings, "settings"), "UserPoolId": pool.pool_id}
    )
    pool = user_pool_locked(pool=pool)
    sms = checked.get("SmsMfaConfiguration")
    software_token = checked.get("SoftwareTokenMfaConfiguration", {}).get("Enabled", False)
    email = checked.get("EmailMfaConfiguration")
    mfa = checked.get("MfaConfiguration", pool.mfa_configuration)
    if mfa == MfaConfiguration.OFF and (sms is not None or software_token or email is not None):
        raise InvalidParameterException(_MFA_OFF_WITH_FACTOR)

    pool.mfa_configuration = mfa
    pool.sms_mfa_enabled = sms is not None
    if sms is not None:
        # The SMS MFA settings are the pool's own SMS settings, shared with verification messages.
        pool.sms_authentication_message = sms.get("SmsAuthenticationMessage", "")
        if "SmsConfiguration" in sms:
            pool.sms_configuration = _sms_configuration(
                sms["SmsConfiguration"], "SmsMfaConfiguration.SmsConfiguration"
            )
    pool.software_token_mfa_enabled = software_token
    pool.email_mfa_enabled = email is not None
    pool.email_mfa_configuration = dict(email or {})
    if "WebAuthnConfiguration" in checked:
        _webauthn_settings(pool, checked["WebAuthnConfiguration"])
    _check_pool(pool)
    pool.save()
    return pool


@transaction.atomic
def user_pool_tag(*, pool: UserPool, tags: Mapping[str, str]) -> None:
    checked = model_validate(
        "TagResource", {"ResourceArn": pool.arn, "Tags": _as_dict(tags, "Tags")}
    )
    locked = user_pool_locked(pool=pool)
    merged = {**locked.tags, **checked["Tags"]}
    _check_tags(merged, too_many=InvalidParameterException)
    locked.tags = merged
    locked.save(update_fields=["tags"])
    pool.tags = merged


@transaction.atomic
def user_pool_untag(*, pool: UserPool, keys: Sequence[str]) -> None:
    checked = model_validate("UntagResource", {"ResourceArn": pool.arn, "TagKeys": _as_list(keys)})
    locked = user_pool_locked(pool=pool)
    remaining = {k: v for k, v in locked.tags.items() if k not in set(checked["TagKeys"])}
    locked.tags = remaining
    locked.save(update_fields=["tags"])
    pool.tags = remaining
