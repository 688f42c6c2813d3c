"""User pools and everything they hold. Every row below a pool is scoped by its `pool` foreign key.

Field names, enums, defaults and limits follow botocore's `cognito-idp` model. Nested configuration
that is only stored and echoed (Lambda triggers, SMS/email delivery settings, add-ons) is kept as
JSON in the AWS shape; anything a rule reads is a column.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django_otp.models import ThrottlingMixin
from social_django.models import AbstractUserSocialAuth

from cognitoadmin.fields import ModifiedAtField
from cognitoadmin.ids import user_pool_arn
from cognitoadmin.regions import resource_region

# The OIDC standard attributes a PoolUser keeps as columns (name in Cognito -> column).
STANDARD_ATTRIBUTE_COLUMNS: dict[str, str] = {
    "address": "address",
    "birthdate": "birthdate",
    "email": "email",
    "email_verified": "email_verified",
    "family_name": "family_name",
    "gender": "gender",
    "given_name": "given_name",
    "locale": "locale",
    "middle_name": "middle_name",
    "name": "name",
    "nickname": "nickname",
    "phone_number": "phone_number",
    "phone_number_verified": "phone_number_verified",
    "picture": "picture",
    "preferred_username": "preferred_username",
    "profile": "profile",
    "updated_at": "attr_updated_at",
    "website": "website",
    "zoneinfo": "zoneinfo",
}

# Columns that serve ListUsers filters (`=` and `^=`) and so carry an index each.
FILTERABLE_COLUMNS = (
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
)


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = ModifiedAtField()

    class Meta:
        abstract = True


class MfaConfiguration(models.TextChoices):
    OFF = "OFF"
    ON = "ON"
    OPTIONAL = "OPTIONAL"


class DeletionProtection(models.TextChoices):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class UserPoolTier(models.TextChoices):
    LITE = "LITE"
    ESSENTIALS = "ESSENTIALS"
    PLUS = "PLUS"


def first_auth_factors_default() -> list[str]:
    return ["PASSWORD"]


class UserPool(TimestampedModel):
    pool_id = models.CharField(max_length=55, unique=True, editable=False)
    name = models.CharField(max_length=128, db_index=True)
    status = models.CharField(max_length=16, default="Enabled", editable=False)
    tier = models.CharField(
        max_length=16, choices=UserPoolTier.choices, default=UserPoolTier.ESSENTIALS
    )
    deletion_protection = models.CharField(
        max_length=8, choices=DeletionProtection.choices, default=DeletionProtection.INACTIVE
    )

    # Password policy (PasswordPolicyType).
    password_minimum_length = models.PositiveSmallIntegerField(default=8)
    password_require_uppercase = models.BooleanField(default=True)
    password_require_lowercase = models.BooleanField(default=True)
    password_require_numbers = models.BooleanField(default=True)
    password_require_symbols = models.BooleanField(default=True)
    password_history_size = models.PositiveSmallIntegerField(default=0)
    temporary_password_validity_days = models.PositiveSmallIntegerField(default=7)

    # Sign-in identifiers. UsernameAttributes and AliasAttributes are mutually exclusive.
    username_attributes = models.JSONField(default=list, blank=True)
    alias_attributes = models.JSONField(default=list, blank=True)
    username_case_sensitive = models.BooleanField(default=False)
    auto_verified_attributes = models.JSONField(default=list, blank=True)
    attributes_require_verification_before_update = models.JSONField(default=list, blank=True)

    # Messages.
    sms_verification_message = models.CharField(max_length=140, blank=True)
    email_verification_message = models.TextField(blank=True)
    email_verification_subject = models.CharField(max_length=140, blank=True)
    verification_message_template = models.JSONField(default=dict, blank=True)
    sms_authentication_message = models.CharField(max_length=140, blank=True)

    # AdminCreateUserConfig.
    allow_admin_create_user_only = models.BooleanField(default=False)
    invite_message_template = models.JSONField(default=dict, blank=True)

    # MFA and devices.
    mfa_configuration = models.CharField(
        max_length=8, choices=MfaConfiguration.choices, default=MfaConfiguration.OFF
    )
    # SetUserPoolMfaConfig replaces the set of enabled factors as a whole. The SMS delivery settings
    # are shared with verification messages, so SMS MFA is its own flag rather than implied by them.
    sms_mfa_enabled = models.BooleanField(default=False)
    software_token_mfa_enabled = models.BooleanField(default=False)
    email_mfa_enabled = models.BooleanField(default=False)
    email_mfa_configuration = models.JSONField(default=dict, blank=True)
    # A pool without DeviceConfiguration remembers no devices; with one (even all false) it does.
    device_tracking_enabled = models.BooleanField(default=False)
    device_challenge_required_on_new_device = models.BooleanField(default=False)
    device_only_remembered_on_user_prompt = models.BooleanField(default=False)

    # SetUserPoolSessionConfiguration. With tracking on, a user holds at most this many token
    # sessions (refresh-token families), and each client's SSO session bound applies.
    session_tracking_enabled = models.BooleanField(default=False)
    token_sessions_max_per_user = models.PositiveSmallIntegerField(default=20)

    # Choice-based sign-in (USER_AUTH): Policies.SignInPolicy.AllowedFirstAuthFactors, and the
    # passkey settings of SetUserPoolMfaConfig's WebAuthnConfiguration. Without a relying party
    # id, passkeys belong to the pool's domain.
    allowed_first_auth_factors = models.JSONField(default=first_auth_factors_default, blank=True)
    webauthn_relying_party_id = models.CharField(max_length=127, blank=True)
    webauthn_user_verification = models.CharField(max_length=16, default="preferred")
    webauthn_factor_configuration = models.CharField(max_length=40, default="SINGLE_FACTOR")

    # The pool's SAML service-provider certificate (GetSigningCertificate), made at first use;
    # its private key signs AuthnRequests and is sealed at rest.
    saml_certificate = models.TextField(blank=True, editable=False)
    saml_private_key_sealed = models.TextField(blank=True, editable=False)

    # Stored and echoed in the AWS shape.
    account_recovery_mechanisms = models.JSONField(default=list, blank=True)
    email_configuration = models.JSONField(default=dict, blank=True)
    sms_configuration = models.JSONField(default=dict, blank=True)
    lambda_config = models.JSONField(default=dict, blank=True)
    user_pool_add_ons = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=dict, blank=True)

    # Maintained by the user services so that DescribeUserPool never counts rows.
    estimated_number_of_users = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.pool_id})"

    @property
    def arn(self) -> str:
        return user_pool_arn(self.pool_id)

    @property
    def region(self) -> str:
        """The region the pool was made in, which its id begins with."""
        return resource_region(self.pool_id)

    def normalize_username(self, username: str) -> str:
        return username if self.username_case_sensitive else username.lower()


class AttributeDataType(models.TextChoices):
    STRING = "String"
    NUMBER = "Number"
    DATETIME = "DateTime"
    BOOLEAN = "Boolean"


class SchemaAttribute(models.Model):
    """One attribute of a pool's schema: the standard ones and up to 50 custom ones."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="schema_attributes")
    # Custom attributes are stored without the `custom:` prefix, standard ones by their name.
    name = models.CharField(max_length=64)
    is_custom = models.BooleanField(default=False)
    attribute_data_type = models.CharField(
        max_length=8, choices=AttributeDataType.choices, default=AttributeDataType.STRING
    )
    developer_only = models.BooleanField(default=False)
    mutable = models.BooleanField(default=True)
    required = models.BooleanField(default=False)
    min_length = models.PositiveIntegerField(null=True, blank=True)
    max_length = models.PositiveIntegerField(null=True, blank=True)
    min_value = models.BigIntegerField(null=True, blank=True)
    max_value = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "name", "is_custom"], name="schema_attribute_unique"
            )
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        if not self.is_custom:
            return self.name
        return f"dev:custom:{self.name}" if self.developer_only else f"custom:{self.name}"


class MfaFactor(models.TextChoices):
    """A second factor, named as the challenge that asks for it."""

    SMS = "SMS_MFA"
    SOFTWARE_TOKEN = "SOFTWARE_TOKEN_MFA"  # noqa: S105
    EMAIL = "EMAIL_OTP"


class UserStatus(models.TextChoices):
    UNCONFIRMED = "UNCONFIRMED"
    CONFIRMED = "CONFIRMED"
    ARCHIVED = "ARCHIVED"
    COMPROMISED = "COMPROMISED"
    UNKNOWN = "UNKNOWN"
    RESET_REQUIRED = "RESET_REQUIRED"
    FORCE_CHANGE_PASSWORD = "FORCE_CHANGE_PASSWORD"  # noqa: S105
    EXTERNAL_PROVIDER = "EXTERNAL_PROVIDER"


class PoolUser(TimestampedModel):
    """A user of one pool. Never an operator: operators are Django's `auth.User`."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="users")
    username = models.CharField(max_length=128)
    # The pool's case rule applied once, so lookups and the uniqueness constraint agree.
    username_key = models.CharField(max_length=128, editable=False)
    sub = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        max_length=24, choices=UserStatus.choices, default=UserStatus.UNCONFIRMED
    )
    enabled = models.BooleanField(default=True)
    password = models.CharField(max_length=255, blank=True, editable=False)
    password_set_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Temporary passwords (FORCE_CHANGE_PASSWORD) stop working after this moment.
    temporary_password_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # SRP-6a: the salt as Cognito's clients read it (padHex) and the verifier, sealed at rest.
    srp_salt = models.CharField(max_length=128, blank=True, editable=False)
    srp_verifier_sealed = models.TextField(blank=True, editable=False)
    # Lockout (Cognito: locked 2^(n-5) s after n >= 5 failures, reset after 15 quiet minutes).
    failed_sign_in_count = models.PositiveIntegerField(default=0, editable=False)
    last_failed_sign_in_at = models.DateTimeField(null=True, blank=True, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    # GlobalSignOut: tokens issued before this moment are refused.
    tokens_valid_after = models.DateTimeField(null=True, blank=True, editable=False)
    # The MFA factors the user has turned on (SetUserMFAPreference) and the one they prefer. A
    # software token is on only once verified (its `SoftwareToken` row is confirmed).
    mfa_sms_enabled = models.BooleanField(default=False, editable=False)
    mfa_software_token_enabled = models.BooleanField(default=False, editable=False)
    mfa_email_enabled = models.BooleanField(default=False, editable=False)
    mfa_preferred = models.CharField(
        max_length=24, choices=MfaFactor.choices, blank=True, editable=False
    )

    address = models.CharField(max_length=2048, blank=True)
    birthdate = models.CharField(max_length=10, blank=True)
    email = models.CharField(max_length=2048, blank=True)
    email_verified = models.BooleanField(null=True, blank=True)
    family_name = models.CharField(max_length=2048, blank=True)
    gender = models.CharField(max_length=2048, blank=True)
    given_name = models.CharField(max_length=2048, blank=True)
    locale = models.CharField(max_length=2048, blank=True)
    middle_name = models.CharField(max_length=2048, blank=True)
    name = models.CharField(max_length=2048, blank=True)
    nickname = models.CharField(max_length=2048, blank=True)
    phone_number = models.CharField(max_length=2048, blank=True)
    phone_number_verified = models.BooleanField(null=True, blank=True)
    picture = models.CharField(max_length=2048, blank=True)
    preferred_username = models.CharField(max_length=2048, blank=True)
    profile = models.CharField(max_length=2048, blank=True)
    attr_updated_at = models.CharField(max_length=32, blank=True)
    website = models.CharField(max_length=2048, blank=True)
    zoneinfo = models.CharField(max_length=2048, blank=True)
    # `custom:<name>` and `dev:custom:<name>` values, keyed by their full attribute name.
    custom_attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "username_key"], name="pool_user_username")
        ]
        # (pool, column) indexes serve ListUsers `=` and, on PostgreSQL, `^=` (pattern ops).
        indexes = [
            models.Index(
                fields=["pool", column],
                name=f"pooluser_{column[:12]}_idx",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            )
            for column in (*FILTERABLE_COLUMNS, "username")
        ] + [
            models.Index(fields=["pool", "status", "id"], name="pooluser_status_idx"),
            models.Index(fields=["pool", "enabled", "id"], name="pooluser_enabled_idx"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_active(self) -> bool:
        # social-auth reads this on its user model.
        return self.enabled

    def attribute_value(self, name: str) -> str | None:
        """The value Cognito would report for attribute `name`, or None when unset."""
        if name == "sub":
            return str(self.sub)
        column = STANDARD_ATTRIBUTE_COLUMNS.get(name)
        if column is None:
            value: Any = self.custom_attributes.get(name)
            return None if value is None else str(value)
        raw = getattr(self, column)
        if isinstance(raw, bool):
            return "true" if raw else "false"
        return raw or None


class Group(TimestampedModel):
    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=128)
    description = models.CharField(max_length=2048, blank=True)
    precedence = models.PositiveIntegerField(null=True, blank=True)
    role_arn = models.CharField(max_length=2048, blank=True)
    members: models.ManyToManyField[PoolUser, GroupMembership] = models.ManyToManyField(
        PoolUser, through="GroupMembership", related_name="member_of", blank=True
    )

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["pool", "name"], name="group_unique_name")]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(PoolUser, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="group_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


class PreventUserExistenceErrors(models.TextChoices):
    LEGACY = "LEGACY"
    ENABLED = "ENABLED"


class TokenUnit(models.TextChoices):
    SECONDS = "seconds"
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"


class AppClient(TimestampedModel):
    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="clients")
    client_id = models.CharField(max_length=128, unique=True, editable=False)
    name = models.CharField(max_length=128)
    # A confidential client keeps at least one AppClientSecret for life; a public one never has one.
    has_secret = models.BooleanField(default=False, editable=False)
    explicit_auth_flows = models.JSONField(default=list, blank=True)
    refresh_token_validity = models.PositiveIntegerField(default=30)
    access_token_validity = models.PositiveIntegerField(default=60)
    id_token_validity = models.PositiveIntegerField(default=60)
    refresh_token_unit = models.CharField(
        max_length=8, choices=TokenUnit.choices, default=TokenUnit.DAYS
    )
    access_token_unit = models.CharField(
        max_length=8, choices=TokenUnit.choices, default=TokenUnit.MINUTES
    )
    id_token_unit = models.CharField(
        max_length=8, choices=TokenUnit.choices, default=TokenUnit.MINUTES
    )
    read_attributes = models.JSONField(default=list, blank=True)
    write_attributes = models.JSONField(default=list, blank=True)
    supported_identity_providers = models.JSONField(default=list, blank=True)
    callback_urls = models.JSONField(default=list, blank=True)
    logout_urls = models.JSONField(default=list, blank=True)
    default_redirect_uri = models.CharField(max_length=1024, blank=True)
    allowed_oauth_flows = models.JSONField(default=list, blank=True)
    allowed_oauth_scopes = models.JSONField(default=list, blank=True)
    allowed_oauth_flows_user_pool_client = models.BooleanField(default=False)
    analytics_configuration = models.JSONField(default=dict, blank=True)
    prevent_user_existence_errors = models.CharField(
        max_length=8,
        choices=PreventUserExistenceErrors.choices,
        default=PreventUserExistenceErrors.LEGACY,
    )
    enable_token_revocation = models.BooleanField(default=True)
    enable_propagate_additional_user_context_data = models.BooleanField(default=False)
    auth_session_validity = models.PositiveSmallIntegerField(default=3)
    refresh_token_rotation_enabled = models.BooleanField(default=False)
    refresh_token_rotation_grace_seconds = models.PositiveSmallIntegerField(default=0)
    # SetUserPoolClientSessionConfiguration: how long after the user's last password (or other
    # fresh) sign-in the hosted session signs them in to this client silently; dormant while the
    # pool does not track sessions.
    sso_session_max_validity_minutes = models.PositiveIntegerField(default=60)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class AppClientSecret(models.Model):
    """One of a confidential client's secrets: one or two at a time, so a secret can be rotated
    without downtime (AddUserPoolClientSecret, DeleteUserPoolClientSecret). Recoverable
    (DescribeUserPoolClient shows the newest), so sealed rather than hashed."""

    client = models.ForeignKey(AppClient, on_delete=models.CASCADE, related_name="secrets")
    # `<client id>--<epoch milliseconds of creation>`, as Cognito forms it.
    secret_id = models.CharField(max_length=128, unique=True, editable=False)
    secret_sealed = models.TextField(editable=False)
    created_at = models.DateTimeField(editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.secret_id


class ResourceServer(TimestampedModel):
    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="resource_servers")
    identifier = models.CharField(max_length=256)
    name = models.CharField(max_length=256)
    # [{"ScopeName": ..., "ScopeDescription": ...}], at most 100.
    scopes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "identifier"], name="resource_server_unique")
        ]

    def __str__(self) -> str:
        return self.identifier


class TermsName(models.TextChoices):
    TERMS_OF_USE = "terms-of-use"
    PRIVACY_POLICY = "privacy-policy"


class Terms(TimestampedModel):
    """An app client's terms of use or privacy policy: a link per language, which the hosted
    sign-up page shows once the client has both documents."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="terms")
    client = models.ForeignKey("AppClient", on_delete=models.CASCADE, related_name="terms")
    terms_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=14, choices=TermsName.choices)
    # Reserved by Cognito for later use: LINK and NONE are the only values it takes.
    source = models.CharField(max_length=8, default="LINK")
    enforcement = models.CharField(max_length=8, default="NONE")
    # {"cognito:default": "https://...", "cognito:spanish": "https://..."}, 1 to 13 entries.
    links = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        verbose_name = "terms document"
        verbose_name_plural = "terms documents"
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="terms_name_per_client")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class LogDeliveryConfiguration(TimestampedModel):
    """Where a pool exports its logs (SetLogDeliveryConfiguration): its LogConfigurations as the
    API gives them, at most one per event source. The ARNs are kept as given; the server's
    COGNITOADMIN_LOG_DESTINATIONS decides where on this machine each one's events go."""

    pool = models.OneToOneField(UserPool, on_delete=models.CASCADE, related_name="log_delivery")
    # [{"EventSource": "userNotification", "LogLevel": "ERROR", "CloudWatchLogsConfiguration":
    # {"LogGroupArn": "arn:aws:logs:..."}}], 0 to 2 entries.
    log_configurations = models.JSONField(default=list)

    class Meta:
        verbose_name = "log delivery configuration"

    def __str__(self) -> str:
        return f"log delivery of {self.pool_id}"


class DomainStatus(models.TextChoices):
    CREATING = "CREATING"
    DELETING = "DELETING"
    UPDATING = "UPDATING"
    ACTIVE = "ACTIVE"
    FAILED = "FAILED"


class Domain(TimestampedModel):
    """A hosted-UI domain: a prefix under this server, or a custom domain name."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)
    is_custom = models.BooleanField(default=False)
    certificate_arn = models.CharField(max_length=2048, blank=True)
    status = models.CharField(
        max_length=8, choices=DomainStatus.choices, default=DomainStatus.ACTIVE
    )
    managed_login_version = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One prefix domain and one custom domain per pool, as Cognito allows.
            models.UniqueConstraint(fields=["pool", "is_custom"], name="domain_one_per_kind")
        ]

    def __str__(self) -> str:
        return self.domain


class ProviderType(models.TextChoices):
    SAML = "SAML"
    FACEBOOK = "Facebook"
    GOOGLE = "Google"
    LOGIN_WITH_AMAZON = "LoginWithAmazon"
    SIGN_IN_WITH_APPLE = "SignInWithApple"
    OIDC = "OIDC"


class IdentityProvider(TimestampedModel):
    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="identity_providers")
    name = models.CharField(max_length=32)
    provider_type = models.CharField(max_length=16, choices=ProviderType.choices)
    # Secrets in ProviderDetails (client_secret) are sealed by the service, never stored plain.
    provider_details = models.JSONField(default=dict, blank=True)
    attribute_mapping = models.JSONField(default=dict, blank=True)
    idp_identifiers = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "name"], name="identity_provider_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.provider_type})"


# Cognito's name for the upstream account's subject when linking identities.
COGNITO_SUBJECT = "Cognito_Subject"


class FederatedIdentity(AbstractUserSocialAuth):
    """An account at one of the pool's identity providers, tied to one pool user.

    social-auth's association model, scoped by pool: `provider` is the IdP's name in the pool
    (ProviderName) and `uid` the upstream value of `attribute_name` (its subject unless an
    operator linked by another attribute). A first federated sign-in makes the row with
    `primary` set, for the `<ProviderName>_<subject>` user it creates; AdminLinkProviderForUser
    makes one without, for an existing user. `extra_data` holds no upstream tokens.
    """

    pool = models.ForeignKey(
        UserPool, on_delete=models.CASCADE, related_name="federated_identities"
    )
    # Overridden so that the reverse name does not clash with social_django's own table.
    user = models.ForeignKey(
        PoolUser, on_delete=models.CASCADE, related_name="federated_identities"
    )
    provider_type = models.CharField(max_length=16, choices=ProviderType.choices)
    attribute_name = models.CharField(max_length=128, default=COGNITO_SUBJECT)
    primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "provider", "attribute_name", "uid"],
                name="federated_identity_unique",
            ),
            models.CheckConstraint(condition=~models.Q(uid=""), name="federated_identity_uid"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.uid}"


class _VerifyAllowed(models.Model):
    """The end of django-otp's `verify_is_allowed` chain (its Device's part), for a model that is
    not one of its devices: the throttle decides alone."""

    class Meta:
        abstract = True

    def verify_is_allowed(self) -> tuple[bool, dict[str, Any] | None]:
        return True, None


class SoftwareToken(ThrottlingMixin, _VerifyAllowed):  # type: ignore[misc]
    """A user's authenticator app (TOTP, RFC 6238, 30-second steps, six digits).

    AssociateSoftwareToken puts a new secret in `pending_key_sealed`; VerifySoftwareToken with a
    code from it makes it the key. Until then the old key, if any, keeps working. Keys are sealed:
    the table alone gives no one a code. `last_t` is the time step of the last accepted code, so a
    code is accepted once. django-otp's throttling spaces out tries after failures.
    """

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="software_tokens")
    user = models.OneToOneField(PoolUser, on_delete=models.CASCADE, related_name="software_token")
    key_sealed = models.TextField(blank=True, editable=False)
    pending_key_sealed = models.TextField(blank=True, editable=False)
    friendly_name = models.CharField(max_length=256, blank=True)
    last_t = models.BigIntegerField(default=-1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = ModifiedAtField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.friendly_name or f"authenticator of {self.user_id}"

    @property
    def confirmed(self) -> bool:
        return bool(self.key_sealed)

    def get_throttle_factor(self) -> int:
        factor: int = settings.COGNITOADMIN_MFA_THROTTLE_FACTOR
        return factor


class DeviceRememberedStatus(models.TextChoices):
    REMEMBERED = "remembered"
    NOT_REMEMBERED = "not_remembered"


class Device(TimestampedModel):
    """A device a user signed in from, in a pool that tracks devices: its key and group key are
    handed out as NewDeviceMetadata, and ConfirmDevice gives it an SRP verifier of its own (sealed)
    so that it can prove itself (DEVICE_SRP_AUTH) and, once remembered, skip MFA."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="devices")
    user = models.ForeignKey(PoolUser, on_delete=models.CASCADE, related_name="devices")
    device_key = models.CharField(max_length=55, unique=True, editable=False)
    device_group_key = models.CharField(max_length=64, editable=False)
    name = models.CharField(max_length=1024, blank=True)
    srp_salt = models.CharField(max_length=1024, blank=True, editable=False)
    srp_verifier_sealed = models.TextField(blank=True, editable=False)
    confirmed = models.BooleanField(default=False)
    remembered_status = models.CharField(
        max_length=16, choices=DeviceRememberedStatus.choices, blank=True
    )
    last_ip = models.CharField(max_length=64, blank=True)
    last_authenticated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_authenticated_at", "-id"]
        indexes = [models.Index(fields=["user", "-id"], name="device_user_idx")]

    def __str__(self) -> str:
        return self.name or self.device_key


class WebAuthnCredential(models.Model):
    """A user's passkey: CompleteWebAuthnRegistration stores its id, its public key (COSE, not a
    secret) and sign counter; a WEB_AUTHN answer is checked against them. The same credential id
    in two pools is two credentials."""

    pool = models.ForeignKey(
        UserPool, on_delete=models.CASCADE, related_name="webauthn_credentials"
    )
    user = models.ForeignKey(
        PoolUser, on_delete=models.CASCADE, related_name="webauthn_credentials"
    )
    # base64url, as WebAuthn's JSON carries it (credential ids are at most 1,023 bytes).
    credential_id = models.CharField(max_length=1400, editable=False)
    public_key = models.TextField(editable=False)
    sign_count = models.PositiveBigIntegerField(default=0, editable=False)
    relying_party_id = models.CharField(max_length=127, editable=False)
    friendly_name = models.CharField(max_length=256, blank=True)
    authenticator_attachment = models.CharField(max_length=32, blank=True, editable=False)
    transports = models.JSONField(default=list, blank=True, editable=False)
    aaguid = models.CharField(max_length=36, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "credential_id"], name="webauthn_credential_unique"
            )
        ]

    def __str__(self) -> str:
        return self.friendly_name or self.credential_id[:16]


class WebAuthnRegistration(models.Model):
    """The passkey registration a user has started (StartWebAuthnRegistration) and not yet
    completed: its challenge, to be signed once, until `expires_at`. A new start replaces it."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="+")
    user = models.OneToOneField(
        PoolUser, on_delete=models.CASCADE, related_name="webauthn_registration"
    )
    challenge = models.CharField(max_length=128, editable=False)
    relying_party_id = models.CharField(max_length=127, editable=False)
    user_verification = models.CharField(max_length=16, editable=False)
    expires_at = models.DateTimeField(editable=False)

    def __str__(self) -> str:
        return f"passkey registration of {self.user_id}"


class PasswordHistoryEntry(models.Model):
    """One of a user's passwords, as its hash: the pool's PasswordHistorySize newest are kept, so
    that a new password matching one of them is refused."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="password_history")
    user = models.ForeignKey(PoolUser, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=255, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "password history entries"
        indexes = [models.Index(fields=["user", "-id"], name="password_history_user_idx")]

    def __str__(self) -> str:
        return f"password of {self.user_id} set {self.created_at:%Y-%m-%d}"


class RefreshToken(models.Model):
    """An opaque refresh token, stored only as a digest, bound to one user and one app client.

    `origin_jti` names the sign-in it came from: access and ID tokens carry it, so revoking this row
    revokes every token issued from it.
    """

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="refresh_tokens")
    user = models.ForeignKey(PoolUser, on_delete=models.CASCADE, related_name="refresh_tokens")
    client = models.ForeignKey(AppClient, on_delete=models.CASCADE, related_name="refresh_tokens")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    origin_jti = models.CharField(max_length=64, db_index=True, editable=False)
    auth_time = models.DateTimeField()
    scopes = models.JSONField(default=list, blank=True)
    device_key = models.CharField(max_length=128, blank=True)
    # How the user proved who they are (the ID token's `amr`), kept for the tokens of a refresh.
    amr = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Rotation: a replaced token keeps working until superseded_at + the client's grace period.
    superseded_at = models.DateTimeField(null=True, blank=True)
    # The last redeem, written only while the pool tracks sessions: the least recently used
    # sign-in is the one a sign-in over TokenSession.MaxPerUser evicts.
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The hosted sign-in session an authorization code of this sign-in came from: the token
    # session's OriginSessionId, and what RevokeUserSession's LINKED ends with it.
    hosted_session = models.ForeignKey(
        "HostedSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="token_sessions",
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="refresh_user_revoked_idx")]

    def __str__(self) -> str:
        return f"refresh token {self.origin_jti} of {self.user_id}"


class AuthSession(models.Model):
    """The state between InitiateAuth and RespondToAuthChallenge: opaque to the client (only a
    digest is stored), bound to user and client, single-use, expiring with AuthSessionValidity."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="auth_sessions")
    client = models.ForeignKey(AppClient, on_delete=models.CASCADE, related_name="auth_sessions")
    # Null for a sign-in attempt on a user that does not exist (PreventUserExistenceErrors).
    user = models.ForeignKey(
        PoolUser, on_delete=models.CASCADE, null=True, blank=True, related_name="auth_sessions"
    )
    session_digest = models.CharField(max_length=64, unique=True, editable=False)
    challenge_name = models.CharField(max_length=32)
    # Challenge state (e.g. the SRP secret b), sealed: it must never be readable from the table.
    state_sealed = models.TextField(blank=True, editable=False)
    # Wrong answers to a code challenge; the session ends after a few.
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.challenge_name} session"


class HostedSession(models.Model):
    """A pool user's sign-in through the hosted pages (`/login`): while it lasts,
    `/oauth2/authorize` for any app client of the pool skips the password. The browser's cookie
    holds a random token (signed); the row holds only its digest, so `/logout` ends it for every
    copy of the cookie."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="hosted_sessions")
    user = models.ForeignKey(PoolUser, on_delete=models.CASCADE, related_name="hosted_sessions")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    auth_time = models.DateTimeField()
    amr = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"hosted sign-in of {self.user_id}"


class AuthorizationCode(models.Model):
    """An OAuth 2.0 authorization code (RFC 6749 §4.1): stored as its SHA-256 only, bound to the
    client, the redirect URI and the PKCE challenge it was issued with, single use, short-lived.
    `origin_jti` names the sign-in its exchange issued, so that a second use revokes it."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="authorization_codes")
    client = models.ForeignKey(
        AppClient, on_delete=models.CASCADE, related_name="authorization_codes"
    )
    user = models.ForeignKey(PoolUser, on_delete=models.CASCADE, related_name="authorization_codes")
    code_digest = models.CharField(max_length=64, unique=True, editable=False)
    redirect_uri = models.TextField()
    scopes = models.JSONField(default=list, blank=True)
    nonce = models.TextField(blank=True)
    code_challenge = models.CharField(max_length=128, blank=True)
    code_challenge_method = models.CharField(max_length=8, blank=True)
    auth_time = models.DateTimeField()
    amr = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    origin_jti = models.CharField(max_length=64, blank=True, editable=False)
    # The hosted sign-in session that issued the code, handed on to the sign-in its exchange makes.
    hosted_session = models.ForeignKey(
        HostedSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"authorization code for {self.client_id}"


class CodePurpose(models.TextChoices):
    SIGN_UP = "SIGN_UP"
    FORGOT_PASSWORD = "FORGOT_PASSWORD"  # noqa: S105
    VERIFY_EMAIL = "VERIFY_EMAIL"
    VERIFY_PHONE_NUMBER = "VERIFY_PHONE_NUMBER"


class VerificationCode(models.Model):
    """A code sent to a user, stored as a digest. Only the newest code per purpose is valid."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="codes")
    user = models.ForeignKey(PoolUser, on_delete=models.CASCADE, related_name="codes")
    purpose = models.CharField(max_length=24, choices=CodePurpose.choices)
    code_digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["user", "purpose", "-id"], name="code_user_purpose_idx")]

    def __str__(self) -> str:
        return f"{self.purpose} code for {self.user_id}"


class DeliveryKind(models.TextChoices):
    """What a message carries: a code of one of the code purposes, or an invitation."""

    SIGN_UP = "SIGN_UP"
    VERIFY_EMAIL = "VERIFY_EMAIL"
    VERIFY_PHONE_NUMBER = "VERIFY_PHONE_NUMBER"
    FORGOT_PASSWORD = "FORGOT_PASSWORD"  # noqa: S105
    INVITATION = "INVITATION"
    MFA = "MFA"


class DeliveryChannel(models.TextChoices):
    EMAIL = "EMAIL"
    SMS = "SMS"


class DeliveryStatus(models.TextChoices):
    QUEUED = "QUEUED"
    SENT = "SENT"
    FAILED = "FAILED"


class Delivery(models.Model):
    """One message to a pool user (the outbox): written in the transaction that made the code or
    user it carries, sent by a task after the commit, and swept up if the broker never got it.

    The message itself (address, subject, bodies, with the code or temporary password in them) is
    kept sealed until it is sent, then dropped: the record shows where a message went and how it
    fared, never what it said.
    """

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(PoolUser, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=24, choices=DeliveryKind.choices)
    channel = models.CharField(max_length=8, choices=DeliveryChannel.choices)
    # As Cognito's CodeDeliveryDetails shows it: `a***@e***`, `+*******0100`.
    destination = models.CharField(max_length=64)
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    message_sealed = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = ModifiedAtField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            # The sweep's scan: queued records, oldest first.
            models.Index(fields=["status", "updated_at"], name="delivery_status_idx"),
            models.Index(fields=["pool", "-id"], name="delivery_pool_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel} to {self.destination}"


class SigningKey(models.Model):
    """An RSA key that signs a pool's tokens. Retired keys stay in JWKS until their tokens end."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="signing_keys")
    kid = models.CharField(max_length=64, unique=True, editable=False)
    private_key_sealed = models.TextField(editable=False)
    public_jwk = models.JSONField(editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    # After this moment no token signed by the key can still be valid, so it leaves the JWKS.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool"],
                condition=models.Q(active=True),
                name="signing_key_one_active",
            )
        ]

    def __str__(self) -> str:
        return self.kid


class UICustomization(TimestampedModel):
    """The classic hosted UI's branding (SetUICustomization): the pool's default (no client,
    ClientId "ALL" on the wire) or one app client's, which wins on that client's pages. The CSS
    is kept as given; the logo's bytes are kept here (100 KB at most), served at `ImageUrl`."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="ui_customizations")
    client = models.ForeignKey(
        "AppClient",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ui_customizations",
    )
    css = models.TextField(blank=True)
    image = models.BinaryField(blank=True, editable=False)
    image_content_type = models.CharField(max_length=16, blank=True, editable=False)
    # The image's SHA-256 (hex): its URL's version, so a new logo is a new URL.
    image_digest = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = "UI customization"
        constraints = [
            models.UniqueConstraint(
                fields=["pool"],
                condition=models.Q(client__isnull=True),
                name="ui_customization_one_per_pool",
            ),
            models.UniqueConstraint(
                fields=["pool", "client"], name="ui_customization_one_per_client"
            ),
        ]

    def __str__(self) -> str:
        return f"UI customization of {self.client_id or 'ALL'}"


class ProvisionedLimit(TimestampedModel):
    """A request rate UpdateProvisionedLimit set for one API category. Cognito's provisioned
    limits belong to the account (every user pool in its Region shares them), and this server
    serves one account: so one row per category, and none where the category's default applies."""

    category = models.CharField(max_length=64, unique=True)
    requests_per_second = models.PositiveIntegerField()

    class Meta:
        ordering = ["category"]

    def __str__(self) -> str:
        return f"{self.category}: {self.requests_per_second} RPS"
