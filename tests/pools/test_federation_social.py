"""Federated sign-in through Google, Facebook, Login with Amazon and Sign in with Apple, against a
local provider (`tests/js/social_idp.mjs`, one node process for the module) that answers each
style's endpoints as the real one does: Google's OpenID Connect, Apple's RS256 ID token and its
ES256 client secret checked against the test's own EC key, Facebook's Graph API with its
`appsecret_proof`, Amazon's profile. The provider consents at once for the profile the test
sets, and misbehaves when a test asks it to. A requests.Session plays the browser."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from identities.models import AccessKey
from pools.models import (
    AppClient,
    FederatedIdentity,
    IdentityProvider,
    PoolUser,
    UserPool,
    UserStatus,
)
from pools.services.federated_users import federated_identity_link
from pools.services.federation import (
    identity_provider_create,
    identity_provider_details,
    identity_provider_update,
)
from tests.builders import make_user, make_user_pool
from tests.cognitoadmin.test_fuzz_aws import snapshot
from tests.pools.hosted_fixtures import (
    CALLBACK,
    Browser,
    form_fields,
    plain_http,
    redirected_to,
    web_app,
)
from tests.pools.oauth_fixtures import PASSWORD, url
from tests.pools.test_hosted_flow import readme_examples
from tests.pools.test_readme_oauth import assert_ruff_formatted

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_http")]

__all__ = ["plain_http", "url"]

SCRIPT = settings.BASE_DIR / "tests" / "js" / "social_idp.mjs"
GOOGLE = {"id": "1234.apps.googleusercontent.com", "secret": "google-secret"}
FACEBOOK = {"id": "fb-app-1", "secret": "facebook-secret"}
AMAZON = {"id": "amzn1.application-oa2-client.test", "secret": "amazon-secret"}
APPLE = {"id": "com.example.web", "team": "TEAM123456", "key": "KEY1234567"}
# Provider type -> the local provider's style, and the claim that names the account.
STYLES = {
    "Google": "google",
    "Facebook": "facebook",
    "LoginWithAmazon": "amazon",
    "SignInWithApple": "apple",
}

# How the sign-in page names each provider.
LABELS = {
    "Google": "Google",
    "Facebook": "Facebook",
    "LoginWithAmazon": "Amazon",
    "SignInWithApple": "Apple",
}


@dataclass
class SocialIdp:
    base: str
    apple_key: str

    def control(self, profiles: dict[str, Any], **misbehave: str) -> None:
        answer = requests.post(
            f"{self.base}/control",
            data=json.dumps({"profiles": profiles, "misbehave": misbehave}),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def social_idp() -> Iterator[SocialIdp]:
    """The local provider on a free loopback port, with the Apple client's EC key pair."""
    node = shutil.which("node")
    assert node is not None
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    config = {
        "google": GOOGLE,
        "facebook": FACEBOOK,
        "amazon": AMAZON,
        "apple": {**APPLE, "pem": public.decode()},
    }
    with subprocess.Popen(
        [node, str(SCRIPT), json.dumps(config)], stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        try:
            port = json.loads(process.stdout.readline())["port"]
            yield SocialIdp(base=f"http://127.0.0.1:{port}", apple_key=private.decode())
        finally:
            process.terminate()
            process.wait(timeout=10)


def profiles(**changes: dict[str, Any]) -> dict[str, Any]:
    """What each style's provider says of the user who signs in."""
    base: dict[str, Any] = {
        "google": {
            "sub": "108000000000000000001",
            "email": "gia@example.com",
            "email_verified": True,
            "name": "Gia Google",
            "picture": "https://example.com/gia.png",
        },
        "facebook": {"id": "10150000000000001", "email": "fay@example.com", "name": "Fay Book"},
        "amazon": {
            "user_id": "amzn1.account.AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "email": "amy@example.com",
            "name": "Amy Zon",
        },
        "apple": {
            "sub": "001234.abcdefabcdefabcdefabcdef.1234",
            "email": "ada@privaterelay.appleid.com",
            "email_verified": "true",
            "user": {"name": {"firstName": "Ada", "lastName": "Apple"}},
        },
    }
    return {style: {**base[style], **changes.get(style, {})} for style in base}


def subject_of(provider_type: str, profile: dict[str, Any]) -> str:
    claim = {"Facebook": "id", "LoginWithAmazon": "user_id"}.get(provider_type, "sub")
    return str(profile[STYLES[provider_type]][claim])


def social_provider(
    pool: UserPool, idp: SocialIdp, provider_type: str, **overrides: str
) -> IdentityProvider:
    """The pool's provider of `provider_type`, its endpoints on the local provider."""
    base = f"{idp.base}/{STYLES[provider_type]}"
    details: dict[str, dict[str, str]] = {
        "Google": {
            "client_id": GOOGLE["id"],
            "client_secret": GOOGLE["secret"],
            "authorize_scopes": "openid email profile",
            "authorize_url": f"{base}/authorize",
            "token_url": f"{base}/token",
            "attributes_url": f"{base}/userinfo",
            "oidc_issuer": base,
        },
        "Facebook": {
            "client_id": FACEBOOK["id"],
            "client_secret": FACEBOOK["secret"],
            "authorize_scopes": "public_profile,email",
            "authorize_url": f"{base}/dialog/oauth",
            "token_url": f"{base}/oauth/access_token",
            "attributes_url": f"{base}/me?fields=",
        },
        "LoginWithAmazon": {
            "client_id": AMAZON["id"],
            "client_secret": AMAZON["secret"],
            "authorize_scopes": "profile",
            "authorize_url": f"{base}/ap/oa",
            "token_url": f"{base}/auth/o2/token",
            "attributes_url": f"{base}/user/profile",
        },
        "SignInWithApple": {
            "client_id": APPLE["id"],
            "team_id": APPLE["team"],
            "key_id": APPLE["key"],
            "private_key": idp.apple_key,
            "authorize_scopes": "email name",
            "authorize_url": f"{base}/auth/authorize",
            "token_url": f"{base}/auth/token",
            "oidc_issuer": base,
        },
    }
    mappings = {
        "Google": {
            "email": "email",
            "email_verified": "email_verified",
            "name": "name",
            "picture": "picture",
        },
        "Facebook": {"email": "email", "name": "name"},
        "LoginWithAmazon": {"email": "email", "name": "name"},
        "SignInWithApple": {"email": "email", "name": "name"},
    }
    return identity_provider_create(
        pool=pool,
        name=provider_type,
        provider_type=provider_type,
        details={**details[provider_type], **overrides},
        attribute_mapping=mappings[provider_type],
    )


def pool_with(idp: SocialIdp, *provider_types: str) -> tuple[UserPool, AppClient]:
    pool = make_user_pool(name="social")
    for provider_type in provider_types:
        social_provider(pool, idp, provider_type)
    client = web_app(
        pool,
        AllowedOAuthScopes=["openid", "email", "profile"],
        SupportedIdentityProviders=["COGNITO", *provider_types],
    )
    return pool, client


def authorize_path(client: AppClient, **extra: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": CALLBACK,
        "state": "app-state",
        "scope": "openid email profile",
        **extra,
    }
    return f"/oauth2/authorize?{urlencode(query)}"


def sign_in(url: str, client: AppClient, provider: str, *, state: str = "") -> requests.Response:
    """The browser's round trip: the app's authorize request, the provider's consent, and
    `/oauth2/idpresponse`'s answer (with `state` instead of the provider's, if given). Apple's
    answer is a form the browser posts from Apple's site, so without this server's cookies;
    the callback's redirect then carries them."""
    browser = Browser(url)
    leaving = browser.get(authorize_path(client, identity_provider=provider))
    assert leaving.status_code == 302, leaving.text
    answer = browser.http.get(leaving.headers["Location"], allow_redirects=False, timeout=10)
    if answer.status_code == 200:
        fields = form_fields(answer.text) | ({"state": state} if state else {})
        posted = requests.post(
            f"{url}/oauth2/idpresponse", data=fields, allow_redirects=False, timeout=10
        )
        assert posted.status_code == 303, posted.text
        return browser.follow(browser.get(posted.headers["Location"]))
    target, values, _ = redirected_to(answer)
    assert target == f"{url}/oauth2/idpresponse"
    values |= {"state": state} if state else {}
    return browser.follow(browser.get(f"{target}?{urlencode(values)}"))


def code_of(response: requests.Response) -> str:
    target, values, _ = redirected_to(response)
    assert target == CALLBACK
    assert "error" not in values, values
    assert values["state"] == "app-state"
    return values["code"]


def id_token_claims(url: str, pool: UserPool, client: AppClient, code: str) -> dict[str, Any]:
    answer = requests.post(
        f"{url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client.client_id,
            "code": code,
            "redirect_uri": CALLBACK,
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    token = answer.json()["id_token"]
    key = jwt.PyJWKClient(f"{url}/{pool.pool_id}/.well-known/jwks.json").get_signing_key_from_jwt(
        token
    )
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["RS256"], audience=client.client_id
    )
    return claims


def refused(response: requests.Response) -> str:
    target, values, _ = redirected_to(response)
    assert target == CALLBACK
    assert values["error"] == "invalid_request"
    assert values["state"] == "app-state"
    return values["error_description"]


# --- each provider's round trip --------------------------------------------------------------

EXPECTED: dict[str, dict[str, Any]] = {
    "Google": {
        "email": "gia@example.com",
        "email_verified": True,
        "name": "Gia Google",
        "picture": "https://example.com/gia.png",
    },
    "Facebook": {"email": "fay@example.com", "name": "Fay Book"},
    "LoginWithAmazon": {"email": "amy@example.com", "name": "Amy Zon"},
    "SignInWithApple": {"email": "ada@privaterelay.appleid.com", "name": "Ada Apple"},
}


@pytest.mark.parametrize("provider_type", list(STYLES))
def test_a_first_sign_in_makes_a_provider_user_with_the_mapped_attributes(
    url: str, social_idp: SocialIdp, provider_type: str
) -> None:
    social_idp.control(profiles())
    pool, client = pool_with(social_idp, provider_type)

    code = code_of(sign_in(url, client, provider_type))

    claims = id_token_claims(url, pool, client, code)
    username = f"{provider_type}_{subject_of(provider_type, profiles())}"
    assert claims["cognito:username"] == username
    for attribute, value in EXPECTED[provider_type].items():
        assert claims[attribute] == value
    (identity,) = claims["identities"]
    assert identity["providerName"] == provider_type
    assert identity["providerType"] == provider_type
    assert identity["userId"] == subject_of(provider_type, profiles())
    user = PoolUser.objects.get(pool=pool)
    assert (user.username, user.status) == (username, UserStatus.EXTERNAL_PROVIDER)
    assert FederatedIdentity.objects.get(pool=pool).extra_data == {}


@pytest.mark.parametrize("provider_type", list(STYLES))
def test_a_second_sign_in_writes_the_provider_s_changed_attributes(
    url: str, social_idp: SocialIdp, provider_type: str
) -> None:
    social_idp.control(profiles())
    pool, client = pool_with(social_idp, provider_type)
    code_of(sign_in(url, client, provider_type))
    style = STYLES[provider_type]
    changed: dict[str, Any] = {"email": f"new.{style}@example.com", "name": "New Name"}
    if style == "apple":
        changed = {"email": "new.apple@example.com", "user": {"name": {"firstName": "New"}}}
    social_idp.control(profiles(**{style: changed}))

    claims = id_token_claims(url, pool, client, code_of(sign_in(url, client, provider_type)))

    assert claims["email"] == f"new.{style}@example.com"
    user = PoolUser.objects.get(pool=pool)
    assert user.email == f"new.{style}@example.com"
    assert user.name == ("New" if style == "apple" else "New Name")
    assert FederatedIdentity.objects.filter(pool=pool).count() == 1


@pytest.mark.parametrize("provider_type", list(STYLES))
def test_a_linked_user_signs_in_through_the_provider_as_themselves(
    url: str, social_idp: SocialIdp, provider_type: str
) -> None:
    social_idp.control(profiles())
    pool, client = pool_with(social_idp, provider_type)
    diego = make_user(pool=pool, username="diego", password=PASSWORD, email="diego@example.com")
    federated_identity_link(
        pool=pool,
        destination={"ProviderName": "Cognito", "ProviderAttributeValue": "diego"},
        source={
            "ProviderName": provider_type,
            "ProviderAttributeName": "Cognito_Subject",
            "ProviderAttributeValue": subject_of(provider_type, profiles()),
        },
    )

    claims = id_token_claims(url, pool, client, code_of(sign_in(url, client, provider_type)))

    assert (claims["cognito:username"], claims["sub"]) == ("diego", str(diego.sub))
    assert [i["providerName"] for i in claims["identities"]] == [provider_type]
    assert list(PoolUser.objects.filter(pool=pool).values_list("username", flat=True)) == ["diego"]


def test_the_sign_in_page_offers_each_social_provider(url: str, social_idp: SocialIdp) -> None:
    _pool, client = pool_with(social_idp, *STYLES)

    page = Browser(url).get(f"/login?{urlsplit(authorize_path(client)).query}")

    assert page.status_code == 200
    for label in LABELS.values():
        assert f"Sign in with {label}</a>" in page.text


def test_facebook_is_asked_for_the_mapped_fields_with_the_app_secret_proof(
    url: str, social_idp: SocialIdp
) -> None:
    social_idp.control(profiles())
    pool, client = pool_with(social_idp, "Facebook")

    code_of(sign_in(url, client, "Facebook"))

    # The local Graph API answers only the fields asked for, and only with a valid proof.
    user = PoolUser.objects.get(pool=pool)
    assert (user.email, user.name) == ("fay@example.com", "Fay Book")


def test_a_facebook_mapping_in_graph_field_syntax_reaches_facebook_as_written(
    url: str, social_idp: SocialIdp
) -> None:
    social_idp.control(profiles())
    pool, client = pool_with(social_idp, "Facebook")
    provider = IdentityProvider.objects.get(pool=pool, name="Facebook")
    identity_provider_update(
        provider=provider, attribute_mapping={"email": "email", "picture": "picture{url}"}
    )

    code_of(sign_in(url, client, "Facebook"))

    # The local Graph API knows no `picture{url}` field and leaves it out; the rest is there.
    assert PoolUser.objects.get(pool=pool).email == "fay@example.com"


def test_apple_s_posted_answer_is_carried_to_the_callback_as_a_get(
    url: str, social_idp: SocialIdp
) -> None:
    posted = requests.post(
        f"{url}/oauth2/idpresponse",
        data={"code": "c", "state": "s", "client_id": "other", "user": "{}"},
        allow_redirects=False,
        timeout=10,
    )

    assert posted.status_code == 303
    assert posted.headers["Location"] == "/oauth2/idpresponse?code=c&state=s&user=%7B%7D"
    assert "Set-Cookie" not in posted.headers


# Every provider is asked for a code; Facebook's dialog answers with one unasked.
ASKED = {"client_id", "redirect_uri", "state", "scope"}


@pytest.mark.parametrize(
    ("provider_type", "scope", "names"),
    [
        ("Google", "openid email profile", {*ASKED, "response_type", "nonce"}),
        ("Facebook", "public_profile,email", {*ASKED, "return_scopes"}),
        ("LoginWithAmazon", "profile", {*ASKED, "response_type"}),
        ("SignInWithApple", "email name", {*ASKED, "response_type", "nonce", "response_mode"}),
    ],
)
def test_each_provider_is_asked_with_the_pool_s_client_and_callback(
    url: str, social_idp: SocialIdp, provider_type: str, scope: str, names: set[str]
) -> None:
    _pool, client = pool_with(social_idp, provider_type)

    leaving = Browser(url).get(authorize_path(client, identity_provider=provider_type))

    target, query, _ = redirected_to(leaving)
    assert target.startswith(f"{social_idp.base}/{STYLES[provider_type]}/")
    assert set(query) == names
    assert query["redirect_uri"] == f"{url}/oauth2/idpresponse"
    assert query["scope"] == scope
    assert query.get("response_type", "code") == "code"
    if provider_type == "SignInWithApple":
        assert (query["client_id"], query["response_mode"]) == (APPLE["id"], "form_post")


def test_a_posted_answer_too_long_is_an_error_page(url: str) -> None:
    posted = requests.post(
        f"{url}/oauth2/idpresponse", data={"code": "c" * 5000, "state": "s"}, timeout=10
    )

    assert posted.status_code == 400
    assert "too long" in posted.text


# --- refusals that change nothing ------------------------------------------------------------


def _refused_and_unchanged(
    url: str, client: AppClient, provider_type: str, **sign_in_options: str
) -> str:
    before = snapshot()
    description = refused(sign_in(url, client, provider_type, **sign_in_options))
    assert snapshot() == before
    return description


@pytest.mark.parametrize("provider_type", list(STYLES))
def test_an_upstream_access_denied_is_refused(
    url: str, social_idp: SocialIdp, provider_type: str
) -> None:
    pool, client = pool_with(social_idp, provider_type)
    social_idp.control(profiles(), deny=STYLES[provider_type])

    description = _refused_and_unchanged(url, client, provider_type)

    assert "access_denied" in description
    assert not PoolUser.objects.filter(pool=pool).exists()


@pytest.mark.parametrize("provider_type", list(STYLES))
def test_a_wrong_state_is_an_error_page(
    url: str, social_idp: SocialIdp, provider_type: str
) -> None:
    _pool, client = pool_with(social_idp, provider_type)
    social_idp.control(profiles())
    before = snapshot()

    page = sign_in(url, client, provider_type, state="not-the-state")

    assert page.status_code == 400
    assert "unknown or has expired" in page.text
    assert snapshot() == before


@pytest.mark.parametrize(
    ("provider_type", "misbehave", "reason"),
    [
        ("SignInWithApple", "aud", "(invalid_claim: aud)"),
        ("SignInWithApple", "nonce", "(nonce_mismatch)"),
        ("SignInWithApple", "key", "(invalid_signature)"),
        ("Google", "aud", "(invalid_claim: aud)"),
        ("Google", "nonce", "(nonce_mismatch)"),
        ("Google", "key", "(invalid_signature)"),
    ],
)
def test_an_id_token_that_fails_a_check_is_refused(
    url: str, social_idp: SocialIdp, provider_type: str, misbehave: str, reason: str
) -> None:
    pool, client = pool_with(social_idp, provider_type)
    social_idp.control(profiles(), **{misbehave: STYLES[provider_type]})

    description = _refused_and_unchanged(url, client, provider_type)

    assert reason in description, description
    assert not PoolUser.objects.filter(pool=pool).exists()


def test_a_facebook_proof_the_graph_api_rejects_is_refused(url: str, social_idp: SocialIdp) -> None:
    pool, client = pool_with(social_idp, "Facebook")
    social_idp.control(profiles(), proof="facebook")

    description = _refused_and_unchanged(url, client, "Facebook")

    assert description.startswith("The sign-in through the identity provider failed")
    assert not PoolUser.objects.filter(pool=pool).exists()


def test_a_token_exchange_the_provider_refuses_is_refused(url: str, social_idp: SocialIdp) -> None:
    pool = make_user_pool(name="social")
    social_provider(pool, social_idp, "LoginWithAmazon", client_secret="not-the-secret")
    client = web_app(
        pool,
        AllowedOAuthScopes=["openid", "email", "profile"],
        SupportedIdentityProviders=["LoginWithAmazon"],
    )
    social_idp.control(profiles())

    description = _refused_and_unchanged(url, client, "LoginWithAmazon")

    assert description.startswith("The sign-in through the identity provider failed")


def test_an_apple_provider_whose_private_key_cannot_sign_is_refused(
    url: str, social_idp: SocialIdp
) -> None:
    pool = make_user_pool(name="social")
    social_provider(pool, social_idp, "SignInWithApple", private_key="not a key")
    client = web_app(
        pool,
        AllowedOAuthScopes=["openid", "email", "profile"],
        SupportedIdentityProviders=["SignInWithApple"],
    )
    before = snapshot()

    leaving = Browser(url).get(authorize_path(client, identity_provider="SignInWithApple"))

    assert "(invalid_setting: private_key)" in refused(leaving)
    assert snapshot() == before


def test_a_generic_oidc_provider_s_id_token_for_another_audience_is_refused(
    url: str, social_idp: SocialIdp
) -> None:
    pool = make_user_pool(name="oidc")
    identity_provider_create(
        pool=pool,
        name="Corp",
        provider_type="OIDC",
        details={
            "client_id": GOOGLE["id"],
            "client_secret": GOOGLE["secret"],
            "attributes_request_method": "GET",
            "oidc_issuer": f"{social_idp.base}/google",
            "authorize_scopes": "openid email",
        },
        attribute_mapping={"email": "email"},
    )
    client = web_app(
        pool,
        AllowedOAuthScopes=["openid", "email", "profile"],
        SupportedIdentityProviders=["Corp"],
    )
    social_idp.control(profiles(), aud="google")

    description = _refused_and_unchanged(url, client, "Corp")

    assert "(invalid_claim: aud)" in description, description
    assert not PoolUser.objects.filter(pool=pool).exists()


# --- the README ------------------------------------------------------------------------------


def test_the_readmes_google_and_apple_providers_sign_users_in(
    url: str,
    social_idp: SocialIdp,
    operator_key: tuple[AccessKey, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    examples = readme_examples(url, operator_key)
    social = [code for code in examples if 'ProviderType="Google"' in code]
    social += [code for code in examples if 'ProviderType="SignInWithApple"' in code]
    assert len(social) == 2
    scope: dict[str, Any] = {}
    exec(compile(examples[0], "README.md", "exec"), scope)  # noqa: S102 - the README's own example
    for code in social:
        assert_ruff_formatted(code)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "AuthKey_KEY1234567.p8").write_text(social_idp.apple_key)
    for code in social:
        ours = code.replace("google-client-secret", GOOGLE["secret"])
        exec(compile(ours, "README.md", "exec"), scope)  # noqa: S102 - the README's own example
    pool = UserPool.objects.get(pool_id=scope["pool_id"])
    for provider in IdentityProvider.objects.filter(pool=pool):
        # Cognito's endpoints replaced by the local provider's, as a request may.
        local = social_provider(make_user_pool(name="endpoints"), social_idp, provider.name)
        endpoints = {
            key: value
            for key, value in identity_provider_details(provider=local).items()
            if key in {"authorize_url", "token_url", "attributes_url", "oidc_issuer"}
        }
        identity_provider_update(
            provider=provider, details={**identity_provider_details(provider=provider), **endpoints}
        )
    scope["idp"].update_user_pool_client(
        UserPoolId=pool.pool_id,
        ClientId=scope["app"]["ClientId"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "profile"],
        CallbackURLs=[CALLBACK],
        SupportedIdentityProviders=["Google", "SignInWithApple"],
    )
    client = AppClient.objects.get(client_id=scope["app"]["ClientId"])
    social_idp.control(profiles())

    for provider_type in ("Google", "SignInWithApple"):
        claims = id_token_claims(url, pool, client, code_of(sign_in(url, client, provider_type)))
        assert (
            claims["cognito:username"] == f"{provider_type}_{subject_of(provider_type, profiles())}"
        )
        assert claims["email"] == EXPECTED[provider_type]["email"]


# --- in a real browser -----------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.slow
@pytest.mark.parametrize("provider_type", ["Google", "SignInWithApple"])
def test_a_browser_signs_in_through_the_provider_and_the_app_gets_its_code(
    url: str, social_idp: SocialIdp, provider_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider is on 127.0.0.1, this server on localhost: another site, so Apple's form
    post comes without the SameSite=Lax session cookie, as from appleid.apple.com."""
    if not CHROMIUM.exists() and os.environ.get("CI") != "true":
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium); CI installs it")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    assert urlsplit(url).hostname != urlsplit(social_idp.base).hostname
    social_idp.control(profiles())
    pool, client = pool_with(social_idp, provider_type)
    # Playwright's sync API runs an event loop in this thread; the ORM is not used meanwhile.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = chromium.new_page()
        page.goto(f"{url}/login?{urlsplit(authorize_path(client)).query}")
        # The browser's request for the app's callback (there is no app.example.com here).
        with page.expect_request(lambda request: request.url.startswith(CALLBACK)) as landed:
            page.get_by_role("link", name=f"Sign in with {LABELS[provider_type]}").click()
        callback = landed.value.url
        chromium.close()

    values = {name: v[0] for name, v in parse_qs(urlsplit(callback).query).items()}
    assert values["state"] == "app-state"
    claims = id_token_claims(url, pool, client, values["code"])
    assert claims["cognito:username"] == f"{provider_type}_{subject_of(provider_type, profiles())}"
    assert claims["email"] == EXPECTED[provider_type]["email"]
