"""UserPoolType (DescribeUserPool, CreateUserPool), UserPoolDescriptionType (ListUserPools) and
GetUserPoolMfaConfig's output. Dates are `datetime`s; the AWS layer writes them as epoch seconds."""

from __future__ import annotations

from typing import Any

from pools.models import AttributeDataType, MfaConfiguration, SchemaAttribute, UserPool
from pools.selectors.pools import schema_attribute_definitions


def schema_attribute_shape(attribute: SchemaAttribute) -> dict[str, Any]:
    """SchemaAttributeType. Cognito writes constraint bounds as strings, and shows a custom
    attribute's (possibly empty) constraints object for its data type."""
    shape: dict[str, Any] = {
        "Name": attribute.full_name,
        "AttributeDataType": attribute.attribute_data_type,
        "DeveloperOnlyAttribute": attribute.developer_only,
        "Mutable": attribute.mutable,
        "Required": attribute.required,
    }
    if attribute.attribute_data_type == AttributeDataType.STRING:
        bounds = {"MinLength": attribute.min_length, "MaxLength": attribute.max_length}
        key = "StringAttributeConstraints"
    elif attribute.attribute_data_type == AttributeDataType.NUMBER:
        bounds = {"MinValue": attribute.min_value, "MaxValue": attribute.max_value}
        key = "NumberAttributeConstraints"
    else:
        return shape
    constraints = {name: str(value) for name, value in bounds.items() if value is not None}
    if constraints or attribute.is_custom:
        shape[key] = constraints
    return shape


def _password_policy(pool: UserPool) -> dict[str, Any]:
    return {
        "MinimumLength": pool.password_minimum_length,
        "RequireUppercase": pool.password_require_uppercase,
        "RequireLowercase": pool.password_require_lowercase,
        "RequireNumbers": pool.password_require_numbers,
        "RequireSymbols": pool.password_require_symbols,
        "PasswordHistorySize": pool.password_history_size,
        "TemporaryPasswordValidityDays": pool.temporary_password_validity_days,
    }


def _admin_create_user_config(pool: UserPool) -> dict[str, Any]:
    config: dict[str, Any] = {"AllowAdminCreateUserOnly": pool.allow_admin_create_user_only}
    if pool.invite_message_template:
        config["InviteMessageTemplate"] = dict(pool.invite_message_template)
    return config


def user_pool_shape(pool: UserPool) -> dict[str, Any]:
    """UserPoolType: every member the pool has, none that it does not."""
    shape: dict[str, Any] = {
        "Id": pool.pool_id,
        "Name": pool.name,
        "Policies": {
            "PasswordPolicy": _password_policy(pool),
            "SignInPolicy": {"AllowedFirstAuthFactors": list(pool.allowed_first_auth_factors)},
        },
        "DeletionProtection": pool.deletion_protection,
        "LambdaConfig": dict(pool.lambda_config),
        "Status": pool.status,
        "LastModifiedDate": pool.updated_at,
        "CreationDate": pool.created_at,
        "SchemaAttributes": [
            schema_attribute_shape(a) for a in schema_attribute_definitions(pool=pool)
        ],
    }
    optional_lists = {
        "AutoVerifiedAttributes": pool.auto_verified_attributes,
        "AliasAttributes": pool.alias_attributes,
        "UsernameAttributes": pool.username_attributes,
    }
    shape.update({member: list(v) for member, v in optional_lists.items() if v})
    optional_texts = {
        "SmsVerificationMessage": pool.sms_verification_message,
        "EmailVerificationMessage": pool.email_verification_message,
        "EmailVerificationSubject": pool.email_verification_subject,
    }
    shape.update({member: v for member, v in optional_texts.items() if v})
    if pool.verification_message_template:
        shape["VerificationMessageTemplate"] = dict(pool.verification_message_template)
    if pool.sms_authentication_message:
        shape["SmsAuthenticationMessage"] = pool.sms_authentication_message
    shape["UserAttributeUpdateSettings"] = {
        "AttributesRequireVerificationBeforeUpdate": list(
            pool.attributes_require_verification_before_update
        )
    }
    shape["MfaConfiguration"] = pool.mfa_configuration
    if pool.device_tracking_enabled:
        shape["DeviceConfiguration"] = {
            "ChallengeRequiredOnNewDevice": pool.device_challenge_required_on_new_device,
            "DeviceOnlyRememberedOnUserPrompt": pool.device_only_remembered_on_user_prompt,
        }
    shape["EstimatedNumberOfUsers"] = pool.estimated_number_of_users
    if pool.email_configuration:
        shape["EmailConfiguration"] = dict(pool.email_configuration)
    if pool.sms_configuration:
        shape["SmsConfiguration"] = dict(pool.sms_configuration)
    shape["UserPoolTags"] = dict(pool.tags)
    for domain in pool.domains.all():
        shape["CustomDomain" if domain.is_custom else "Domain"] = domain.domain
    shape["AdminCreateUserConfig"] = _admin_create_user_config(pool)
    if pool.user_pool_add_ons:
        shape["UserPoolAddOns"] = dict(pool.user_pool_add_ons)
    shape["UsernameConfiguration"] = {"CaseSensitive": pool.username_case_sensitive}
    shape["Arn"] = pool.arn
    if pool.account_recovery_mechanisms:
        shape["AccountRecoverySetting"] = {
            "RecoveryMechanisms": [dict(m) for m in pool.account_recovery_mechanisms]
        }
    shape["UserPoolTier"] = pool.tier
    return shape


def user_pool_description_shape(pool: UserPool) -> dict[str, Any]:
    """UserPoolDescriptionType, one entry of ListUserPools."""
    return {
        "Id": pool.pool_id,
        "Name": pool.name,
        "LambdaConfig": dict(pool.lambda_config),
        "Status": pool.status,
        "LastModifiedDate": pool.updated_at,
        "CreationDate": pool.created_at,
    }


_WEBAUTHN_DEFAULTS = {"UserVerification": "preferred", "FactorConfiguration": "SINGLE_FACTOR"}


def user_pool_mfa_config_shape(pool: UserPool) -> dict[str, Any]:
    """GetUserPoolMfaConfig's output: the MFA setting and the factors that are enabled."""
    shape: dict[str, Any] = {}
    if pool.sms_mfa_enabled:
        sms: dict[str, Any] = {}
        if pool.sms_authentication_message:
            sms["SmsAuthenticationMessage"] = pool.sms_authentication_message
        if pool.sms_configuration:
            sms["SmsConfiguration"] = dict(pool.sms_configuration)
        shape["SmsMfaConfiguration"] = sms
    # With MFA OFF, AWS leaves the factor blocks out altogether rather than answering
    # {"Enabled": false} (moto's test_set_user_pool_mfa_config, ministack#1516's Terraform drift).
    if pool.mfa_configuration != MfaConfiguration.OFF:
        shape["SoftwareTokenMfaConfiguration"] = {"Enabled": pool.software_token_mfa_enabled}
    if pool.email_mfa_enabled:
        shape["EmailMfaConfiguration"] = dict(pool.email_mfa_configuration)
    shape["MfaConfiguration"] = pool.mfa_configuration
    webauthn: dict[str, Any] = {
        "UserVerification": pool.webauthn_user_verification,
        "FactorConfiguration": pool.webauthn_factor_configuration,
    }
    if pool.webauthn_relying_party_id:
        webauthn["RelyingPartyId"] = pool.webauthn_relying_party_id
    # Like the factor blocks, named once there is something to say: passkeys allowed, or settings
    # of its own (a pool that never heard of passkeys answers as it always did).
    if "WEB_AUTHN" in pool.allowed_first_auth_factors or webauthn != _WEBAUTHN_DEFAULTS:
        shape["WebAuthnConfiguration"] = webauthn
    return shape
