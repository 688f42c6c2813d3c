"""SRP-6a exactly as Cognito's clients compute it (pycognito, amazon-cognito-identity-js, Amplify).

The group is RFC 3526's 3072-bit MODP prime with g = 2, H is SHA-256, and every hash input is the
`pad_hex` form of an integer (Java's `BigInteger.toByteArray()`), hashed as bytes. The session key
comes from an HKDF step named "Caldera Derived Key", and the client proves it by signing the
pool name, its SRP user id, the server's SECRET_BLOCK and its TIMESTAMP string.

Only arithmetic lives here: what is stored, sealed and checked is decided by `passwords` and
`auth`. Known-answer values for these functions are in the project's wire spec, section 5.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
# The group's size in bytes: enough key material for a value that looks like a verifier.
N_BYTES = 384
SALT_BYTES = 16
# The server's secret exponent b; 256 bits match the group's 128-bit security level.
PRIVATE_B_BYTES = 32
HKDF_INFO = b"Caldera Derived Key"


def pad_hex(value: int) -> str:
    """Minimal lowercase hex of `value`, made even-length, with `00` in front when the first nibble
    has the high bit set (so the bytes read as a positive two's-complement number)."""
    text = f"{value:x}"
    if len(text) % 2:
        text = "0" + text
    elif text[0] in "89abcdef":
        text = "00" + text
    return text


def hex_hash(hex_string: str) -> str:
    """SHA-256 of the bytes a hex string spells, as a 64-character hex digest."""
    return hashlib.sha256(bytes.fromhex(hex_string)).hexdigest()


def hash_int(hex_string: str) -> int:
    return int(hex_hash(hex_string), 16)


# Cognito's multiplier: H(padHex(N) | padHex(g)), not RFC 5054's g padded to the length of N.
K = hash_int(pad_hex(N) + pad_hex(G))


def srp_pool_name(pool_id: str) -> str:
    """What the derivations call the pool: the part of its id after the region and `_`."""
    return pool_id.split("_", 1)[1]


def srp_salt_new() -> int:
    return int.from_bytes(secrets.token_bytes(SALT_BYTES), "big")


def srp_private_x(*, pool_name: str, user_id_for_srp: str, password: str, salt_hex: str) -> int:
    """x = H(salt | H(poolName | userId | ":" | password)), with the salt exactly as clients read
    the SALT challenge parameter."""
    identity = hashlib.sha256(f"{pool_name}{user_id_for_srp}:{password}".encode()).hexdigest()
    return hash_int(salt_hex + identity)


def srp_verifier_compute(
    *, pool_name: str, user_id_for_srp: str, password: str, salt: int
) -> tuple[str, int]:
    """The salt as it is sent (`pad_hex`) and the verifier v = g^x mod N for one password."""
    salt_hex = pad_hex(salt)
    x = srp_private_x(
        pool_name=pool_name, user_id_for_srp=user_id_for_srp, password=password, salt_hex=salt_hex
    )
    return salt_hex, pow(G, x, N)


def srp_private_b_new() -> int:
    return int.from_bytes(secrets.token_bytes(PRIVATE_B_BYTES), "big")


def srp_public_b(*, verifier: int, private_b: int) -> int:
    """B = (k·v + g^b) mod N. Zero only for a b no random draw produces in practice; the caller
    draws again then, as the protocol requires."""
    return (K * verifier + pow(G, private_b, N)) % N


def srp_public_a_valid(public_a: int) -> bool:
    """SRP-6a's safety check on the client's value: A mod N must not be 0."""
    return public_a % N != 0


def _hkdf(*, ikm: bytes, salt: bytes) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, HKDF_INFO + b"\x01", hashlib.sha256).digest()[:16]


def srp_session_key(*, verifier: int, public_a: int, public_b: int, private_b: int) -> bytes | None:
    """The 16-byte key both sides derive: S = (A·v^u)^b mod N, then HKDF keyed by u.

    None when u is 0, which the protocol forbids (the proof must then fail).
    """
    u = hash_int(pad_hex(public_a) + pad_hex(public_b))
    if u == 0:
        return None
    shared = pow(public_a * pow(verifier, u, N) % N, private_b, N)
    return _hkdf(ikm=bytes.fromhex(pad_hex(shared)), salt=bytes.fromhex(pad_hex(u)))


def srp_claim_signature(
    *, key: bytes, pool_name: str, user_id_for_srp: str, secret_block: bytes, timestamp: str
) -> str:
    """PASSWORD_CLAIM_SIGNATURE: base64 HMAC-SHA256 over poolName | userId | secretBlock |
    TIMESTAMP, the timestamp exactly as the client wrote it."""
    message = pool_name.encode() + user_id_for_srp.encode() + secret_block + timestamp.encode()
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")
