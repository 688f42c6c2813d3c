"""Users' identities at the pool's identity providers: AdminLinkProviderForUser,
AdminDisableProviderForUser, the `identities` claim and attribute, and the pool's SAML signing
certificate (GetSigningCertificate).

A `FederatedIdentity` row ties one upstream account (provider, attribute, value) to one pool
user. The federated sign-in makes a primary row for the `<ProviderName>_<subject>` user it
creates; linking makes a non-primary one for an existing user of the pool, so that the upstream
account signs in as that user.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.db import IntegrityError, transaction
from django.utils import timezone

from cognitoadmin.crypto import seal
from pools.errors import (
    AliasExistsException,
    InvalidParameterException,
    LimitExceededException,
    UserNotFoundException,
)
from pools.models import (
    COGNITO_SUBJECT,
    FederatedIdentity,
    IdentityProvider,
    PoolUser,
    ProviderType,
    UserPool,
)
from pools.selectors.identity_providers import identity_provider_get
from pools.selectors.pools import schema_attributes, user_pool_locked
from pools.selectors.users import user_get
from pools.services.federation import SOCIAL_TYPES
from pools.services.keys import KEY_SIZE, PUBLIC_EXPONENT
from pools.services.passwords import password_remove
from pools.services.users import user_disable

# The provider name that stands for the pool's own users (DestinationUser, and a local user in
# AdminDisableProviderForUser).
LOCAL_PROVIDER_NAME = "Cognito"
MAX_LINKED_IDENTITIES = 5
MAX_UID_LENGTH: int = FederatedIdentity._meta.get_field("uid").max_length or 0
SAML_KEY_SEAL_PURPOSE = "saml_signing_key"
SAML_CERTIFICATE_VALIDITY = dt.timedelta(days=3650)

_SOURCE_IS_LOCAL = (
    "Invalid SourceUser: Cognito users with a username/password may not be passed in as a "
    "SourceUser, only as a DestinationUser"
)
_SOURCE_IS_LINKED = "Invalid SourceUser: it is already linked to a user of the pool."
_SOURCE_IS_A_USER = "Invalid SourceUser: it has already signed in as a user of the pool."


def _member(user: Mapping[str, Any], name: str, *, role: str) -> str:
    value = user.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidParameterException(f"{role}.{name} is required.")
    return value


def _source_attribute_check(*, provider: IdentityProvider, attribute: str) -> None:
    """Social providers link by their subject only; OIDC and SAML providers also by a pool
    attribute their AttributeMapping fills, as Cognito documents SourceUser."""
    if attribute == COGNITO_SUBJECT:
        return
    if attribute == "username":
        # Every mapping names `username` (the claim that becomes <ProviderName>_<value>), which
        # a sign-in finds by Cognito_Subject: a link by it would never sign in.
        raise InvalidParameterException(
            f"Invalid SourceUser: link by {COGNITO_SUBJECT}, not by username."
        )
    if provider.provider_type in SOCIAL_TYPES:
        raise InvalidParameterException(
            f"Invalid SourceUser: ProviderAttributeName must be {COGNITO_SUBJECT} for "
            f"{provider.provider_type} providers."
        )
    if attribute not in provider.attribute_mapping:
        raise InvalidParameterException(
            f"Invalid SourceUser: {attribute} is not an attribute that identity provider "
            f"{provider.name} maps."
        )


def _destination_check(*, pool: UserPool, user: PoolUser) -> None:
    # A local user or a provider's own one (Cognito's DestinationUser "can be a local ... user or
    # a federated user"): either way the pool's user, whoever signs in as it.
    if not user.custom_attributes:
        return
    # Cognito refuses a destination with immutable custom attributes: the linked sign-in
    # would have to write them.
    schema = schema_attributes(pool=pool)
    immutable = sorted(
        name
        for name in user.custom_attributes
        if name in schema and schema[name].is_custom and not schema[name].mutable
    )
    if immutable:
        raise InvalidParameterException(
            "Invalid DestinationUser: every attribute of the user must be mutable, and "
            f"{', '.join(immutable)} is not."
        )


@transaction.atomic
def federated_identity_link(
    *, pool: UserPool, destination: Mapping[str, Any], source: Mapping[str, Any]
) -> FederatedIdentity:
    """AdminLinkProviderForUser: the source's upstream account signs in as the destination user.

    The destination is a user of the pool (`ProviderName` Cognito, `ProviderAttributeValue` a
    name `user_get` resolves; its ProviderAttributeName is ignored, as in Cognito). The source is
    an account at one of the pool's IdPs that is linked to no user yet and has not signed in as
    a user of its own. A user holds at most five linked identities.
    """
    if _member(destination, "ProviderName", role="DestinationUser") != LOCAL_PROVIDER_NAME:
        raise InvalidParameterException(
            f"Invalid DestinationUser: ProviderName must be {LOCAL_PROVIDER_NAME}."
        )
    username = _member(destination, "ProviderAttributeValue", role="DestinationUser")
    source_name = _member(source, "ProviderName", role="SourceUser")
    if source_name == LOCAL_PROVIDER_NAME:
        raise InvalidParameterException(_SOURCE_IS_LOCAL)
    attribute = _member(source, "ProviderAttributeName", role="SourceUser")
    value = _member(source, "ProviderAttributeValue", role="SourceUser")
    if len(value) > MAX_UID_LENGTH:
        raise InvalidParameterException(
            f"Invalid SourceUser: ProviderAttributeValue is longer than {MAX_UID_LENGTH}."
        )
    provider = identity_provider_get(pool=pool, name=source_name)
    _source_attribute_check(provider=provider, attribute=attribute)
    user = user_get(pool=pool, username=username)
    _destination_check(pool=pool, user=user)

    # Serialises the links of the pool, so that the checks below cannot be raced; the unique
    # constraint backs them against a concurrent first sign-in through the provider.
    user_pool_locked(pool=pool)
    taken = (
        FederatedIdentity.objects.filter(
            pool=pool, provider=provider.name, attribute_name=attribute, uid=value
        )
        .values_list("primary", flat=True)
        .first()
    )
    if taken is not None:
        raise AliasExistsException(_SOURCE_IS_A_USER if taken else _SOURCE_IS_LINKED)
    if FederatedIdentity.objects.filter(user=user).count() >= MAX_LINKED_IDENTITIES:
        raise LimitExceededException(
            f"A user can have at most {MAX_LINKED_IDENTITIES} linked identities."
        )
    try:
        with transaction.atomic():
            return FederatedIdentity.objects.create(
                pool=pool,
                user=user,
                provider=provider.name,
                provider_type=provider.provider_type,
                attribute_name=attribute,
                uid=value,
                primary=False,
            )
    except IntegrityError:
        raise AliasExistsException(_SOURCE_IS_LINKED) from None


@transaction.atomic
def federated_identity_disable(*, pool: UserPool, user: Mapping[str, Any]) -> None:
    """AdminDisableProviderForUser.

    A linked identity of a user is unlinked: the upstream account no longer signs in as that
    user. The identity a provider's user was created from (its primary one) stays, and that user
    is disabled and signed out everywhere, as AdminDisableUser does: its next federated sign-in
    is refused rather than making a new user. ProviderName Cognito names a local user by its
    username (attribute Cognito_Subject): as on Cognito, that user can no longer sign in with
    their password, and still can through the identities linked to them.
    """
    provider_name = _member(user, "ProviderName", role="User")
    attribute = _member(user, "ProviderAttributeName", role="User")
    value = _member(user, "ProviderAttributeValue", role="User")
    if provider_name == LOCAL_PROVIDER_NAME:
        if attribute != COGNITO_SUBJECT:
            raise InvalidParameterException(
                f"Invalid User: ProviderAttributeName must be {COGNITO_SUBJECT} for "
                f"{LOCAL_PROVIDER_NAME} users."
            )
        password_remove(user=user_get(pool=pool, username=value))
        return
    provider = identity_provider_get(pool=pool, name=provider_name)
    identity = (
        FederatedIdentity.objects.select_related("user")
        .filter(pool=pool, provider=provider.name, attribute_name=attribute, uid=value)
        .first()
    )
    if identity is None:
        raise UserNotFoundException()
    if identity.primary:
        user_disable(user=identity.user)
    else:
        identity.delete()


# --- the `identities` claim and attribute ----------------------------------------------------


def _epoch_millis(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _issuer(identity: FederatedIdentity) -> str | None:
    """A SAML IdP's entity id, kept by its sign-in; null for the other providers, as Cognito
    writes it for its social providers."""
    extra = identity.extra_data if isinstance(identity.extra_data, dict) else {}
    issuer = extra.get("issuer")
    return (
        issuer if identity.provider_type == ProviderType.SAML and isinstance(issuer, str) else None
    )


def identities_claim(identities: Iterable[FederatedIdentity]) -> list[dict[str, Any]]:
    """The ID token's `identities`: Cognito writes `primary` and `dateCreated` there as
    strings."""
    return [
        {
            "userId": identity.uid,
            "providerName": identity.provider,
            "providerType": identity.provider_type,
            "issuer": _issuer(identity),
            "primary": "true" if identity.primary else "false",
            "dateCreated": str(_epoch_millis(identity.created)),
        }
        for identity in identities
    ]


def identities_attribute(identities: Iterable[FederatedIdentity]) -> str | None:
    """The `identities` user attribute (AdminGetUser, ListUsers, GetUser): a JSON string, with
    `primary` a boolean and `dateCreated` a number as Cognito writes them; None without any."""
    entries = [
        {
            "userId": identity.uid,
            "providerName": identity.provider,
            "providerType": identity.provider_type,
            "issuer": _issuer(identity),
            "primary": identity.primary,
            "dateCreated": _epoch_millis(identity.created),
        }
        for identity in identities
    ]
    return json.dumps(entries, separators=(",", ":")) if entries else None


# --- the pool's SAML signing certificate -------------------------------------------------------


def _certificate_material(pool: UserPool) -> tuple[str, bytes]:
    """A self-signed certificate naming the pool, valid ten years, and its private key (PEMs).
    Generated outside any lock: the key takes a while."""
    key = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_SIZE)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, pool.pool_id)])
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + SAML_CERTIFICATE_VALIDITY)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"), key_pem


def _certificate_base64(certificate_pem: str) -> str:
    """The certificate as GetSigningCertificate returns it: base64 of its DER, on one line."""
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode("ascii"))
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode("ascii")


def saml_signing_certificate_get(*, pool: UserPool) -> str:
    """GetSigningCertificate: the pool's SAML signing certificate, made at the first call; every
    later call (and a concurrent first one) answers the same certificate."""
    if pool.saml_certificate:
        return _certificate_base64(pool.saml_certificate)
    certificate_pem, key_pem = _certificate_material(pool)
    with transaction.atomic():
        locked = user_pool_locked(pool=pool)
        # Another request may have stored one while this one generated its own.
        if not locked.saml_certificate:
            locked.saml_certificate = certificate_pem
            locked.saml_private_key_sealed = seal(key_pem, purpose=SAML_KEY_SEAL_PURPOSE)
            # Not a change of the pool's settings: its LastModifiedDate stays.
            UserPool.objects.filter(pk=pool.pk).update(
                saml_certificate=locked.saml_certificate,
                saml_private_key_sealed=locked.saml_private_key_sealed,
            )
    pool.saml_certificate = locked.saml_certificate
    pool.saml_private_key_sealed = locked.saml_private_key_sealed
    return _certificate_base64(pool.saml_certificate)
