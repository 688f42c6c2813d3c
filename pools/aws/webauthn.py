"""Passkeys over the AWS JSON protocol: StartWebAuthnRegistration, CompleteWebAuthnRegistration,
ListWebAuthnCredentials and DeleteWebAuthnCredential, each authorised by the user's access token
and acting on that user's own passkeys (`pools.services.webauthn` holds the rules)."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.services.verification import AccessTokenContext, access_token_verify
from pools.services.webauthn import (
    webauthn_credential_delete,
    webauthn_credentials_page,
    webauthn_registration_complete,
    webauthn_registration_start,
)
from pools.shapes.webauthn import webauthn_credential_shape


def _signed_in(params: dict[str, Any]) -> AccessTokenContext:
    return access_token_verify(token=params["AccessToken"])


@operation("StartWebAuthnRegistration")
def start_web_authn_registration(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    context = _signed_in(params)
    options = webauthn_registration_start(user=context.user, client=context.client)
    return {"CredentialCreationOptions": options}


@operation("CompleteWebAuthnRegistration")
def complete_web_authn_registration(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    context = _signed_in(params)
    webauthn_registration_complete(
        user=context.user, client=context.client, credential=params["Credential"]
    )
    return {}


@operation("ListWebAuthnCredentials")
def list_web_authn_credentials(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    credentials, token = webauthn_credentials_page(
        user=_signed_in(params).user,
        max_results=params.get("MaxResults"),
        next_token=params.get("NextToken"),
    )
    result: dict[str, Any] = {
        "Credentials": [webauthn_credential_shape(credential) for credential in credentials]
    }
    if token is not None:
        result["NextToken"] = token
    return result


@operation("DeleteWebAuthnCredential")
def delete_web_authn_credential(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    webauthn_credential_delete(user=_signed_in(params).user, credential_id=params["CredentialId"])
    return {}
