"""Sign-in and tokens over the AWS JSON protocol: InitiateAuth, RespondToAuthChallenge and their
Admin variants, GetTokensFromRefreshToken, RevokeToken, GlobalSignOut and AdminUserGlobalSignOut.

The unsigned operations name their app client by ClientId alone; the Admin ones name the pool too,
and the client must be one of its clients.
"""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import pool_arn
from pools.aws.users import request_user
from pools.errors import ResourceNotFoundException, UnauthorizedException
from pools.models import AppClient
from pools.selectors.clients import app_client_get, app_client_get_by_id
from pools.selectors.pools import user_pool_get
from pools.selectors.tokens import refresh_token_find
from pools.services.auth import auth_initiate, auth_respond
from pools.services.clients import app_client_verify_secret
from pools.services.refresh import refresh_token_redeem
from pools.services.revocation import refresh_token_revoke, user_tokens_revoke
from pools.services.verification import access_token_verify


def _pool_client(params: dict[str, Any]) -> AppClient:
    """The client an Admin* request names by `ClientId`, within the pool `UserPoolId` names."""
    return app_client_get(
        pool=user_pool_get(pool_id=params["UserPoolId"]), client_id=params["ClientId"]
    )


def _initiate(
    call: AwsCall, client: AppClient, params: dict[str, Any], *, admin: bool
) -> dict[str, Any]:
    return auth_initiate(
        client=client,
        flow=params["AuthFlow"],
        parameters=params.get("AuthParameters", {}),
        admin=admin,
        client_metadata=params.get("ClientMetadata"),
        session=params.get("Session"),
        ip_address=call.client_ip,
        request_id=call.request_id,
    ).as_aws()


def _respond(
    call: AwsCall, client: AppClient, params: dict[str, Any], *, admin: bool
) -> dict[str, Any]:
    return auth_respond(
        client=client,
        challenge_name=params["ChallengeName"],
        session=params.get("Session"),
        responses=params.get("ChallengeResponses", {}),
        admin=admin,
        ip_address=call.client_ip,
        request_id=call.request_id,
    ).as_aws()


@operation("InitiateAuth")
def initiate_auth(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return _initiate(call, app_client_get_by_id(client_id=params["ClientId"]), params, admin=False)


@operation("AdminInitiateAuth", permission="pools.change_pooluser", resource=pool_arn)
def admin_initiate_auth(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return _initiate(call, _pool_client(params), params, admin=True)


@operation("RespondToAuthChallenge")
def respond_to_auth_challenge(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return _respond(call, app_client_get_by_id(client_id=params["ClientId"]), params, admin=False)


@operation("AdminRespondToAuthChallenge", permission="pools.change_pooluser", resource=pool_arn)
def admin_respond_to_auth_challenge(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return _respond(call, _pool_client(params), params, admin=True)


@operation("GetTokensFromRefreshToken")
def get_tokens_from_refresh_token(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    client = app_client_get_by_id(client_id=params["ClientId"])
    app_client_verify_secret(client=client, secret=params.get("ClientSecret"))
    row = refresh_token_find(token=params["RefreshToken"])
    result = refresh_token_redeem(
        client=client, row=row, rotate=True, device_key=params.get("DeviceKey")
    )
    return {"AuthenticationResult": result}


@operation("RevokeToken")
def revoke_token(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    try:
        client = app_client_get_by_id(client_id=params["ClientId"])
    except ResourceNotFoundException as exc:
        # RevokeToken's model has no ResourceNotFoundException: an unknown client is one that
        # is not authorised to revoke, as RFC 7009's invalid_client.
        raise UnauthorizedException(exc.message) from None
    app_client_verify_secret(client=client, secret=params.get("ClientSecret"))
    refresh_token_revoke(client=client, refresh_token=params["Token"])
    return {}


@operation("GlobalSignOut")
def global_sign_out(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user_tokens_revoke(user=access_token_verify(token=params["AccessToken"]).user)
    return {}


@operation("AdminUserGlobalSignOut", permission="pools.change_pooluser", resource=pool_arn)
def admin_user_global_sign_out(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    user_tokens_revoke(user=request_user(params))
    return {}
