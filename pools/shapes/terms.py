"""Terms documents as the AWS API describes them (TermsType, TermsDescriptionType)."""

from __future__ import annotations

from typing import Any

from pools.models import Terms


def terms_shape(terms: Terms) -> dict[str, Any]:
    return {
        "TermsId": str(terms.terms_id),
        "UserPoolId": terms.pool.pool_id,
        "ClientId": terms.client.client_id,
        "TermsName": terms.name,
        "TermsSource": terms.source,
        "Enforcement": terms.enforcement,
        "Links": dict(terms.links),
        "CreationDate": terms.created_at,
        "LastModifiedDate": terms.updated_at,
    }


def terms_description_shape(terms: Terms) -> dict[str, Any]:
    return {
        "TermsId": str(terms.terms_id),
        "TermsName": terms.name,
        "Enforcement": terms.enforcement,
        "CreationDate": terms.created_at,
        "LastModifiedDate": terms.updated_at,
    }
