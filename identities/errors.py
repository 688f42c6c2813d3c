"""Identity errors, named after the AWS exception shapes they stand for.

IAM and STS errors carry the shape's name as `aws_type`; the Query door answers with the wire code
and HTTP status that botocore's model gives that shape (`NoSuchEntityException` travels as
`NoSuchEntity`, 404), so one name serves every door.
"""

from cognitoadmin.errors import ServiceError


class MalformedPolicyDocumentException(ServiceError):
    # IAM's wire code drops the "Exception" suffix that its SDKs add to the class name; the
    # JSON doors and the API show the wire code.
    aws_type = "MalformedPolicyDocument"
    default_message = "The policy document is malformed."


class NoSuchEntityException(ServiceError):
    aws_type = "NoSuchEntityException"
    http_status = 404
    api_status = 404


class EntityAlreadyExistsException(ServiceError):
    aws_type = "EntityAlreadyExistsException"
    http_status = 409
    api_status = 409


class DeleteConflictException(ServiceError):
    aws_type = "DeleteConflictException"
    http_status = 409
    api_status = 409


class InvalidInputException(ServiceError):
    aws_type = "InvalidInputException"


class InvalidIdentityPoolConfigurationException(ServiceError):
    aws_type = "InvalidIdentityPoolConfigurationException"


class DeveloperUserAlreadyRegisteredException(ServiceError):
    aws_type = "DeveloperUserAlreadyRegisteredException"


class ExternalServiceException(ServiceError):
    aws_type = "ExternalServiceException"


class InvalidIdentityTokenException(ServiceError):
    aws_type = "InvalidIdentityTokenException"


class IDPRejectedClaimException(ServiceError):
    aws_type = "IDPRejectedClaimException"
    http_status = 403


class ExpiredTokenException(ServiceError):
    aws_type = "ExpiredTokenException"
