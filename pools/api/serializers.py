"""Shapes of the management API.

Fields are snake_case. Each names, in `source`, the AWS member it stands for, so one declaration
maps both ways: input validates into the PascalCase settings the services take, and output reads
the PascalCase shapes the services' shape functions return. Input serializers check shape only;
every rule (limits, patterns, combinations) belongs to the services.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import Direction, extend_schema_field
from rest_framework import serializers

from cognitoadmin.awsmodel import service_model
from cognitoadmin.errors import ServiceError
from cognitoadmin.regions import region_check, resource_region
from pools.models import (
    Delivery,
    DeliveryChannel,
    DeliveryKind,
    DeliveryStatus,
    Device,
    Group,
    MfaFactor,
    PoolUser,
    SoftwareToken,
)
from pools.shapes.users import user_attributes_shape


@cache
def _aws_enum(shape: str) -> list[str]:
    """The values of one enum of botocore's `cognito-idp` model, so choices never drift from it."""
    return list(service_model("cognito-idp").shape_for(shape).metadata["enum"])


class AwsEnumField(serializers.ChoiceField):
    """One of the values of an enum shape of the `cognito-idp` model, e.g. `TimeUnitsType`."""

    def __init__(self, shape: str, **kwargs: Any) -> None:
        self.aws_shape = shape
        super().__init__(choices=_aws_enum(shape), **kwargs)


class AwsEnumFieldSchema(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    """Documents each AWS enum once, as a schema component named after its AWS shape."""

    target_class = AwsEnumField

    def get_name(self) -> str:
        name: str = self.target.aws_shape
        return name

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Direction) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.target.choices)}


class MfaFactorField(serializers.ChoiceField):
    """An MFA factor, named as the challenge that asks for it (`SOFTWARE_TOKEN_MFA`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=MfaFactor.choices, **kwargs)


class MfaFactorFieldSchema(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    """Documents the factors once, as the schema component `MfaFactor`."""

    target_class = MfaFactorField

    def get_name(self) -> str:
        return "MfaFactor"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Direction) -> dict[str, Any]:
        return {"type": "string", "enum": list(MfaFactor.values)}


def _choice(shape: str, **kwargs: Any) -> AwsEnumField:
    return AwsEnumField(shape, **kwargs)


def _choices(shape: str, **kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=_choice(shape), **kwargs)


def _text(**kwargs: Any) -> serializers.CharField:
    # Values reach the services as sent: whitespace may be significant (passwords, templates).
    kwargs.setdefault("trim_whitespace", False)
    return serializers.CharField(**kwargs)


def _texts(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=_text(), **kwargs)


class StrictInputSerializer(serializers.Serializer[Any]):
    """Rejects members it does not know, rather than silently ignore a misspelt or fixed one."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            # The browsable API's HTML forms carry Django's CSRF token along with the fields.
            unknown = sorted(set(data) - set(self.fields) - {"csrfmiddlewaretoken"})
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field is not accepted here."] for name in unknown}
                )
        return super().to_internal_value(data)


class ErrorOutputSerializer(serializers.Serializer[Any]):
    """The one error shape of the API."""

    code = serializers.CharField(
        help_text="The Cognito exception name, e.g. `UserNotFoundException`."
    )
    message = serializers.CharField()

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # Declared here: a `fields` attribute would hide the serializer's own `fields`.
        fields = super().get_fields()
        fields["fields"] = serializers.DictField(
            required=False, help_text="For invalid input: the messages per field."
        )
        return fields


class QueryInputSerializer(serializers.Serializer[Any]):
    """A query string's parameters. `name=` with no value is an error, not the parameter left
    out (DRF reads an empty optional form value as absent)."""

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "get"):
            empty = {
                name: [
                    "A valid integer is required."
                    if isinstance(field, serializers.IntegerField)
                    else "This field may not be blank."
                ]
                for name, field in self.fields.items()
                if data.get(name) == "" and not getattr(field, "allow_blank", False)
            }
            if empty:
                raise serializers.ValidationError(empty)
        return super().to_internal_value(data)


class PageQueryInputSerializer(QueryInputSerializer):
    limit = serializers.IntegerField(
        required=False, min_value=1, help_text="Page size (the list's Cognito maximum applies)."
    )
    cursor = _text(required=False, help_text="The cursor from the previous page's `next` link.")


class RegionField(serializers.CharField):
    """A region this server serves (`cognitoadmin.regions`)."""

    def to_internal_value(self, data: Any) -> str:
        try:
            return region_check(str(super().to_internal_value(data)))
        except ServiceError as refusal:
            raise serializers.ValidationError(refusal.message) from None


class RegionQueryInputSerializer(QueryInputSerializer):
    region = RegionField(required=False, help_text="Only the resources of this region.")


# --- User pools -------------------------------------------------------------------------------


class PasswordPolicySerializer(StrictInputSerializer):
    minimum_length = serializers.IntegerField(source="MinimumLength", required=False)
    require_uppercase = serializers.BooleanField(source="RequireUppercase", required=False)
    require_lowercase = serializers.BooleanField(source="RequireLowercase", required=False)
    require_numbers = serializers.BooleanField(source="RequireNumbers", required=False)
    require_symbols = serializers.BooleanField(source="RequireSymbols", required=False)
    password_history_size = serializers.IntegerField(source="PasswordHistorySize", required=False)
    temporary_password_validity_days = serializers.IntegerField(
        source="TemporaryPasswordValidityDays", required=False
    )


class VerificationMessageTemplateSerializer(StrictInputSerializer):
    default_email_option = _choice(
        "DefaultEmailOptionType", source="DefaultEmailOption", required=False
    )
    email_message = _text(source="EmailMessage", required=False)
    email_subject = _text(source="EmailSubject", required=False)
    email_message_by_link = _text(source="EmailMessageByLink", required=False)
    email_subject_by_link = _text(source="EmailSubjectByLink", required=False)
    sms_message = _text(source="SmsMessage", required=False)


class InviteMessageTemplateSerializer(StrictInputSerializer):
    email_message = _text(source="EmailMessage", required=False)
    email_subject = _text(source="EmailSubject", required=False)
    sms_message = _text(source="SMSMessage", required=False)


class DeviceConfigurationSerializer(StrictInputSerializer):
    challenge_required_on_new_device = serializers.BooleanField(
        source="ChallengeRequiredOnNewDevice", required=False
    )
    device_only_remembered_on_user_prompt = serializers.BooleanField(
        source="DeviceOnlyRememberedOnUserPrompt", required=False
    )


class RecoveryOptionSerializer(StrictInputSerializer):
    name = _choice("RecoveryOptionNameType", source="Name")
    priority = serializers.IntegerField(source="Priority")


class CustomAttributeSerializer(StrictInputSerializer):
    """A custom attribute, `custom:<name>` on users (`dev:custom:<name>` if developer-only)."""

    name = _text(source="Name", help_text="Without the `custom:` prefix.")
    type = _choice("AttributeDataType", source="AttributeDataType", default="String")
    mutable = serializers.BooleanField(source="Mutable", default=True)
    developer_only = serializers.BooleanField(source="DeveloperOnlyAttribute", default=False)
    # The AWS shape carries constraints as strings; the API speaks integers.
    min_length = serializers.IntegerField(
        source="StringAttributeConstraints.MinLength", required=False
    )
    max_length = serializers.IntegerField(
        source="StringAttributeConstraints.MaxLength", required=False
    )
    min_value = serializers.IntegerField(
        source="NumberAttributeConstraints.MinValue", required=False
    )
    max_value = serializers.IntegerField(
        source="NumberAttributeConstraints.MaxValue", required=False
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        attribute: dict[str, Any] = super().to_internal_value(data)
        for group in ("StringAttributeConstraints", "NumberAttributeConstraints"):
            if group in attribute:
                attribute[group] = {key: str(value) for key, value in attribute[group].items()}
        return attribute

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["name"] = str(instance["Name"]).split("custom:", 1)[-1]
        return data


class CustomAttributesField(serializers.ListField):
    """Output only: the custom attributes among a pool's `SchemaAttributes`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=CustomAttributeSerializer(), **kwargs)

    def to_representation(self, data: Any) -> list[Any]:
        custom = [a for a in data if "custom:" in a["Name"]]
        return super().to_representation(custom)


class RequiredAttributesField(serializers.ListField):
    """Output only: the names of the attributes a pool requires, from its `SchemaAttributes`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(), **kwargs)

    def to_representation(self, data: Any) -> list[Any]:
        return [a["Name"] for a in data if a.get("Required")]


class _UserPoolSettingsSerializer(StrictInputSerializer):
    """The settings both CreateUserPool and UpdateUserPool take."""

    name = _text(source="PoolName")
    tier = _choice("UserPoolTierType", source="UserPoolTier", required=False)
    deletion_protection = _choice(
        "DeletionProtectionType", source="DeletionProtection", required=False
    )
    password_policy = PasswordPolicySerializer(
        source="Policies.PasswordPolicy",
        required=False,
        help_text=(
            "On create, as in CreateUserPool, requirements left out of a policy that is sent are "
            "off; without a policy every requirement is on. On update, members left out keep "
            "their value."
        ),
    )
    allowed_first_auth_factors = _choices(
        "AuthFactorType",
        source="Policies.SignInPolicy.AllowedFirstAuthFactors",
        required=False,
        help_text=(
            "The first factors of choice-based sign-in (USER_AUTH): PASSWORD, always, and any of "
            "EMAIL_OTP, SMS_OTP and WEB_AUTHN (passkeys)."
        ),
    )
    auto_verified_attributes = _choices(
        "VerifiedAttributeType", source="AutoVerifiedAttributes", required=False
    )
    attributes_require_verification_before_update = _choices(
        "VerifiedAttributeType",
        source="UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate",
        required=False,
    )
    mfa_configuration = _choice("UserPoolMfaType", source="MfaConfiguration", required=False)
    sms_authentication_message = _text(source="SmsAuthenticationMessage", required=False)
    verification_message_template = VerificationMessageTemplateSerializer(
        source="VerificationMessageTemplate", required=False
    )
    allow_admin_create_user_only = serializers.BooleanField(
        source="AdminCreateUserConfig.AllowAdminCreateUserOnly", required=False
    )
    invite_message_template = InviteMessageTemplateSerializer(
        source="AdminCreateUserConfig.InviteMessageTemplate", required=False
    )
    device_configuration = DeviceConfigurationSerializer(
        source="DeviceConfiguration", required=False
    )
    account_recovery = RecoveryOptionSerializer(
        source="AccountRecoverySetting.RecoveryMechanisms", many=True, required=False
    )
    tags = serializers.DictField(child=_text(), source="UserPoolTags", required=False)


class UserPoolCreateInputSerializer(_UserPoolSettingsSerializer):
    username_attributes = _choices(
        "UsernameAttributeType", source="UsernameAttributes", required=False
    )
    alias_attributes = _choices("AliasAttributeType", source="AliasAttributes", required=False)
    username_case_sensitive = serializers.BooleanField(
        source="UsernameConfiguration.CaseSensitive", required=False
    )
    required_attributes = _texts(
        required=False, help_text="Standard attributes every user must have (fixed at creation)."
    )
    custom_attributes = CustomAttributeSerializer(many=True, required=False)
    region = RegionField(
        required=False, help_text="The region to make the pool in (default COGNITOADMIN_REGION)."
    )

    def settings(self) -> dict[str, Any]:
        """The validated input as CreateUserPool's members (Schema gathers both attribute lists)."""
        settings = dict(self.validated_data)
        schema = [
            {"Name": name, "Required": True} for name in settings.pop("required_attributes", [])
        ]
        schema += settings.pop("custom_attributes", [])
        if schema:
            settings["Schema"] = schema
        return settings


class UserPoolUpdateInputSerializer(_UserPoolSettingsSerializer):
    """Sign-in identifiers, case sensitivity and the schema are fixed when a pool is created."""


class UserPoolCustomAttributesInputSerializer(StrictInputSerializer):
    attributes = CustomAttributeSerializer(many=True, allow_empty=False)


class UserPoolSummaryOutputSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(source="pool_id")
    arn = serializers.CharField()
    region = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    estimated_number_of_users = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class UserPoolOutputSerializer(serializers.Serializer[Any]):
    """Reads a pool's AWS shape (`user_pool_shape`)."""

    id = serializers.CharField(source="Id")
    arn = serializers.CharField(source="Arn")
    region = serializers.SerializerMethodField()
    name = serializers.CharField(source="Name")
    status = serializers.CharField(source="Status", required=False)
    tier = serializers.CharField(source="UserPoolTier", required=False)
    deletion_protection = serializers.CharField(source="DeletionProtection", required=False)
    password_policy = PasswordPolicySerializer(source="Policies.PasswordPolicy", required=False)
    allowed_first_auth_factors = serializers.ListField(
        child=serializers.CharField(),
        source="Policies.SignInPolicy.AllowedFirstAuthFactors",
        required=False,
    )
    username_attributes = serializers.ListField(
        child=serializers.CharField(), source="UsernameAttributes", default=list
    )
    alias_attributes = serializers.ListField(
        child=serializers.CharField(), source="AliasAttributes", default=list
    )
    username_case_sensitive = serializers.BooleanField(
        source="UsernameConfiguration.CaseSensitive", required=False
    )
    auto_verified_attributes = serializers.ListField(
        child=serializers.CharField(), source="AutoVerifiedAttributes", default=list
    )
    attributes_require_verification_before_update = serializers.ListField(
        child=serializers.CharField(),
        source="UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate",
        default=list,
    )
    required_attributes = RequiredAttributesField(source="SchemaAttributes", default=list)
    custom_attributes = CustomAttributesField(source="SchemaAttributes", default=list)
    mfa_configuration = serializers.CharField(source="MfaConfiguration", required=False)
    sms_authentication_message = serializers.CharField(
        source="SmsAuthenticationMessage", required=False
    )
    verification_message_template = VerificationMessageTemplateSerializer(
        source="VerificationMessageTemplate", required=False
    )
    allow_admin_create_user_only = serializers.BooleanField(
        source="AdminCreateUserConfig.AllowAdminCreateUserOnly", required=False
    )
    invite_message_template = InviteMessageTemplateSerializer(
        source="AdminCreateUserConfig.InviteMessageTemplate", required=False
    )
    device_configuration = DeviceConfigurationSerializer(
        source="DeviceConfiguration", required=False
    )
    account_recovery = RecoveryOptionSerializer(
        source="AccountRecoverySetting.RecoveryMechanisms", many=True, default=list
    )
    tags = serializers.DictField(child=serializers.CharField(), source="UserPoolTags", default=dict)
    domain = serializers.CharField(source="Domain", required=False)
    custom_domain = serializers.CharField(source="CustomDomain", required=False)
    estimated_number_of_users = serializers.IntegerField(source="EstimatedNumberOfUsers")
    created_at = serializers.DateTimeField(source="CreationDate")
    updated_at = serializers.DateTimeField(source="LastModifiedDate")

    @extend_schema_field(OpenApiTypes.STR)
    def get_region(self, shape: dict[str, Any]) -> str:
        return resource_region(shape["Id"])


class SmsConfigurationSerializer(StrictInputSerializer):
    sns_caller_arn = _text(source="SnsCallerArn")
    external_id = _text(source="ExternalId", required=False)
    sns_region = _text(source="SnsRegion", required=False)


class SmsMfaConfigurationSerializer(StrictInputSerializer):
    sms_authentication_message = _text(source="SmsAuthenticationMessage", required=False)
    sms_configuration = SmsConfigurationSerializer(
        source="SmsConfiguration",
        required=False,
        help_text="The pool's SMS settings, shared with its other text messages.",
    )


class SoftwareTokenMfaConfigurationSerializer(StrictInputSerializer):
    enabled = serializers.BooleanField(source="Enabled", required=False)


class EmailMfaConfigurationSerializer(StrictInputSerializer):
    message = _text(source="Message", required=False)
    subject = _text(source="Subject", required=False)


class WebAuthnConfigurationSerializer(StrictInputSerializer):
    relying_party_id = _text(
        source="RelyingPartyId",
        required=False,
        help_text="The domain passkeys belong to; without one, the pool's domain.",
    )
    user_verification = _choice("UserVerificationType", source="UserVerification", required=False)
    factor_configuration = _choice(
        "WebAuthnFactorConfigurationType", source="FactorConfiguration", required=False
    )


class _UserPoolMfaConfigSerializer(StrictInputSerializer):
    """SetUserPoolMfaConfig's members, and GetUserPoolMfaConfig's output."""

    mfa_configuration = _choice("UserPoolMfaType", source="MfaConfiguration", required=False)
    sms_mfa_configuration = SmsMfaConfigurationSerializer(
        source="SmsMfaConfiguration",
        required=False,
        help_text="Present (even empty) when SMS MFA is on; left out, it is off.",
    )
    software_token_mfa_configuration = SoftwareTokenMfaConfigurationSerializer(
        source="SoftwareTokenMfaConfiguration", required=False
    )
    email_mfa_configuration = EmailMfaConfigurationSerializer(
        source="EmailMfaConfiguration",
        required=False,
        help_text="Present (even empty) when email MFA is on; left out, it is off.",
    )
    webauthn_configuration = WebAuthnConfigurationSerializer(
        source="WebAuthnConfiguration",
        required=False,
        help_text="Passkey settings; members left out keep their value.",
    )


class UserPoolMfaConfigInputSerializer(_UserPoolMfaConfigSerializer):
    """As in SetUserPoolMfaConfig, the factors sent replace the pool's: one left out is turned
    off. `mfa_configuration` left out keeps its value."""


class UserPoolMfaConfigOutputSerializer(_UserPoolMfaConfigSerializer):
    """Reads a pool's GetUserPoolMfaConfig shape (`user_pool_mfa_config_shape`)."""


class TokenSessionSerializer(StrictInputSerializer):
    max_per_user = serializers.IntegerField(source="MaxPerUser")


class UserPoolSessionConfigSerializer(StrictInputSerializer):
    """SetUserPoolSessionConfiguration's members (all required: a full replacement), and
    GetUserPoolSessionConfiguration's output."""

    user_session_tracking = _choice("UserSessionTrackingType", source="UserSessionTracking")
    token_session = TokenSessionSerializer(source="TokenSession")


# --- Users ------------------------------------------------------------------------------------


class UserOutputSerializer(serializers.Serializer[Any]):
    username = serializers.CharField()
    sub = serializers.UUIDField()
    status = serializers.CharField()
    enabled = serializers.BooleanField()
    attributes = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_attributes(self, user: PoolUser) -> dict[str, str]:
        return {a["Name"]: a["Value"] for a in user_attributes_shape(user)}


class UserCreateInputSerializer(StrictInputSerializer):
    username = _text()
    attributes = serializers.DictField(
        child=_text(allow_blank=True), required=False, help_text="Attribute name to value."
    )
    temporary_password = _text(required=False)
    message_action = _choice(
        "MessageActionType",
        required=False,
        help_text="`SUPPRESS` sends no invitation; `RESEND` re-sends it to an existing user.",
    )
    desired_delivery_mediums = _choices("DeliveryMediumType", required=False)
    force_alias_creation = serializers.BooleanField(required=False)


class UserAttributesInputSerializer(StrictInputSerializer):
    attributes = serializers.DictField(child=_text(allow_blank=True), allow_empty=False)


class UserAttributeNamesInputSerializer(StrictInputSerializer):
    names = _texts(allow_empty=False)


class UserPasswordInputSerializer(StrictInputSerializer):
    password = _text()
    permanent = serializers.BooleanField(
        default=False, help_text="A temporary password must be changed at the next sign-in."
    )


class UserGroupInputSerializer(StrictInputSerializer):
    group = _text(help_text="The name of a group of the same pool.")


class MfaFactorSettingsSerializer(StrictInputSerializer):
    enabled = serializers.BooleanField(
        source="Enabled", required=False, help_text="Left out, the factor stays as it is."
    )
    preferred_mfa = serializers.BooleanField(
        source="PreferredMfa",
        required=False,
        help_text="True makes the factor the preferred one; false unmakes it.",
    )


class UserMfaPreferenceInputSerializer(StrictInputSerializer):
    """AdminSetUserMFAPreference: each factor sent changes, the others keep their settings."""

    sms_mfa_settings = MfaFactorSettingsSerializer(source="SMSMfaSettings", required=False)
    software_token_mfa_settings = MfaFactorSettingsSerializer(
        source="SoftwareTokenMfaSettings", required=False
    )
    email_mfa_settings = MfaFactorSettingsSerializer(source="EmailMfaSettings", required=False)


class SoftwareTokenOutputSerializer(serializers.ModelSerializer[SoftwareToken]):
    """A user's authenticator app; never its secret."""

    verified = serializers.BooleanField(
        source="confirmed",
        read_only=True,
        help_text="False while the app's first code is awaited (VerifySoftwareToken).",
    )

    class Meta:
        model = SoftwareToken
        fields = ["friendly_name", "verified", "created_at", "updated_at"]
        read_only_fields = fields


class UserMfaOutputSerializer(serializers.Serializer[Any]):
    """A user's MFA: `factors`, `preferred` and `software_token`, as the view gathers them."""

    factors = serializers.ListField(
        child=MfaFactorField(),
        help_text="The factors the user has turned on, whatever the pool allows now.",
    )
    preferred = MfaFactorField(allow_null=True, help_text="Null when no factor is preferred.")
    software_token = SoftwareTokenOutputSerializer(allow_null=True)


class DeviceOutputSerializer(serializers.ModelSerializer[Device]):
    """A user's confirmed device (AdminListDevices)."""

    class Meta:
        model = Device
        fields = [
            "device_key",
            "name",
            "remembered_status",
            "last_ip",
            "last_authenticated_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# --- Groups -----------------------------------------------------------------------------------


class GroupOutputSerializer(serializers.ModelSerializer[Group]):
    class Meta:
        model = Group
        fields = ["name", "description", "precedence", "role_arn", "created_at", "updated_at"]
        read_only_fields = fields


class GroupCreateInputSerializer(StrictInputSerializer):
    name = _text()
    description = _text(required=False, allow_blank=True)
    precedence = serializers.IntegerField(required=False, allow_null=True)
    role_arn = _text(required=False, allow_blank=True)


class GroupUpdateInputSerializer(StrictInputSerializer):
    description = _text(required=False, allow_blank=True)
    precedence = serializers.IntegerField(required=False)
    role_arn = _text(required=False, allow_blank=True)


# --- App clients ------------------------------------------------------------------------------


class TokenValidityUnitsSerializer(StrictInputSerializer):
    access_token = _choice("TimeUnitsType", source="AccessToken", required=False)
    id_token = _choice("TimeUnitsType", source="IdToken", required=False)
    refresh_token = _choice("TimeUnitsType", source="RefreshToken", required=False)


class RefreshTokenRotationSerializer(StrictInputSerializer):
    feature = _choice("FeatureType", source="Feature")
    retry_grace_period_seconds = serializers.IntegerField(
        source="RetryGracePeriodSeconds", required=False
    )


class _AppClientSettingsSerializer(StrictInputSerializer):
    """The settings both CreateUserPoolClient and UpdateUserPoolClient take."""

    name = _text(source="ClientName")
    explicit_auth_flows = _choices(
        "ExplicitAuthFlowsType", source="ExplicitAuthFlows", required=False
    )
    access_token_validity = serializers.IntegerField(source="AccessTokenValidity", required=False)
    id_token_validity = serializers.IntegerField(source="IdTokenValidity", required=False)
    refresh_token_validity = serializers.IntegerField(source="RefreshTokenValidity", required=False)
    token_validity_units = TokenValidityUnitsSerializer(source="TokenValidityUnits", required=False)
    auth_session_validity = serializers.IntegerField(source="AuthSessionValidity", required=False)
    read_attributes = _texts(source="ReadAttributes", required=False)
    write_attributes = _texts(source="WriteAttributes", required=False)
    supported_identity_providers = _texts(source="SupportedIdentityProviders", required=False)
    callback_urls = _texts(source="CallbackURLs", required=False)
    logout_urls = _texts(source="LogoutURLs", required=False)
    default_redirect_uri = _text(source="DefaultRedirectURI", required=False, allow_blank=True)
    allowed_oauth_flows = _choices("OAuthFlowType", source="AllowedOAuthFlows", required=False)
    allowed_oauth_scopes = _texts(source="AllowedOAuthScopes", required=False)
    allowed_oauth_flows_user_pool_client = serializers.BooleanField(
        source="AllowedOAuthFlowsUserPoolClient", required=False
    )
    prevent_user_existence_errors = _choice(
        "PreventUserExistenceErrorTypes", source="PreventUserExistenceErrors", required=False
    )
    enable_token_revocation = serializers.BooleanField(
        source="EnableTokenRevocation", required=False
    )
    enable_propagate_additional_user_context_data = serializers.BooleanField(
        source="EnablePropagateAdditionalUserContextData", required=False
    )
    refresh_token_rotation = RefreshTokenRotationSerializer(
        source="RefreshTokenRotation", required=False
    )


class AppClientCreateInputSerializer(_AppClientSettingsSerializer):
    generate_secret = serializers.BooleanField(
        source="GenerateSecret",
        default=False,
        help_text="The secret is returned once, in the create response's `client_secret`.",
    )


class AppClientUpdateInputSerializer(_AppClientSettingsSerializer):
    """A client's secret is fixed when it is created."""


class AppClientOutputSerializer(serializers.Serializer[Any]):
    """Reads a client's AWS shape (`app_client_shape`), never with its secret."""

    client_id = serializers.CharField(source="ClientId")
    name = serializers.CharField(source="ClientName")
    pool_id = serializers.CharField(source="UserPoolId")
    explicit_auth_flows = serializers.ListField(
        child=serializers.CharField(), source="ExplicitAuthFlows", default=list
    )
    access_token_validity = serializers.IntegerField(source="AccessTokenValidity", required=False)
    id_token_validity = serializers.IntegerField(source="IdTokenValidity", required=False)
    refresh_token_validity = serializers.IntegerField(source="RefreshTokenValidity", required=False)
    token_validity_units = TokenValidityUnitsSerializer(source="TokenValidityUnits", required=False)
    auth_session_validity = serializers.IntegerField(source="AuthSessionValidity", required=False)
    read_attributes = serializers.ListField(
        child=serializers.CharField(), source="ReadAttributes", default=list
    )
    write_attributes = serializers.ListField(
        child=serializers.CharField(), source="WriteAttributes", default=list
    )
    supported_identity_providers = serializers.ListField(
        child=serializers.CharField(), source="SupportedIdentityProviders", default=list
    )
    callback_urls = serializers.ListField(
        child=serializers.CharField(), source="CallbackURLs", default=list
    )
    logout_urls = serializers.ListField(
        child=serializers.CharField(), source="LogoutURLs", default=list
    )
    default_redirect_uri = serializers.CharField(source="DefaultRedirectURI", required=False)
    allowed_oauth_flows = serializers.ListField(
        child=serializers.CharField(), source="AllowedOAuthFlows", default=list
    )
    allowed_oauth_scopes = serializers.ListField(
        child=serializers.CharField(), source="AllowedOAuthScopes", default=list
    )
    allowed_oauth_flows_user_pool_client = serializers.BooleanField(
        source="AllowedOAuthFlowsUserPoolClient", default=False
    )
    prevent_user_existence_errors = serializers.CharField(
        source="PreventUserExistenceErrors", required=False
    )
    enable_token_revocation = serializers.BooleanField(
        source="EnableTokenRevocation", required=False
    )
    enable_propagate_additional_user_context_data = serializers.BooleanField(
        source="EnablePropagateAdditionalUserContextData", required=False
    )
    refresh_token_rotation = RefreshTokenRotationSerializer(
        source="RefreshTokenRotation", required=False
    )
    created_at = serializers.DateTimeField(source="CreationDate")
    updated_at = serializers.DateTimeField(source="LastModifiedDate")


class SSOSessionSerializer(StrictInputSerializer):
    max_validity_minutes = serializers.IntegerField(source="MaxValidityMinutes")


class AppClientSessionConfigSerializer(StrictInputSerializer):
    """SetUserPoolClientSessionConfiguration's member, and its Get's output."""

    sso_session = SSOSessionSerializer(source="SSOSession")


class AppClientCreatedOutputSerializer(AppClientOutputSerializer):
    client_secret = serializers.CharField(
        source="ClientSecret",
        allow_null=True,
        help_text="Shown this once; later reads never include it. Null without a secret.",
    )


class ClientSecretAddInputSerializer(StrictInputSerializer):
    client_secret = serializers.CharField(
        source="ClientSecret",
        required=False,
        help_text="24 to 64 characters of `[\\w+]`; left out, the server generates one.",
    )


class ClientSecretOutputSerializer(serializers.Serializer[Any]):
    """Reads ClientSecretDescriptorType (`client_secret_descriptor_shape`)."""

    secret_id = serializers.CharField(source="ClientSecretId")
    created_at = serializers.DateTimeField(source="ClientSecretCreateDate")


class ClientSecretAddedOutputSerializer(ClientSecretOutputSerializer):
    client_secret = serializers.CharField(
        source="ClientSecretValue",
        default=None,
        allow_null=True,
        help_text="A generated secret, shown this once; null for a secret the request chose.",
    )


# --- Resource servers -------------------------------------------------------------------------


class ScopeSerializer(StrictInputSerializer):
    name = _text(source="ScopeName")
    description = _text(source="ScopeDescription")


class ResourceServerCreateInputSerializer(StrictInputSerializer):
    identifier = _text(help_text="Usually a URL; URL-encode it in paths.")
    name = _text()
    scopes = ScopeSerializer(many=True, required=False)


class ResourceServerUpdateInputSerializer(StrictInputSerializer):
    name = _text(required=False)
    scopes = ScopeSerializer(many=True, required=False)


class ResourceServerOutputSerializer(serializers.Serializer[Any]):
    identifier = serializers.CharField()
    name = serializers.CharField()
    scopes = ScopeSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


# --- Domains ----------------------------------------------------------------------------------


class CustomDomainConfigSerializer(StrictInputSerializer):
    certificate_arn = _text(source="CertificateArn")


class DomainCreateInputSerializer(StrictInputSerializer):
    domain = _text(help_text="A prefix (served under this server) or, with a certificate, a name.")
    custom_domain_config = CustomDomainConfigSerializer(required=False)
    managed_login_version = serializers.IntegerField(required=False)


class DomainUpdateInputSerializer(StrictInputSerializer):
    custom_domain_config = CustomDomainConfigSerializer(required=False)
    managed_login_version = serializers.IntegerField(required=False)


class DomainOutputSerializer(serializers.Serializer[Any]):
    """Reads a domain's AWS shape (`domain_shape`)."""

    domain = serializers.CharField(source="Domain")
    pool_id = serializers.CharField(source="UserPoolId")
    status = serializers.CharField(source="Status", required=False)
    cloud_front_distribution = serializers.CharField(
        source="CloudFrontDistribution",
        required=False,
        help_text="Where a custom domain's CNAME points: this server's host.",
    )
    custom_domain_config = CustomDomainConfigSerializer(source="CustomDomainConfig", required=False)
    managed_login_version = serializers.IntegerField(source="ManagedLoginVersion", required=False)


class DomainPageOutputSerializer(serializers.Serializer[Any]):
    results = DomainOutputSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="Always null: domains fit one page.")


# --- Deliveries -------------------------------------------------------------------------------


class DeliveryQueryInputSerializer(PageQueryInputSerializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)
    kind = serializers.ChoiceField(choices=DeliveryKind.choices, required=False)
    channel = serializers.ChoiceField(choices=DeliveryChannel.choices, required=False)


class DeliveryOutputSerializer(serializers.ModelSerializer[Delivery]):
    """Where a message went and how it fared; never what it said."""

    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "username",
            "kind",
            "channel",
            "destination",
            "status",
            "attempts",
            "last_error",
            "task_id",
            "created_at",
            "updated_at",
            "sent_at",
        ]
        read_only_fields = fields
