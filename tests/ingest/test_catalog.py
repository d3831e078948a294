"""The error-code catalog transcribed from the X Ads API reference."""

import re
from pathlib import Path

import pytest

from ingest.catalog import (
    CATALOG,
    GENERIC_CODE_BY_STATUS,
    catalog_status,
    generic_code_for_status,
)

# shared/ lies beside the repository, on developers' machines and in CI alike.
REFERENCE = Path(__file__).resolve().parents[3] / "shared/reference/x-ads-api-error-codes.md"
REFERENCE_ROW = re.compile(r"^\|\s*(\d{3})\s*\|\s*`([A-Z_]+)`", re.MULTILINE)
REFERENCE_CODE_COUNT = 77


def test_every_row_of_the_reference_table_is_loaded():
    assert len(CATALOG) == REFERENCE_CODE_COUNT


@pytest.mark.skipif(not REFERENCE.exists(), reason="API reference not available")
def test_catalog_matches_the_reference_table_exactly():
    rows = {code: int(status) for status, code in REFERENCE_ROW.findall(REFERENCE.read_text())}
    assert dict(CATALOG) == rows


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("LOCK_ACQUISITION_TIMEOUT", 423),
        ("OVER_CAPACITY", 503),
        ("INVALID_PARAMETER", 400),
        ("UNAUTHORIZED_ACCESS", 401),
        ("ACCOUNT_NOT_FOUND", 403),
        ("CAMPAIGN_NOT_FOUND", 404),
        ("TWEET_RATE_LIMIT_EXCEEDED", 429),
        ("WEB_EVENT_TAG_NOT_FOUND", 404),
    ],
)
def test_catalog_status_of_documented_codes(code, status):
    assert catalog_status(code) == status


def test_catalog_status_of_an_undocumented_code_is_none():
    assert catalog_status("NOT_A_REAL_CODE") is None


def test_catalog_lookup_is_case_sensitive():
    assert catalog_status("invalid_parameter") is None


def test_catalog_is_read_only():
    with pytest.raises(TypeError):
        CATALOG["NEW_CODE"] = 400  # type: ignore[index]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, "UNAUTHORIZED_ACCESS"),
        (404, "NOT_FOUND"),
        (405, "METHOD_NOT_ALLOWED"),
        (408, "CANCELLED_REQUEST"),
        (429, "TOO_MANY_REQUESTS"),
        (500, "INTERNAL_ERROR"),
        (503, "SERVICE_UNAVAILABLE"),
    ],
)
def test_generic_code_for_statuses_with_a_documented_meaning(status, code):
    assert generic_code_for_status(status) == code


@pytest.mark.parametrize(
    ("status", "code"), [(400, "HTTP_400"), (418, "HTTP_418"), (502, "HTTP_502")]
)
def test_generic_code_for_other_statuses_names_the_status(status, code):
    assert generic_code_for_status(status) == code


def test_every_generic_code_is_documented_with_the_same_status():
    for status, code in GENERIC_CODE_BY_STATUS.items():
        assert CATALOG[code] == status
