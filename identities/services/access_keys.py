"""Operators' long-lived access keys: create or import, enable and disable, delete, authenticate.

The secret is sealed (not hashed) because SigV4 verification recomputes signatures with it; it is
returned to the caller once, at creation, and never rendered again.
"""

from __future__ import annotations

import functools
import hmac
import re
import secrets
import string
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from cognitoadmin.crypto import seal, unseal_str
from cognitoadmin.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceConflictException,
)
from identities.models import AccessKey
from identities.services.policies import policy_parse

SEAL_PURPOSE = "access_key"
ACCESS_KEY_ID_PATTERN = re.compile(r"[A-Z0-9]{16,128}")
SECRET_MIN_LENGTH = 16
SECRET_MAX_LENGTH = 128
DESCRIPTION_MAX_LENGTH = 256
# `last_used_at` is a hint for operators, not an audit log: one write a minute per key is enough,
# and keeps a busy key from turning every request into a row update.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_ID_ALPHABET = string.ascii_uppercase + string.digits
# The alphabet and length of AWS's secret access keys, so tools that check their shape accept ours.
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
_GENERATED_SECRET_LENGTH = 40


def _generate_access_key_id() -> str:
    return "AKIA" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))


def _generate_secret() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(_GENERATED_SECRET_LENGTH))


def _validate_import(access_key_id: str | None, secret_access_key: str | None) -> None:
    if (access_key_id is None) != (secret_access_key is None):
        raise InvalidParameterException(
            "To import a key pair, give both the access key ID and the secret access key."
        )
    if access_key_id is not None and not ACCESS_KEY_ID_PATTERN.fullmatch(access_key_id):
        raise InvalidParameterException(
            "The access key ID must be 16 to 128 uppercase letters or digits."
        )
    if secret_access_key is not None and not (
        SECRET_MIN_LENGTH <= len(secret_access_key) <= SECRET_MAX_LENGTH
        and secret_access_key.isascii()
        and secret_access_key.isprintable()
        and not any(char.isspace() for char in secret_access_key)
    ):
        raise InvalidParameterException(
            f"The secret access key must be {SECRET_MIN_LENGTH} to {SECRET_MAX_LENGTH} "
            "printable ASCII characters without spaces."
        )


def access_key_create(
    *,
    operator: User,
    description: str = "",
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    policy: str | Mapping[str, Any] | None = None,
) -> tuple[AccessKey, str]:
    """Create a key for `operator`, or import a known pair; returns the key and its secret.
    `policy` (an IAM policy document) narrows what the key may do."""
    if not (operator.is_active and operator.is_staff):
        raise InvalidParameterException(
            f"User {operator.get_username()} is not an active staff member; "
            "access keys are for operators."
        )
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise InvalidParameterException(
            f"The description must be at most {DESCRIPTION_MAX_LENGTH} characters."
        )
    _validate_import(access_key_id, secret_access_key)
    document = _policy_document(policy)
    key_id = access_key_id or _generate_access_key_id()
    secret = secret_access_key or _generate_secret()
    try:
        with transaction.atomic():
            key = AccessKey.objects.create(
                access_key_id=key_id,
                secret_sealed=seal(secret, purpose=SEAL_PURPOSE),
                operator=operator,
                description=description,
                policy=document,
            )
    except IntegrityError:
        raise ResourceConflictException(f"Access key {key_id} already exists.") from None
    return key, secret


def access_key_update(*, key: AccessKey, description: str) -> AccessKey:
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise InvalidParameterException(
            f"The description must be at most {DESCRIPTION_MAX_LENGTH} characters."
        )
    key.description = description
    key.save(update_fields=["description"])
    return key


def _policy_document(policy: str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The canonical form of a key's policy, checked; None for no policy. Its conditions and
    policy variables see the request's global keys (`aws:SourceIp`, `aws:SecureTransport`,
    `aws:CurrentTime`, `aws:EpochTime`, `aws:username`, `aws:userid`)."""
    if policy is None:
        return None
    return policy_parse(document=policy).to_document()


def access_key_set_policy(*, key: AccessKey, policy: str | Mapping[str, Any] | None) -> AccessKey:
    """Replace the key's policy (None removes it: the key may then do what its operator may)."""
    key.policy = _policy_document(policy)
    key.save(update_fields=["policy"])
    return key


def access_key_disable(*, key: AccessKey) -> AccessKey:
    if key.active:
        key.active = False
        key.save(update_fields=["active"])
    return key


def access_key_enable(*, key: AccessKey) -> AccessKey:
    if not key.active:
        key.active = True
        key.save(update_fields=["active"])
    return key


def access_key_delete(*, key: AccessKey) -> None:
    key.delete()


def access_key_secret(*, key: AccessKey) -> str:
    return unseal_str(key.secret_sealed, purpose=SEAL_PURPOSE)


@functools.cache
def _decoy_sealed(master_key: str) -> str:
    # Sealed under the same key as real secrets, so opening it costs what opening a real one does.
    return seal(_generate_secret(), purpose=SEAL_PURPOSE)


def access_key_decoy_secret() -> str:
    """A secret for an unknown key id: checking against it costs the same work as a real one."""
    return unseal_str(_decoy_sealed(settings.COGNITOADMIN_MASTER_KEY), purpose=SEAL_PURPOSE)


def access_key_check_usable(*, key: AccessKey) -> None:
    """A key acts for its operator only while both are enabled and the operator is still staff."""
    if not key.active:
        raise NotAuthorizedException(f"Access key {key.access_key_id} is disabled.")
    operator = key.operator
    if not operator.is_active:
        raise NotAuthorizedException(f"Operator {operator.get_username()} is inactive.")
    if not operator.is_staff:
        raise NotAuthorizedException(f"Operator {operator.get_username()} is not a staff member.")


def access_key_record_use(*, key: AccessKey) -> None:
    now = timezone.now()
    threshold = now - LAST_USED_RESOLUTION
    if key.last_used_at is not None and key.last_used_at > threshold:
        return
    # Conditional, so concurrent requests with a stale copy of the key still write at most once.
    AccessKey.objects.filter(pk=key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=threshold)
    ).update(last_used_at=now)
    key.last_used_at = now


def access_key_authenticate(*, access_key_id: str, secret: str) -> AccessKey:
    """The usable key whose id and secret these are (HTTP Basic); any mismatch is one error."""
    key = AccessKey.objects.select_related("operator").filter(access_key_id=access_key_id).first()
    expected = access_key_secret(key=key) if key is not None else access_key_decoy_secret()
    matches = hmac.compare_digest(secret.encode("utf-8"), expected.encode("utf-8"))
    if key is None or not matches:
        raise NotAuthorizedException("Incorrect access key ID or secret access key.")
    access_key_check_usable(key=key)
    access_key_record_use(key=key)
    return key
