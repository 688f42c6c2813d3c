"""Terms documents of app clients over the AWS JSON protocol."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import pool_arn
from pools.models import Terms
from pools.selectors.clients import app_client_get
from pools.selectors.pools import user_pool_get
from pools.selectors.terms import terms_get, terms_get_by_client, terms_page
from pools.services.terms import terms_create, terms_delete, terms_update
from pools.shapes.terms import terms_description_shape, terms_shape


def _terms(params: dict[str, Any]) -> Terms:
    return terms_get(pool=user_pool_get(pool_id=params["UserPoolId"]), terms_id=params["TermsId"])


@operation("CreateTerms", permission="pools.add_terms", resource=pool_arn)
def create_terms(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    terms = terms_create(
        client=app_client_get(pool=pool, client_id=params["ClientId"]),
        name=params["TermsName"],
        source=params["TermsSource"],
        enforcement=params["Enforcement"],
        links=params.get("Links"),
    )
    return {"Terms": terms_shape(terms)}


@operation("DescribeTerms", permission="pools.view_terms", resource=pool_arn)
def describe_terms(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return {"Terms": terms_shape(_terms(params))}


@operation("DescribeTermsByClient", permission="pools.view_terms", resource=pool_arn)
def describe_terms_by_client(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    client = app_client_get(pool=pool, client_id=params["ClientId"])
    return {"Terms": terms_shape(terms_get_by_client(client=client, name=params["TermsName"]))}


@operation("UpdateTerms", permission="pools.change_terms", resource=pool_arn)
def update_terms(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    terms = terms_update(
        terms=_terms(params),
        name=params.get("TermsName"),
        source=params.get("TermsSource"),
        enforcement=params.get("Enforcement"),
        links=params.get("Links"),
    )
    return {"Terms": terms_shape(terms)}


@operation("DeleteTerms", permission="pools.delete_terms", resource=pool_arn)
def delete_terms(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    terms_delete(terms=_terms(params))
    return {}


@operation("ListTerms", permission="pools.view_terms", resource=pool_arn)
def list_terms(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    rows, next_token = terms_page(
        pool=user_pool_get(pool_id=params["UserPoolId"]),
        max_results=params.get("MaxResults"),
        next_token=params.get("NextToken"),
    )
    result: dict[str, Any] = {"Terms": [terms_description_shape(row) for row in rows]}
    if next_token is not None:
        result["NextToken"] = next_token
    return result
