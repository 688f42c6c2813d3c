"""What every request addressed to an app client shares (sign-up, recovery, sign-in): the client
as its credential, and what is told about a name that names nobody.

With PreventUserExistenceErrors ENABLED on the client, such a name gets the answers a real user
could get, after the same checks and limits: the caller simulates them. Otherwise the request is
told UserNotFoundException.
"""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsmodel import model_validate
from pools.errors import UserNotFoundException
from pools.models import AppClient, PreventUserExistenceErrors
from pools.services.clients import app_client_verify_secret_hash

# Cognito's UserNotFoundException message for the client-addressed operations.
UNKNOWN_USER_MESSAGE = "Username/client id combination not found."


def client_request_validate(
    operation: str, *, client: AppClient, username: str, secret_hash: str | None, **members: Any
) -> None:
    """Check a client-addressed request (ClientId, Username, SecretHash and `members`) against
    botocore's model, then the client's secret hash. Shared by the sign-up and recovery
    operations, which are all addressed this way."""
    model_validate(
        operation,
        {"ClientId": client.client_id, "Username": username, "SecretHash": secret_hash, **members},
    )
    app_client_verify_secret_hash(client=client, username=username, secret_hash=secret_hash)


def unknown_user_check(*, client: AppClient, message: str = UNKNOWN_USER_MESSAGE) -> None:
    """A request named nobody: UserNotFoundException with `message` (Cognito words it by
    operation), unless the client hides user existence (PreventUserExistenceErrors ENABLED) and
    the caller simulates an answer."""
    if client.prevent_user_existence_errors != PreventUserExistenceErrors.ENABLED:
        raise UserNotFoundException(message)
