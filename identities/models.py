"""Operators' access keys, IAM roles and policies, identity pools and their identities."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from cognitoadmin.fields import ModifiedAtField
from cognitoadmin.ids import iam_arn, iam_oidc_provider_arn


class AccessKey(models.Model):
    """A long-lived key pair for programs acting as an operator (SigV4 or HTTP Basic).

    The secret is sealed, not hashed: SigV4 verification must recompute signatures with it.
    """

    access_key_id = models.CharField(max_length=128, unique=True, editable=False)
    secret_sealed = models.TextField(editable=False)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_keys"
    )
    description = models.CharField(max_length=256, blank=True)
    # An IAM-style policy (its canonical document) that narrows what the key may do; without one
    # the key may do whatever its operator may.
    policy = models.JSONField(null=True, blank=True, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.access_key_id


class Role(models.Model):
    """An IAM role: what temporary credentials may do, and (its trust policy) who may assume it.

    IAM is global, so roles belong to the server's one account, not to a region. Names are unique
    without regard to case, as IAM's are.
    """

    role_id = models.CharField(max_length=32, unique=True, editable=False)
    name = models.CharField(max_length=64)
    path = models.CharField(max_length=512, default="/")
    description = models.CharField(max_length=1000, blank=True)
    # The trust policy, as its canonical document.
    assume_role_policy = models.JSONField()
    max_session_duration = models.PositiveIntegerField(default=3600)
    # IAM tags: key -> value, at most 50.
    tags = models.JSONField(default=dict, blank=True)
    attached_policies: models.ManyToManyField[ManagedPolicy, Any] = models.ManyToManyField(
        "ManagedPolicy", related_name="roles", blank=True
    )
    created_at = models.DateTimeField(editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="role_name_unique_ci")]

    def __str__(self) -> str:
        return self.name

    @property
    def arn(self) -> str:
        return iam_arn("role", path=self.path, name=self.name)


class RolePolicy(models.Model):
    """An inline policy of a role (PutRolePolicy)."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="inline_policies")
    name = models.CharField(max_length=128)
    document = models.JSONField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["role", "name"], name="role_policy_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ManagedPolicy(models.Model):
    """A customer-managed policy (CreatePolicy); one version, `v1`, which is its default."""

    policy_id = models.CharField(max_length=32, unique=True, editable=False)
    name = models.CharField(max_length=128)
    path = models.CharField(max_length=512, default="/")
    description = models.CharField(max_length=1000, blank=True)
    document = models.JSONField()
    tags = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(editable=False)
    updated_at = models.DateTimeField(editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "managed policies"
        constraints = [models.UniqueConstraint(Lower("name"), name="managed_policy_name_unique_ci")]

    def __str__(self) -> str:
        return self.name

    @property
    def arn(self) -> str:
        return iam_arn("policy", path=self.path, name=self.name)


class OpenIdConnectProvider(models.Model):
    """An IAM OpenID Connect provider (CreateOpenIDConnectProvider): an outside issuer whose ID
    tokens identity pools naming it accept, for the audiences of `client_id_list`.

    `url` is the issuer without its scheme, as IAM keeps it (`accounts.example.com`,
    `127.0.0.1:8765/realms/app`); it is the provider's name in Logins maps. Thumbprints are kept
    as IAM keeps them; tokens are checked against the issuer's published keys.
    """

    url = models.CharField(max_length=255, unique=True)
    client_id_list = models.JSONField(default=list, blank=True)
    thumbprint_list = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(editable=False)

    class Meta:
        ordering = ["url"]
        verbose_name = "OpenID Connect provider"

    def __str__(self) -> str:
        return self.url

    @property
    def arn(self) -> str:
        return iam_oidc_provider_arn(self.url)


class IdentityPool(models.Model):
    """A Cognito identity pool: which logins it accepts and the roles its identities get."""

    identity_pool_id = models.CharField(max_length=55, unique=True, editable=False)
    region = models.CharField(max_length=32, editable=False)
    name = models.CharField(max_length=128)
    allow_unauthenticated = models.BooleanField(default=False)
    allow_classic_flow = models.BooleanField(default=False)
    # provider domain (graph.facebook.com, accounts.google.com, ...) -> app id
    supported_login_providers = models.JSONField(default=dict, blank=True)
    developer_provider_name = models.CharField(max_length=128, blank=True)
    open_id_connect_provider_arns = models.JSONField(default=list, blank=True)
    saml_provider_arns = models.JSONField(default=list, blank=True)
    # [{"ProviderName": ..., "ClientId": ..., "ServerSideTokenCheck": bool}]
    cognito_identity_providers = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    # Roles are named by ARN, as Cognito keeps them: a role deleted later is found missing when
    # credentials are asked for (InvalidIdentityPoolConfigurationException).
    authenticated_role_arn = models.CharField(max_length=2048, blank=True)
    unauthenticated_role_arn = models.CharField(max_length=2048, blank=True)
    # provider -> RoleMapping, as SetIdentityPoolRoles takes it.
    role_mappings = models.JSONField(default=dict, blank=True)
    # provider -> {"UseDefaults": bool, "PrincipalTags": {tag: claim}}
    principal_tag_maps = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # A developer provider names one pool per region, so its users are one pool's.
            models.UniqueConstraint(
                fields=["region", "developer_provider_name"],
                condition=~models.Q(developer_provider_name=""),
                name="identity_pool_developer_provider_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Identity(models.Model):
    """An identity of an identity pool; it keeps its id when an anonymous user later logs in."""

    identity_id = models.CharField(max_length=55, unique=True, editable=False)
    pool = models.ForeignKey(IdentityPool, on_delete=models.CASCADE, related_name="identities")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = ModifiedAtField()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return self.identity_id


class IdentityLogin(models.Model):
    """One login linked to an identity: the provider's name and the user's subject there.

    Developer identities use the pool's developer provider name and the developer's user id.
    One subject of a provider is linked to one identity of a pool.
    """

    pool = models.ForeignKey(IdentityPool, on_delete=models.CASCADE, related_name="logins")
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="logins")
    provider = models.CharField(max_length=512)
    subject = models.CharField(max_length=1024)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "provider", "subject"], name="identity_login_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.subject}"


class OpenIdSigningKey(models.Model):
    """The RSA key that signs identity pools' OpenID tokens (GetOpenIdToken), made on first use;
    the oldest row signs, and every row is published in the issuer's JWKS."""

    kid = models.CharField(max_length=64, unique=True, editable=False)
    private_key_sealed = models.TextField(editable=False)
    public_jwk = models.JSONField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.kid
