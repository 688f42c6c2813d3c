"""DeviceType, as ListDevices and GetDevice return it. Dates are datetimes; the protocol layer
writes them as epoch seconds."""

from __future__ import annotations

from typing import Any

from pools.models import Device


def device_shape(device: Device) -> dict[str, Any]:
    attributes = [
        {"Name": "device_status", "Value": "valid"},
        {"Name": "device_name", "Value": device.name},
        {"Name": "dev:device_remembered_status", "Value": device.remembered_status},
    ]
    if device.last_ip:
        attributes.append({"Name": "last_ip", "Value": device.last_ip})
    shape: dict[str, Any] = {
        "DeviceKey": device.device_key,
        "DeviceAttributes": attributes,
        "DeviceCreateDate": device.created_at,
        "DeviceLastModifiedDate": device.updated_at,
    }
    if device.last_authenticated_at is not None:
        shape["DeviceLastAuthenticatedDate"] = device.last_authenticated_at
    return shape
