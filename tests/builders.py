"""Typed builders for test data. Each calls the real services, so tests start from valid states."""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

from django.contrib.auth.models import Group as OperatorGroup
from django.contrib.auth.models import User
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from identities.models import AccessKey
from identities.services.access_keys import access_key_create
from identities.services.operators import (
    operator_totp_device_confirm,
    operator_totp_device_start,
)
from pools.models import AppClient, Domain, Group, PoolUser, ResourceServer, UserPool
from pools.services.clients import app_client_create
from pools.services.domains import domain_create
from pools.services.groups import group_create
from pools.services.passwords import password_replace
from pools.services.pools import user_pool_create
from pools.services.resource_servers import resource_server_create
from pools.services.users import user_create


def make_user_pool(
    name: str = "test-pool", *, region: str | None = None, **settings: Any
) -> UserPool:
    """A pool made by CreateUserPool; `settings` are its request members (PascalCase)."""
    return user_pool_create(name=name, settings=settings, region=region)


_user_numbers = itertools.count(1)


def make_user(
    *, pool: UserPool, username: str = "", password: str | None = None, **attributes: str
) -> PoolUser:
    """A user made by AdminCreateUser (no invitation). With `password` the user is CONFIRMED with
    it (AdminSetUserPassword, permanent); without, FORCE_CHANGE_PASSWORD with a generated one.
    Custom attributes go by their full names: `make_user(pool=p, **{"custom:tier": "gold"})`."""
    user = user_create(
        pool=pool,
        username=username or f"user{next(_user_numbers)}",
        attributes=attributes,
        message_action="SUPPRESS",
    )
    if password is not None:
        password_replace(user=user, password=password)
    return user


_group_numbers = itertools.count(1)


def make_group(*, pool: UserPool, name: str = "", **fields: Any) -> Group:
    """A group made by CreateGroup; `fields` are group_create's (description, precedence, ...)."""
    return group_create(pool=pool, name=name or f"group{next(_group_numbers)}", **fields)


_client_numbers = itertools.count(1)


def make_app_client(*, pool: UserPool, name: str = "", **settings: Any) -> AppClient:
    """An app client made by CreateUserPoolClient; `settings` are its request members (PascalCase).
    A generated secret is recovered with `app_client_secret`."""
    client, _secret = app_client_create(
        pool=pool, name=name or f"app{next(_client_numbers)}", settings=settings
    )
    return client


def make_resource_server(
    *,
    pool: UserPool,
    identifier: str = "https://api.example.com",
    name: str = "api",
    scopes: tuple[str, ...] = ("read", "write"),
) -> ResourceServer:
    """A resource server made by CreateResourceServer, with one scope per name in `scopes`."""
    return resource_server_create(
        pool=pool,
        identifier=identifier,
        name=name,
        scopes=[{"ScopeName": scope, "ScopeDescription": f"{scope} access"} for scope in scopes],
    )


def make_domain(*, pool: UserPool, domain: str = "my-shop", **options: Any) -> Domain:
    """A hosted-UI domain made by CreateUserPoolDomain: a prefix unless `options` give a
    `custom_domain_config`."""
    return domain_create(pool=pool, domain=domain, **options)


def sent_code(message: str) -> str:
    """The six-digit verification code in a message sent to a pool user (mail body or SMS)."""
    codes: list[str] = re.findall(r"(?<![0-9])[0-9]{6}(?![0-9])", message)
    [code] = codes
    return code


OPERATOR_PASSWORD = "operator-Passw0rd!"


def totp_token(device: TOTPDevice) -> str:
    """The code the operator's authenticator app would show now; a device refuses a code it has
    already accepted, so after one is used this gives the next time step's (still in tolerance)."""
    now = (int(time.time()) - device.t0) // device.step
    ahead = max(0, device.last_t + 1 - now - device.drift)
    code: int = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead)
    return str(code).zfill(device.digits)


def make_operator(
    *,
    username: str = "operator",
    password: str = OPERATOR_PASSWORD,
    superuser: bool = True,
    with_device: bool = True,
    groups: tuple[str, ...] = (),
) -> User:
    """An operator (staff `auth.User`, superuser by default) who, `with_device`, has set up an
    authenticator app the way the admin's set-up page does (and so has backup codes). `groups`
    names operator groups they belong to ("Support (read only)", "Administrators")."""
    if superuser:
        operator = User.objects.create_superuser(username=username, password=password)
    else:
        operator = User.objects.create_user(username=username, password=password, is_staff=True)
    operator.groups.add(*(OperatorGroup.objects.get(name=name) for name in groups))
    if with_device:
        device = operator_totp_device_start(operator=operator)
        operator_totp_device_confirm(operator=operator, token=totp_token(device))
    return operator


def make_access_key(
    *, operator: User, description: str = "", policy: Any = None, **pair: str
) -> tuple[AccessKey, str]:
    """A key made by `accesskey create`; `pair` may import `access_key_id` + `secret_access_key`,
    and `policy` (an IAM policy document) narrows what it may do."""
    return access_key_create(operator=operator, description=description, policy=policy, **pair)
