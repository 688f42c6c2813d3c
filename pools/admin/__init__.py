"""The user-pool admin, one module per area; importing them registers the ModelAdmins."""

from pools.admin import clients, deliveries, groups, pools, users

__all__ = ["clients", "deliveries", "groups", "pools", "users"]
