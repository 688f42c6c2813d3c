"""User-pool errors, named after Cognito's exception shapes (botocore `cognito-idp`)."""

from cognitoadmin.errors import (
    ConcurrentModificationException,
    InternalErrorException,
    InvalidParameterException,
    LimitExceededException,
    NotAuthorizedException,
    ResourceNotFoundException,
    ServiceError,
    TooManyRequestsException,
)

__all__ = [
    "AliasExistsException",
    "CodeMismatchException",
    "ConcurrentModificationException",
    "DeviceKeyExistsException",
    "DuplicateProviderException",
    "EnableSoftwareTokenMFAException",
    "ExpiredCodeException",
    "FeatureUnavailableInTierException",
    "GroupExistsException",
    "InsufficientScopeException",
    "InternalErrorException",
    "InvalidOAuthFlowException",
    "InvalidParameterException",
    "InvalidPasswordException",
    "InvalidUserPoolConfigurationException",
    "LimitExceededException",
    "MFAMethodNotFoundException",
    "NoSuchDomainException",
    "NotAuthorizedException",
    "OperationNotEnabledException",
    "PasswordHistoryPolicyViolationException",
    "PasswordResetRequiredException",
    "RefreshTokenReuseException",
    "ResourceNotFoundException",
    "ScopeDoesNotExistException",
    "ServiceQuotaExceededException",
    "SoftwareTokenMFANotFoundException",
    "TermsExistsException",
    "TooManyRequestsException",
    "UnauthorizedClientException",
    "UnauthorizedException",
    "UnsupportedGrantTypeException",
    "UnsupportedIdentityProviderException",
    "UnsupportedOperationException",
    "UnsupportedResponseTypeException",
    "UnsupportedTokenTypeException",
    "UnsupportedUserStateException",
    "UserNotConfirmedException",
    "UserNotFoundException",
    "UserPoolTaggingException",
    "UsernameExistsException",
    "WebAuthnChallengeNotFoundException",
    "WebAuthnClientMismatchException",
    "WebAuthnConfigurationMissingException",
    "WebAuthnCredentialNotSupportedException",
    "WebAuthnNotEnabledException",
    "WebAuthnOriginNotAllowedException",
    "WebAuthnRelyingPartyMismatchException",
]


class UserNotFoundException(ServiceError):
    aws_type = "UserNotFoundException"
    api_status = 404
    default_message = "User does not exist."


class UsernameExistsException(ServiceError):
    aws_type = "UsernameExistsException"
    api_status = 409
    default_message = "An account with the given username already exists."


class AliasExistsException(ServiceError):
    aws_type = "AliasExistsException"
    api_status = 409
    default_message = "An account with the given email or phone number already exists."


class GroupExistsException(ServiceError):
    aws_type = "GroupExistsException"
    api_status = 409
    default_message = "A group with the name already exists."


class TermsExistsException(ServiceError):
    aws_type = "TermsExistsException"
    api_status = 409
    default_message = "Terms document names must be unique to the app client."


class DuplicateProviderException(ServiceError):
    aws_type = "DuplicateProviderException"
    api_status = 409
    default_message = "A provider with the name already exists in this user pool."


class InvalidPasswordException(ServiceError):
    aws_type = "InvalidPasswordException"


class NoSuchDomainException(InvalidParameterException):
    """A domain the pool does not have. Cognito calls it a bad parameter of the domain operations;
    the API, whose path names pool and domain, a 404."""

    api_status = 404
    api_code = "ResourceNotFoundException"
    default_message = "No such domain or user pool exists."


class OperationNotEnabledException(ServiceError):
    """An operation the pool's configuration does not allow (the session operations while it does
    not track sessions)."""

    aws_type = "OperationNotEnabledException"
    api_status = 409


class PasswordHistoryPolicyViolationException(ServiceError):
    aws_type = "PasswordHistoryPolicyViolationException"


class InvalidUserPoolConfigurationException(ServiceError):
    aws_type = "InvalidUserPoolConfigurationException"


class ScopeDoesNotExistException(ServiceError):
    aws_type = "ScopeDoesNotExistException"
    oauth_error = "invalid_scope"


class UserPoolTaggingException(ServiceError):
    aws_type = "UserPoolTaggingException"


class UnsupportedUserStateException(ServiceError):
    aws_type = "UnsupportedUserStateException"
    api_status = 409


class UserNotConfirmedException(ServiceError):
    aws_type = "UserNotConfirmedException"
    api_status = 403
    default_message = "User is not confirmed."


class PasswordResetRequiredException(ServiceError):
    aws_type = "PasswordResetRequiredException"
    api_status = 403
    default_message = "Password reset required for the user"


class CodeMismatchException(ServiceError):
    aws_type = "CodeMismatchException"
    default_message = "Invalid verification code provided, please try again."


class ExpiredCodeException(ServiceError):
    aws_type = "ExpiredCodeException"
    default_message = "Invalid code provided, please request a code again."


class InvalidOAuthFlowException(ServiceError):
    aws_type = "InvalidOAuthFlowException"


class UnauthorizedClientException(InvalidOAuthFlowException):
    """The token endpoint: the client may not use the grant it asked for (RFC 6749 §5.2)."""

    oauth_error = "unauthorized_client"


class FeatureUnavailableInTierException(ServiceError):
    aws_type = "FeatureUnavailableInTierException"
    api_status = 403


class UnsupportedOperationException(ServiceError):
    aws_type = "UnsupportedOperationException"
    oauth_error = "invalid_request"


class UnsupportedGrantTypeException(UnsupportedOperationException):
    """The token endpoint: a grant_type this server does not issue tokens for (RFC 6749 §5.2)."""

    oauth_error = "unsupported_grant_type"


class UnsupportedResponseTypeException(UnsupportedOperationException):
    """The authorization endpoint: a response_type other than code and token (RFC 6749 §4.1.2.1)."""

    oauth_error = "unsupported_response_type"


class UnsupportedIdentityProviderException(ServiceError):
    """The authorization endpoint: an identity provider the client does not support, or one this
    server does not sign in through yet (federation)."""

    aws_type = "UnsupportedIdentityProviderException"
    oauth_error = "invalid_request"


class UnsupportedTokenTypeException(ServiceError):
    aws_type = "UnsupportedTokenTypeException"
    oauth_error = "unsupported_token_type"


class UnauthorizedException(ServiceError):
    aws_type = "UnauthorizedException"
    api_status = 401
    oauth_error = "invalid_client"


class InsufficientScopeException(NotAuthorizedException):
    """An access token that is good but lacks the scope the resource needs (RFC 6750 §3.1)."""

    oauth_error = "insufficient_scope"


class RefreshTokenReuseException(ServiceError):
    aws_type = "RefreshTokenReuseException"
    api_status = 403
    oauth_error = "invalid_grant"


class EnableSoftwareTokenMFAException(ServiceError):
    aws_type = "EnableSoftwareTokenMFAException"
    default_message = "Code mismatch and fail enable Software Token MFA"


class SoftwareTokenMFANotFoundException(ServiceError):
    aws_type = "SoftwareTokenMFANotFoundException"
    api_status = 404
    default_message = "Software Token MFA has not been enabled by the user."


class MFAMethodNotFoundException(ServiceError):
    aws_type = "MFAMethodNotFoundException"
    default_message = "No MFA method is set up for the user."


class DeviceKeyExistsException(ServiceError):
    aws_type = "DeviceKeyExistsException"
    api_status = 409
    default_message = "Device has already been confirmed."


class ServiceQuotaExceededException(ServiceError):
    aws_type = "ServiceQuotaExceededException"
    default_message = "The request exceeds the account-level maximum limit."


class WebAuthnNotEnabledException(ServiceError):
    aws_type = "WebAuthnNotEnabledException"
    default_message = "Passkeys are not enabled for this user pool."


class WebAuthnConfigurationMissingException(ServiceError):
    aws_type = "WebAuthnConfigurationMissingException"
    default_message = "The user pool has neither a passkey relying party id nor a domain."


class WebAuthnChallengeNotFoundException(ServiceError):
    aws_type = "WebAuthnChallengeNotFoundException"
    default_message = "No passkey registration is pending, or it has expired."


class WebAuthnClientMismatchException(ServiceError):
    aws_type = "WebAuthnClientMismatchException"
    default_message = "The passkey registration was started by another app client."


class WebAuthnRelyingPartyMismatchException(ServiceError):
    aws_type = "WebAuthnRelyingPartyMismatchException"
    default_message = "The passkey belongs to another relying party than this user pool's."


class WebAuthnOriginNotAllowedException(ServiceError):
    aws_type = "WebAuthnOriginNotAllowedException"
    default_message = "The passkey was registered at an origin outside the relying party."


class WebAuthnCredentialNotSupportedException(ServiceError):
    aws_type = "WebAuthnCredentialNotSupportedException"
    default_message = "The passkey provider or its credential is not supported."
