"""How the management API's OpenAPI schema describes its authentication classes.

drf-spectacular matches these extensions to the classes named in `REST_FRAMEWORK`; they register
when this module is imported, which `cognitoadmin.api_urls` does.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class AccessKeySigV4Scheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "identities.api.authentication.AccessKeySigV4Authentication"
    name = "sigV4"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "AWS Signature Version 4 (`AWS4-HMAC-SHA256 Credential=...`) made with an "
                "operator's access key, for any region and service name."
            ),
        }


class AccessKeyBasicScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "identities.api.authentication.AccessKeyBasicAuthentication"
    name = "accessKeyBasic"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "basic",
            "description": "An access key id as user name and its secret as password.",
        }


class OperatorSessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "identities.api.authentication.OperatorSessionAuthentication"
    name = "operatorSession"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "An operator's OTP-verified admin session; writes send its CSRF token.",
        }
