"""Identity errors, named after the AWS exception shapes they stand for (IAM's for policies)."""

from cognitoadmin.errors import ServiceError

__all__ = ["MalformedPolicyDocumentException"]


class MalformedPolicyDocumentException(ServiceError):
    # IAM's wire code drops the "Exception" suffix that its SDKs add to the class name.
    aws_type = "MalformedPolicyDocument"
    default_message = "The policy document is malformed."
