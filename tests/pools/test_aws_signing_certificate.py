"""AWS endpoint, boto3 against a live server: GetSigningCertificate, the pool's SAML signing
certificate, made at first use."""

from __future__ import annotations

import base64
import datetime as dt
import threading
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import NameOID
from django.db import connection

from cognitoadmin.crypto import unseal
from pools.models import UserPool
from pools.services.federated_users import SAML_KEY_SEAL_PURPOSE, saml_signing_certificate_get
from tests.builders import make_user_pool

pytestmark = pytest.mark.django_db


def _certificate(answer: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(answer, validate=True))


def test_the_certificate_is_made_once_and_answered_the_same_every_time(
    idp: Any, pool: UserPool
) -> None:
    assert pool.saml_certificate == ""
    modified = UserPool.objects.get(pk=pool.pk).updated_at

    first = idp.get_signing_certificate(UserPoolId=pool.pool_id)["Certificate"]
    second = idp.get_signing_certificate(UserPoolId=pool.pool_id)["Certificate"]

    assert first == second
    assert "\n" not in first and "BEGIN" not in first  # base64 of the DER, on one line
    certificate = _certificate(first)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, pool.pool_id)])
    assert certificate.subject == certificate.issuer == name
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert lifetime == dt.timedelta(days=3650)
    assert certificate.not_valid_before_utc <= dt.datetime.now(dt.UTC)
    public = certificate.public_key()
    assert isinstance(public, RSAPublicKey) and public.key_size == 2048

    stored = UserPool.objects.get(pk=pool.pk)
    assert stored.saml_certificate.startswith("-----BEGIN CERTIFICATE-----")
    assert x509.load_pem_x509_certificate(stored.saml_certificate.encode()) == certificate
    # The private key is sealed at rest, and is the certificate's.
    assert "PRIVATE KEY" not in stored.saml_private_key_sealed
    key = load_pem_private_key(
        unseal(stored.saml_private_key_sealed, purpose=SAML_KEY_SEAL_PURPOSE), password=None
    )
    assert isinstance(key, RSAPrivateKey)
    assert key.public_key().public_numbers() == public.public_numbers()
    # Not a change of the pool's settings.
    assert stored.updated_at == modified


def test_each_pool_has_its_own_certificate(idp: Any, pool: UserPool) -> None:
    other = make_user_pool(name="other")

    mine = idp.get_signing_certificate(UserPoolId=pool.pool_id)["Certificate"]
    theirs = idp.get_signing_certificate(UserPoolId=other.pool_id)["Certificate"]

    assert mine != theirs
    assert _certificate(theirs).subject.rfc4514_string() == f"CN={other.pool_id}"


def test_an_unknown_pool_is_not_found_and_nothing_is_made(idp: Any, pool: UserPool) -> None:
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.get_signing_certificate(UserPoolId="us-east-1_nothere12")
    # A pool of another region is not visible to a call signed for this one.
    eu = make_user_pool(name="eu", region="eu-west-1")
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.get_signing_certificate(UserPoolId=eu.pool_id)

    assert list(UserPool.objects.values_list("saml_certificate", "saml_private_key_sealed")) == [
        ("", ""),
        ("", ""),
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_calls_agree_on_one_certificate() -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers itself; the row lock is PostgreSQL's to prove")
    pool = make_user_pool()
    barrier = threading.Barrier(2)
    answers: list[str] = []

    def first_call() -> None:
        try:
            barrier.wait()
            answers.append(saml_signing_certificate_get(pool=UserPool.objects.get(pk=pool.pk)))
        finally:
            connection.close()

    threads = [threading.Thread(target=first_call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 2
    assert answers[0] == answers[1]
    stored = UserPool.objects.get(pk=pool.pk).saml_certificate
    assert _certificate(answers[0]) == x509.load_pem_x509_certificate(stored.encode())
