"""Admin forms for the writes that go through services. Plain forms, not ModelForms: the services
validate, so the model's own checks never stand in for (or run before) the service's rules.

Each form's `settings()`/`attributes()` turns its fields into the AWS-shaped arguments the services
take. The admin adds the `pool` field itself, with its widget for choosing among many pools.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from cognitoadmin.service_admin import RegionFormField
from pools.models import (
    DeletionProtection,
    Group,
    MfaConfiguration,
    ProviderType,
    UserPool,
)
from pools.services.clients import AUTH_FLOWS, DEFAULT_AUTH_FLOWS
from pools.services.pools import (
    DEFAULT_PASSWORD_MINIMUM_LENGTH,
    DEFAULT_TEMPORARY_PASSWORD_VALIDITY_DAYS,
)

SIGN_IN_ATTRIBUTES = (("email", "email"), ("phone_number", "phone number"))


class UserPoolCreateForm(forms.Form):
    name = forms.CharField(max_length=128)
    username_attributes = forms.MultipleChoiceField(
        choices=SIGN_IN_ATTRIBUTES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Users sign in with these instead of a username.",
    )
    auto_verified_attributes = forms.MultipleChoiceField(
        choices=SIGN_IN_ATTRIBUTES, required=False, widget=forms.CheckboxSelectMultiple
    )
    username_case_sensitive = forms.BooleanField(required=False)
    password_minimum_length = forms.IntegerField(initial=DEFAULT_PASSWORD_MINIMUM_LENGTH)
    password_require_uppercase = forms.BooleanField(required=False, initial=True)
    password_require_lowercase = forms.BooleanField(required=False, initial=True)
    password_require_numbers = forms.BooleanField(required=False, initial=True)
    password_require_symbols = forms.BooleanField(required=False, initial=True)
    temporary_password_validity_days = forms.IntegerField(
        initial=DEFAULT_TEMPORARY_PASSWORD_VALIDITY_DAYS
    )
    allow_admin_create_user_only = forms.BooleanField(
        required=False, help_text="Only operators create users; self sign-up is refused."
    )
    deletion_protection = forms.ChoiceField(
        choices=DeletionProtection.choices, initial=DeletionProtection.INACTIVE
    )
    region = RegionFormField()

    def settings(self) -> dict[str, Any]:
        """CreateUserPool members (without PoolName)."""
        data = self.cleaned_data
        return {
            "UsernameAttributes": data["username_attributes"],
            "AutoVerifiedAttributes": data["auto_verified_attributes"],
            "UsernameConfiguration": {"CaseSensitive": data["username_case_sensitive"]},
            "Policies": {
                "PasswordPolicy": {
                    "MinimumLength": data["password_minimum_length"],
                    "RequireUppercase": data["password_require_uppercase"],
                    "RequireLowercase": data["password_require_lowercase"],
                    "RequireNumbers": data["password_require_numbers"],
                    "RequireSymbols": data["password_require_symbols"],
                    "TemporaryPasswordValidityDays": data["temporary_password_validity_days"],
                }
            },
            "AdminCreateUserConfig": {
                "AllowAdminCreateUserOnly": data["allow_admin_create_user_only"]
            },
            "DeletionProtection": data["deletion_protection"],
        }


class PoolUserCreateForm(forms.Form):
    field_order = ("pool",)

    username = forms.CharField(max_length=128)
    temporary_password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput,
        help_text="Left empty, one is generated that meets the pool's password policy.",
    )
    message_action = forms.ChoiceField(
        choices=(("", "Send the invitation"), ("SUPPRESS", "Do not send an invitation")),
        required=False,
    )
    desired_delivery_mediums = forms.MultipleChoiceField(
        choices=(("EMAIL", "email"), ("SMS", "SMS")),
        initial=["EMAIL"],
        widget=forms.CheckboxSelectMultiple,
        help_text="Where the invitation goes.",
    )
    email = forms.CharField(max_length=2048, required=False)
    email_verified = forms.BooleanField(required=False)
    phone_number = forms.CharField(
        max_length=2048, required=False, help_text="E.164, such as +15555550100."
    )
    phone_number_verified = forms.BooleanField(required=False)
    name = forms.CharField(max_length=2048, required=False)
    given_name = forms.CharField(max_length=2048, required=False)
    family_name = forms.CharField(max_length=2048, required=False)

    ATTRIBUTE_FIELDS = ("email", "phone_number", "name", "given_name", "family_name")

    def attributes(self) -> dict[str, str]:
        """Attributes for AdminCreateUser: the ones filled in, and verified flags that are set."""
        data = self.cleaned_data
        values = {name: data[name] for name in self.ATTRIBUTE_FIELDS if data[name]}
        for flag in ("email_verified", "phone_number_verified"):
            if data[flag]:
                values[flag] = "true"
        return values


class GroupCreateForm(forms.Form):
    field_order = ("pool",)

    name = forms.CharField(max_length=128)
    description = forms.CharField(max_length=2048, required=False, widget=forms.Textarea)
    precedence = forms.IntegerField(required=False, min_value=0)
    role_arn = forms.CharField(max_length=2048, required=False, label="Role ARN")


class AppClientCreateForm(forms.Form):
    field_order = ("pool",)

    name = forms.CharField(max_length=128)
    generate_secret = forms.BooleanField(
        required=False, help_text="The secret is shown once, right after the client is created."
    )
    explicit_auth_flows = forms.MultipleChoiceField(
        choices=[(flow, flow) for flow in AUTH_FLOWS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=f"None chosen: Cognito's default ({', '.join(DEFAULT_AUTH_FLOWS)}).",
    )

    def settings(self) -> dict[str, Any]:
        """CreateUserPoolClient members (without UserPoolId and ClientName)."""
        data = self.cleaned_data
        settings: dict[str, Any] = {"GenerateSecret": data["generate_secret"]}
        if data["explicit_auth_flows"]:
            settings["ExplicitAuthFlows"] = data["explicit_auth_flows"]
        return settings


class GroupChoiceForm(forms.Form):
    """Chooses one group of `pool` (Cognito allows 10,000 per pool, so a select stays bounded)."""

    def __init__(self, *args: Any, pool: UserPool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"] = forms.ModelChoiceField(
            queryset=Group.objects.filter(pool=pool).order_by("name")
        )


class SoftwareTokenVerifyForm(forms.Form):
    """A code from an authenticator app just set up (VerifySoftwareToken)."""

    code = forms.CharField(max_length=64, help_text="The six digits the app shows now.")
    friendly_name = forms.CharField(
        max_length=256, required=False, help_text="A name for the app, such as “Work phone”."
    )


class UserPoolMfaConfigForm(forms.Form):
    """SetUserPoolMfaConfig: whether MFA is asked for, and with which factors. A factor left
    unticked is turned off; its message is kept only while it is on."""

    mfa_configuration = forms.ChoiceField(choices=MfaConfiguration.choices, label="MFA")
    sms = forms.BooleanField(required=False, label="SMS text messages")
    sms_authentication_message = forms.CharField(
        required=False,
        strip=False,
        label="SMS message",
        help_text="With {####} for the code; empty for the default.",
    )
    software_token = forms.BooleanField(required=False, label="Authenticator apps (TOTP)")
    email = forms.BooleanField(required=False, label="Email messages")
    email_subject = forms.CharField(required=False, strip=False, label="Email subject")
    email_message = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Email message",
        help_text="With {####} for the code; empty for the default.",
    )

    @staticmethod
    def initial_from(shape: Mapping[str, Any]) -> dict[str, Any]:
        """The form's values for a pool's GetUserPoolMfaConfig output."""
        sms = shape.get("SmsMfaConfiguration")
        email = shape.get("EmailMfaConfiguration")
        return {
            "mfa_configuration": shape.get("MfaConfiguration"),
            "sms": sms is not None,
            "sms_authentication_message": (sms or {}).get("SmsAuthenticationMessage", ""),
            "software_token": shape.get("SoftwareTokenMfaConfiguration", {}).get("Enabled", False),
            "email": email is not None,
            "email_subject": (email or {}).get("Subject", ""),
            "email_message": (email or {}).get("Message", ""),
        }

    def settings(self) -> dict[str, Any]:
        """SetUserPoolMfaConfig members (without UserPoolId); empty messages are left out."""
        data = self.cleaned_data
        settings: dict[str, Any] = {
            "MfaConfiguration": data["mfa_configuration"],
            "SoftwareTokenMfaConfiguration": {"Enabled": data["software_token"]},
        }
        if data["sms"]:
            message = data["sms_authentication_message"]
            settings["SmsMfaConfiguration"] = (
                {"SmsAuthenticationMessage": message} if message else {}
            )
        if data["email"]:
            members = {"Subject": data["email_subject"], "Message": data["email_message"]}
            settings["EmailMfaConfiguration"] = {k: v for k, v in members.items() if v}
        return settings


class UICustomizationForm(forms.Form):
    """SetUICustomization for one level (the pool's default or one app client): the CSS and the
    logo are set together, so a logo left as it is goes with the new CSS."""

    css = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 80, "spellcheck": "false"}),
        label="CSS",
        help_text="Only Cognito's -customizable classes, e.g. .banner-customizable "
        "{ background-color: #0a3069; }",
    )
    image = forms.FileField(
        required=False, label="New logo", help_text="A PNG or JPEG image of at most 100 KB."
    )
    keep_image = forms.BooleanField(
        required=False, initial=True, label="Keep the current logo (when no new one is chosen)"
    )


_DETAILS_HELP = (
    "ProviderDetails as JSON, as CreateIdentityProvider takes them (for OIDC: client_id, "
    "client_secret, attributes_request_method, oidc_issuer, authorize_scopes). On a change, a "
    "secret left out keeps its value."
)
_MAPPING_HELP = (
    'AttributeMapping as JSON: pool attribute to provider claim, e.g. {"email": "email"}.'
)


def _json_object(value: Any, name: str) -> dict[str, str]:
    # The services check the keys and values; a form only needs an object of strings to hand on.
    if value in (None, ""):
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise forms.ValidationError(f"The {name} must be a JSON object of strings.")
    return value


class IdentityProviderFields(forms.Form):
    details = forms.JSONField(label="provider details", help_text=_DETAILS_HELP)
    mapping = forms.JSONField(label="attribute mapping", required=False, help_text=_MAPPING_HELP)
    identifiers = forms.CharField(
        label="IdP identifiers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line: what idp_identifier on /oauth2/authorize may name it by.",
    )

    def clean_details(self) -> dict[str, str]:
        return _json_object(self.cleaned_data.get("details"), "provider details")

    def clean_mapping(self) -> dict[str, str]:
        return _json_object(self.cleaned_data.get("mapping"), "attribute mapping")

    def clean_identifiers(self) -> list[str]:
        text = self.cleaned_data.get("identifiers") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class IdentityProviderCreateForm(IdentityProviderFields):
    field_order = ("pool", "name", "provider_type")

    name = forms.CharField(max_length=32, label="provider name")
    provider_type = forms.ChoiceField(choices=ProviderType.choices)
