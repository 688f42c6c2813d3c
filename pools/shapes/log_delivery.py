"""Log delivery as the AWS API describes it (LogDeliveryConfigurationType)."""

from __future__ import annotations

from typing import Any

from pools.models import UserPool


def log_delivery_shape(pool: UserPool, log_configurations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"UserPoolId": pool.pool_id, "LogConfigurations": log_configurations}
