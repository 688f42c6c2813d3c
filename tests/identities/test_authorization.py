"""The one authorization service: Django's permissions and groups decide for operators, a key's
policy narrows, IAM's wording refuses."""

from __future__ import annotations

import json
import logging

import pytest
from django.contrib.auth.models import Permission, User

from cognitoadmin.authorization import ACCOUNT, Caller, authorize, is_authorized
from cognitoadmin.errors import AccessDeniedException
from identities.models import AccessKey
from identities.services.access_keys import access_key_set_policy
from identities.services.authorization import operator_arn
from tests.builders import make_access_key, make_operator

pytestmark = pytest.mark.django_db

POOL = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_AbCdEf123"
OTHER_POOL = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_Other9999"
SUPPORT = "Support (read only)"
ADMINISTRATORS = "Administrators"


def staff(username: str = "sam", *groups: str) -> User:
    return make_operator(username=username, superuser=False, with_device=False, groups=groups)


def refusal(caller: Caller, action: str, resource: str = POOL) -> str:
    with pytest.raises(AccessDeniedException) as caught:
        authorize(caller, action=action, resource=resource)
    return caught.value.message


def test_a_superuser_may_do_every_declared_action() -> None:
    root = make_operator(username="root", with_device=False)

    for action in ("cognito-idp:DeleteUserPool", "cognito-idp:ListUsers", "iam:CreateAccessKey"):
        authorize(Caller(operator=root), action=action, resource=POOL)


def test_a_staff_member_without_permissions_is_refused_in_iams_words() -> None:
    message = refusal(Caller(operator=staff()), "cognito-idp:DeleteUserPool")

    assert message == (
        "User: arn:aws:iam::000000000000:user/sam is not authorized to perform: "
        f"cognito-idp:DeleteUserPool on resource: {POOL} because no identity-based policy "
        "allows the cognito-idp:DeleteUserPool action"
    )


def test_the_model_permission_an_action_names_allows_it_and_nothing_else() -> None:
    sam = staff()
    sam.user_permissions.add(Permission.objects.get(codename="delete_userpool"))
    sam = User.objects.get(pk=sam.pk)  # Django caches permissions per instance

    assert is_authorized(Caller(operator=sam), action="cognito-idp:DeleteUserPool", resource=POOL)
    assert not is_authorized(
        Caller(operator=sam), action="cognito-idp:UpdateUserPool", resource=POOL
    )


def test_support_reads_and_changes_nothing() -> None:
    support = Caller(operator=staff("sue", SUPPORT))

    for action in ("cognito-idp:ListUsers", "cognito-idp:DescribeUserPool", "iam:ListAccessKeys"):
        assert is_authorized(support, action=action, resource=POOL), action
    for action in (
        "cognito-idp:AdminCreateUser",
        "cognito-idp:AdminDisableUser",
        "cognito-idp:AdminAddUserToGroup",
        "cognito-idp:DeleteUserPool",
        "cognito-idp:AdminInitiateAuth",
        "iam:CreateAccessKey",
    ):
        assert not is_authorized(support, action=action, resource=POOL), action


def test_administrators_may_do_everything_to_pools() -> None:
    admin = Caller(operator=staff("ada", ADMINISTRATORS))

    for action in (
        "cognito-idp:CreateUserPool",
        "cognito-idp:DeleteUserPool",
        "cognito-idp:AdminCreateUser",
        "cognito-idp:AdminRemoveUserFromGroup",
        "cognito-idp:CreateUserPoolClient",
    ):
        assert is_authorized(admin, action=action, resource=POOL), action


def test_only_superusers_act_on_another_operators_keys() -> None:
    ada = staff("ada", ADMINISTRATORS)
    root = make_operator(username="root", with_device=False)

    assert is_authorized(
        Caller(operator=ada), action="iam:CreateAccessKey", resource=operator_arn(ada)
    )
    message = refusal(Caller(operator=ada), "iam:CreateAccessKey", operator_arn(root))
    assert "arn:aws:iam::000000000000:user/root" in message
    assert is_authorized(
        Caller(operator=root), action="iam:DeleteAccessKey", resource=operator_arn(ada)
    )


@pytest.mark.parametrize("change", [{"is_active": False}, {"is_staff": False}])
def test_an_operator_who_is_no_longer_active_staff_may_do_nothing(change: dict[str, bool]) -> None:
    root = make_operator(username="root", with_device=False)
    User.objects.filter(pk=root.pk).update(**change)

    refusal(Caller(operator=User.objects.get(pk=root.pk)), "cognito-idp:ListUsers")


def test_nobody_may_do_an_action_no_door_declared(caplog: pytest.LogCaptureFixture) -> None:
    root = make_operator(username="root", with_device=False)

    with caplog.at_level(logging.ERROR, logger="cognitoadmin.authorization"):
        message = refusal(Caller(operator=root), "cognito-idp:NoSuchThing")

    assert message == "cognito-idp:NoSuchThing is not an action this server authorizes."
    assert "cognito-idp:NoSuchThing" in caplog.text


def test_nobody_anonymous_may_do_anything() -> None:
    refusal(Caller(operator=None), "cognito-idp:ListUsers")


# --- a key's policy narrows what its operator may do ---------------------------------------


def only(actions: str | list[str], resource: str = POOL, effect: str = "Allow") -> str:
    statement = {"Effect": effect, "Action": actions, "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def keyed(operator: User, policy: str | None) -> Caller:
    key, _ = make_access_key(operator=operator)
    access_key_set_policy(key=key, policy=policy)
    return Caller(operator=operator, credential=AccessKey.objects.get(pk=key.pk))


def test_a_key_policy_limits_a_superuser_to_one_pool() -> None:
    ci = keyed(make_operator(username="root", with_device=False), only("cognito-idp:*"))

    assert is_authorized(ci, action="cognito-idp:AdminCreateUser", resource=POOL)
    message = refusal(ci, "cognito-idp:AdminCreateUser", OTHER_POOL)
    assert message.endswith(
        "because no identity-based policy allows the cognito-idp:AdminCreateUser action"
    )
    refusal(ci, "cognito-idp:CreateUserPool", ACCOUNT)


def test_an_explicit_deny_in_the_key_policy_wins_and_says_so() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "cognito-idp:Delete*", "Resource": "*"},
        ],
    }
    ci = keyed(make_operator(username="root", with_device=False), json.dumps(policy))

    assert is_authorized(ci, action="cognito-idp:ListUsers", resource=POOL)
    assert refusal(ci, "cognito-idp:DeleteUserPool").endswith(
        "with an explicit deny in an identity-based policy"
    )


def test_a_key_policy_never_grants_what_its_operator_may_not_do() -> None:
    sue = staff("sue", SUPPORT)

    refusal(keyed(sue, only("*", "*")), "cognito-idp:DeleteUserPool")


def test_a_key_without_a_policy_may_do_what_its_operator_may() -> None:
    sue = keyed(staff("sue", SUPPORT), None)

    assert is_authorized(sue, action="cognito-idp:ListUsers", resource=POOL)
    assert not is_authorized(sue, action="cognito-idp:AdminCreateUser", resource=POOL)


def _conditional(statement: dict[str, object]) -> str:
    allow = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [allow, statement]})


def test_a_key_policys_conditions_read_the_requests_own_keys() -> None:
    root = make_operator(username="root", with_device=False)
    plain_http = _conditional(
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    office = _conditional(
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        }
    )
    key = keyed(root, plain_http).credential
    office_key = keyed(root, office).credential

    def caller(credential: AccessKey, ip: str, secure: bool) -> Caller:
        return Caller(operator=root, credential=credential, source_ip=ip, secure_transport=secure)

    assert is_authorized(
        caller(key, "10.1.2.3", True), action="cognito-idp:ListUsers", resource=POOL
    )
    assert not is_authorized(
        caller(key, "10.1.2.3", False), action="cognito-idp:ListUsers", resource=POOL
    )
    assert is_authorized(
        caller(office_key, "10.9.9.9", False), action="cognito-idp:ListUsers", resource=POOL
    )
    assert not is_authorized(
        caller(office_key, "192.0.2.1", True), action="cognito-idp:ListUsers", resource=POOL
    )


def test_a_key_policys_variables_name_its_operator() -> None:
    root = make_operator(username="root", with_device=False)
    own = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "iam:*",
                    "Resource": "arn:aws:iam::000000000000:user/${aws:username}",
                }
            ],
        }
    )
    ci = keyed(root, own)

    assert is_authorized(
        ci, action="iam:ListAccessKeys", resource="arn:aws:iam::000000000000:user/root"
    )
    assert not is_authorized(
        ci, action="iam:ListAccessKeys", resource="arn:aws:iam::000000000000:user/other"
    )
