"""Operation handlers of cognito-identity (JSON 1.1), IAM and STS (Query), registered with
`cognitoadmin.awsjson`'s registry; each module registers its operations on import, and the app's
`ready()` imports this package."""

from identities.aws import (
    iam,  # noqa: F401
    identities,  # noqa: F401
    identity_pools,  # noqa: F401
    sts,  # noqa: F401
)
