"""Passkeys (WebAuthn): a signed-in user registers them (StartWebAuthnRegistration,
CompleteWebAuthnRegistration), lists and deletes them, and the USER_AUTH sign-in's WEB_AUTHN
challenge is answered with one (`webauthn_authentication_options`,
`webauthn_authentication_verify`).

The relying party is the pool's `webauthn_relying_party_id`, else its domain's host (the custom
domain first), as Cognito defaults it. An origin belongs to the relying party when it is the https
origin of the rp id or of a name under it (any port); for `localhost` and `127.0.0.1`, which
browsers treat as secure, their http origins too.

py_webauthn verifies the ceremonies. This module reads the client data and the authenticator
data's rp id hash first, so that each refusal names the Cognito error that says why (a challenge
not asked for, an origin or relying party not the pool's); every refusal changes nothing.

A registration remembers the app client that started it inside its challenge (random bytes, then
a digest of the client id): the registration row has no client of its own, and the challenge is
what the authenticator signs anyway, so a completion with another client's token is told apart
(WebAuthnClientMismatchException).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json_dict,
    parse_attestation_object,
    parse_authenticator_data,
)
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    WebAuthnException,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from pools.errors import (
    InvalidParameterException,
    LimitExceededException,
    NotAuthorizedException,
    ResourceNotFoundException,
    WebAuthnChallengeNotFoundException,
    WebAuthnClientMismatchException,
    WebAuthnConfigurationMissingException,
    WebAuthnCredentialNotSupportedException,
    WebAuthnNotEnabledException,
    WebAuthnOriginNotAllowedException,
    WebAuthnRelyingPartyMismatchException,
)
from pools.models import AppClient, PoolUser, UserPool, WebAuthnCredential, WebAuthnRegistration
from pools.selectors.pages import keyset_page
from pools.selectors.users import user_locked
from pools.services.domains import pool_base_url

WEB_AUTHN = "WEB_AUTHN"
# How long a ceremony may take: the WebAuthn spec's recommended lower bound for one that asks
# for user verification. The registration expires with it.
CEREMONY_TIMEOUT = dt.timedelta(minutes=5)
# Cognito's limit of passkeys per user.
MAX_CREDENTIALS_PER_USER = 20
# ListWebAuthnCredentials' MaxResults: 0-20, and 20 when left out (or 0).
MAX_CREDENTIALS_PAGE = 20
CHALLENGE_BYTES = 32
_CLIENT_TAG_BYTES = 16
# Origins whose http form browsers accept for WebAuthn, as they treat them as secure.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
# A credential document of any authenticator fits (a TPM attestation with its certificate chain
# is a few kilobytes); more is refused before it is parsed.
MAX_CREDENTIAL_CHARS = 65_536
# Credential ids are at most 1,023 bytes, base64url in JSON (the model's column holds them).
_CREDENTIAL_ID = re.compile(r"[A-Za-z0-9_-]{1,1400}")
# The names a passkey is listed by, after its authenticatorAttachment (the only values it has).
_FRIENDLY_NAMES = {"platform": "Passkey on this device", "cross-platform": "Security key"}
_DEFAULT_FRIENDLY_NAME = "Passkey"


# --- the relying party and its origins --------------------------------------------------------


def webauthn_relying_party_id(pool: UserPool) -> str:
    """The pool's relying party id: the configured one, else its domain's host."""
    if pool.webauthn_relying_party_id:
        return pool.webauthn_relying_party_id
    base = pool_base_url(pool)
    host = urlsplit(base).hostname if base is not None else None
    if not host:
        raise WebAuthnConfigurationMissingException()
    return host


def webauthn_origin_allowed(origin: str, *, rp_id: str) -> bool:
    """Whether a ceremony at `origin` (as the browser wrote it in the client data) may use
    passkeys of `rp_id`."""
    parts = urlsplit(origin)
    try:
        port = parts.port
    except ValueError:
        return False
    host = parts.hostname or ""
    netloc = host if port is None else f"{host}:{port}"
    if origin != f"{parts.scheme}://{netloc}":
        return False  # a path, query, credentials or an unusual spelling is no browser's origin
    if parts.scheme == "https":
        return host == rp_id or host.endswith("." + rp_id)
    return parts.scheme == "http" and rp_id in LOCAL_HOSTS and host == rp_id


def _enabled(pool: UserPool) -> None:
    if WEB_AUTHN not in pool.allowed_first_auth_factors:
        raise WebAuthnNotEnabledException()


def _user_handle(user: PoolUser) -> bytes:
    """The user's id for authenticators: the bytes of the sub, stable for the user's life."""
    return user.sub.bytes


def _client_tag(client_id: str) -> bytes:
    return hashlib.sha256(f"webauthn-registration:{client_id}".encode()).digest()[
        :_CLIENT_TAG_BYTES
    ]


def _descriptor(credential: WebAuthnCredential) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(credential.credential_id),
        transports=[AuthenticatorTransport(value) for value in credential.transports],
    )


def _credentials(user: PoolUser, rp_id: str) -> list[WebAuthnCredential]:
    return list(
        WebAuthnCredential.objects.filter(pool_id=user.pool_id, user=user, relying_party_id=rp_id)
    )


# --- reading what the browser sent ------------------------------------------------------------


@dataclass(frozen=True)
class _ClientData:
    type: str
    challenge: str
    origin: str


def _document(credential: Any) -> dict[str, Any]:
    """The credential as a JSON object, whether it came as one or as its text."""
    try:
        text = credential if isinstance(credential, str) else json.dumps(credential)
        if len(text) > MAX_CREDENTIAL_CHARS:
            raise InvalidParameterException("The credential is too large.")
        credential = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        raise InvalidParameterException("The credential is not JSON.") from None
    if not isinstance(credential, dict):
        raise InvalidParameterException("The credential must be a JSON object.")
    credential_id = credential.get("id")
    if not isinstance(credential_id, str) or not _CREDENTIAL_ID.fullmatch(credential_id):
        raise InvalidParameterException("The credential's id must be base64url.")
    if credential.get("rawId") != credential_id or credential.get("type") != "public-key":
        raise InvalidParameterException(
            "The credential's rawId must be its id, and its type public-key."
        )
    if not isinstance(credential.get("response"), dict):
        raise InvalidParameterException("The credential has no response.")
    return credential


def _base64url_member(response: dict[str, Any], name: str) -> bytes:
    value = response.get(name)
    try:
        if not isinstance(value, str):
            raise TypeError
        return base64url_to_bytes(value)
    except (TypeError, ValueError):
        raise InvalidParameterException(
            f"The credential's response.{name} must be base64url."
        ) from None


def _client_data(response: dict[str, Any]) -> _ClientData:
    try:
        data = json.loads(_base64url_member(response, "clientDataJSON"))
    except (ValueError, RecursionError):
        raise InvalidParameterException("The credential's clientDataJSON is not JSON.") from None
    data = data if isinstance(data, dict) else {}
    kind, challenge, origin = data.get("type"), data.get("challenge"), data.get("origin")
    if not (isinstance(kind, str) and isinstance(challenge, str) and isinstance(origin, str)):
        raise InvalidParameterException(
            "The credential's clientDataJSON must name its type, challenge and origin."
        )
    return _ClientData(type=kind, challenge=challenge, origin=origin)


def _same_challenge(sent: str, expected: str) -> bool:
    # Compared as bytes: base64url may or may not carry padding.
    try:
        return hmac.compare_digest(base64url_to_bytes(sent), base64url_to_bytes(expected))
    except ValueError:
        return False


def _rp_hash_matches(rp_id_hash: bytes, rp_id: str) -> bool:
    return hmac.compare_digest(rp_id_hash, hashlib.sha256(rp_id.encode()).digest())


# --- registration ----------------------------------------------------------------------------


def _check_room(count: int) -> None:
    if count >= MAX_CREDENTIALS_PER_USER:
        raise LimitExceededException(
            f"A user can have at most {MAX_CREDENTIALS_PER_USER} passkeys."
        )


@transaction.atomic
def webauthn_registration_start(*, user: PoolUser, client: AppClient) -> dict[str, Any]:
    """StartWebAuthnRegistration: the CredentialCreationOptions for a new passkey of `user`,
    asked for through `client`; the pending registration replaces any earlier one."""
    pool = user.pool
    _enabled(pool)
    rp_id = webauthn_relying_party_id(pool)
    user_locked(user_id=user.pk)
    existing = list(WebAuthnCredential.objects.filter(pool_id=user.pool_id, user=user))
    _check_room(len(existing))
    challenge = secrets.token_bytes(CHALLENGE_BYTES) + _client_tag(client.client_id)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=pool.name,
        user_name=user.username,
        user_id=_user_handle(user),
        user_display_name=user.name or user.username,
        challenge=challenge,
        timeout=int(CEREMONY_TIMEOUT.total_seconds() * 1000),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement(pool.webauthn_user_verification),
        ),
        exclude_credentials=[_descriptor(credential) for credential in existing],
    )
    WebAuthnRegistration.objects.update_or_create(
        user=user,
        defaults={
            "pool": pool,
            "challenge": bytes_to_base64url(challenge),
            "relying_party_id": rp_id,
            "user_verification": pool.webauthn_user_verification,
            "expires_at": timezone.now() + CEREMONY_TIMEOUT,
        },
    )
    return options_to_json_dict(options)


def _pending_registration(user: PoolUser, client: AppClient) -> WebAuthnRegistration:
    registration = WebAuthnRegistration.objects.filter(user=user).first()
    if registration is None or registration.expires_at <= timezone.now():
        raise WebAuthnChallengeNotFoundException()
    tag = base64url_to_bytes(registration.challenge)[CHALLENGE_BYTES:]
    if not hmac.compare_digest(tag, _client_tag(client.client_id)):
        raise WebAuthnClientMismatchException()
    return registration


@transaction.atomic
def webauthn_registration_complete(
    *, user: PoolUser, client: AppClient, credential: Any
) -> WebAuthnCredential:
    """CompleteWebAuthnRegistration: the RegistrationResponseJSON an authenticator made from the
    pending registration's options, verified and stored; the registration is used up."""
    pool = user.pool
    _enabled(pool)
    user_locked(user_id=user.pk)
    registration = _pending_registration(user, client)
    rp_id = webauthn_relying_party_id(pool)
    if rp_id != registration.relying_party_id:
        raise WebAuthnRelyingPartyMismatchException(
            "The user pool's relying party changed since the registration started."
        )
    document = _document(credential)
    response = document["response"]
    client_data = _client_data(response)
    if client_data.type != "webauthn.create":
        raise InvalidParameterException("The credential is not a registration (webauthn.create).")
    if not _same_challenge(client_data.challenge, registration.challenge):
        raise WebAuthnChallengeNotFoundException(
            "The credential does not answer the pending registration's challenge."
        )
    if not webauthn_origin_allowed(client_data.origin, rp_id=rp_id):
        raise WebAuthnOriginNotAllowedException(
            f"The origin {client_data.origin} is not allowed for the relying party {rp_id}."
        )
    try:
        authenticator_data = parse_attestation_object(
            _base64url_member(response, "attestationObject")
        ).auth_data
    except (WebAuthnException, ValueError, TypeError, KeyError, IndexError):
        raise InvalidParameterException(
            "The credential's attestationObject is malformed."
        ) from None
    if not _rp_hash_matches(authenticator_data.rp_id_hash, rp_id):
        raise WebAuthnRelyingPartyMismatchException()
    # Counted again: a passkey may have been added since the registration started.
    _check_room(WebAuthnCredential.objects.filter(pool_id=user.pool_id, user=user).count())
    if WebAuthnCredential.objects.filter(
        pool_id=user.pool_id, credential_id=document["id"]
    ).exists():
        raise InvalidParameterException("This passkey is already registered.")
    try:
        verified = verify_registration_response(
            credential=document,
            expected_challenge=base64url_to_bytes(registration.challenge),
            expected_rp_id=rp_id,
            expected_origin=client_data.origin,
            require_user_verification=registration.user_verification == "required",
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, IndexError) as exc:
        raise WebAuthnCredentialNotSupportedException(
            f"The passkey could not be verified: {exc}"
        ) from None
    if bytes_to_base64url(verified.credential_id) != document["id"]:
        raise InvalidParameterException("The credential's id is not the authenticator's.")
    attachment = document.get("authenticatorAttachment")
    attachment = attachment if attachment in _FRIENDLY_NAMES else ""
    transports = response.get("transports")
    known = {transport.value for transport in AuthenticatorTransport}
    stored = WebAuthnCredential.objects.create(
        pool=pool,
        user=user,
        credential_id=document["id"],
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        relying_party_id=rp_id,
        friendly_name=_FRIENDLY_NAMES.get(attachment, _DEFAULT_FRIENDLY_NAME),
        authenticator_attachment=attachment,
        transports=sorted(
            {value for value in transports if isinstance(value, str) and value in known}
            if isinstance(transports, list)
            else set()
        ),
        aaguid=verified.aaguid,
    )
    registration.delete()
    return stored


def webauthn_credentials_page(
    *, user: PoolUser, max_results: int | None, next_token: str | None
) -> tuple[list[WebAuthnCredential], str | None]:
    """ListWebAuthnCredentials: the user's passkeys, oldest first, a page at a time."""
    return keyset_page(
        WebAuthnCredential.objects.filter(pool_id=user.pool_id, user=user),
        limit=max_results or MAX_CREDENTIALS_PAGE,
        next_token=next_token,
        scope=f"webauthn-credentials:{user.pool_id}:{user.pk}",
    )


def webauthn_credential_delete(*, user: PoolUser, credential_id: str) -> None:
    """DeleteWebAuthnCredential: one of the user's own passkeys; any other id is not found."""
    found = (
        WebAuthnCredential.objects.filter(
            pool_id=user.pool_id, user=user, credential_id=credential_id
        ).first()
        # A string no credential id can be (a NUL byte, say) is not looked up at all.
        if _CREDENTIAL_ID.fullmatch(credential_id)
        else None
    )
    if found is None:
        raise ResourceNotFoundException("The passkey does not exist.")
    found.delete()


# --- authentication (the WEB_AUTHN challenge of USER_AUTH) ------------------------------------


def webauthn_has_credentials(*, user: PoolUser) -> bool:
    """Whether the user has a passkey of the pool's present relying party (none when the pool
    has no relying party at all): whether a WEB_AUTHN challenge can be answered."""
    try:
        rp_id = webauthn_relying_party_id(user.pool)
    except WebAuthnConfigurationMissingException:
        return False
    return WebAuthnCredential.objects.filter(
        pool_id=user.pool_id, user=user, relying_party_id=rp_id
    ).exists()


def webauthn_authentication_options(
    *, pool: UserPool, user: PoolUser | None
) -> tuple[dict[str, Any], str]:
    """The CredentialRequestOptions of a WEB_AUTHN challenge for `user`, and its challenge
    (base64url) for the caller to keep until the answer comes. Without a user (a name nobody has,
    where the client hides it) they allow no credential, as a request for a discoverable passkey
    does."""
    rp_id = webauthn_relying_party_id(pool)
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge,
        timeout=int(CEREMONY_TIMEOUT.total_seconds() * 1000),
        allow_credentials=[
            _descriptor(credential) for credential in (_credentials(user, rp_id) if user else [])
        ],
        user_verification=UserVerificationRequirement(pool.webauthn_user_verification),
    )
    return options_to_json_dict(options), bytes_to_base64url(challenge)


def _refused(reason: str) -> NotAuthorizedException:
    return NotAuthorizedException(f"The passkey was not accepted: {reason}.")


def webauthn_authentication_verify(*, user: PoolUser, credential: Any, challenge: str) -> bool:
    """Check a WEB_AUTHN answer (AuthenticationResponseJSON, as a dict or its text) against the
    user's passkey it names and the challenge it was asked; record its use. Returns whether the
    authenticator verified the user. Every refusal is NotAuthorizedException (RespondToAuthChallenge
    has no WebAuthn error of its own) and leaves the passkey as it was."""
    pool = user.pool
    document = _document(credential)
    response = document["response"]
    rp_id = webauthn_relying_party_id(pool)
    stored = WebAuthnCredential.objects.filter(
        pool_id=user.pool_id, user=user, credential_id=document["id"]
    ).first()
    if stored is None:
        raise _refused("it is not one of this user's passkeys")
    if stored.relying_party_id != rp_id:
        raise _refused(f"it belongs to the relying party {stored.relying_party_id}")
    client_data = _client_data(response)
    if client_data.type != "webauthn.get":
        raise _refused("the answer is not an authentication (webauthn.get)")
    if not _same_challenge(client_data.challenge, challenge):
        raise _refused("it answers another challenge")
    if not webauthn_origin_allowed(client_data.origin, rp_id=rp_id):
        raise _refused(f"the origin {client_data.origin} is not allowed for {rp_id}")
    try:
        authenticator_data = parse_authenticator_data(
            _base64url_member(response, "authenticatorData")
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, IndexError):
        raise InvalidParameterException(
            "The credential's authenticatorData is malformed."
        ) from None
    if not _rp_hash_matches(authenticator_data.rp_id_hash, rp_id):
        raise _refused(f"it was made for another relying party than {rp_id}")
    user_handle = response.get("userHandle")
    if user_handle is not None and (
        not isinstance(user_handle, str)
        or not hmac.compare_digest(_base64url_member(response, "userHandle"), _user_handle(user))
    ):
        raise _refused("it belongs to another user")
    required = pool.webauthn_user_verification == "required"
    try:
        verified = verify_authentication_response(
            credential=document,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=client_data.origin,
            credential_public_key=base64url_to_bytes(stored.public_key),
            credential_current_sign_count=stored.sign_count,
            require_user_verification=required,
        )
    except InvalidAuthenticationResponse as exc:
        raise _refused(str(exc).rstrip(".")) from None
    except (WebAuthnException, ValueError, TypeError, KeyError, IndexError):
        raise _refused("its signature could not be checked") from None
    # Conditional on the counter read above, so that a counter never goes back when two answers
    # race. (A replayed answer is refused before this: each challenge is answered once, and the
    # sign-in's session is used up first. Synced passkeys keep their counter at 0.)
    used = WebAuthnCredential.objects.filter(pk=stored.pk, sign_count=stored.sign_count).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    if not used:
        raise _refused("it was used already")
    return verified.user_verified
