"""UICustomizationType, as GetUICustomization and SetUICustomization return it."""

from __future__ import annotations

from typing import Any

from pools.models import UICustomization, UserPool
from pools.services.branding import (
    ui_customization_client_id,
    ui_customization_css_version,
    ui_customization_image_url,
)


def ui_customization_shape(
    row: UICustomization | None, *, pool: UserPool, client_id: str
) -> dict[str, Any]:
    """`row`, or for a level with none (and no pool default to fall back on) only the ids asked."""
    if row is None:
        return {"UserPoolId": pool.pool_id, "ClientId": client_id}
    shape: dict[str, Any] = {
        "UserPoolId": pool.pool_id,
        "ClientId": ui_customization_client_id(row),
        "CSSVersion": ui_customization_css_version(row),
        "CreationDate": row.created_at,
        "LastModifiedDate": row.updated_at,
    }
    if row.css:
        shape["CSS"] = row.css
    image_url = ui_customization_image_url(row)
    if image_url is not None:
        shape["ImageUrl"] = image_url
    return shape
