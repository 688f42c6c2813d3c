"""A small OpenID Connect provider on loopback for the tests: a real HTTP server publishing its
discovery document and JWKS, and ID tokens signed with a freshly generated RSA key."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "oidc-test-client"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class OidcIdp:
    """The provider at `issuer` (`http://127.0.0.1:<port>/realm`); `fetches` counts its answers."""

    def __init__(self) -> None:
        self.key = rsa_key()
        self.kid = uuid.uuid4().hex
        self.fetches: list[str] = []
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                idp.fetches.append(self.path)
                if self.path == "/realm/.well-known/openid-configuration":
                    body: Any = {"issuer": idp.issuer, "jwks_uri": f"{idp.issuer}/jwks"}
                elif self.path == "/realm/jwks":
                    body = {"keys": [idp.jwk()]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"127.0.0.1:{self.server.server_address[1]}/realm"
        self.issuer = f"http://{self.url}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def token(
        self, *, key: rsa.RSAPrivateKey | None = None, kid: str | None = None, **claims: Any
    ) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "sub": "user-1",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "amr": ["pwd"],
            **claims,
        }
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(
            payload, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def running_idp() -> Iterator[OidcIdp]:
    idp = OidcIdp()
    try:
        yield idp
    finally:
        idp.stop()
