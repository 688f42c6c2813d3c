from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import override_settings

from pools.errors import FeatureUnavailableInTierException, InvalidParameterException
from pools.models import Domain, UserPool
from pools.services.domains import domain_create, domain_delete, domain_update
from pools.shapes.domains import domain_shape
from tests.builders import make_user_pool

pytestmark = pytest.mark.django_db

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
OTHER_CERT = "arn:aws:acm:us-east-1:123456789012:certificate/99999999-2222-3333-4444-555555555555"


def _domains() -> list[tuple[str, str, str, int]]:
    return list(
        Domain.objects.order_by("id").values_list(
            "pool__pool_id", "domain", "certificate_arn", "managed_login_version"
        )
    )


@override_settings(
    COGNITOADMIN_PUBLIC_URL="https://auth.example.net:8443", COGNITOADMIN_ACCOUNT_ID="123456789012"
)
def test_prefix_domain_shape(pool: UserPool) -> None:
    domain = domain_create(pool=pool, domain="my-app-1")

    assert domain_shape(Domain.objects.get(pk=domain.pk)) == {
        "UserPoolId": pool.pool_id,
        "AWSAccountId": "123456789012",
        "Domain": "my-app-1",
        "CloudFrontDistribution": "auth.example.net",
        "Status": "ACTIVE",
        "ManagedLoginVersion": 1,
    }


def test_custom_domain_records_its_certificate(pool: UserPool) -> None:
    domain = domain_create(
        pool=pool,
        domain="auth.example.com",
        custom_domain_config={"CertificateArn": CERT},
        managed_login_version=2,
    )

    shape = domain_shape(Domain.objects.get(pk=domain.pk))
    assert shape["Domain"] == "auth.example.com"
    assert shape["CustomDomainConfig"] == {"CertificateArn": CERT}
    assert shape["ManagedLoginVersion"] == 2


def test_a_pool_may_have_one_prefix_and_one_custom_domain(pool: UserPool) -> None:
    domain_create(pool=pool, domain="my-app")
    domain_create(
        pool=pool, domain="auth.example.com", custom_domain_config={"CertificateArn": CERT}
    )

    with pytest.raises(InvalidParameterException, match="User pool already has a domain"):
        domain_create(pool=pool, domain="my-app-2")
    with pytest.raises(InvalidParameterException, match="User pool already has a domain"):
        domain_create(
            pool=pool, domain="login.example.com", custom_domain_config={"CertificateArn": CERT}
        )

    assert [d[1] for d in _domains()] == ["my-app", "auth.example.com"]


def test_a_domain_belongs_to_one_pool_only(pool: UserPool) -> None:
    domain_create(pool=pool, domain="taken")
    other = make_user_pool(name="other")

    with pytest.raises(
        InvalidParameterException,
        match=re.escape("Domain already associated with another user pool."),
    ):
        domain_create(pool=other, domain="taken")

    assert _domains() == [(pool.pool_id, "taken", "", 1)]


@pytest.mark.parametrize(
    "prefix", ["My-App", "-app", "app-", "my.app", "my_app", "a" * 64, "", "app!"]
)
def test_prefix_must_match_cognitos_pattern(pool: UserPool, prefix: str) -> None:
    with pytest.raises(InvalidParameterException, match="contains an invalid character"):
        domain_create(pool=pool, domain=prefix)

    assert _domains() == []


@pytest.mark.parametrize(
    ("prefix", "word"),
    [("my-aws-app", "aws"), ("amazonian", "amazon"), ("notcognito", "cognito")],
)
def test_prefix_may_not_contain_reserved_words(pool: UserPool, prefix: str, word: str) -> None:
    with pytest.raises(
        InvalidParameterException, match=f"Domain cannot contain reserved word: {word}"
    ):
        domain_create(pool=pool, domain=prefix)

    assert _domains() == []


def test_the_longest_prefix_is_accepted(pool: UserPool) -> None:
    assert domain_create(pool=pool, domain="a" * 63).domain == "a" * 63


@pytest.mark.parametrize(
    ("domain", "config", "message"),
    [
        ("auth.example.com", {}, "CertificateArn is required"),
        ("auth.example.com", {"CertificateArn": "certificate/123"}, "Invalid CertificateArn"),
        (
            "auth.example.com",
            {"CertificateArn": CERT, "SecurityPolicy": "TLS_V1_2_2021"},
            "Unsupported CustomDomainConfig member: SecurityPolicy",
        ),
        ("localhost", {"CertificateArn": CERT}, "not a valid fully-qualified domain name"),
        ("bad_host.example.com", {"CertificateArn": CERT}, "not a valid fully-qualified"),
        ("Auth.Example.com", {"CertificateArn": CERT}, "not a valid fully-qualified"),
        (f"{'a' * 63}." * 4 + "com", {"CertificateArn": CERT}, "not a valid fully-qualified"),
    ],
)
def test_custom_domain_rules(
    pool: UserPool, domain: str, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidParameterException, match=message):
        domain_create(pool=pool, domain=domain, custom_domain_config=config)

    assert _domains() == []


def test_managed_login_version_is_one_or_two(pool: UserPool) -> None:
    with pytest.raises(InvalidParameterException, match="ManagedLoginVersion"):
        domain_create(pool=pool, domain="my-app", managed_login_version=3)

    assert _domains() == []


def test_managed_login_needs_a_paid_plan() -> None:
    lite = make_user_pool(name="lite", UserPoolTier="LITE")

    with pytest.raises(FeatureUnavailableInTierException):
        domain_create(pool=lite, domain="my-app", managed_login_version=2)

    assert _domains() == []
    assert domain_create(pool=lite, domain="my-app", managed_login_version=1)


def test_update_replaces_the_certificate_and_version(pool: UserPool) -> None:
    domain_create(
        pool=pool, domain="auth.example.com", custom_domain_config={"CertificateArn": CERT}
    )

    domain_update(
        pool=pool,
        domain="auth.example.com",
        custom_domain_config={"CertificateArn": OTHER_CERT},
        managed_login_version=2,
    )

    assert _domains() == [(pool.pool_id, "auth.example.com", OTHER_CERT, 2)]


def test_update_changes_only_what_is_given(pool: UserPool) -> None:
    domain_create(
        pool=pool, domain="auth.example.com", custom_domain_config={"CertificateArn": CERT}
    )

    domain_update(pool=pool, domain="auth.example.com", managed_login_version=2)

    assert _domains() == [(pool.pool_id, "auth.example.com", CERT, 2)]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"custom_domain_config": {"CertificateArn": CERT}}, "only be given for a custom domain"),
        ({"managed_login_version": 0}, "ManagedLoginVersion"),
        ({"domain": "unknown"}, "No such domain or user pool exists"),
    ],
)
def test_failed_update_changes_nothing(
    pool: UserPool, arguments: dict[str, Any], message: str
) -> None:
    domain_create(pool=pool, domain="my-app")

    with pytest.raises(InvalidParameterException, match=message):
        domain_update(pool=pool, **{"domain": "my-app", **arguments})

    assert _domains() == [(pool.pool_id, "my-app", "", 1)]


def test_another_pools_domain_cannot_be_updated_or_deleted(pool: UserPool) -> None:
    other = make_user_pool(name="other")
    domain_create(pool=other, domain="theirs")

    with pytest.raises(
        InvalidParameterException, match=re.escape("No such domain or user pool exists.")
    ):
        domain_update(pool=pool, domain="theirs", managed_login_version=2)
    with pytest.raises(
        InvalidParameterException, match=re.escape("No such domain or user pool exists.")
    ):
        domain_delete(pool=pool, domain="theirs")

    assert _domains() == [(other.pool_id, "theirs", "", 1)]


def test_delete_frees_the_name(pool: UserPool) -> None:
    domain_create(pool=pool, domain="my-app")
    domain_create(
        pool=pool, domain="auth.example.com", custom_domain_config={"CertificateArn": CERT}
    )

    domain_delete(pool=pool, domain="my-app")

    assert [d[1] for d in _domains()] == ["auth.example.com"]
    other = make_user_pool(name="other")
    assert domain_create(pool=other, domain="my-app").pool == other
