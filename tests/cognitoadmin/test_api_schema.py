"""The OpenAPI schema of the management API and its documentation pages (served offline)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

EXPECTED_PATHS = {
    "/api/v1/pools/",
    "/api/v1/pools/{pool_id}/",
    "/api/v1/pools/{pool_id}/custom-attributes/",
    "/api/v1/pools/{pool_id}/mfa-config/",
    "/api/v1/pools/{pool_id}/users/",
    "/api/v1/pools/{pool_id}/users/{username}/",
    "/api/v1/pools/{pool_id}/users/{username}/attributes/",
    "/api/v1/pools/{pool_id}/users/{username}/delete-attributes/",
    "/api/v1/pools/{pool_id}/users/{username}/enable/",
    "/api/v1/pools/{pool_id}/users/{username}/disable/",
    "/api/v1/pools/{pool_id}/users/{username}/password/",
    "/api/v1/pools/{pool_id}/users/{username}/groups/",
    "/api/v1/pools/{pool_id}/users/{username}/groups/{group_name}/",
    "/api/v1/pools/{pool_id}/users/{username}/mfa/",
    "/api/v1/pools/{pool_id}/users/{username}/mfa/reset/",
    "/api/v1/pools/{pool_id}/groups/",
    "/api/v1/pools/{pool_id}/groups/{name}/",
    "/api/v1/pools/{pool_id}/groups/{name}/users/",
    "/api/v1/pools/{pool_id}/clients/",
    "/api/v1/pools/{pool_id}/clients/{client_id}/",
    "/api/v1/pools/{pool_id}/resource-servers/",
    "/api/v1/pools/{pool_id}/resource-servers/{identifier}/",
    "/api/v1/pools/{pool_id}/domains/",
    "/api/v1/pools/{pool_id}/domains/{domain}/",
}


def test_schema_generates_valid_without_warnings(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert set(schema["paths"]) >= EXPECTED_PATHS


def test_schema_endpoint_serves_openapi_3_json() -> None:
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # type: ignore[no-untyped-call]
    assert set(schema["paths"]) >= EXPECTED_PATHS
    assert set(schema["components"]["securitySchemes"]) == {
        "sigV4",
        "accessKeyBasic",
        "operatorSession",
    }


def test_schema_endpoint_serves_yaml_by_default() -> None:
    response = APIClient().get("/api/v1/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    schema = yaml.safe_load(response.content)
    validate_schema(schema)  # type: ignore[no-untyped-call]


def test_schema_documents_pagination_and_errors() -> None:
    schema = APIClient().get("/api/v1/schema/?format=json").json()
    users_list = schema["paths"]["/api/v1/pools/{pool_id}/users/"]["get"]
    names = {p["name"] for p in users_list["parameters"]}
    assert {"pool_id", "filter", "limit", "cursor"} <= names
    page = users_list["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][page.rsplit("/", 1)[-1]]
    assert set(component["properties"]) == {"results", "next"}
    assert users_list["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorOutput"
    )


def _local_assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_docs_pages_reference_only_local_static_assets(page: str) -> None:
    response = APIClient().get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://", html), "the page must not load anything from the internet"
    assets = _local_assets(html)
    assert assets
    # Swagger UI's start-up script is served by its own view (no inline script: the CSP).
    own_script = f"{page}?script="
    for asset in assets:
        if asset == own_script:
            html += APIClient().get(asset).content.decode()
            continue
        assert asset.startswith("/static/drf_spectacular_sidecar/")
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a served static file"
    assert "/api/v1/schema/" in html


def test_unknown_api_path_answers_in_the_error_shape() -> None:
    response = APIClient().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "ResourceNotFoundException"
