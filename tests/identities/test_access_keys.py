from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cognitoadmin.crypto import unseal_str
from cognitoadmin.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from identities.errors import MalformedPolicyDocumentException
from identities.models import AccessKey
from identities.selectors import access_key_get, access_key_list
from identities.services.access_keys import (
    access_key_authenticate,
    access_key_create,
    access_key_delete,
    access_key_disable,
    access_key_enable,
    access_key_secret,
    access_key_set_policy,
    access_key_update,
)
from tests.builders import make_access_key, make_operator

pytestmark = pytest.mark.django_db

IMPORTED_ID = "AKIAIOSFODNN7EXAMPLE"
IMPORTED_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_create_generates_an_aws_shaped_pair_and_seals_the_secret(operator: User) -> None:
    key, secret = access_key_create(operator=operator, description="CI")

    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key.access_key_id)
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", secret)
    stored = AccessKey.objects.get(pk=key.pk)
    assert stored.operator == operator
    assert stored.description == "CI"
    assert stored.active
    assert stored.last_used_at is None
    assert secret not in stored.secret_sealed
    assert unseal_str(stored.secret_sealed, purpose="access_key") == secret
    assert access_key_secret(key=stored) == secret


def test_each_created_key_is_different(operator: User) -> None:
    first, first_secret = access_key_create(operator=operator)
    second, second_secret = access_key_create(operator=operator)

    assert first.access_key_id != second.access_key_id
    assert first_secret != second_secret


def test_create_imports_a_known_pair(operator: User) -> None:
    key, secret = access_key_create(
        operator=operator, access_key_id=IMPORTED_ID, secret_access_key=IMPORTED_SECRET
    )

    assert key.access_key_id == IMPORTED_ID
    assert secret == IMPORTED_SECRET
    assert access_key_secret(key=AccessKey.objects.get(pk=key.pk)) == IMPORTED_SECRET


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ({"access_key_id": IMPORTED_ID}, "give both"),
        ({"secret_access_key": IMPORTED_SECRET}, "give both"),
        ({"access_key_id": "akiaiosfodnn7example", "secret_access_key": IMPORTED_SECRET}, "ID"),
        ({"access_key_id": "AKIA-SHORT", "secret_access_key": IMPORTED_SECRET}, "ID"),
        ({"access_key_id": "A" * 129, "secret_access_key": IMPORTED_SECRET}, "ID"),
        ({"access_key_id": IMPORTED_ID, "secret_access_key": "s" * 15}, "secret"),
        ({"access_key_id": IMPORTED_ID, "secret_access_key": "s" * 129}, "secret"),
        ({"access_key_id": IMPORTED_ID, "secret_access_key": "with space 123456"}, "secret"),
        ({"access_key_id": IMPORTED_ID, "secret_access_key": "sécret-sécret-sécret"}, "secret"),
    ],
)
def test_create_refuses_a_malformed_import(
    operator: User, pair: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidParameterException, match=message):
        access_key_create(operator=operator, **pair)

    assert not AccessKey.objects.exists()


def test_create_accepts_the_longest_id_and_secret(operator: User) -> None:
    key, secret = access_key_create(
        operator=operator, access_key_id="A" * 128, secret_access_key="s" * 128
    )

    assert (len(key.access_key_id), len(secret)) == (128, 128)


def test_create_refuses_a_duplicate_id(operator: User) -> None:
    make_access_key(operator=operator, access_key_id=IMPORTED_ID, secret_access_key=IMPORTED_SECRET)

    with pytest.raises(ResourceConflictException, match=IMPORTED_ID):
        access_key_create(
            operator=operator, access_key_id=IMPORTED_ID, secret_access_key="another-secret-1234"
        )

    assert AccessKey.objects.count() == 1
    assert access_key_secret(key=AccessKey.objects.get()) == IMPORTED_SECRET


def test_create_refuses_a_too_long_description(operator: User) -> None:
    with pytest.raises(InvalidParameterException, match="description"):
        access_key_create(operator=operator, description="d" * 257)

    assert not AccessKey.objects.exists()


@pytest.mark.parametrize(("is_staff", "is_active"), [(False, True), (True, False)])
def test_create_refuses_a_user_who_is_not_an_active_operator(
    is_staff: bool, is_active: bool
) -> None:
    user = User.objects.create_user(username="someone", is_staff=is_staff, is_active=is_active)

    with pytest.raises(InvalidParameterException, match="someone"):
        access_key_create(operator=user)

    assert not AccessKey.objects.exists()


def test_update_changes_the_description(operator_key: tuple[AccessKey, str]) -> None:
    key, _ = operator_key

    access_key_update(key=key, description="deploy bot")

    assert AccessKey.objects.get(pk=key.pk).description == "deploy bot"


def test_update_refuses_a_too_long_description(operator_key: tuple[AccessKey, str]) -> None:
    key, _ = operator_key

    with pytest.raises(InvalidParameterException):
        access_key_update(key=key, description="d" * 257)

    assert AccessKey.objects.get(pk=key.pk).description == "test key"


def test_disable_and_enable_are_idempotent(operator_key: tuple[AccessKey, str]) -> None:
    key, _ = operator_key

    access_key_disable(key=key)
    access_key_disable(key=key)
    assert not AccessKey.objects.get(pk=key.pk).active

    access_key_enable(key=key)
    access_key_enable(key=key)
    assert AccessKey.objects.get(pk=key.pk).active


def test_delete_removes_the_key(operator_key: tuple[AccessKey, str]) -> None:
    key, _ = operator_key

    access_key_delete(key=key)

    assert not AccessKey.objects.exists()


def test_authenticate_returns_the_key_and_records_its_use(
    operator_key: tuple[AccessKey, str],
) -> None:
    key, secret = operator_key

    found = access_key_authenticate(access_key_id=key.access_key_id, secret=secret)

    assert found == key
    assert found.operator == key.operator
    assert AccessKey.objects.get(pk=key.pk).last_used_at is not None


def test_authenticate_writes_last_used_at_most_once_a_minute(
    operator_key: tuple[AccessKey, str],
) -> None:
    key, secret = operator_key
    access_key_authenticate(access_key_id=key.access_key_id, secret=secret)
    first_use = AccessKey.objects.get(pk=key.pk).last_used_at

    with CaptureQueriesContext(connection) as queries:
        access_key_authenticate(access_key_id=key.access_key_id, secret=secret)

    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert AccessKey.objects.get(pk=key.pk).last_used_at == first_use


def test_authenticate_records_use_again_after_a_minute(
    operator_key: tuple[AccessKey, str],
) -> None:
    key, secret = operator_key
    long_ago = timezone.now() - timedelta(minutes=2)
    AccessKey.objects.filter(pk=key.pk).update(last_used_at=long_ago)

    access_key_authenticate(access_key_id=key.access_key_id, secret=secret)

    last_used_at = AccessKey.objects.get(pk=key.pk).last_used_at
    assert last_used_at is not None
    assert last_used_at > long_ago


def test_authenticate_refuses_a_wrong_secret(operator_key: tuple[AccessKey, str]) -> None:
    key, secret = operator_key
    # One character off; a random secret may already end with "x" (1 run in 64 was a false pass).
    wrong = secret[:-1] + ("y" if secret.endswith("x") else "x")

    with pytest.raises(NotAuthorizedException, match="Incorrect access key ID or secret"):
        access_key_authenticate(access_key_id=key.access_key_id, secret=wrong)

    assert AccessKey.objects.get(pk=key.pk).last_used_at is None


def test_authenticate_refuses_an_unknown_id_with_the_same_error(operator: User) -> None:
    with pytest.raises(NotAuthorizedException, match="Incorrect access key ID or secret"):
        access_key_authenticate(access_key_id=IMPORTED_ID, secret=IMPORTED_SECRET)


def test_authenticate_refuses_a_disabled_key(operator_key: tuple[AccessKey, str]) -> None:
    key, secret = operator_key
    access_key_disable(key=key)

    with pytest.raises(NotAuthorizedException, match="disabled"):
        access_key_authenticate(access_key_id=key.access_key_id, secret=secret)

    assert AccessKey.objects.get(pk=key.pk).last_used_at is None


@pytest.mark.parametrize(("field", "message"), [("is_active", "inactive"), ("is_staff", "staff")])
def test_authenticate_refuses_a_key_whose_operator_lost_access(
    operator_key: tuple[AccessKey, str], field: str, message: str
) -> None:
    key, secret = operator_key
    User.objects.filter(pk=key.operator.pk).update(**{field: False})

    with pytest.raises(NotAuthorizedException, match=message):
        access_key_authenticate(access_key_id=key.access_key_id, secret=secret)

    assert AccessKey.objects.get(pk=key.pk).last_used_at is None


def test_access_key_get_raises_for_an_unknown_id(operator: User) -> None:
    with pytest.raises(ResourceNotFoundException, match=IMPORTED_ID):
        access_key_get(access_key_id=IMPORTED_ID)


def test_access_key_list_filters_by_operator(operator: User) -> None:
    other = make_operator(username="other", with_device=False)
    mine, _ = make_access_key(operator=operator)
    theirs, _ = make_access_key(operator=other)

    assert list(access_key_list()) == [mine, theirs]  # by operator name
    assert list(access_key_list(operator=operator)) == [mine]


POOL_ARN = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_AbC123xyz"
ONE_POOL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "cognito-idp:*", "Resource": POOL_ARN}],
}


def test_create_keeps_a_policy_in_its_canonical_form(operator: User) -> None:
    key, _ = make_access_key(operator=operator, policy=json.dumps(ONE_POOL))

    assert AccessKey.objects.get(pk=key.pk).policy == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["cognito-idp:*"], "Resource": [POOL_ARN]}],
    }


def test_a_malformed_policy_creates_no_key(operator: User) -> None:
    with pytest.raises(MalformedPolicyDocumentException, match="Condition"):
        make_access_key(
            operator=operator,
            policy={
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {}}]
            },
        )

    assert not AccessKey.objects.exists()


def test_set_policy_replaces_and_removes_the_policy(operator_key: tuple[AccessKey, str]) -> None:
    key, _ = operator_key

    access_key_set_policy(key=key, policy=ONE_POOL)
    with_policy = AccessKey.objects.get(pk=key.pk).policy
    with pytest.raises(MalformedPolicyDocumentException):
        access_key_set_policy(key=key, policy="{not json")
    unchanged = AccessKey.objects.get(pk=key.pk).policy
    access_key_set_policy(key=key, policy=None)

    assert with_policy is not None and with_policy == unchanged
    assert AccessKey.objects.get(pk=key.pk).policy is None
