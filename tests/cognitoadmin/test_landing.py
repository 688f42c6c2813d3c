from __future__ import annotations

from importlib.metadata import version

from django.test import Client, override_settings


@override_settings(COGNITOADMIN_REGION="eu-west-2")
def test_the_landing_page_points_at_the_admin_the_api_docs_and_the_readme(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert 'href="/admin/"' in html
    assert 'href="/api/v1/docs/"' in html
    assert "README.md" in html
    assert "eu-west-2" in html
    assert f"version {version('cognitoadmin')}" in html
    assert [t.name for t in response.templates] == ["landing.html", "base.html"]


def test_head_answers_like_get_without_a_body(client: Client) -> None:
    response = client.head("/")

    assert response.status_code == 200
    assert response.content == b""


def test_other_methods_are_not_allowed_on_the_root(client: Client) -> None:
    response = client.put("/")

    assert response.status_code == 405
    # POST and OPTIONS belong to the AWS endpoint that shares the path.
    assert response["Allow"] == "GET, HEAD, POST, OPTIONS"


def test_the_landing_page_promises_only_what_is_served(client: Client) -> None:
    html = client.get("/").content.decode()

    assert "<code>cognito-idp</code>" in html
    assert "Identity pools and sync are not served yet." in html
    assert "one-time code" in html  # the test settings require OTP, as production does


@override_settings(COGNITOADMIN_ADMIN_OTP_REQUIRED=False)
def test_in_development_mode_the_landing_page_says_a_password_is_enough(client: Client) -> None:
    html = client.get("/").content.decode()

    assert "development mode: a password is enough" in html
    assert "one-time code" not in html
