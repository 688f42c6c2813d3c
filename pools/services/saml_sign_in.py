"""SAML 2.0 federated sign-in: a pool's users signing in through one of its SAML identity
providers, from `/oauth2/authorize?identity_provider=...` to the IdP's single sign-on service
(redirect binding) and back through `POST /saml2/idpresponse`, or straight from the IdP
(IdP-initiated, when the provider's `IDPInit` is true).

The protocol is python3-saml's (`OneLogin_Saml2_Auth`), used directly rather than through
social-auth's SAMLAuth: SAMLAuth reads its IdPs from settings and puts its own JSON (the IdP's
name) in RelayState, which Cognito gives to the pending sign-in and, IdP-initiated, to the app's
authorize parameters. python3-saml in strict mode checks the Response or Assertion signature by
the IdP's certificate (an unsigned response is refused), the Issuer, Audience = the SP entity
id, Destination and Recipient = the ACS URL, NotBefore / NotOnOrAfter (its clock drift of
ALLOWED_CLOCK_DRIFT seconds), the Status, and decrypts an encrypted assertion with the pool's
key. This module adds what python3-saml leaves to its caller: that the response answers the
AuthnRequest this browser's sign-in sent (InResponseTo), or is unsolicited only where the
provider allows it, and that an assertion is accepted once (social-auth's Nonce table).

The SP is the pool: entity id `urn:amazon:cognito:sp:<pool id>`, its SAML signing certificate
(GetSigningCertificate's, made at first use) for signing AuthnRequests, for the IdP to encrypt
to, and in its SP metadata.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import xmlsec
from django.db import transaction
from django.http import HttpRequest
from lxml.etree import XMLSyntaxError
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as Saml
from onelogin.saml2.errors import OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML
from social_django.models import Nonce

from cognitoadmin.addresses import is_web_url
from cognitoadmin.crypto import unseal_str
from pools.errors import InvalidParameterException, UnsupportedIdentityProviderException
from pools.models import IdentityProvider, PoolUser, ProviderType, UserPool
from pools.services.federated_sign_in import (
    federated_sign_in,
    federation_pending_keep,
    federation_pending_take,
)
from pools.services.federated_users import SAML_KEY_SEAL_PURPOSE, saml_signing_certificate_get
from pools.services.federation import federation_callback_url, identity_provider_details
from pools.services.hosted import (
    AuthorizeRequest,
    authorize_client_resolve,
    authorize_request_check,
)

SP_ENTITY_PREFIX = "urn:amazon:cognito:sp:"
# Cognito's bound on what /saml2/idpresponse accepts.
MAX_SAML_RESPONSE_LENGTH = 100_000
MAX_METADATA_BYTES = 1_000_000
METADATA_TIMEOUT_SECONDS = 10
_RELAY_STATE_BYTES = 32
_MAX_REASON = 256
# What a response too broken to check raises from python3-saml, lxml and xmlsec.
_RESPONSE_ERRORS = (
    OneLogin_Saml2_Error,
    OneLogin_Saml2_ValidationError,
    XMLSyntaxError,
    xmlsec.Error,
    ValueError,
)


def saml_sp_entity_id(*, pool: UserPool) -> str:
    return SP_ENTITY_PREFIX + pool.pool_id


def _refused(reason: str) -> InvalidParameterException:
    return InvalidParameterException(
        f"The sign-in through the SAML identity provider failed: {reason[:_MAX_REASON]}"
    )


def _sp_settings(pool: UserPool) -> dict[str, Any]:
    """The pool as a service provider, its private key unsealed for this request only."""
    saml_signing_certificate_get(pool=pool)
    return {
        "entityId": saml_sp_entity_id(pool=pool),
        "assertionConsumerService": {
            "url": federation_callback_url(pool=pool, provider_type=ProviderType.SAML),
            "binding": Saml.BINDING_HTTP_POST,
        },
        "NameIDFormat": Saml.NAMEID_UNSPECIFIED,
        "x509cert": pool.saml_certificate,
        "privateKey": unseal_str(pool.saml_private_key_sealed, purpose=SAML_KEY_SEAL_PURPOSE),
    }


def _security(*, signed_requests: bool, encrypted: bool) -> dict[str, Any]:
    return {
        "authnRequestsSigned": signed_requests,
        "wantAssertionsEncrypted": encrypted,
        # Either the Response or its Assertion signed, as Cognito accepts; python3-saml refuses
        # a response with neither.
        "wantMessagesSigned": False,
        "wantAssertionsSigned": False,
        "wantNameId": True,
        "requestedAuthnContext": False,
        "signatureAlgorithm": Saml.RSA_SHA256,
        "digestAlgorithm": Saml.SHA256,
        "rejectDeprecatedAlgorithm": True,
        # Self-hosted IdPs are often reached by a single-label host (`http://keycloak:8080`).
        "allowSingleLabelDomains": True,
    }


def saml_sp_metadata(*, pool: UserPool) -> str:
    """The pool's SP metadata: entity id, ACS (POST binding) and its certificate, for signing
    and for encryption, so that an IdP can be set up from it alone."""
    settings = OneLogin_Saml2_Settings(
        {
            "strict": True,
            "sp": _sp_settings(pool),
            "security": _security(signed_requests=False, encrypted=True),
        },
        sp_validation_only=True,
    )
    metadata: str | bytes = settings.get_sp_metadata()
    return metadata.decode("utf-8") if isinstance(metadata, bytes) else metadata


def _metadata_xml(details: Mapping[str, str]) -> str:
    """The IdP's metadata: the MetadataFile itself, or the MetadataURL's document, fetched now
    with a timeout and a size bound."""
    if "MetadataFile" in details:
        return details["MetadataFile"]
    url = details.get("MetadataURL", "")
    if not is_web_url(url):
        raise _refused("the provider's MetadataURL is not an http(s) URL.")
    deadline = time.monotonic() + METADATA_TIMEOUT_SECONDS
    try:
        with requests.get(
            url, timeout=METADATA_TIMEOUT_SECONDS, stream=True, allow_redirects=False
        ) as answer:
            if answer.status_code != 200:
                raise _refused(f"its metadata answered HTTP {answer.status_code}.")
            body = b""
            for chunk in answer.iter_content(chunk_size=65536):
                body += chunk
                if len(body) > MAX_METADATA_BYTES:
                    raise _refused(f"its metadata is larger than {MAX_METADATA_BYTES} bytes.")
                # The timeout bounds each read; a server trickling bytes is bounded here.
                if time.monotonic() > deadline:
                    raise _refused(
                        f"its metadata took longer than {METADATA_TIMEOUT_SECONDS} seconds."
                    )
    except requests.RequestException:
        raise _refused("its metadata could not be fetched.") from None
    return body.decode("utf-8", errors="replace")


def _idp_settings(details: Mapping[str, str]) -> dict[str, Any]:
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(_metadata_xml(details))
    except (XMLSyntaxError, ValueError, OneLogin_Saml2_Error):
        raise _refused("its metadata is not valid SAML metadata.") from None
    idp: dict[str, Any] = parsed.get("idp") or {}
    if not idp.get("entityId"):
        raise _refused("its metadata names no identity provider.")
    sso_url = (idp.get("singleSignOnService") or {}).get("url")
    if not sso_url:
        raise _refused("its metadata has no single sign-on service of the redirect binding.")
    if not is_web_url(sso_url):
        raise _refused("its metadata's single sign-on service is not a web URL.")
    if not (idp.get("x509cert") or idp.get("x509certMulti")):
        raise _refused("its metadata has no signing certificate.")
    return idp


def _auth(provider: IdentityProvider, post_data: Mapping[str, str]) -> OneLogin_Saml2_Auth:
    """python3-saml for one provider, its request taken to be at the ACS URL: Destination and
    Recipient are checked against the URL registered at the IdP, not the Host the request came
    by."""
    details = identity_provider_details(provider=provider)
    pool = provider.pool
    # The IdP's metadata first, outside any transaction (it may be fetched).
    idp = _idp_settings(details)
    acs = urlsplit(federation_callback_url(pool=pool, provider_type=ProviderType.SAML))
    request_data = {
        "https": "on" if acs.scheme == "https" else "off",
        "http_host": acs.netloc,
        "script_name": acs.path,
        "get_data": {},
        "post_data": dict(post_data),
    }
    # A refusal of the settings must not leave the pool's certificate made.
    with transaction.atomic():
        settings = {
            "strict": True,
            "debug": False,
            "sp": _sp_settings(pool),
            "idp": idp,
            "security": _security(
                signed_requests=details.get("RequestSigningAlgorithm") == "rsa-sha256",
                encrypted=details.get("EncryptedResponses") == "true",
            ),
        }
        try:
            return OneLogin_Saml2_Auth(request_data, old_settings=settings)
        except OneLogin_Saml2_Error as error:
            # python3-saml's check of the settings: its words name the setting, not a secret.
            raise _refused(f"its metadata is not usable: {error}") from None


def saml_sign_in_start(*, request: HttpRequest, authorize: AuthorizeRequest) -> str:
    """Where the browser goes to sign in at the IdP: its SSO URL with an AuthnRequest (redirect
    binding, signed with the pool's key when RequestSigningAlgorithm is rsa-sha256), whose
    RelayState names the authorize request kept in the browser's session."""
    provider = authorize.provider
    if provider is None or provider.provider_type != ProviderType.SAML:
        raise UnsupportedIdentityProviderException("The request names no SAML identity provider.")
    relay_state = secrets.token_urlsafe(_RELAY_STATE_BYTES)
    auth = _auth(provider, post_data={})
    url: str = auth.login(return_to=relay_state)
    federation_pending_keep(
        request=request,
        key=relay_state,
        authorize=authorize,
        request_id=auth.get_last_request_id(),
    )
    return url


@dataclass(frozen=True)
class SamlPending:
    """The authorize request a response belongs to: the one this browser's sign-in kept
    (`request_id` its AuthnRequest's ID), or, unsolicited, the one RelayState carries
    (`request_id` empty, the provider still to be checked)."""

    request: AuthorizeRequest
    provider: IdentityProvider | None
    request_id: str


def _single_values(query: str) -> dict[str, str] | None:
    values = parse_qs(query, keep_blank_values=True)
    if any(len(items) > 1 for items in values.values()):
        return None
    return {name: items[0] for name, items in values.items()}


def saml_pending(*, request: HttpRequest, relay_state: str, pool: UserPool | None) -> SamlPending:
    """The sign-in RelayState names: one this browser started (taken out of its session), else
    an IdP-initiated one whose RelayState holds the authorize parameters (`client_id`,
    `redirect_uri`, `response_type`, `scope`, `identity_provider` or `idp_identifier`), as
    Cognito's /saml2/idpresponse takes them. Through a pool's domain (`pool`), only its clients.
    Neither is InvalidParameterException, before any app is known."""
    try:
        pending, saved = federation_pending_take(request=request, key=relay_state)
    except InvalidParameterException:
        parameters = _single_values(relay_state)
        if not parameters or "client_id" not in parameters:
            raise
        return SamlPending(
            request=authorize_client_resolve(parameters=parameters, pool=pool),
            provider=None,
            request_id="",
        )
    request_id = saved.get("request_id")
    if not isinstance(request_id, str) or not request_id:
        raise InvalidParameterException("The sign-in was not started through a SAML provider.")
    return SamlPending(request=pending.request, provider=pending.provider, request_id=request_id)


def _confirmations_in_response_to(auth: OneLogin_Saml2_Auth) -> list[str]:
    """InResponseTo of the bearer confirmations, inside the signed (and decrypted) assertion."""
    document = OneLogin_Saml2_XML.to_etree(auth.get_last_response_xml())
    nodes = OneLogin_Saml2_XML.query(
        document,
        "/samlp:Response/saml:Assertion/saml:Subject/saml:SubjectConfirmation"
        "/saml:SubjectConfirmationData",
    )
    return [node.get("InResponseTo") or "" for node in nodes]


def _answers_the_request(auth: OneLogin_Saml2_Auth, request_id: str) -> None:
    """The response answers this sign-in's AuthnRequest inside what the IdP signed: every bearer
    confirmation of the assertion names the request (SAML 2.0 profiles §4.1.4.2 wants
    InResponseTo there for a solicited response), and the Response's own InResponseTo, outside
    the signature when only the assertion is signed, does not count alone. An unsolicited
    response names no request anywhere. python3-saml compares the Response's InResponseTo only
    when both sides have one."""
    envelope = auth.get_last_response_in_response_to()
    confirmations = _confirmations_in_response_to(auth)
    if request_id:
        if (
            not confirmations
            or any(value != request_id for value in confirmations)
            or envelope not in {None, "", request_id}
        ):
            raise _refused("the response does not answer this sign-in's request (InResponseTo).")
    elif envelope or any(confirmations):
        raise _refused("the response answers a request this sign-in did not send (InResponseTo).")


def _claim_value(values: Any) -> str:
    """An attribute's values as one string: the value itself, or several as Cognito writes a
    multi-valued SAML attribute, `[a, b]`."""
    items = [str(value) for value in values] if isinstance(values, list) else [str(values)]
    return items[0] if len(items) == 1 else "[" + ", ".join(items) + "]"


def _replay_check(pool: UserPool, issuer: str, auth: OneLogin_Saml2_Auth) -> None:
    """An assertion is accepted once in the pool, by whichever of its providers it comes
    through: the IdP's entity id and the assertion's ID are kept (hashed) until its
    NotOnOrAfter, which every bearer assertion carries (SAML 2.0 profiles §4.1.4.2); the purge
    drops them after."""
    assertion_id = auth.get_last_assertion_id()
    not_on_or_after = auth.get_last_assertion_not_on_or_after()
    if not assertion_id or not not_on_or_after:
        raise _refused("the assertion has no ID or no NotOnOrAfter.")
    use: Callable[[str, int, str], bool] = Nonce.use
    fresh = use(
        f"saml2:{pool.pool_id}",
        int(not_on_or_after),
        hashlib.sha256(f"{issuer}\0{assertion_id}".encode()).hexdigest(),
    )
    if not fresh:
        raise _refused("the assertion was already used.")


def saml_sign_in_complete(
    *, pending: SamlPending, saml_response: str, relay_state: str
) -> tuple[AuthorizeRequest, PoolUser]:
    """The IdP's response checked (see the module's note), then `federated_sign_in` with the
    NameID as subject and the attributes as claims; the identity keeps the IdP's entity id.
    Every refusal changes nothing."""
    authorize = authorize_request_check(request=pending.request)
    provider = authorize.provider
    if provider is None or provider.provider_type != ProviderType.SAML:
        raise UnsupportedIdentityProviderException("The request names no SAML identity provider.")
    if pending.provider is not None and provider.pk != pending.provider.pk:
        raise UnsupportedIdentityProviderException("The identity provider is not the one asked.")
    details = identity_provider_details(provider=provider)
    if not pending.request_id and details.get("IDPInit") != "true":
        raise _refused(f"{provider.name} does not allow IdP-initiated sign-in (IDPInit).")
    if len(saml_response) > MAX_SAML_RESPONSE_LENGTH:
        raise _refused(f"the response is longer than {MAX_SAML_RESPONSE_LENGTH} characters.")
    auth = _auth(provider, post_data={"SAMLResponse": saml_response, "RelayState": relay_state})
    try:
        auth.process_response(request_id=pending.request_id or None)
    except _RESPONSE_ERRORS:
        raise _refused("the response is not a SAML response.") from None
    if auth.get_errors() or not auth.is_authenticated():
        raise _refused(auth.get_last_error_reason() or "the response is not valid.")
    _answers_the_request(auth, pending.request_id)
    subject = auth.get_nameid() or ""
    # An attribute sent without a value is not sent: it must not name a user or be written.
    claims = {
        name: _claim_value(values) for name, values in auth.get_attributes().items() if values
    }
    issuer = auth.get_settings().get_idp_data()["entityId"]
    with transaction.atomic():
        _replay_check(provider.pool, issuer, auth)
        user = federated_sign_in(
            pool=provider.pool, provider=provider, subject=subject, claims=claims, issuer=issuer
        )
    return authorize, user
