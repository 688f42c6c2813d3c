from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from cognitoadmin.checks import check_settings


def error_ids() -> list[str]:
    return [message.id or "" for message in check_settings(app_configs=None, databases=None)]


def test_the_test_settings_pass() -> None:
    assert error_ids() == []


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-2", "ap-southeast-1", "us-gov-west-1"])
def test_aws_region_names_pass(region: str) -> None:
    with override_settings(COGNITOADMIN_REGION=region):
        assert error_ids() == []


@pytest.mark.parametrize(
    "region", ["", "us_east_1", "US-EAST-1", "useast1", "us-east", "us-east-12"]
)
def test_a_region_not_shaped_as_aws_ones_is_an_error(region: str) -> None:
    with override_settings(COGNITOADMIN_REGION=region):
        assert error_ids() == ["cognitoadmin.E001"]


def test_a_list_of_served_regions_that_names_the_default_passes() -> None:
    with override_settings(COGNITOADMIN_REGIONS=["eu-west-1", "us-east-1"]):
        assert error_ids() == []


def test_a_served_region_not_shaped_as_aws_ones_is_an_error() -> None:
    with override_settings(COGNITOADMIN_REGIONS=["us-east-1", "moon"]):
        assert error_ids() == ["cognitoadmin.E005"]


def test_a_list_of_served_regions_without_the_default_is_an_error() -> None:
    with override_settings(COGNITOADMIN_REGIONS=["eu-west-1"]):
        assert error_ids() == ["cognitoadmin.E006"]


@pytest.mark.parametrize("account_id", ["", "12345678901", "1234567890123", "12345678901a"])
def test_an_account_id_that_is_not_12_digits_is_an_error(account_id: str) -> None:
    with override_settings(COGNITOADMIN_ACCOUNT_ID=account_id):
        assert error_ids() == ["cognitoadmin.E002"]


@pytest.mark.parametrize(
    "url",
    ["https://auth.example.com", "http://127.0.0.1:8000", "https://example.com/cognito"],
)
def test_absolute_public_urls_pass(url: str) -> None:
    with override_settings(COGNITOADMIN_PUBLIC_URL=url):
        assert error_ids() == []


@pytest.mark.parametrize(
    "url",
    [
        "",
        "auth.example.com",
        "/cognito",
        "ftp://auth.example.com",
        "https://",
        "https://auth.example.com/",
        "https://auth.example.com?x=1",
        "https://auth.example.com#top",
    ],
)
def test_a_public_url_that_is_not_absolute_http_without_trailing_slash_is_an_error(
    url: str,
) -> None:
    with override_settings(COGNITOADMIN_PUBLIC_URL=url):
        assert error_ids() == ["cognitoadmin.E003"]


def test_a_short_master_key_is_an_error_outside_debug() -> None:
    with override_settings(DEBUG=False, COGNITOADMIN_MASTER_KEY="m" * 31):
        assert error_ids() == ["cognitoadmin.E004"]
    with override_settings(DEBUG=False, COGNITOADMIN_MASTER_KEY="m" * 32):
        assert error_ids() == []


def test_a_short_master_key_is_accepted_in_debug() -> None:
    with override_settings(DEBUG=True, COGNITOADMIN_MASTER_KEY="short"):
        assert error_ids() == []


def test_the_checks_are_registered_with_django() -> None:
    with override_settings(COGNITOADMIN_REGION="nowhere", COGNITOADMIN_ACCOUNT_ID="1"):
        ids = {message.id for message in run_checks()}

    assert {"cognitoadmin.E001", "cognitoadmin.E002"} <= ids
