"""Cognito Sync's own errors, named as botocore's cognito-sync model names their shapes."""

from __future__ import annotations

from cognitoadmin.errors import ServiceError


class InvalidConfigurationException(ServiceError):
    """The identity pool lacks the configuration the call needs (push sync, streams)."""

    aws_type = "InvalidConfigurationException"


class DuplicateRequestException(ServiceError):
    """A bulk publish of the identity pool is in progress."""

    aws_type = "DuplicateRequestException"
    api_status = 409


class AlreadyStreamedException(ServiceError):
    """The identity pool's last bulk publish succeeded less than 24 hours ago."""

    aws_type = "AlreadyStreamedException"
    api_status = 409


class InvalidLambdaFunctionOutputException(ServiceError):
    """The SyncTrigger function failed, or answered what cannot be stored."""

    aws_type = "InvalidLambdaFunctionOutputException"
    api_status = 502


class LambdaThrottledException(ServiceError):
    """The SyncTrigger function answered that it is throttled (HTTP 429)."""

    aws_type = "LambdaThrottledException"
    http_status = 429
    api_status = 429
