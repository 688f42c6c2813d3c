"""The account's request rates per API category over the AWS JSON protocol."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import ACCOUNT
from pools.services.provisioned_limits import (
    API_CATEGORIES,
    api_category_parse,
    api_category_rate,
    provisioned_limit_update,
)


def _category(params: dict[str, Any]) -> str:
    definition = params["LimitDefinition"]
    return api_category_parse(
        limit_class=definition["LimitClass"], attributes=definition["Attributes"]
    )


def _limit(category: str, provisioned: int) -> dict[str, Any]:
    return {
        "Limit": {
            "LimitDefinition": {"LimitClass": "API_CATEGORY", "Attributes": {"Category": category}},
            "ProvisionedLimitValue": provisioned,
            "FreeLimitValue": API_CATEGORIES[category].default,
        }
    }


@operation("GetProvisionedLimit", permission="pools.view_provisionedlimit", resource=ACCOUNT)
def get_provisioned_limit(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    category = _category(params)
    return _limit(category, api_category_rate(category=category))


@operation("UpdateProvisionedLimit", permission="pools.change_provisionedlimit", resource=ACCOUNT)
def update_provisioned_limit(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    category = _category(params)
    rate = provisioned_limit_update(
        category=category, requests_per_second=params["RequestedLimitValue"]
    )
    return _limit(category, rate)
