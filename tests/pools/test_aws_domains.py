"""AWS endpoint, boto3 against a live server: hosted-UI domains."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from cognitoadmin.awsjson import operation
from cognitoadmin.awsmodel import service_model, validate_input
from pools.errors import InvalidParameterException
from pools.models import Domain, UserPool
from tests.builders import make_domain, make_user_pool

pytestmark = pytest.mark.django_db

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
OTHER_CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/def"
# settings_test's COGNITOADMIN_PUBLIC_URL: the host a custom domain's CNAME points at.
PUBLIC_HOST = "testserver"


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    message: str = error.value.response["Error"]["Message"]
    return message


def _domains() -> list[tuple[str, str, bool, str, int]]:
    return list(
        Domain.objects.order_by("pk").values_list(
            "pool__pool_id", "domain", "is_custom", "certificate_arn", "managed_login_version"
        )
    )


def test_create_prefix_domain_then_describe_it(idp: Any, pool: UserPool) -> None:
    created = idp.create_user_pool_domain(UserPoolId=pool.pool_id, Domain="my-shop")

    assert created["ManagedLoginVersion"] == 1
    assert created["CloudFrontDomain"] == PUBLIC_HOST
    described = idp.describe_user_pool_domain(Domain="my-shop")["DomainDescription"]
    assert described == {
        "UserPoolId": pool.pool_id,
        "AWSAccountId": "000000000000",
        "Domain": "my-shop",
        "CloudFrontDistribution": PUBLIC_HOST,
        "Status": "ACTIVE",
        "ManagedLoginVersion": 1,
    }
    assert idp.describe_user_pool(UserPoolId=pool.pool_id)["UserPool"]["Domain"] == "my-shop"


def test_a_custom_domain_is_a_full_host_name(idp: Any, pool: UserPool) -> None:
    created = idp.create_user_pool_domain(
        UserPoolId=pool.pool_id,
        Domain="auth.example.com",
        CustomDomainConfig={"CertificateArn": CERTIFICATE},
        ManagedLoginVersion=2,
    )

    assert created["ManagedLoginVersion"] == 2
    described = idp.describe_user_pool_domain(Domain="auth.example.com")["DomainDescription"]
    assert described["CustomDomainConfig"] == {"CertificateArn": CERTIFICATE}
    pool_shape = idp.describe_user_pool(UserPoolId=pool.pool_id)["UserPool"]
    assert pool_shape["CustomDomain"] == "auth.example.com"


def test_create_user_pool_domain_errors_create_nothing(idp: Any, pool: UserPool) -> None:
    make_domain(pool=make_user_pool(name="other"), domain="taken")
    before = _domains()

    # A host name is only a domain with CustomDomainConfig; a prefix follows Cognito's pattern.
    for bad in ("auth.example.com", "My_Shop"):
        with pytest.raises(idp.exceptions.InvalidParameterException) as error:
            idp.create_user_pool_domain(UserPoolId=pool.pool_id, Domain=bad)
        assert "invalid character" in _message(error)
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.create_user_pool_domain(UserPoolId=pool.pool_id, Domain="taken")
    assert "another user pool" in _message(error)
    with pytest.raises(idp.exceptions.InvalidParameterException) as error:
        idp.create_user_pool_domain(
            UserPoolId=pool.pool_id,
            Domain="auth.example.com",
            CustomDomainConfig={"CertificateArn": "arn:aws:acm:certificate/abc"},
        )
    assert "'customDomainConfig.certificateArn'" in _message(error)
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.create_user_pool_domain(UserPoolId="us-east-1_nothere12", Domain="fresh")

    assert _domains() == before


def test_describe_an_unknown_domain_answers_an_empty_description(idp: Any) -> None:
    response = idp.describe_user_pool_domain(Domain="nobody-has-this")

    assert response["DomainDescription"] == {}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_update_user_pool_domain_changes_certificate_and_version(idp: Any, pool: UserPool) -> None:
    make_domain(
        pool=pool, domain="auth.example.com", custom_domain_config={"CertificateArn": CERTIFICATE}
    )

    updated = idp.update_user_pool_domain(
        UserPoolId=pool.pool_id,
        Domain="auth.example.com",
        CustomDomainConfig={"CertificateArn": OTHER_CERTIFICATE},
        ManagedLoginVersion=2,
    )

    assert updated["ManagedLoginVersion"] == 2
    assert updated["CloudFrontDomain"] == PUBLIC_HOST
    described = idp.describe_user_pool_domain(Domain="auth.example.com")["DomainDescription"]
    assert described["CustomDomainConfig"] == {"CertificateArn": OTHER_CERTIFICATE}
    assert described["ManagedLoginVersion"] == 2


def test_update_user_pool_domain_errors_change_nothing(idp: Any, pool: UserPool) -> None:
    make_domain(pool=pool, domain="my-shop")
    make_domain(pool=make_user_pool(name="other"), domain="theirs")
    before = _domains()

    for domain in ("nothing-here", "theirs"):
        with pytest.raises(idp.exceptions.InvalidParameterException) as error:
            idp.update_user_pool_domain(
                UserPoolId=pool.pool_id, Domain=domain, ManagedLoginVersion=2
            )
        assert _message(error) == "No such domain or user pool exists."
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.update_user_pool_domain(
            UserPoolId=pool.pool_id, Domain="my-shop", ManagedLoginVersion=3
        )
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.update_user_pool_domain(
            UserPoolId="us-east-1_nothere12", Domain="my-shop", ManagedLoginVersion=2
        )

    assert _domains() == before


def test_delete_user_pool_domain(idp: Any, pool: UserPool) -> None:
    make_domain(pool=pool, domain="my-shop")
    make_domain(pool=make_user_pool(name="other"), domain="theirs")

    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.delete_user_pool_domain(UserPoolId=pool.pool_id, Domain="theirs")
    assert Domain.objects.filter(domain="theirs").exists()

    response = idp.delete_user_pool_domain(UserPoolId=pool.pool_id, Domain="my-shop")

    assert set(response) == {"ResponseMetadata"}
    assert not Domain.objects.filter(domain="my-shop").exists()
    assert idp.describe_user_pool_domain(Domain="my-shop")["DomainDescription"] == {}


def test_only_the_named_member_escapes_its_pattern() -> None:
    model = service_model("cognito-idp").operation_model("CreateUserPoolDomain")
    params = {"UserPoolId": "us-east-1_abc", "Domain": "auth.example.com"}

    assert validate_input(model, params, relaxed_patterns=frozenset({"Domain"})) == params
    with pytest.raises(InvalidParameterException, match="'domain'"):
        validate_input(model, params)
    with pytest.raises(InvalidParameterException, match="'userPoolId'"):
        validate_input(
            model, {**params, "UserPoolId": "no pool"}, relaxed_patterns=frozenset({"Domain"})
        )


def test_relaxing_a_member_the_operation_lacks_is_a_programming_error() -> None:
    with pytest.raises(RuntimeError, match="Domian"):
        operation(
            "CreateUserPoolDomain",
            permission="pools.add_domain",
            resource="*",
            relaxed_patterns={"Domian"},
        )
