"""How the management API (DRF) knows its caller: always an operator, an active staff `auth.User`.

Programs sign with an access key (SigV4) or send it as HTTP Basic (`curl -u AKIA...:secret`);
browsers use the admin's session, OTP-verified when the admin requires it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from rest_framework.authentication import (
    BaseAuthentication,
    BasicAuthentication,
    SessionAuthentication,
)
from rest_framework.request import Request

from cognitoadmin.errors import NotAuthorizedException, ServiceAuthenticationFailed, ServiceError
from identities.models import AccessKey
from identities.services.access_keys import access_key_authenticate
from identities.sigv4 import ALGORITHM, sigv4_verify


class AccessKeySigV4Authentication(BaseAuthentication):
    """`Authorization: AWS4-HMAC-SHA256 ...` signed with an access key, for any service name."""

    def authenticate(self, request: Request) -> tuple[User, AccessKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.split(" ", 1)[0] != ALGORITHM:
            return None
        try:
            # AWS SDKs encode the path again for every service but S3 (sigv4.sigv4_verify).
            key = sigv4_verify(request._request, services=None, double_encode_path=True)
        except ServiceError as exc:
            raise ServiceAuthenticationFailed(exc) from None
        return key.operator, key

    def authenticate_header(self, request: Request) -> str:
        return ALGORITHM


class AccessKeyBasicAuthentication(BasicAuthentication):
    """HTTP Basic with the access key id as user name and the secret as password."""

    www_authenticate_realm = "cognitoadmin"

    # `request.auth` is the key, as with SigV4 (DRF's stub expects no auth object).
    def authenticate_credentials(  # type: ignore[override]
        self, userid: str, password: str, request: Request | None = None
    ) -> tuple[User, AccessKey]:
        try:
            key = access_key_authenticate(access_key_id=userid, secret=password)
        except ServiceError as exc:
            raise ServiceAuthenticationFailed(exc) from None
        return key.operator, key


class OperatorSessionAuthentication(SessionAuthentication):
    """The admin's session (with CSRF), once its OTP step is done if the admin requires one."""

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        user = getattr(request._request, "user", None)
        if not isinstance(user, User) or not user.is_authenticated:
            return None
        if not (user.is_active and user.is_staff):
            raise ServiceAuthenticationFailed(
                NotAuthorizedException(
                    f"User {user.get_username()} is not an active operator (staff member)."
                )
            )
        is_verified = getattr(user, "is_verified", None)
        if settings.COGNITOADMIN_ADMIN_OTP_REQUIRED and not (
            callable(is_verified) and is_verified()
        ):
            raise ServiceAuthenticationFailed(
                NotAuthorizedException(
                    "This session has not been verified with a one-time password; "
                    "sign in to the admin site again."
                )
            )
        self.enforce_csrf(request)
        return user, None
