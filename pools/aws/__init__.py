"""AWSCognitoIdentityProviderService operation handlers, registered with `cognitoadmin.awsjson`.

Each module registers its operations on import; the app's `ready()` imports this package.
"""

from pools.aws import (  # noqa: F401
    auth,
    branding,
    clients,
    devices,
    domains,
    federated_users,
    groups,
    identity_providers,
    log_delivery,
    mfa,
    pools,
    provisioned_limits,
    resource_servers,
    self_service,
    sessions,
    terms,
    user_sessions,
    users,
    webauthn,
)
