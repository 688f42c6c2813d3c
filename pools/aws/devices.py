"""Remembered devices over the AWS JSON protocol: ConfirmDevice, GetDevice, ListDevices,
UpdateDeviceStatus, ForgetDevice (authorised by the user's access token) and the Admin
variants (signed by an operator), all within the one user's devices."""

from __future__ import annotations

from typing import Any

from cognitoadmin.awsjson import AwsCall, operation
from pools.aws.resources import pool_arn
from pools.aws.users import request_user
from pools.errors import ResourceNotFoundException, UserNotFoundException
from pools.models import PoolUser
from pools.selectors.devices import device_get, devices_page
from pools.services.devices import device_confirm, device_forget, device_status_update
from pools.services.verification import access_token_verify
from pools.shapes.devices import device_shape


def _own(params: dict[str, Any]) -> PoolUser:
    # GetDevice and ForgetDevice leave AccessToken optional in the model; it is still required.
    return access_token_verify(token=params.get("AccessToken", "")).user


def _admin_user(params: dict[str, Any]) -> PoolUser:
    """The user AdminGetDevice and AdminListDevices name: their model has no
    UserNotFoundException, so an unknown user is a resource not found."""
    try:
        return request_user(params)
    except UserNotFoundException as exc:
        raise ResourceNotFoundException(exc.message) from None


def _page(user: PoolUser, params: dict[str, Any]) -> dict[str, Any]:
    devices, token = devices_page(
        user=user, limit=params.get("Limit"), pagination_token=params.get("PaginationToken")
    )
    result: dict[str, Any] = {"Devices": [device_shape(device) for device in devices]}
    if token is not None:
        result["PaginationToken"] = token
    return result


@operation("ConfirmDevice")
def confirm_device(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    config = params.get("DeviceSecretVerifierConfig", {})
    necessary = device_confirm(
        user=_own(params),
        device_key=params["DeviceKey"],
        verifier=config.get("PasswordVerifier", ""),
        salt=config.get("Salt", ""),
        name=params.get("DeviceName", ""),
    )
    return {"UserConfirmationNecessary": necessary}


@operation("GetDevice")
def get_device(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    device = device_get(user=_own(params), device_key=params["DeviceKey"])
    return {"Device": device_shape(device)}


@operation("ListDevices")
def list_devices(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return _page(_own(params), params)


@operation("UpdateDeviceStatus")
def update_device_status(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    device_status_update(
        user=_own(params),
        device_key=params["DeviceKey"],
        status=params.get("DeviceRememberedStatus", ""),
    )
    return {}


@operation("ForgetDevice")
def forget_device(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    device_forget(user=_own(params), device_key=params["DeviceKey"])
    return {}


@operation("AdminGetDevice", permission="pools.view_pooluser", resource=pool_arn)
def admin_get_device(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    device = device_get(user=_admin_user(params), device_key=params["DeviceKey"])
    return {"Device": device_shape(device)}


@operation("AdminListDevices", permission="pools.view_pooluser", resource=pool_arn)
def admin_list_devices(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    return _page(_admin_user(params), params)


@operation("AdminUpdateDeviceStatus", permission="pools.change_pooluser", resource=pool_arn)
def admin_update_device_status(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    device_status_update(
        user=request_user(params),
        device_key=params["DeviceKey"],
        status=params.get("DeviceRememberedStatus", ""),
    )
    return {}


@operation("AdminForgetDevice", permission="pools.change_pooluser", resource=pool_arn)
def admin_forget_device(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    device_forget(user=request_user(params), device_key=params["DeviceKey"])
    return {}
