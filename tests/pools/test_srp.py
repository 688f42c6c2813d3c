from __future__ import annotations

import base64

import pytest
from pycognito import aws_srp

from cognitoadmin.crypto import unseal_str
from pools.models import PoolUser, UserPool
from pools.services import passwords
from pools.services.passwords import SRP_VERIFIER_PURPOSE, password_replace
from pools.services.srp import (
    G,
    K,
    N,
    hash_int,
    pad_hex,
    srp_claim_signature,
    srp_pool_name,
    srp_private_x,
    srp_public_a_valid,
    srp_public_b,
    srp_session_key,
    srp_verifier_compute,
)
from tests.builders import make_user, make_user_pool

pytestmark = pytest.mark.django_db

# The known-answer vector of the wire spec (section 5.4), cross-checked with pycognito there.
KAT_POOL_NAME = "TestPool1"
KAT_USER = "alice"
KAT_PASSWORD = "Passw0rd!"
KAT_SALT = 0x8F2A1C4D5E6B7A8190A1B2C3D4E5F607
KAT_A = int("11" * 32, 16)
KAT_B = int("22" * 32, 16)
KAT_SECRET_BLOCK = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
KAT_TIMESTAMP = "Wed Jan 3 04:05:06 UTC 2024"


def _kat_verifier() -> tuple[str, int]:
    return srp_verifier_compute(
        pool_name=KAT_POOL_NAME, user_id_for_srp=KAT_USER, password=KAT_PASSWORD, salt=KAT_SALT
    )


def test_k_is_cognitos_multiplier() -> None:
    assert f"{K:x}" == "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6"
    assert int(aws_srp.hex_hash("00" + aws_srp.N_HEX + "0" + aws_srp.G_HEX), 16) == K


def test_the_group_is_rfc_3526s_3072_bit_prime_with_generator_2() -> None:
    assert N.bit_length() == 3072
    assert int(aws_srp.N_HEX, 16) == N
    assert G == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0x7F, "7f"),
        (0x80, "0080"),
        (0xABC, "0abc"),
        (0x8ABC, "008abc"),
        (0x0F12, "0f12"),
        (0x1, "01"),
    ],
)
def test_pad_hex_is_the_twos_complement_form_the_clients_hash(value: int, expected: str) -> None:
    assert pad_hex(value) == expected
    assert aws_srp.pad_hex(value) == expected


def test_known_answer_salt_x_and_verifier() -> None:
    salt_hex, verifier = _kat_verifier()
    assert salt_hex == "008f2a1c4d5e6b7a8190a1b2c3d4e5f607"
    x = srp_private_x(
        pool_name=KAT_POOL_NAME, user_id_for_srp=KAT_USER, password=KAT_PASSWORD, salt_hex=salt_hex
    )
    assert f"{x:x}" == "e15cee44eac9df6eb61d8f0f45dd7426a7a2239b33439f75660919b3978cd397"
    assert len(f"{verifier:x}") == 768
    assert f"{verifier:x}".startswith("b8597027c05d92a8ac7f2c8b9bb4cab5")


def test_known_answer_exchange_key_and_signature() -> None:
    _salt, verifier = _kat_verifier()
    public_a = pow(G, KAT_A, N)
    public_b = srp_public_b(verifier=verifier, private_b=KAT_B)
    assert f"{public_a:x}".startswith("f2c4e7407ccfac452a7c7e1034e8388b")
    assert f"{public_b:x}".startswith("53b63bb9276454dd94db400014a5703d")
    u = hash_int(pad_hex(public_a) + pad_hex(public_b))
    assert f"{u:x}" == "ad06929f66b35faea4296a7e44d35c2f8644b62bec50dc0813f93c3bb2a05172"
    shared = pow(public_a * pow(verifier, u, N), KAT_B, N)
    assert pad_hex(shared).startswith("6f595e0fb224b3435664fd2e7c1c0108")

    key = srp_session_key(verifier=verifier, public_a=public_a, public_b=public_b, private_b=KAT_B)
    assert key is not None
    assert key.hex() == "88704c75611717fd5f6dc6bedb44c8c9"
    signature = srp_claim_signature(
        key=key,
        pool_name=KAT_POOL_NAME,
        user_id_for_srp=KAT_USER,
        secret_block=base64.b64decode(KAT_SECRET_BLOCK),
        timestamp=KAT_TIMESTAMP,
    )
    assert signature == "YWuZrwI35Kbh5iVGrd/lEAY4m0o4mn77yj25XCmYa34="


def test_the_server_key_equals_the_key_pycognito_derives() -> None:
    salt_hex, verifier = _kat_verifier()
    client = aws_srp.AWSSRP(
        username=KAT_USER,
        password=KAT_PASSWORD,
        pool_id=f"us-east-1_{KAT_POOL_NAME}",
        client_id="client",
        client=object(),
    )
    public_b = srp_public_b(verifier=verifier, private_b=KAT_B)
    client_key = client.get_password_authentication_key(KAT_USER, KAT_PASSWORD, public_b, salt_hex)
    server_key = srp_session_key(
        verifier=verifier,
        public_a=client.large_a_value,
        public_b=public_b,
        private_b=KAT_B,
    )
    assert server_key == bytes(client_key)


def test_a_wrong_password_gives_another_key() -> None:
    salt_hex, verifier = _kat_verifier()
    client = aws_srp.AWSSRP(
        username=KAT_USER,
        password="Wr0ng-password",
        pool_id=f"us-east-1_{KAT_POOL_NAME}",
        client_id="client",
        client=object(),
    )
    public_b = srp_public_b(verifier=verifier, private_b=KAT_B)
    client_key = client.get_password_authentication_key(
        KAT_USER, "Wr0ng-password", public_b, salt_hex
    )
    server_key = srp_session_key(
        verifier=verifier, public_a=client.large_a_value, public_b=public_b, private_b=KAT_B
    )
    assert server_key != bytes(client_key)


@pytest.mark.parametrize("public_a", [0, N, 2 * N])
def test_a_public_a_that_is_zero_mod_n_is_refused(public_a: int) -> None:
    assert not srp_public_a_valid(public_a)


def test_the_pool_name_is_the_part_of_the_pool_id_after_the_region() -> None:
    assert srp_pool_name("us-east-1_AbC123") == "AbC123"


def test_setting_a_password_stores_the_salt_and_a_sealed_verifier(pool: UserPool) -> None:
    user = make_user(pool=pool, username="bob", password="Passw0rd!")
    user.refresh_from_db()
    verifier_hex = unseal_str(user.srp_verifier_sealed, purpose=SRP_VERIFIER_PURPOSE)
    assert verifier_hex not in user.srp_verifier_sealed
    salt_hex, expected = srp_verifier_compute(
        pool_name=srp_pool_name(pool.pool_id),
        user_id_for_srp="bob",
        password="Passw0rd!",
        salt=int(user.srp_salt, 16),
    )
    assert user.srp_salt == salt_hex
    assert int(verifier_hex, 16) == expected


def test_every_password_change_gets_a_new_salt_and_verifier(user: PoolUser) -> None:
    user.refresh_from_db()
    before = (user.srp_salt, user.srp_verifier_sealed)
    password_replace(user=user, password="N3w-Passw0rd!")
    user.refresh_from_db()
    assert user.srp_salt != before[0]
    assert user.srp_verifier_sealed != before[1]


def test_the_verifier_is_bound_to_the_internal_username_of_an_email_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = make_user_pool(UsernameAttributes=["email"])
    monkeypatch.setattr(passwords, "srp_salt_new", lambda: KAT_SALT)
    user = make_user(pool=pool, username="carol@example.com", password="Passw0rd!")
    user.refresh_from_db()
    assert user.username == str(user.sub)
    _salt, expected = srp_verifier_compute(
        pool_name=srp_pool_name(pool.pool_id),
        user_id_for_srp=str(user.sub),
        password="Passw0rd!",
        salt=KAT_SALT,
    )
    verifier = int(unseal_str(user.srp_verifier_sealed, purpose=SRP_VERIFIER_PURPOSE), 16)
    assert verifier == expected
