"""Federated sign-in through a SAML 2.0 identity provider, against a real one: samlify as IdP
(`tests/js/saml_idp.mjs`), a node process on a free loopback port with a key and certificate the
test makes. A requests.Session plays the browser: the app's authorize request, the IdP's SSO
(redirect binding), the IdP's auto-submitting form to `/saml2/idpresponse`, this server's
same-site re-post, and the app's callback with a code."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from pytest_django import Settings
from social_django.models import Nonce

from identities.models import AccessKey
from pools.hosted.saml import RETURNED_FIELD
from pools.models import (
    AppClient,
    FederatedIdentity,
    IdentityProvider,
    PoolUser,
    UserPool,
    UserStatus,
)
from pools.services.domains import domain_create
from pools.services.federated_users import saml_signing_certificate_get
from pools.services.federation import identity_provider_create
from pools.services.purge import expired_purge
from tests.builders import make_user_pool
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.pools.hosted_fixtures import CALLBACK, Browser, plain_http, redirected_to, web_app
from tests.pools.oauth_fixtures import url
from tests.pools.test_federation_oidc import (
    CHROMIUM,
    authorize_path,
    code_of,
    counts,
    id_token_claims,
)
from tests.pools.test_hosted_flow import readme_examples
from tests.pools.test_readme_oauth import assert_ruff_formatted

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_http")]

__all__ = ["plain_http", "url"]

PROVIDER = "Corp"
IDP_ENTITY_ID = "https://idp.corp.example/saml"
SCRIPT = Path(__file__).resolve().parents[1] / "js" / "saml_idp.mjs"
EMAIL_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"


def _key_and_certificate() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test idp")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


@pytest.fixture(scope="module")
def idp_key() -> tuple[str, str]:
    return _key_and_certificate()


class SamlIdp:
    """The node IdP: its URL, the user it signs in next and how it answers (POST /user)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def answer(self, name_id: str = "alice", **options: Any) -> None:
        attributes = options.pop("attributes", {EMAIL_CLAIM: f"{name_id}@corp.example"})
        sent = requests.post(
            f"{self.base}/user",
            data=json.dumps({"nameId": name_id, "attributes": attributes, **options}),
            timeout=10,
        )
        assert sent.status_code == 204

    def last(self) -> dict[str, Any]:
        result: dict[str, Any] = requests.get(f"{self.base}/last", timeout=10).json()
        return result


def start_idp(
    node: str, url: str, key: tuple[str, str], tmp_path: Path, *, want_signed: bool = False
) -> Iterator[SamlIdp]:
    config = tmp_path / f"idp-{int(want_signed)}.json"
    config.write_text(
        json.dumps(
            {
                "entityId": IDP_ENTITY_ID,
                "privateKey": key[0],
                "certificate": key[1],
                "server": url,
                "wantSigned": want_signed,
            }
        )
    )
    process = subprocess.Popen(
        [node, str(SCRIPT), str(config)],
        cwd=SCRIPT.parent,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, "the SAML IdP did not start"
        yield SamlIdp(f"http://127.0.0.1:{json.loads(line)['port']}")
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def saml_idp(node: str, url: str, idp_key: tuple[str, str], tmp_path: Path) -> Iterator[SamlIdp]:
    yield from start_idp(node, url, idp_key, tmp_path)


@pytest.fixture
def signing_idp(node: str, url: str, idp_key: tuple[str, str], tmp_path: Path) -> Iterator[SamlIdp]:
    """An IdP that wants AuthnRequests signed, and checks their signatures."""
    yield from start_idp(node, url, idp_key, tmp_path, want_signed=True)


def saml_provider(pool: UserPool, idp: SamlIdp, **details: str) -> IdentityProvider:
    return identity_provider_create(
        pool=pool,
        name=PROVIDER,
        provider_type="SAML",
        details={"MetadataURL": f"{idp.base}/metadata", **details},
        attribute_mapping={"email": EMAIL_CLAIM, "given_name": "firstName"},
        idp_identifiers=["corp.example"],
    )


def saml_pool(idp: SamlIdp, **details: str) -> tuple[UserPool, AppClient]:
    """A pool with the SAML provider and an app's client; its signing certificate made, as the
    operator who registered the pool at the IdP did (GetSigningCertificate)."""
    pool = make_user_pool(name="saml")
    saml_signing_certificate_get(pool=pool)
    saml_provider(pool, idp, **details)
    client = web_app(
        pool,
        AllowedOAuthScopes=["openid", "email", "profile"],
        SupportedIdentityProviders=["COGNITO", PROVIDER],
    )
    return pool, client


@pytest.fixture
def downstream(saml_idp: SamlIdp) -> tuple[UserPool, AppClient]:
    return saml_pool(saml_idp)


def to_idp(browser: Browser, client: AppClient) -> requests.Response:
    """The app's authorize request, through to the IdP's answer: its form for the ACS."""
    leaving = browser.get(authorize_path(client, identity_provider=PROVIDER))
    assert leaving.status_code == 302, leaving.text
    form = browser.http.get(leaving.headers["Location"], allow_redirects=False, timeout=10)
    assert form.status_code == 200, form.text
    return form


def through_acs(browser: Browser, idp_form: requests.Response) -> requests.Response:
    """The IdP's form posted to the ACS, then this server's same-site re-post."""
    bounce = browser.submit(idp_form)
    assert bounce.status_code == 200, bounce.text
    assert "Signing in" in bounce.text
    return browser.submit(bounce)


def sign_in(url: str, client: AppClient) -> requests.Response:
    browser = Browser(url)
    return through_acs(browser, to_idp(browser, client))


def fields_of(page: requests.Response) -> dict[str, str]:
    """The hidden fields of a form: the IdP's, or the re-post page's."""
    return {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)
    }


def post_response(
    browser: Browser, url: str, saml_response: str, relay_state: str
) -> requests.Response:
    """A response posted as the re-post does (the bounce changes nothing of it)."""
    return browser.http.post(
        f"{url}/saml2/idpresponse",
        data={"SAMLResponse": saml_response, "RelayState": relay_state, RETURNED_FIELD: "1"},
        allow_redirects=False,
        timeout=10,
    )


def xml_of(saml_response: str) -> str:
    return base64.b64decode(saml_response).decode("utf-8")


def encoded(xml: str) -> str:
    return base64.b64encode(xml.encode("utf-8")).decode("ascii")


def refused(response: requests.Response) -> str:
    target, values, _ = redirected_to(response)
    assert target == CALLBACK
    assert values["error"] == "invalid_request", values
    assert values["state"] == "app-state"
    return values["error_description"]


def refused_sp_initiated(
    url: str, client: AppClient, edit: Any = None
) -> tuple[str, requests.Response]:
    """An SP-initiated round trip whose response `edit` changes on its way; its refusal."""
    browser = Browser(url)
    fields = fields_of(to_idp(browser, client))
    saml_response = fields["SAMLResponse"]
    if edit is not None:
        saml_response = encoded(edit(xml_of(saml_response)))
    answer = post_response(browser, url, saml_response, fields["RelayState"])
    return refused(answer), answer


def idp_initiated_relay_state(client: AppClient, **extra: str) -> str:
    return urlencode(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": CALLBACK,
            "identity_provider": PROVIDER,
            "scope": "openid email",
            "state": "app-state",
            **extra,
        }
    )


def idp_initiated_form(idp: SamlIdp, pool: UserPool, relay_state: str) -> requests.Response:
    query = urlencode({"pool": pool.pool_id, "relayState": relay_state})
    form = requests.get(f"{idp.base}/initiate?{query}", timeout=10)
    assert form.status_code == 200, form.text
    return form


# --- the round trip --------------------------------------------------------------------------


def test_a_first_sign_in_makes_an_external_provider_user_with_the_mapped_attributes(
    url: str, saml_idp: SamlIdp, downstream: tuple[UserPool, AppClient]
) -> None:
    pool, client = downstream
    saml_idp.answer("alice", attributes={EMAIL_CLAIM: "alice@corp.example", "firstName": "Alice"})

    code = code_of(sign_in(url, client))

    claims = id_token_claims(url, pool, client, code)
    assert claims["cognito:username"] == f"{PROVIDER}_alice"
    assert claims["email"] == "alice@corp.example"
    assert claims["given_name"] == "Alice"
    [identity] = claims["identities"]
    assert identity["providerType"] == "SAML"
    assert identity["providerName"] == PROVIDER
    assert identity["userId"] == "alice"
    assert identity["issuer"] == IDP_ENTITY_ID
    user = PoolUser.objects.get(pool=pool)
    assert user.username == f"{PROVIDER}_alice"
    assert user.status == UserStatus.EXTERNAL_PROVIDER
    row = FederatedIdentity.objects.get(pool=pool)
    assert (row.uid, row.provider_type, row.primary) == ("alice", "SAML", True)
    assert row.extra_data == {"issuer": IDP_ENTITY_ID}


def test_a_later_sign_in_updates_the_mapped_attributes(
    url: str, saml_idp: SamlIdp, downstream: tuple[UserPool, AppClient]
) -> None:
    pool, client = downstream
    saml_idp.answer("alice", attributes={EMAIL_CLAIM: "alice@corp.example"})
    code_of(sign_in(url, client))
    saml_idp.answer("alice", attributes={EMAIL_CLAIM: "alice.new@corp.example"})

    code = code_of(sign_in(url, client))

    assert id_token_claims(url, pool, client, code)["email"] == "alice.new@corp.example"
    assert PoolUser.objects.get(pool=pool).email == "alice.new@corp.example"
    assert FederatedIdentity.objects.filter(pool=pool).count() == 1


def test_an_attribute_mapped_to_username_names_the_user_instead_of_the_name_id(
    url: str, saml_idp: SamlIdp
) -> None:
    pool = make_user_pool(name="mapped")
    identity_provider_create(
        pool=pool,
        name=PROVIDER,
        provider_type="SAML",
        details={"MetadataURL": f"{saml_idp.base}/metadata"},
        attribute_mapping={"username": "employeeId"},
    )
    client = web_app(
        pool, AllowedOAuthScopes=["openid", "email"], SupportedIdentityProviders=[PROVIDER]
    )
    saml_idp.answer("alice", attributes={"employeeId": "E123"})

    code_of(sign_in(url, client))

    assert PoolUser.objects.get(pool=pool).username == f"{PROVIDER}_E123"
    assert FederatedIdentity.objects.get(pool=pool).uid == "E123"


def test_a_multi_valued_attribute_is_written_as_cognito_writes_it(
    url: str, saml_idp: SamlIdp, downstream: tuple[UserPool, AppClient]
) -> None:
    pool, client = downstream
    saml_idp.answer("alice", attributes={"firstName": ["Alice", "Al"]})

    code_of(sign_in(url, client))

    assert PoolUser.objects.get(pool=pool).given_name == "[Alice, Al]"


def test_a_signed_authn_request_is_verified_by_the_idp(url: str, signing_idp: SamlIdp) -> None:
    pool, client = saml_pool(signing_idp, RequestSigningAlgorithm="rsa-sha256")
    signing_idp.answer("alice")

    code_of(sign_in(url, client))

    assert signing_idp.last()["requestSigned"] is True
    assert PoolUser.objects.filter(pool=pool, username=f"{PROVIDER}_alice").exists()


def test_an_unsigned_authn_request_is_refused_by_an_idp_that_wants_it_signed(
    url: str, signing_idp: SamlIdp
) -> None:
    _pool, client = saml_pool(signing_idp)
    browser = Browser(url)
    leaving = browser.get(authorize_path(client, identity_provider=PROVIDER))

    answer = browser.http.get(leaving.headers["Location"], timeout=10)

    assert answer.status_code == 400
    assert "IdP refused" in answer.text


def test_the_authn_request_goes_to_the_idp_s_sso_with_a_relay_state(
    url: str, saml_idp: SamlIdp, downstream: tuple[UserPool, AppClient]
) -> None:
    _pool, client = downstream

    leaving = Browser(url).get(authorize_path(client, idp_identifier="corp.example"))

    target, query, _ = redirected_to(leaving)
    assert target == f"{saml_idp.base}/sso"
    assert query["SAMLRequest"] and query["RelayState"]
    assert "Signature" not in query


def test_metadata_file_works_as_the_metadata_url_does(url: str, saml_idp: SamlIdp) -> None:
    metadata = requests.get(f"{saml_idp.base}/metadata", timeout=10).text
    pool = make_user_pool(name="file")
    identity_provider_create(
        pool=pool,
        name=PROVIDER,
        provider_type="SAML",
        details={"MetadataFile": metadata},
        attribute_mapping={"email": EMAIL_CLAIM},
    )
    client = web_app(
        pool, AllowedOAuthScopes=["openid", "email"], SupportedIdentityProviders=[PROVIDER]
    )
    saml_idp.answer("bob")

    code = code_of(sign_in(url, client))

    assert id_token_claims(url, pool, client, code)["email"] == "bob@corp.example"


def test_an_encrypted_assertion_is_decrypted_with_the_pool_s_key(
    url: str, saml_idp: SamlIdp
) -> None:
    pool, client = saml_pool(saml_idp, EncryptedResponses="true")
    saml_idp.answer("carol", encrypt=True)

    code = code_of(sign_in(url, client))

    assert id_token_claims(url, pool, client, code)["email"] == "carol@corp.example"


def test_an_unencrypted_assertion_is_refused_where_encryption_is_required(
    url: str, saml_idp: SamlIdp
) -> None:
    pool, client = saml_pool(saml_idp, EncryptedResponses="true")
    saml_idp.answer("carol")
    before = counts(pool)

    reason, _ = refused_sp_initiated(url, client)

    assert "encrypted" in reason
    assert counts(pool) == before


def test_the_sp_metadata_names_the_entity_id_the_acs_and_the_certificate(
    url: str, downstream: tuple[UserPool, AppClient]
) -> None:
    pool, _client = downstream

    answer = requests.get(f"{url}/{pool.pool_id}/saml2/metadata", timeout=10)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/samlmetadata+xml"
    settings = OneLogin_Saml2_Settings(
        {
            "sp": {
                "entityId": "checker",
                "assertionConsumerService": {"url": "https://checker.example/acs"},
            }
        },
        sp_validation_only=True,
    )
    assert settings.validate_metadata(answer.text) == []
    assert f'entityID="urn:amazon:cognito:sp:{pool.pool_id}"' in answer.text
    assert f'Location="{url}/saml2/idpresponse"' in answer.text
    assert saml_signing_certificate_get(pool=pool) in answer.text.replace("\n", "")
    assert requests.get(f"{url}/saml2/metadata", timeout=10).status_code == 404
    assert requests.get(f"{url}/us-east-1_nothere1/saml2/metadata", timeout=10).status_code == 404


def test_through_a_pool_s_domain_the_acs_and_the_metadata_are_the_domain_s(
    url: str, saml_idp: SamlIdp, settings: Settings
) -> None:
    settings.COGNITOADMIN_DOMAIN_URL = f"{url}/domain/{{domain}}"
    pool, client = saml_pool(saml_idp)
    domain_create(pool=pool, domain="corp")
    saml_idp.answer("gina")

    metadata = requests.get(f"{url}/domain/corp/saml2/metadata", timeout=10)
    browser = Browser(url)
    leaving = browser.get("/domain/corp" + authorize_path(client, identity_provider=PROVIDER))
    form = browser.http.get(leaving.headers["Location"], timeout=10)
    answer = through_acs(browser, form)

    assert f'Location="{url}/domain/corp/saml2/idpresponse"' in metadata.text
    at_root = requests.get(f"{url}/{pool.pool_id}/saml2/metadata", timeout=10).text
    assert f'Location="{url}/domain/corp/saml2/idpresponse"' in at_root
    code_of(answer)
    assert PoolUser.objects.filter(pool=pool, username=f"{PROVIDER}_gina").exists()


# --- IdP-initiated ---------------------------------------------------------------------------


def test_an_idp_initiated_sign_in_is_accepted_where_idp_init_is_true(
    url: str, saml_idp: SamlIdp
) -> None:
    pool, client = saml_pool(saml_idp, IDPInit="true")
    saml_idp.answer("dave")
    browser = Browser(url)
    form = idp_initiated_form(saml_idp, pool, idp_initiated_relay_state(client))

    code = code_of(through_acs(browser, form))

    assert id_token_claims(url, pool, client, code)["cognito:username"] == f"{PROVIDER}_dave"


def test_an_idp_initiated_sign_in_is_refused_where_idp_init_is_not_true(
    url: str, saml_idp: SamlIdp, downstream: tuple[UserPool, AppClient]
) -> None:
    pool, client = downstream
    saml_idp.answer("dave")
    form = idp_initiated_form(saml_idp, pool, idp_initiated_relay_state(client))
    before = snapshot()

    reason = refused(through_acs(Browser(url), form))

    assert "IDPInit" in reason
    assert snapshot() == before


def test_a_replayed_assertion_is_refused_until_it_expires(url: str, saml_idp: SamlIdp) -> None:
    pool, client = saml_pool(saml_idp, IDPInit="true")
    saml_idp.answer("erin")
    relay_state = idp_initiated_relay_state(client)
    fields = fields_of(idp_initiated_form(saml_idp, pool, relay_state))
    code_of(post_response(Browser(url), url, fields["SAMLResponse"], relay_state))
    before = counts(pool)

    reason = refused(post_response(Browser(url), url, fields["SAMLResponse"], relay_state))

    assert "already used" in reason
    assert counts(pool) == before
    # Kept until its NotOnOrAfter, then the purge drops it.
    kept = Nonce.objects.filter(server_url=f"saml2:{pool.pool_id}")
    [until] = kept.values_list("timestamp", flat=True)
    expired_purge(now=dt.datetime.fromtimestamp(until - 60, tz=dt.UTC))
    assert kept.exists()
    expired_purge(now=dt.datetime.fromtimestamp(until + 3600, tz=dt.UTC))
    assert not kept.exists()


def test_an_idp_initiated_relay_state_naming_an_unknown_provider_is_refused(
    url: str, saml_idp: SamlIdp
) -> None:
    pool, client = saml_pool(saml_idp, IDPInit="true")
    saml_idp.answer("dave")
    form = idp_initiated_form(
        saml_idp, pool, idp_initiated_relay_state(client, identity_provider="Nobody")
    )
    before = snapshot()

    target, values, _ = redirected_to(through_acs(Browser(url), form))

    assert target == CALLBACK
    assert values["error"] == "invalid_request"
    assert "Nobody does not exist" in values["error_description"]
    assert snapshot() == before


# --- refusals --------------------------------------------------------------------------------


def test_a_tampered_assertion_is_refused(
    url: str, saml_idp: SamlIdp, downstream: tuple[UserPool, AppClient]
) -> None:
    _pool, client = downstream
    saml_idp.answer("alice", attributes={EMAIL_CLAIM: "alice@corp.example"})
    before = snapshot()

    reason, _ = refused_sp_initiated(
        url, client, lambda xml: xml.replace("alice@corp.example", "mallory@corp.example")
    )

    assert "Signature" in reason or "signature" in reason
    assert snapshot() == before


def test_an_unsigned_response_is_refused(
    url: str, saml_idp: SamlIdp, downstream: tuple[UserPool, AppClient]
) -> None:
    _pool, client = downstream
    saml_idp.answer("alice")
    before = snapshot()

    reason, _ = refused_sp_initiated(
        url, client, lambda xml: re.sub(r"<ds:Signature.*?</ds:Signature>", "", xml, flags=re.S)
    )

    assert "No Signature found" in reason
    assert snapshot() == before


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"lifetimeSeconds": -900}, "expired"),
        ({"audience": "urn:amazon:cognito:sp:us-east-1_other0000"}, "audience"),
        (
            {
                "recipient": "https://elsewhere.example/saml2/idpresponse",
                "destination": "https://elsewhere.example/saml2/idpresponse",
            },
            "received at",
        ),
        ({"recipient": "https://elsewhere.example/saml2/idpresponse"}, "SubjectConfirmation"),
    ],
    ids=["expired", "audience", "destination", "recipient"],
)
def test_a_response_that_is_not_for_now_or_for_this_pool_is_refused(
    url: str,
    saml_idp: SamlIdp,
    downstream: tuple[UserPool, AppClient],
    options: dict[str, Any],
    said: str,
) -> None:
    _pool, client = downstream
    saml_idp.answer("alice", **options)
    before = snapshot()

    reason, _ = refused_sp_initiated(url, client)

    assert said.lower() in reason.lower()
    assert snapshot() == before


def test_a_response_to_another_request_is_refused(
    url: str, saml_idp: SamlIdp, downstream: tuple[UserPool, AppClient]
) -> None:
    _pool, client = downstream
    saml_idp.answer("alice")
    # The first sign-in's response, posted with a second sign-in's RelayState.
    browser = Browser(url)
    first = fields_of(to_idp(browser, client))
    second = fields_of(to_idp(browser, client))
    before = snapshot()

    reason = refused(post_response(browser, url, first["SAMLResponse"], second["RelayState"]))

    assert "InResponseTo" in reason
    assert snapshot() == before


@pytest.mark.parametrize(
    "relay_state", ["", "made-up", "client_id=abc&redirect_uri=x", "r" * 300], ids=str
)
def test_a_relay_state_naming_no_sign_in_is_an_error_page(
    url: str, saml_idp: SamlIdp, downstream: tuple[UserPool, AppClient], relay_state: str
) -> None:
    _pool, client = downstream
    saml_idp.answer("alice")
    fields = fields_of(to_idp(Browser(url), client))
    before = snapshot()

    answer = post_response(Browser(url), url, fields["SAMLResponse"], relay_state)

    assert answer.status_code == 400
    assert snapshot() == before


def test_a_post_without_a_saml_response_is_an_error_page(url: str) -> None:
    answer = requests.post(f"{url}/saml2/idpresponse", data={"RelayState": "x"}, timeout=10)

    assert answer.status_code == 400


def test_an_unreachable_metadata_url_is_a_clear_refusal(url: str) -> None:
    pool = make_user_pool(name="gone")
    identity_provider_create(
        pool=pool,
        name=PROVIDER,
        provider_type="SAML",
        details={"MetadataURL": "http://127.0.0.1:9/metadata"},
    )
    client = web_app(
        pool, AllowedOAuthScopes=["openid", "email"], SupportedIdentityProviders=[PROVIDER]
    )
    before = snapshot()

    leaving = Browser(url).get(authorize_path(client, identity_provider=PROVIDER))

    assert "metadata could not be fetched" in refused(leaving)
    assert snapshot() == before


def test_invalid_metadata_is_a_clear_refusal(url: str) -> None:
    pool = make_user_pool(name="bad")
    identity_provider_create(
        pool=pool, name=PROVIDER, provider_type="SAML", details={"MetadataFile": "<nope"}
    )
    client = web_app(
        pool, AllowedOAuthScopes=["openid", "email"], SupportedIdentityProviders=[PROVIDER]
    )

    leaving = Browser(url).get(authorize_path(client, identity_provider=PROVIDER))

    assert "not valid SAML metadata" in refused(leaving)


def test_the_sign_in_page_offers_the_saml_provider(
    url: str, downstream: tuple[UserPool, AppClient]
) -> None:
    _pool, client = downstream
    query = urlsplit(authorize_path(client)).query

    page = Browser(url).get(f"/login?{query}")

    assert f"Sign in with {PROVIDER}</a>" in page.text


def test_the_re_post_page_allows_its_script_and_any_form_target(
    url: str, saml_idp: SamlIdp, downstream: tuple[UserPool, AppClient]
) -> None:
    _pool, client = downstream
    saml_idp.answer("alice")
    browser = Browser(url)
    idp_form = to_idp(browser, client)

    bounce = browser.submit(idp_form)

    policy = bounce.headers["Content-Security-Policy"]
    assert "script-src 'nonce-" in policy
    assert "form-action" not in policy
    assert "frame-ancestors 'none'" in policy
    assert fields_of(bounce) == {**fields_of(idp_form), RETURNED_FIELD: "1"}


def test_a_solicited_response_is_not_taken_as_an_idp_initiated_one(
    url: str, saml_idp: SamlIdp
) -> None:
    _pool, client = saml_pool(saml_idp, IDPInit="true")
    saml_idp.answer("alice")
    # A response to this browser's request, replayed by another with an unsolicited RelayState.
    fields = fields_of(to_idp(Browser(url), client))
    before = snapshot()

    reason = refused(
        post_response(Browser(url), url, fields["SAMLResponse"], idp_initiated_relay_state(client))
    )

    assert "did not send" in reason
    assert snapshot() == before


@pytest.mark.slow
def test_a_browser_signs_in_through_the_idp_and_the_app_gets_its_code(
    url: str, saml_idp: SamlIdp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The IdP (127.0.0.1) is another site than this server (localhost): its POST to the ACS
    # carries no SameSite=Lax session cookie, and only the same-site re-post finds the sign-in.
    if not CHROMIUM.exists() and os.environ.get("CI") != "true":
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium); CI installs it")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    pool = make_user_pool(name="browser")
    saml_provider(pool, saml_idp)
    # Playwright's routes do not see the last hop of this cross-site chain, so the app's
    # callback is a real page: the IdP's process serves one.
    callback = f"{saml_idp.base}/app"
    client = web_app(
        pool,
        AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=[callback],
        SupportedIdentityProviders=["COGNITO", PROVIDER],
    )
    saml_idp.answer("frank")
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": callback,
            "state": "app-state",
            "scope": "openid email",
        }
    )
    # Playwright's sync API runs an event loop in this thread; the ORM is not used meanwhile.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = chromium.new_page()
        page.goto(f"{url}/login?{query}")
        page.get_by_role("link", name=f"Sign in with {PROVIDER}").click()
        page.wait_for_url(f"{callback}?*", timeout=15_000)
        landed = page.url
        chromium.close()

    values = {name: v[0] for name, v in parse_qs(urlsplit(landed).query).items()}
    assert values["state"] == "app-state"
    assert "error" not in values, values
    answer = requests.post(
        f"{url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client.client_id,
            "code": values["code"],
            "redirect_uri": callback,
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert PoolUser.objects.filter(pool=pool, username=f"{PROVIDER}_frank").exists()


def test_the_readme_s_saml_provider_signs_a_user_in(
    url: str,
    signing_idp: SamlIdp,
    operator_key: tuple[AccessKey, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    examples = readme_examples(url, operator_key)
    [federation] = [code for code in examples if 'ProviderType="SAML"' in code]
    assert_ruff_formatted(federation)
    scope: dict[str, Any] = {}
    exec(compile(examples[0], "README.md", "exec"), scope)  # noqa: S102 - the README's own example
    capsys.readouterr()
    federation = federation.replace(
        "https://idp.example.com/saml/metadata", f"{signing_idp.base}/metadata"
    )
    exec(compile(federation, "README.md", "exec"), scope)  # noqa: S102 - the README's own example

    pool_id = scope["pool_id"]
    assert capsys.readouterr().out.split() == [
        f"urn:amazon:cognito:sp:{pool_id}",
        f"{url}/saml2/idpresponse",
        f"{url}/{pool_id}/saml2/metadata",
    ]
    signing_idp.answer("hana")
    query = urlencode(
        {
            "response_type": "code",
            "client_id": scope["app"]["ClientId"],
            "redirect_uri": "http://localhost:3000/callback",
            "state": "xyz",
            "idp_identifier": "corp.example.com",
        }
    )
    browser = Browser(url)
    leaving = browser.get(f"/oauth2/authorize?{query}")
    form = browser.http.get(leaving.headers["Location"], timeout=10)
    target, values, _ = redirected_to(through_acs(browser, form))
    assert target == "http://localhost:3000/callback"
    assert values["code"] and values["state"] == "xyz"
    assert signing_idp.last()["requestSigned"] is True
    user = PoolUser.objects.get(pool__pool_id=pool_id)
    assert (user.username, user.email) == ("CorpSAML_hana", "hana@corp.example")


def test_an_unsolicited_response_does_not_complete_a_started_sign_in(
    url: str, saml_idp: SamlIdp, downstream: tuple[UserPool, AppClient]
) -> None:
    # python3-saml compares InResponseTo only when the response has one.
    pool, client = downstream
    saml_idp.answer("alice")
    browser = Browser(url)
    started = fields_of(to_idp(browser, client))
    unsolicited = fields_of(idp_initiated_form(saml_idp, pool, "unused"))
    before = snapshot()

    reason = refused(
        post_response(browser, url, unsolicited["SAMLResponse"], started["RelayState"])
    )

    assert "does not answer this sign-in's request" in reason
    assert snapshot() == before


def _signed_at_the_assertion_only(xml: str, key: tuple[str, str], envelope_reply: str) -> str:
    """The response re-signed as IdPs that sign only the assertion do (Entra ID's default),
    with `envelope_reply` as the Response's own InResponseTo, outside that signature."""
    document = etree.fromstring(xml.encode("utf-8"))
    for signature in document.findall(f"{{{DSIG}}}Signature"):
        document.remove(signature)
    assertion = document.find(f"{{{ASSERTION}}}Assertion")
    assert assertion is not None
    for signature in assertion.findall(f"{{{DSIG}}}Signature"):
        assertion.remove(signature)
    signed = OneLogin_Saml2_Utils.add_sign(
        etree.tostring(assertion),
        key[0],
        key[1],
        sign_algorithm=OneLogin_Saml2_Constants.RSA_SHA256,
        digest_algorithm=OneLogin_Saml2_Constants.SHA256,
    )
    document.replace(assertion, etree.fromstring(signed))
    if envelope_reply:
        document.set("InResponseTo", envelope_reply)
    text: str = etree.tostring(document).decode("utf-8")
    return text


def test_an_assertion_signed_alone_signs_the_user_in(
    url: str, saml_idp: SamlIdp, idp_key: tuple[str, str]
) -> None:
    pool, client = saml_pool(saml_idp, IDPInit="true")
    saml_idp.answer("frank")
    relay_state = idp_initiated_relay_state(client)
    fields = fields_of(idp_initiated_form(saml_idp, pool, relay_state))
    resigned = _signed_at_the_assertion_only(xml_of(fields["SAMLResponse"]), idp_key, "")

    code = code_of(post_response(Browser(url), url, encoded(resigned), relay_state))

    assert id_token_claims(url, pool, client, code)["cognito:username"] == f"{PROVIDER}_frank"


def test_an_in_response_to_outside_the_signed_assertion_does_not_answer_a_sign_in(
    url: str, saml_idp: SamlIdp, idp_key: tuple[str, str], downstream: tuple[UserPool, AppClient]
) -> None:
    # An unsolicited assertion, signed alone, with the started request's ID written into the
    # unsigned envelope: the provider allows no IdP-initiated sign-in, so it must not pass.
    pool, client = downstream
    saml_idp.answer("mallory")
    browser = Browser(url)
    started = fields_of(to_idp(browser, client))
    request_id = saml_idp.last()["requestId"]
    unsolicited = fields_of(idp_initiated_form(saml_idp, pool, "unused"))
    forged = _signed_at_the_assertion_only(xml_of(unsolicited["SAMLResponse"]), idp_key, request_id)
    before = snapshot()

    reason = refused(post_response(browser, url, encoded(forged), started["RelayState"]))

    assert "does not answer this sign-in's request" in reason
    assert snapshot() == before


def test_attributes_sent_without_a_value_name_no_user(url: str, saml_idp: SamlIdp) -> None:
    # Mapped to username, an empty attribute must not make one user of everyone who sends it.
    pool = make_user_pool(name="empty")
    identity_provider_create(
        pool=pool,
        name=PROVIDER,
        provider_type="SAML",
        details={"MetadataURL": f"{saml_idp.base}/metadata"},
        attribute_mapping={"username": "employeeId", "given_name": "firstName"},
    )
    client = web_app(
        pool, AllowedOAuthScopes=["openid", "email"], SupportedIdentityProviders=[PROVIDER]
    )

    for name in ("alice", "bob"):
        saml_idp.answer(name, attributes={"employeeId": [], "firstName": []})
        code_of(sign_in(url, client))

    users = PoolUser.objects.filter(pool=pool).order_by("username")
    assert [user.username for user in users] == [f"{PROVIDER}_alice", f"{PROVIDER}_bob"]
    assert [user.given_name for user in users] == ["", ""]


def test_metadata_python3_saml_cannot_use_goes_back_to_the_app(url: str) -> None:
    _key, certificate = _key_and_certificate()
    body = "".join(certificate.strip().splitlines()[1:-1])
    # An SSO service that is no web URL, which python3-saml's settings refuse.
    metadata = (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'entityID="{IDP_ENTITY_ID}"><md:IDPSSODescriptor '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data><ds:X509Certificate>{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</md:KeyDescriptor><md:SingleSignOnService "
        'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        'Location="ftp://idp.corp.example/sso"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )
    pool = make_user_pool(name="unusable")
    identity_provider_create(
        pool=pool, name=PROVIDER, provider_type="SAML", details={"MetadataFile": metadata}
    )
    client = web_app(
        pool, AllowedOAuthScopes=["openid", "email"], SupportedIdentityProviders=[PROVIDER]
    )
    before = snapshot()

    answer = Browser(url).get(authorize_path(client, identity_provider=PROVIDER))

    assert "not a web URL" in refused(answer)
    assert snapshot() == before


def test_a_saml_sign_in_s_relay_state_is_no_oidc_state(
    url: str, saml_idp: SamlIdp, downstream: tuple[UserPool, AppClient]
) -> None:
    _pool, client = downstream
    browser = Browser(url)
    started = fields_of(to_idp(browser, client))
    before = snapshot()

    answer = browser.get(f"/oauth2/idpresponse?state={started['RelayState']}&code=x")

    assert answer.status_code == 400
    assert "unknown or has expired" in answer.text
    assert snapshot() == before
