"""AWSCognitoIdentityProviderService operation handlers, registered with `cognitoadmin.awsjson`.

Each module registers its operations on import; the app's `ready()` imports this package.
"""
