"""Log export of user pools over the AWS JSON protocol: GetLogDeliveryConfiguration and
SetLogDeliveryConfiguration."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import pool_arn
from pools.selectors.log_delivery import log_delivery_get
from pools.selectors.pools import user_pool_get
from pools.services.log_delivery import log_delivery_configure
from pools.shapes.log_delivery import log_delivery_shape


@operation(
    "GetLogDeliveryConfiguration",
    permission="pools.view_logdeliveryconfiguration",
    resource=pool_arn,
)
def get_log_delivery_configuration(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    return {"LogDeliveryConfiguration": log_delivery_shape(pool, log_delivery_get(pool=pool))}


@operation(
    "SetLogDeliveryConfiguration",
    permission="pools.change_logdeliveryconfiguration",
    resource=pool_arn,
)
def set_log_delivery_configuration(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    stored = log_delivery_configure(pool=pool, log_configurations=params["LogConfigurations"])
    return {"LogDeliveryConfiguration": log_delivery_shape(pool, stored)}
