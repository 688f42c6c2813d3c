from __future__ import annotations

import base64

import pytest
from django.test import override_settings

from cognitoadmin.crypto import SealError, digest, seal, unseal, unseal_str


def test_a_sealed_value_opens_with_its_purpose() -> None:
    sealed = seal("client secret", purpose="app_client.secret")

    assert sealed.startswith("v1.")
    assert "client secret" not in sealed
    assert unseal_str(sealed, purpose="app_client.secret") == "client secret"


def test_bytes_are_sealed_as_they_are() -> None:
    data = bytes(range(256))

    assert unseal(seal(data, purpose="signing_key.private"), purpose="signing_key.private") == data


def test_sealing_twice_gives_different_ciphertexts() -> None:
    assert seal("same", purpose="p") != seal("same", purpose="p")


def test_a_value_sealed_for_one_purpose_does_not_open_for_another() -> None:
    sealed = seal("secret", purpose="access_key.secret")

    with pytest.raises(SealError):
        unseal(sealed, purpose="app_client.secret")


def test_a_tampered_value_does_not_open() -> None:
    sealed = seal("secret", purpose="p")
    raw = bytearray(base64.urlsafe_b64decode(sealed.removeprefix("v1.")))
    raw[-1] ^= 1
    tampered = "v1." + base64.urlsafe_b64encode(bytes(raw)).decode()

    with pytest.raises(SealError):
        unseal(tampered, purpose="p")


@pytest.mark.parametrize("token", ["", "v1.", "v2.AAAA", "plain text", "v1.!!!not-base64!!!"])
def test_malformed_values_do_not_open(token: str) -> None:
    with pytest.raises(SealError):
        unseal(token, purpose="p")


def test_a_value_sealed_under_another_master_key_does_not_open() -> None:
    with override_settings(COGNITOADMIN_MASTER_KEY="another-master-key-of-enough-length"):
        sealed = seal("secret", purpose="p")

    with pytest.raises(SealError):
        unseal(sealed, purpose="p")


def test_digest_recognises_a_secret_per_purpose_and_master_key() -> None:
    value = digest("refresh-token", purpose="refresh_token")

    assert value == digest("refresh-token", purpose="refresh_token")
    assert len(value) == 64
    assert value != digest("refresh-token", purpose="code")
    assert value != digest("refresh-token2", purpose="refresh_token")
    with override_settings(COGNITOADMIN_MASTER_KEY="another-master-key-of-enough-length"):
        assert value != digest("refresh-token", purpose="refresh_token")
