"""The pool's public web endpoints: OIDC discovery and JWKS now, the hosted UI and OAuth2 later."""
