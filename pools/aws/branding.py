"""The classic hosted UI's branding over the AWS JSON protocol: SetUICustomization and
GetUICustomization. ImageFile travels base64-encoded, as every blob does."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import pool_arn
from pools.errors import InvalidParameterException
from pools.selectors.branding import (
    ALL_CLIENTS,
    ui_customization_client,
    ui_customization_effective,
)
from pools.selectors.pools import user_pool_get
from pools.services.branding import ui_customization_set
from pools.shapes.branding import ui_customization_shape


def _image(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameterException("ImageFile must be base64-encoded.") from None


@operation("SetUICustomization", permission="pools.change_uicustomization", resource=pool_arn)
def set_ui_customization(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    client = ui_customization_client(pool=pool, client_id=params.get("ClientId"))
    image = _image(params.get("ImageFile"))
    row = ui_customization_set(pool=pool, client=client, css=params.get("CSS"), image=image)
    client_id = params.get("ClientId", ALL_CLIENTS)
    return {"UICustomization": ui_customization_shape(row, pool=pool, client_id=client_id)}


@operation("GetUICustomization", permission="pools.view_uicustomization", resource=pool_arn)
def get_ui_customization(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    pool = user_pool_get(pool_id=params["UserPoolId"])
    client = ui_customization_client(pool=pool, client_id=params.get("ClientId"))
    row = ui_customization_effective(pool=pool, client=client)
    client_id = params.get("ClientId", ALL_CLIENTS)
    return {"UICustomization": ui_customization_shape(row, pool=pool, client_id=client_id)}
