"""What every request addressed to an app client shares (sign-up, recovery, sign-in): the client
as its credential, and what is told about a name that names nobody.

With PreventUserExistenceErrors ENABLED on the client, such a name gets the answers a real user
could get, after the same checks and limits: the caller simulates them. Otherwise the request is
told UserNotFoundException.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from cognitoadmin.awsmodel import model_validate
from pools.errors import UserNotFoundException
from pools.models import AppClient, AuthSession, PreventUserExistenceErrors
from pools.services.clients import app_client_verify_secret_hash

# Cognito's UserNotFoundException message for the client-addressed operations.
UNKNOWN_USER_MESSAGE = "Username/client id combination not found."


def client_request_validate(
    operation: str,
    *,
    client: AppClient,
    username: str,
    secret_hash: str | None,
    hosted: bool = False,
    **members: Any,
) -> None:
    """Check a client-addressed request (ClientId, Username, SecretHash and `members`) against
    botocore's model, then the client's secret hash. Shared by the sign-up and recovery
    operations, which are all addressed this way.

    `hosted`: the request comes from the hosted pages, which are this server: no secret hash is
    asked (the client proves itself at /oauth2/token, as for `auth_hosted_sign_in`)."""
    model_validate(
        operation,
        {"ClientId": client.client_id, "Username": username, "SecretHash": secret_hash, **members},
    )
    if not hosted:
        app_client_verify_secret_hash(client=client, username=username, secret_hash=secret_hash)


def unknown_user_check(*, client: AppClient, message: str = UNKNOWN_USER_MESSAGE) -> None:
    """A request named nobody: UserNotFoundException with `message` (Cognito words it by
    operation), unless the client hides user existence (PreventUserExistenceErrors ENABLED) and
    the caller simulates an answer."""
    if client.prevent_user_existence_errors != PreventUserExistenceErrors.ENABLED:
        raise UserNotFoundException(message)


def unknown_user_write(*, client: AppClient) -> None:
    """The durable write that a real user's answer makes (a failure counted, a code issued or
    tried), made for a name that names nobody and undone before it commits: a row inserted and
    deleted again in one transaction. The commit then flushes as a real write's does, which is
    most of what such an answer costs, and nothing stays in the database. A row of its own, so
    that concurrent callers wait on no shared row."""
    with transaction.atomic():
        row = AuthSession.objects.create(
            pool_id=client.pool_id,
            client=client,
            user=None,
            session_digest=secrets.token_hex(32),
            challenge_name="",
            expires_at=timezone.now(),
            used_at=timezone.now(),
        )
        row.delete()
