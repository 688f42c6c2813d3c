"""DomainDescriptionType, as DescribeUserPoolDomain returns it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from cognitoadmin.ids import account_id
from pools.models import Domain


def domain_shape(domain: Domain) -> dict[str, Any]:
    # This server serves the hosted pages itself, so it stands where Cognito names its CloudFront
    # distribution: a custom domain's CNAME should point at it.
    public_host = urlsplit(settings.COGNITOADMIN_PUBLIC_URL).hostname or ""
    shape: dict[str, Any] = {
        "UserPoolId": domain.pool.pool_id,
        "AWSAccountId": account_id(),
        "Domain": domain.domain,
        "CloudFrontDistribution": public_host,
        "Status": domain.status,
        "ManagedLoginVersion": domain.managed_login_version,
    }
    if domain.is_custom:
        shape["CustomDomainConfig"] = {"CertificateArn": domain.certificate_arn}
    return shape
