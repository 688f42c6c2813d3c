"""schemathesis against the management API's OpenAPI schema (issue 14's second gate).

Every operation of `/api/v1/schema/` gets requests generated from the schema, positive (fitting
it) and negative (not), sent by an operator with every right (HTTP Basic with an access key)
through the WSGI application, so no server runs. Positive requests name the world's real pool,
user, group, ... half of the time, so that they get past the 404s. Every answer must be no 5xx
and conform to the schema: documented status, content type, headers and body; negative data
refused, positive data accepted.

The quick run (default) sends `QUICK_EXAMPLES` requests per operation with a derandomized seed;
the thorough one (`-m slow`) sends `SLOW_EXAMPLES`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode

from cognitoadmin.wsgi import application
from identities.api.oidc_providers import oidc_provider_id_of
from identities.services.oidc_providers import oidc_provider_create
from identities.services.roles import managed_policy_create, role_create, role_policy_put
from tests.builders import (
    make_access_key,
    make_app_client,
    make_domain,
    make_group,
    make_operator,
    make_resource_server,
    make_user,
    make_user_pool,
)

pytestmark = pytest.mark.django_db

QUICK_EXAMPLES = 6
SLOW_EXAMPLES = 50

SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
Operation = APIOperation[Any, Any, Any, Any]
OPERATIONS: list[Operation] = [
    operation for path in sorted(SCHEMA) for operation in SCHEMA[path].values()
]


@pytest.fixture
def same_connection() -> Iterator[None]:
    """WSGI requests share the test's connection and its transaction, as Django's test client
    has them do: the request signals would otherwise close it at the end of every request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
        }
    ],
}
_ALLOW = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "cognito-idp:ListUsers", "Resource": "*"}],
}


@pytest.fixture
def world(db: None, same_connection: None) -> dict[str, Any]:
    """An operator's credentials, and real values for every path parameter."""
    operator = make_operator(with_device=False)
    key, secret = make_access_key(operator=operator, description="schemathesis")
    pool = make_user_pool("fuzz-pool")
    app = make_app_client(pool=pool)
    user = make_user(pool=pool, username="alice", password="Passw0rd!", email="a@example.com")
    group = make_group(pool=pool, name="admins")
    server = make_resource_server(pool=pool)
    domain = make_domain(pool=pool, domain="fuzz-shop")
    # A role, its inline policy and a managed policy named as the group is: `name` names them all.
    role = role_create(name=group.name, assume_role_policy_document=_TRUST)
    role_policy_put(role=role, name=group.name, document=_ALLOW)
    managed_policy_create(name=group.name, document=_ALLOW)
    # An OpenID Connect provider whose audience is the app client and whose tag is `name`.
    provider = oidc_provider_create(
        url="https://idp.example.com/realms/fuzz",
        client_ids=[app.client_id],
        tags=[{"Key": group.name, "Value": "fuzz"}],
    )
    token = base64.b64encode(f"{key.access_key_id}:{secret}".encode()).decode("ascii")
    return {
        "headers": {"Authorization": f"Basic {token}"},
        "path": {
            "pool_id": pool.pool_id,
            "client_id": app.client_id,
            "username": user.username,
            "name": group.name,
            "group_name": group.name,
            "identifier": server.identifier,
            "domain": domain.domain,
            "role_name": role.name,
            "policy_name": group.name,
            "provider_id": oidc_provider_id_of(provider.url),
            "tag_key": group.name,
        },
    }


def cases(operation: Operation, world: dict[str, Any]) -> st.SearchStrategy[Case[Any]]:
    positive = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)

    @st.composite
    def build(draw: Callable[..., Any]) -> Case[Any]:
        if draw(st.booleans()):
            case: Case[Any] = draw(negative)
            return case
        case = draw(positive)
        if case.path_parameters and draw(st.booleans()):
            for name in case.path_parameters:
                if name in world["path"]:
                    case.path_parameters[name] = world["path"][name]
        return case

    return build()


# A request that fits the schema may still break a rule the schema cannot state (botocore's
# patterns, an opaque cursor, a bound a service checks), so its refusal is no failure.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]

FUZZ_SETTINGS = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))


def fuzz(operation: Operation, world: dict[str, Any], *, examples: int, derandomize: bool) -> None:
    # The quick run reports its first failing case as generated; the thorough one shrinks it.
    phases = (Phase.explicit, Phase.reuse, Phase.generate) if derandomize else tuple(Phase)

    @settings(FUZZ_SETTINGS, max_examples=examples, derandomize=derandomize, phases=phases)
    @given(case=cases(operation, world))
    def run(case: Case[Any]) -> None:
        cache.clear()
        with transaction.atomic():
            response = case.call(headers=world["headers"])
            case.validate_response(response, headers=world["headers"], excluded_checks=EXCLUDED)
            transaction.set_rollback(True)

    run()


def _label(operation: Operation) -> str:
    return f"{operation.method.upper()} {operation.path}"


@pytest.mark.parametrize("operation", OPERATIONS, ids=_label)
def test_every_api_operation_conforms_to_its_schema(
    operation: Operation, world: dict[str, Any]
) -> None:
    fuzz(operation, world, examples=QUICK_EXAMPLES, derandomize=True)


@pytest.mark.slow
@pytest.mark.parametrize("operation", OPERATIONS, ids=_label)
def test_every_api_operation_holds_up_under_thorough_fuzzing(
    operation: Operation, world: dict[str, Any]
) -> None:
    fuzz(operation, world, examples=SLOW_EXAMPLES, derandomize=False)


# --- Bodies that broke the parsers (issue 14's defects), on every write ------------------------

# The operations that read a body (an action such as `disable/` takes none and ignores one).
WRITES = [operation for operation in OPERATIONS if len(operation.body) > 0]
HOSTILE_BODIES = {
    "nested-1000-deep": b'{"name": ' + b"[" * 1000 + b"]" * 1000 + b"}",
    "integer-of-5000-digits": b'{"name": ' + b"9" * 5000 + b"}",
    "lone-surrogate": b'{"name": "\\ud800", "username": "\\udfff"}',
    "not-json": b'{"name": ',
}


def _hostile(
    operation: Operation, world: dict[str, Any], body: bytes, status: int | None = None
) -> None:
    path = operation.path.format(**world["path"], delivery_id="1", device_key="0_0")
    response = Client(raise_request_exception=False).generic(
        operation.method.upper(),
        path,
        data=body,
        content_type="application/json",
        headers=world["headers"],
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert status in {None, response.status_code}, response.status_code
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = json.loads(response.content)
    assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), error


@pytest.mark.parametrize("body", list(HOSTILE_BODIES.values()), ids=list(HOSTILE_BODIES))
@pytest.mark.parametrize("operation", WRITES, ids=_label)
def test_a_body_that_breaks_parsers_is_a_json_4xx(
    operation: Operation, world: dict[str, Any], body: bytes
) -> None:
    _hostile(operation, world, body)


@pytest.mark.parametrize("operation", WRITES, ids=_label)
def test_a_body_over_the_upload_limit_is_a_json_413(
    operation: Operation, world: dict[str, Any]
) -> None:
    limit = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
    _hostile(operation, world, json.dumps({"name": "a" * (limit + 1)}).encode("ascii"), 413)
