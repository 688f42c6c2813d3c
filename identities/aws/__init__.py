"""Operation handlers of cognito-identity (JSON 1.1), IAM and STS (Query), registered with
`cognitoadmin.awsjson`'s registry; each module registers its operations on import, and the app's
`ready()` imports this package."""
