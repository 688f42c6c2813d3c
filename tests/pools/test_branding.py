"""The classic hosted UI's branding (issue 12): SetUICustomization and GetUICustomization with
boto3 against a live server, their refusals (which change nothing), the logo served at
`ImageUrl`, the hosted /login page showing the pool's or the client's CSS and logo, the CSS and
image checks of the service, and the admin's branding page."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from identities.models import AccessKey
from pools.errors import InvalidParameterException
from pools.models import AppClient, UICustomization, UserPool
from pools.services.branding import (
    MAX_IMAGE_BYTES,
    css_check,
    image_check,
    ui_customization_set,
)
from tests.builders import make_app_client, make_domain, make_user_pool
from tests.pools.hosted_fixtures import CALLBACK, Browser, plain_http, web, web_app
from tests.pools.oauth_fixtures import live_pool, url
from tests.pools.test_admin_authorization import signed_in
from tests.pools.test_hosted_flow import readme_examples

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

__all__ = ["live_pool", "plain_http", "url", "web"]

TARGET = "AWSCognitoIdentityProviderService"
POOL_CSS = ".banner-customizable { background-color: #0a3069; }"
CLIENT_CSS = ".submitButton-customizable { background-color: rgb(200, 30, 30); }"
# The console's CSS template, as Cognito hands it out: every class, every property it shows.
COGNITO_TEMPLATE = """
.logo-customizable { max-width: 60%; max-height: 30%; }
.banner-customizable { padding: 25px 0px 25px 0px; background-color: lightgray; }
.label-customizable { font-weight: 400; }
.textDescription-customizable { padding-top: 10px; padding-bottom: 10px; display: block;
  font-size: 16px; }
.idpDescription-customizable { padding-top: 10px; padding-bottom: 10px; display: block;
  font-size: 16px; }
.legalText-customizable { color: #747474; font-size: 11px; }
.submitButton-customizable { font-size: 14px; font-weight: bold; margin: 20px 0px 10px 0px;
  height: 40px; width: 100%; color: #fff; background-color: #337ab7; }
.submitButton-customizable:hover { color: #fff; background-color: #286090; }
.errorMessage-customizable { padding: 5px; font-size: 14px; width: 100%; background: #F5F5F5;
  border: 2px solid #D64958; color: #D64958; }
.inputField-customizable { width: 100%; height: 34px; color: #555; background-color: #fff;
  border: 1px solid #ccc; }
.inputField-customizable:focus { border-color: #66afe9; outline: 0; }
.idpButton-customizable { height: 40px; width: 100%; text-align: center; margin-bottom: 15px;
  color: #fff; background-color: #5bc0de; border-color: #46b8da; }
.idpButton-customizable:hover { color: #fff; background-color: #31b0d5; }
.socialButton-customizable { border-radius: 2px; height: 40px; margin-bottom: 15px;
  padding: 1px; text-align: left; width: 100%; }
.redirect-customizable { text-align: center; }
.passwordCheck-notValid-customizable { color: #DF3312; }
.passwordCheck-valid-customizable { color: #19BF00; }
.background-customizable { background-color: #fff; }
"""


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (40, 20), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, kind)
    return buffer.getvalue()


PNG = image_bytes()
JPEG = image_bytes("JPEG", color="blue")


def _state(pool: UserPool) -> list[dict[str, Any]]:
    """The pool's UI customizations as stored: what a refusal must leave as it was."""
    rows = UICustomization.objects.filter(pool=pool).order_by("pk")
    return [
        {**row, "image": bytes(row["image"])}
        for row in rows.values("client_id", "css", "image", "image_digest", "updated_at")
    ]


# --- the service: the CSS and the image ---------------------------------------------------


def test_cognitos_own_css_template_is_accepted_and_rewritten_rule_by_rule() -> None:
    rewritten = css_check(COGNITO_TEMPLATE)

    assert ".banner-customizable { padding: 25px 0px 25px 0px; background-color: lightgray; }" in (
        rewritten
    )
    assert ".inputField-customizable:focus { border-color: #66afe9; outline: 0; }" in rewritten
    assert len(rewritten.splitlines()) == 18


def test_comments_whitespace_and_grouped_selectors_are_rewritten_without_them() -> None:
    css = "/* brand */ .label-customizable ,\n .legalText-customizable { color : RED !important }"

    assert (
        css_check(css) == ".label-customizable, .legalText-customizable { color: RED !important; }"
    )


@pytest.mark.parametrize(
    ("css", "reason"),
    [
        ("@import url(https://evil.example/x.css);", "at-rule @import"),
        ("@media print { .label-customizable { color: red } }", "at-rule @media"),
        ("@font-face { font-family: x }", "at-rule @font-face"),
        (".banner-customizable { background-color: url(https://evil.example/x) }", "value"),
        (".banner-customizable { background: url(x) }", "property 'background'"),
        (".label-customizable { color: red } </style><script>alert(1)</script>", "'<'"),
        ("/* </style> */ .label-customizable { color: red }", "'<'"),
        (".label-customizable { color: expression(alert(1)) }", "value"),
        (".label-customizable { color: var(--x) }", "value"),
        (".label-customizable { color: 'red' }", "value"),
        (".label-customizable { behavior: url(x.htc) }", "property 'behavior'"),
        (".label-customizable { -moz-binding: url(x) }", "property '-moz-binding'"),
        (".logo-customizable { font-weight: 400 }", "property 'font-weight'"),
        ("body { background-color: red }", "selector 'body'"),
        ("* { color: red }", "selector '*'"),
        (".label-customizable input { color: red }", "selector"),
        (".label-customizable > a { color: red }", "selector"),
        (".label-customizable::before { color: red }", "selector"),
        (".label-customizable:hover { color: red }", "selector"),
        (".Label-customizable { color: red }", "selector"),
        (".label-customizable, div { color: red }", "selector 'div'"),
        (".banner-customizable { padding: -4px }", "value"),
        (".inputField-customizable { border: 1px solid red blue }", "value"),
        (".label-customizable { .x { color: red } }", "not valid"),
        ("}", "not valid"),
        (".label-customizable { color: red }" * 4000, "longer than 131072"),
        ("(" * 600 + ")" * 600 + "{}", "more than 8 deep"),
        (".label-customizable { color: " + "[" * 700 + " }", "more than 8 deep"),
    ],
)
def test_css_outside_cognitos_classes_and_properties_is_refused(css: str, reason: str) -> None:
    with pytest.raises(InvalidParameterException) as refused:
        css_check(css)

    assert reason in refused.value.message


def test_png_and_jpeg_images_pass_with_their_content_type() -> None:
    assert image_check(PNG).content_type == "image/png"
    assert image_check(JPEG).content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"GIF89a" + b"\x00" * 32, "must be a PNG or a JPEG"),
        (image_bytes("GIF"), "must be a PNG or a JPEG"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "must be a PNG or a JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"not really a png" * 8, "decodes"),
        (PNG[: len(PNG) // 2], "decodes"),
        (JPEG[:40], "decodes"),
        (b"\xff\xd8\xff" + b"\x00" * 64, "decodes"),
        (image_bytes(size=(5000, 10)), "at most 4096 by 4096"),
        (PNG + b"\x00" * MAX_IMAGE_BYTES, "larger than 102400 bytes (100 KB)"),
    ],
)
def test_an_image_that_is_no_small_png_or_jpeg_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidParameterException) as refused:
        image_check(data)

    assert reason in refused.value.message


@pytest.mark.django_db
def test_a_pool_without_a_domain_cannot_be_customized() -> None:
    pool = make_user_pool()

    with pytest.raises(InvalidParameterException, match="domain must be associated"):
        ui_customization_set(pool=pool, client=None, css=POOL_CSS, image=None)

    assert _state(pool) == []


@pytest.mark.django_db
def test_another_pools_client_is_refused() -> None:
    pool, other = make_user_pool(), make_user_pool("other")
    make_domain(pool=pool, domain="shop")

    with pytest.raises(InvalidParameterException):
        ui_customization_set(
            pool=pool, client=make_app_client(pool=other), css=POOL_CSS, image=None
        )

    assert _state(pool) == []


# --- the AWS operations, with boto3 against a live server ------------------------------------


@pytest.fixture
def shop(aws_url: str) -> UserPool:
    pool = make_user_pool("shop")
    make_domain(pool=pool, domain="shop-branding")
    return pool


def _error(refused: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = refused.value.response["Error"]
    return error["Code"], error["Message"]


def test_the_pools_customization_is_every_clients_until_a_client_has_its_own(
    idp: Any, shop: UserPool
) -> None:
    web, mobile = make_app_client(pool=shop), make_app_client(pool=shop)

    assert idp.get_ui_customization(UserPoolId=shop.pool_id)["UICustomization"] == {
        "UserPoolId": shop.pool_id,
        "ClientId": "ALL",
    }
    assert idp.get_ui_customization(UserPoolId=shop.pool_id, ClientId=web.client_id)[
        "UICustomization"
    ] == {"UserPoolId": shop.pool_id, "ClientId": web.client_id}

    pool_level = idp.set_ui_customization(UserPoolId=shop.pool_id, CSS=POOL_CSS, ImageFile=PNG)[
        "UICustomization"
    ]
    assert pool_level["ClientId"] == "ALL"
    assert pool_level["CSS"] == POOL_CSS
    assert re.fullmatch(r"\d{14}", pool_level["CSSVersion"])
    assert pool_level["ImageUrl"].endswith(".png")
    assert isinstance(pool_level["CreationDate"], dt.datetime)
    assert pool_level["LastModifiedDate"] == pool_level["CreationDate"]
    fallback = idp.get_ui_customization(UserPoolId=shop.pool_id, ClientId=web.client_id)
    assert fallback["UICustomization"] == pool_level

    own = idp.set_ui_customization(UserPoolId=shop.pool_id, ClientId=web.client_id, CSS=CLIENT_CSS)[
        "UICustomization"
    ]
    assert own["ClientId"] == web.client_id
    assert "ImageUrl" not in own
    got = idp.get_ui_customization(UserPoolId=shop.pool_id, ClientId=web.client_id)
    assert got["UICustomization"] == own
    other = idp.get_ui_customization(UserPoolId=shop.pool_id, ClientId=mobile.client_id)
    assert other["UICustomization"]["CSS"] == POOL_CSS
    everyone = idp.get_ui_customization(UserPoolId=shop.pool_id, ClientId="ALL")
    assert everyone["UICustomization"] == pool_level


def test_a_set_with_neither_css_nor_image_removes_that_levels_customization(
    idp: Any, shop: UserPool
) -> None:
    web = make_app_client(pool=shop)
    idp.set_ui_customization(UserPoolId=shop.pool_id, ClientId="ALL", CSS=POOL_CSS)
    idp.set_ui_customization(UserPoolId=shop.pool_id, ClientId=web.client_id, CSS=CLIENT_CSS)

    removed = idp.set_ui_customization(UserPoolId=shop.pool_id, ClientId=web.client_id)

    assert removed["UICustomization"] == {"UserPoolId": shop.pool_id, "ClientId": web.client_id}
    got = idp.get_ui_customization(UserPoolId=shop.pool_id, ClientId=web.client_id)
    assert (got["UICustomization"]["ClientId"], got["UICustomization"]["CSS"]) == ("ALL", POOL_CSS)


def test_each_set_replaces_both_the_css_and_the_logo(idp: Any, shop: UserPool) -> None:
    first = idp.set_ui_customization(UserPoolId=shop.pool_id, CSS=POOL_CSS, ImageFile=PNG)
    second = idp.set_ui_customization(UserPoolId=shop.pool_id, ImageFile=JPEG)

    assert "CSS" not in second["UICustomization"]
    assert second["UICustomization"]["ImageUrl"] != first["UICustomization"]["ImageUrl"]
    assert second["UICustomization"]["ImageUrl"].endswith(".jpg")
    assert UICustomization.objects.filter(pool=shop).count() == 1


def _refused(idp: Any, pool: UserPool, **params: Any) -> tuple[str, str]:
    before = _state(pool)
    with pytest.raises(ClientError) as refused:
        idp.set_ui_customization(**params)
    assert _state(pool) == before
    return _error(refused)


def test_the_documented_refusals_change_nothing(idp: Any, shop: UserPool) -> None:
    other = make_user_pool("other")
    foreign = make_app_client(pool=other)
    idp.set_ui_customization(UserPoolId=shop.pool_id, CSS=POOL_CSS, ImageFile=PNG)
    pool_id = shop.pool_id

    assert _refused(idp, other, UserPoolId=other.pool_id, CSS=POOL_CSS) == (
        "InvalidParameterException",
        "A domain must be associated with this user pool.",
    )
    assert _refused(idp, shop, UserPoolId=pool_id, CSS="@import url(x.css);")[0] == (
        "InvalidParameterException"
    )
    code, message = _refused(idp, shop, UserPoolId=pool_id, CSS="body { color: red }")
    assert code == "InvalidParameterException"
    assert "selector 'body'" in message
    assert _refused(idp, shop, UserPoolId=pool_id, CSS=POOL_CSS, ImageFile=b"GIF89a....")[0] == (
        "InvalidParameterException"
    )
    code, message = _refused(idp, shop, UserPoolId=pool_id, ImageFile=b"\x00" * 150_000)
    assert (code, "102400" in message) == ("InvalidParameterException", True)
    assert _refused(idp, shop, UserPoolId=pool_id, CSS="a" * 131_073)[0] == (
        "InvalidParameterException"
    )
    assert _refused(idp, shop, UserPoolId="us-east-1_nosuchpool", CSS=POOL_CSS) == (
        "ResourceNotFoundException",
        "User pool us-east-1_nosuchpool does not exist.",
    )
    assert _refused(idp, shop, UserPoolId=pool_id, ClientId="nosuchclient", CSS=POOL_CSS)[0] == (
        "ResourceNotFoundException"
    )
    # Another pool's client is unknown in this one.
    assert _refused(idp, shop, UserPoolId=pool_id, ClientId=foreign.client_id, CSS=POOL_CSS) == (
        "ResourceNotFoundException",
        f"User pool client {foreign.client_id} does not exist.",
    )
    with pytest.raises(ClientError) as unknown:
        idp.get_ui_customization(UserPoolId=pool_id, ClientId=foreign.client_id)
    assert _error(unknown)[0] == "ResourceNotFoundException"


def _raw(aws_url: str, key: tuple[AccessKey, str], body: Any) -> requests.Response:
    """SetUICustomization with a body boto3 would never send, signed with the operator's key."""
    access_key, secret = key
    endpoint = f"{aws_url}/"
    request = AWSRequest(
        method="POST",
        url=endpoint,
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"{TARGET}.SetUICustomization",
        },
    )
    SigV4Auth(Credentials(access_key.access_key_id, secret), "cognito-idp", "us-east-1").add_auth(
        request
    )
    return requests.post(endpoint, data=request.body, headers=dict(request.headers), timeout=10)


@pytest.mark.parametrize(
    ("members", "error"),
    [
        ({"ImageFile": "not base64!"}, "InvalidParameterException"),
        ({"ImageFile": "iVBORw0KGgo"}, "InvalidParameterException"),
        ({"ImageFile": 12}, "SerializationException"),
        ({"ImageFile": ["x"]}, "SerializationException"),
        ({"CSS": ["x"]}, "SerializationException"),
        ({"CSS": {"a": 1}}, "SerializationException"),
        ({"ClientId": 5}, "SerializationException"),
        ({"ClientId": "no spaces allowed"}, "InvalidParameterException"),
        ({"ImageFile": base64.b64encode(b"plain text, no image").decode()}, "InvalidParameter"),
        ({"CSS": "{" * 5000 + "}" * 5000}, "InvalidParameterException"),
    ],
)
def test_malformed_members_are_refused_in_awss_envelope(
    aws_url: str,
    operator_key: tuple[AccessKey, str],
    shop: UserPool,
    members: dict[str, Any],
    error: str,
) -> None:
    ui_customization_set(pool=shop, client=None, css=POOL_CSS, image=PNG)
    before = _state(shop)

    response = _raw(aws_url, operator_key, {"UserPoolId": shop.pool_id, **members})

    assert response.status_code == 400, response.text
    assert response.json()["__type"].startswith(error)
    assert _state(shop) == before


# --- the logo at ImageUrl ------------------------------------------------------------------


def test_the_image_url_serves_the_logo_with_its_type_and_a_long_cache(
    idp: Any, shop: UserPool, url: str
) -> None:
    image_url = idp.set_ui_customization(UserPoolId=shop.pool_id, ImageFile=JPEG)[
        "UICustomization"
    ]["ImageUrl"]
    assert image_url.startswith(f"{url}/{shop.pool_id}/ALL/")

    served = requests.get(image_url, timeout=10)

    assert served.status_code == 200
    assert served.content == JPEG
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in served.headers["Cache-Control"]
    # A new logo is a new URL; the old one is gone.
    new_url = idp.set_ui_customization(UserPoolId=shop.pool_id, ImageFile=PNG)["UICustomization"][
        "ImageUrl"
    ]
    assert new_url != image_url
    assert requests.get(new_url, timeout=10).content == PNG
    assert requests.get(image_url, timeout=10).status_code == 404


def test_unknown_image_urls_are_not_found(idp: Any, shop: UserPool, url: str) -> None:
    image_url = idp.set_ui_customization(UserPoolId=shop.pool_id, ImageFile=PNG)["UICustomization"][
        "ImageUrl"
    ]
    path = urlsplit(image_url).path
    version = path.split("/")[3]
    client = make_app_client(pool=shop)

    for wrong in (
        path.replace(shop.pool_id, "us-east-1_nosuchpool"),
        path.replace("/ALL/", f"/{client.client_id}/"),
        path.replace(version, "0" * 16),
        path.replace(".png", ".jpg"),
    ):
        response = requests.get(f"{url}{wrong}", timeout=10)
        assert response.status_code == 404, wrong


# --- the hosted pages ------------------------------------------------------------------------


def _login(url: str, client: AppClient) -> requests.Response:
    query = urlencode(
        {
            "client_id": client.client_id,
            "response_type": "code",
            "redirect_uri": CALLBACK,
            "scope": "openid",
        }
    )
    page = Browser(url).get(f"/login?{query}")
    assert page.status_code == 200, page.text
    return page


def _policy(page: requests.Response) -> dict[str, list[str]]:
    directives = page.headers["Content-Security-Policy"].split(";")
    return {name: sources for name, *sources in (d.split() for d in directives if d.strip())}


def _branding_css(page: requests.Response) -> str:
    """The CSS of the page's second style element (the UI customization's), checked to carry
    the nonce the policy allows."""
    styles = re.findall(r'<style nonce="([^"]+)">(.*?)</style>', page.text, re.S)
    assert len(styles) == 2, page.text
    nonce, css = styles[1]
    assert _policy(page)["style-src"] == [f"'nonce-{nonce}'"]
    return str(css.strip())


@pytest.mark.usefixtures("plain_http")
def test_the_login_page_shows_the_pools_css_and_logo_then_the_clients_own(
    live_pool: UserPool, url: str
) -> None:
    make_domain(pool=live_pool, domain="shop-pages")
    web, mobile = web_app(live_pool), web_app(live_pool)
    plain = _login(url, web)
    assert "<style" in plain.text and plain.text.count("<style") == 1
    assert 'class="banner-customizable"' not in plain.text
    assert 'class="label-customizable"' in plain.text
    assert 'class="inputField-customizable"' in plain.text
    assert 'class="submitButton-customizable"' in plain.text
    assert 'class="background-customizable"' in plain.text

    pool_level = ui_customization_set(pool=live_pool, client=None, css=POOL_CSS, image=PNG)
    assert pool_level is not None
    page = _login(url, web)
    assert _branding_css(page) == POOL_CSS
    logo = re.search(r'<img class="logo-customizable" src="([^"]+)"', page.text)
    assert logo is not None
    assert requests.get(logo.group(1), timeout=10).content == PNG
    policy = _policy(page)
    assert policy["script-src"] == ["'none'"]
    assert "'self'" in policy["img-src"]
    # The logo's origin is allowed by name, so pages on a custom domain can show it too.
    assert url in policy["img-src"]

    ui_customization_set(pool=live_pool, client=web, css=CLIENT_CSS, image=None)
    own = _login(url, web)
    assert _branding_css(own) == CLIENT_CSS
    assert 'class="banner-customizable"' in own.text
    assert 'class="logo-customizable"' not in own.text
    assert _branding_css(_login(url, mobile)) == POOL_CSS


@pytest.mark.usefixtures("plain_http")
def test_stored_css_that_no_longer_passes_the_check_is_left_out_of_the_page(
    live_pool: UserPool, url: str
) -> None:
    make_domain(pool=live_pool, domain="shop-pages")
    web = web_app(live_pool)
    UICustomization.objects.create(
        pool=live_pool, css="</style><script>alert(1)</script>", image=b""
    )

    page = _login(url, web)

    assert "<script" not in page.text
    assert 'class="banner-customizable"' in page.text
    assert page.text.count("<style") == 1


# --- the admin's branding page ---------------------------------------------------------------


def _branding_url(pool: UserPool, client: AppClient | None = None) -> str:
    base = reverse("admin:pools_userpool_ui_customization", args=[pool.pk])
    return f"{base}?client={client.client_id}" if client is not None else base


def _shown(response: Response) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_the_admin_sets_a_pools_and_a_clients_branding_through_the_service() -> None:
    admin, _ = signed_in("ada", "Administrators")
    pool = make_user_pool("shop")
    make_domain(pool=pool, domain="shop-admin")
    web = make_app_client(pool=pool, name="web")
    change = admin.get(reverse("admin:pools_userpool_change", args=[pool.pk]))
    assert _branding_url(pool) in change.content.decode()

    saved = admin.post(
        _branding_url(pool),
        {"css": POOL_CSS, "image": SimpleUploadedFile("logo.png", PNG, "image/png")},
    )
    assert saved.status_code == 302
    assert _shown(saved) == [
        (messages.SUCCESS, "The hosted UI branding of all app clients is saved.")
    ]
    row = UICustomization.objects.get(pool=pool, client=None)
    assert (row.css, bytes(row.image)) == (POOL_CSS, PNG)

    # The logo is kept when only the CSS changes (each set replaces both).
    admin.post(_branding_url(pool), {"css": CLIENT_CSS, "keep_image": "on"})
    row.refresh_from_db()
    assert (row.css, bytes(row.image)) == (CLIENT_CSS, PNG)

    admin.post(_branding_url(pool, web), {"css": CLIENT_CSS})
    assert UICustomization.objects.get(pool=pool, client=web).css == CLIENT_CSS
    page = admin.get(_branding_url(pool, web))
    assert page.context["form"].initial == {"css": CLIENT_CSS}

    removed = admin.post(_branding_url(pool, web), {"css": "", "remove": "Remove"})
    assert _shown(removed) == [(messages.SUCCESS, "The hosted UI branding of web is removed.")]
    assert not UICustomization.objects.filter(client=web).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"css": "@import url(x.css);"}, "The CSS at-rule @import is not allowed"),
        ({"css": "", "image": b"GIF89a...."}, "The image file must be a PNG or a JPEG image."),
        ({"css": "", "image": PNG + bytes(MAX_IMAGE_BYTES)}, "The image file is larger than"),
    ],
)
def test_the_admin_shows_the_services_refusal_and_changes_nothing(
    data: dict[str, Any], error: str
) -> None:
    admin, _ = signed_in("ada", "Administrators")
    pool = make_user_pool("shop")
    make_domain(pool=pool, domain="shop-admin")
    ui_customization_set(pool=pool, client=None, css=POOL_CSS, image=PNG)
    before = _state(pool)
    if "image" in data:
        data = {**data, "image": SimpleUploadedFile("logo.gif", data["image"], "image/gif")}

    response = admin.post(_branding_url(pool), data)

    assert response.status_code == 200
    [(level, message)] = _shown(response)
    assert level == messages.ERROR
    assert message.startswith(error)
    assert _state(pool) == before


@pytest.mark.django_db
def test_the_admin_page_needs_the_set_permission_and_a_known_client() -> None:
    support, _ = signed_in("sue", "Support (read only)")
    admin, _ = signed_in("ada", "Administrators")
    pool = make_user_pool("shop")
    other_client = make_app_client(pool=make_user_pool("other"))

    assert support.get(_branding_url(pool)).status_code == 403
    change = support.get(reverse("admin:pools_userpool_change", args=[pool.pk]))
    assert _branding_url(pool) not in change.content.decode()
    assert admin.get(_branding_url(pool, other_client)).status_code == 404
    # Without a domain the page still opens; saving says why it cannot.
    refused = admin.post(_branding_url(pool), {"css": POOL_CSS})
    assert _shown(refused) == [(messages.ERROR, "A domain must be associated with this user pool.")]


# --- the README's example ----------------------------------------------------------------------


@pytest.mark.usefixtures("plain_http")
def test_the_readmes_branding_shows_on_the_sign_in_page(
    url: str,
    operator_key: tuple[AccessKey, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    examples = readme_examples(url, operator_key)
    [domains] = [code for code in examples if "create_user_pool_domain" in code]
    [branding] = [code for code in examples if "set_ui_customization" in code]
    scope: dict[str, Any] = {}
    exec(compile(examples[0], "README.md", "exec"), scope)  # noqa: S102 - the README's own example
    authorize_url = capsys.readouterr().out.strip().replace("<S256 challenge>", "c" * 43)
    exec(compile(domains, "README.md", "exec"), scope)  # noqa: S102 - the README's own example
    monkeypatch.chdir(tmp_path)
    (tmp_path / "logo.png").write_bytes(PNG)
    exec(compile(branding, "README.md", "exec"), scope)  # noqa: S102 - the README's own example

    image_url = capsys.readouterr().out.strip()
    assert requests.get(image_url, timeout=10).content == PNG
    page = requests.get(authorize_url.replace("/oauth2/authorize?", "/login?"), timeout=10)
    assert _branding_css(page) == ".submitButton-customizable { background-color: #1f883d; }"
    # The client's own branding replaces the pool's whole: its pages show no logo.
    assert 'class="logo-customizable"' not in page.text
