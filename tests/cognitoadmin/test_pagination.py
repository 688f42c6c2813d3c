from __future__ import annotations

import pytest
from django.core import signing
from django.test import override_settings

from cognitoadmin.errors import InvalidParameterException
from cognitoadmin.pagination import decode_token, encode_token


def test_a_token_carries_its_payload_back_to_its_own_list() -> None:
    token = encode_token({"after": "user-42", "n": 3}, scope="users:us-east-1_abc")

    assert decode_token(token, scope="users:us-east-1_abc") == {"after": "user-42", "n": 3}


def test_a_token_from_another_list_or_tenant_is_refused() -> None:
    token = encode_token({"after": "x"}, scope="users:us-east-1_abc")

    with pytest.raises(InvalidParameterException, match="Invalid pagination token"):
        decode_token(token, scope="users:us-east-1_other")
    with pytest.raises(InvalidParameterException):
        decode_token(token, scope="groups:us-east-1_abc")


@pytest.mark.parametrize("token", ["", "garbage", "a:b:c"])
def test_a_malformed_token_is_refused(token: str) -> None:
    with pytest.raises(InvalidParameterException, match="Invalid pagination token"):
        decode_token(token, scope="users:p")


def test_a_tampered_token_is_refused() -> None:
    token = encode_token({"after": "a"}, scope="users:p")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    with pytest.raises(InvalidParameterException):
        decode_token(tampered, scope="users:p")


def test_a_token_signed_with_another_secret_key_is_refused() -> None:
    with override_settings(SECRET_KEY="another-secret-key-for-this-test"):
        token = encode_token({"after": "a"}, scope="users:p")

    with pytest.raises(InvalidParameterException):
        decode_token(token, scope="users:p")


def test_a_signed_payload_that_is_not_an_object_is_refused() -> None:
    token = signing.dumps(["after", "a"], salt="cognitoadmin.pagination:users:p", compress=True)

    with pytest.raises(InvalidParameterException, match="Invalid pagination token"):
        decode_token(token, scope="users:p")
