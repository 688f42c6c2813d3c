"""How identity pools, identities, roles and policies look on the AWS wire."""
