"""AWS Signature Version 4 verification for requests signed with an operator's access key or
with temporary credentials (their session token in `X-Amz-Security-Token`).

The signature is recomputed with botocore's own signer (`SigV4Auth`), so the canonical request is
byte for byte the one AWS SDKs build, rather than a second, hand-written canonicalisation.
Framework-neutral: it takes a Django `HttpRequest`, raises `ServiceError`s with AWS's names and
messages, and is shared by the management API (DRF) and the AWS-compatible endpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.http import HttpRequest
from django.utils import timezone

from cognitoadmin.awsrest import raw_path
from cognitoadmin.errors import NotAuthorizedException, ResourceNotFoundException, ServiceError
from cognitoadmin.regions import region_served
from identities.errors import ExpiredTokenException
from identities.models import AccessKey
from identities.selectors import access_key_get
from identities.services.access_keys import (
    access_key_check_usable,
    access_key_decoy_secret,
    access_key_record_use,
    access_key_secret,
)
from identities.services.credentials import (
    SessionCredentials,
    SessionTokenError,
    session_credentials_check_live,
    session_token_open,
)

# IAM and STS have no regions: their clients sign for us-east-1 wherever they are, and their
# resources are the account's.
GLOBAL_SERVICES = frozenset({"iam", "sts"})

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
MAX_CLOCK_SKEW = timedelta(minutes=5)
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


class _SignatureError(ServiceError, abstract=True):
    # The management API reports these as failed authentication.
    api_status = 401


class MissingAuthenticationTokenException(_SignatureError):
    aws_type = "MissingAuthenticationTokenException"
    default_message = "Missing Authentication Token"


class IncompleteSignatureException(_SignatureError):
    aws_type = "IncompleteSignatureException"


class InvalidSignatureException(_SignatureError):
    aws_type = "InvalidSignatureException"
    default_message = _SIGNATURE_MISMATCH


class UnrecognizedClientException(_SignatureError):
    aws_type = "UnrecognizedClientException"
    default_message = "The security token included in the request is invalid."


@dataclass(frozen=True)
class _Authorization:
    access_key_id: str
    date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str


class _RawPathSigV4Auth(SigV4Auth):
    """Canonical URI = the path as sent, not encoded again (the S3 rule)."""

    def _normalize_url_path(self, path: str) -> str:
        return path


def _parse_authorization(header: str) -> _Authorization:
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignatureException(
            f"Authorization header must use the {ALGORITHM} algorithm, not '{algorithm}'."
        )
    params: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            params[name.strip()] = value.strip()
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "SignedHeaders", "Signature")
        if not params.get(name)
    ]
    if missing:
        raise IncompleteSignatureException(" ".join(missing))
    scope = params["Credential"].split("/")
    if len(scope) != 5 or not all(scope):
        raise IncompleteSignatureException(
            f"Credential '{params['Credential']}' must have the form "
            f"<access key id>/<yyyymmdd>/<region>/<service>/{TERMINATOR}."
        )
    if not _SIGNATURE.fullmatch(params["Signature"]):
        raise IncompleteSignatureException("Signature must be 64 lowercase hexadecimal characters.")
    signed_headers = tuple(name.strip().lower() for name in params["SignedHeaders"].split(";"))
    access_key_id, date, region, service, terminator = scope
    return _Authorization(
        access_key_id=access_key_id,
        date=date,
        region=region,
        service=service,
        terminator=terminator,
        signed_headers=signed_headers,
        signature=params["Signature"],
    )


def _signing_time(request: HttpRequest) -> tuple[str, datetime]:
    """The header that dates the signature, and its time; `X-Amz-Date` wins over `Date`."""
    amz_date = request.headers.get("X-Amz-Date")
    if amz_date:
        try:
            return "x-amz-date", datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            raise IncompleteSignatureException(
                f"X-Amz-Date '{amz_date}' must have the form yyyymmddTHHMMSSZ."
            ) from None
    http_date = request.headers.get("Date")
    if http_date:
        try:
            parsed = parsedate_to_datetime(http_date)
        except (TypeError, ValueError):
            raise IncompleteSignatureException(
                f"Date header '{http_date}' is not an HTTP date."
            ) from None
        return "date", parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
    raise IncompleteSignatureException(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    )


def _check_scope(
    auth: _Authorization, stamp: str, signed_at: datetime, services: Collection[str] | None
) -> None:
    if auth.terminator != TERMINATOR:
        raise InvalidSignatureException(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
            f"not '{auth.terminator}'."
        )
    if auth.service not in GLOBAL_SERVICES and not region_served(auth.region):
        raise InvalidSignatureException(
            f"Credential should be scoped to a valid region, not '{auth.region}'."
        )
    if services is not None and auth.service not in services:
        expected = "', '".join(sorted(services))
        raise InvalidSignatureException(
            f"Credential should be scoped to correct service: '{expected}'."
        )
    if auth.date != stamp[:8]:
        raise InvalidSignatureException(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{auth.date}' != '{stamp[:8]}', from '{stamp}'."
        )
    now = timezone.now()
    if signed_at < now - MAX_CLOCK_SKEW:
        raise InvalidSignatureException(
            f"Signature expired: {stamp} is now earlier than "
            f"{(now - MAX_CLOCK_SKEW).strftime(SIGV4_TIMESTAMP)} "
            f"({now.strftime(SIGV4_TIMESTAMP)} - 5 min.)"
        )
    if signed_at > now + MAX_CLOCK_SKEW:
        raise InvalidSignatureException(
            f"Signature not yet current: {stamp} is still later than "
            f"{(now + MAX_CLOCK_SKEW).strftime(SIGV4_TIMESTAMP)} "
            f"({now.strftime(SIGV4_TIMESTAMP)} + 5 min.)"
        )


def _signed_request(request: HttpRequest, signed_headers: tuple[str, ...]) -> AWSRequest:
    """The request as the client signed it: its URL, the signed headers only, the raw body."""
    headers: dict[str, str] = {}
    for name in signed_headers:
        # `get_host()` honours USE_X_FORWARDED_HOST: behind a proxy, the host the client used.
        value = request.get_host() if name == "host" else request.headers.get(name)
        if value is None:
            raise InvalidSignatureException(
                f"{_SIGNATURE_MISMATCH} Signed header '{name}' is missing from the request."
            )
        headers[name] = value
    body = request.body
    claimed_hash = headers.get("x-amz-content-sha256")
    if claimed_hash is not None and claimed_hash != hashlib.sha256(body).hexdigest():
        # The signature covers the claimed hash, not the body: an unchecked claim would let the
        # body be swapped.
        raise InvalidSignatureException(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    query = request.META.get("QUERY_STRING", "")
    url = f"{request.scheme}://{request.get_host()}{raw_path(request)}"
    return AWSRequest(
        method=request.method, url=f"{url}?{query}" if query else url, headers=headers, data=body
    )


def _signature(
    aws_request: AWSRequest,
    auth: _Authorization,
    secret: str,
    stamp: str,
    *,
    double_encode_path: bool,
) -> str:
    signer_class = SigV4Auth if double_encode_path else _RawPathSigV4Auth
    signer = signer_class(Credentials(auth.access_key_id, secret), auth.service, auth.region)
    aws_request.context["timestamp"] = stamp
    canonical_request = signer.canonical_request(aws_request)
    return signer.signature(signer.string_to_sign(aws_request, canonical_request), aws_request)


def _verify(
    request: HttpRequest,
    *,
    services: Collection[str] | None,
    double_encode_path: bool,
    sessions: bool,
) -> AccessKey | SessionCredentials:
    header = request.headers.get("Authorization")
    if not header:
        raise MissingAuthenticationTokenException()
    auth = _parse_authorization(header)
    date_header, signed_at = _signing_time(request)
    if "host" not in auth.signed_headers:
        raise IncompleteSignatureException(
            "'Host' must be a 'SignedHeader' in the AWS Authorization."
        )
    if date_header not in auth.signed_headers:
        raise IncompleteSignatureException(
            f"'{date_header}' must be a 'SignedHeader' in the AWS Authorization."
        )
    stamp = signed_at.astimezone(UTC).strftime(SIGV4_TIMESTAMP)
    _check_scope(auth, stamp, signed_at, services)
    signed = _signed_request(request, auth.signed_headers)

    session_token = request.headers.get("X-Amz-Security-Token")
    if session_token is not None:
        if not sessions:
            raise UnrecognizedClientException()
        return _session_verify(session_token, signed, auth, stamp, double_encode_path)

    try:
        key: AccessKey | None = access_key_get(access_key_id=auth.access_key_id)
    except ResourceNotFoundException:
        key = None
    # An unknown key id costs the same work as a known one, so timing does not reveal which exist.
    secret = access_key_secret(key=key) if key is not None else access_key_decoy_secret()
    computed = _signature(signed, auth, secret, stamp, double_encode_path=double_encode_path)
    matches = hmac.compare_digest(computed, auth.signature)
    if key is None:
        raise UnrecognizedClientException()
    try:
        access_key_check_usable(key=key)
    except NotAuthorizedException:
        raise UnrecognizedClientException() from None
    if not matches:
        raise InvalidSignatureException()
    access_key_record_use(key=key)
    return key


def _session_verify(
    token: str, signed: AWSRequest, auth: _Authorization, stamp: str, double_encode_path: bool
) -> SessionCredentials:
    try:
        credentials = session_token_open(token=token, access_key_id=auth.access_key_id)
    except SessionTokenError as refusal:
        if refusal.expired:
            raise ExpiredTokenException(
                "The security token included in the request is expired"
            ) from None
        raise UnrecognizedClientException() from None
    computed = _signature(
        signed, auth, credentials.secret_access_key, stamp, double_encode_path=double_encode_path
    )
    if not hmac.compare_digest(computed, auth.signature):
        raise InvalidSignatureException()
    try:
        session_credentials_check_live(credentials=credentials)
    except SessionTokenError:
        raise UnrecognizedClientException() from None
    return credentials


def sigv4_verify(
    request: HttpRequest, *, services: Collection[str] | None, double_encode_path: bool
) -> AccessKey:
    """The usable access key that signed `request` (temporary credentials are refused).

    `services`: the service names the credential scope may name (`None`: any).
    `double_encode_path`: the canonical URI is the sent path encoded once more, the rule of
    AWS SDKs for every service but S3 (cognito-sync's `%3A` becomes `%253A`); `False` takes the
    sent path as it is. JSON 1.1 services sign the path `/`, where both rules agree.
    """
    verified = _verify(
        request, services=services, double_encode_path=double_encode_path, sessions=False
    )
    assert isinstance(verified, AccessKey)  # noqa: S101 (sessions=False returns keys only)
    return verified


def sigv4_call_region(request: HttpRequest) -> str | None:
    """The region a verified request was signed for: the region of the call, whose resources it
    sees. None for the global services."""
    auth = _parse_authorization(request.headers.get("Authorization", ""))
    return None if auth.service in GLOBAL_SERVICES else auth.region


def sigv4_verify_any(
    request: HttpRequest, *, services: Collection[str] | None, double_encode_path: bool
) -> AccessKey | SessionCredentials:
    """Who signed `request`: an operator's access key, or temporary credentials (with their
    `X-Amz-Security-Token`) that are unexpired and whose identity still exists."""
    return _verify(request, services=services, double_encode_path=double_encode_path, sessions=True)
