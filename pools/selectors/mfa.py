"""Pool users' MFA as the operators' doors (the admin and the management API) read it, and the
action they ask about before an operator resets it."""

from __future__ import annotations

from cognitoadmin.authorization import action_declare
from pools.models import PoolUser, SoftwareToken

# No AWS operation resets a user's MFA at once (`mfa_reset`): the action is this server's own,
# declared here, below both doors that offer it.
RESET_USER_MFA = action_declare(
    "cognitoadmin:AdminResetUserMFA", permission="pools.change_pooluser"
).name


def software_token_find(*, user: PoolUser) -> SoftwareToken | None:
    """The user's authenticator app, verified or still awaiting its first code; None without
    one (a user need not have one)."""
    return SoftwareToken.objects.filter(user=user).first()
