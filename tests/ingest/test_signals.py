from datetime import UTC, datetime

from ingest.signals import api_warning, rate_limits

HEADERS = {
    "X-Rate-Limit-Remaining": "0",
    "x-rate-limit-reset": "1795000000",
    "x-account-rate-limit-limit": "2000",
    "X-Api-Warn": "This endpoint is deprecated; use /12/...",
    "content-type": "application/json",
}


def test_the_deprecation_warning_is_found_whatever_its_case():
    assert api_warning(HEADERS) == "This endpoint is deprecated; use /12/..."
    assert api_warning({"content-type": "x"}) is None


def test_rate_limit_headers_are_listed_with_reset_times():
    limits = rate_limits(HEADERS)

    assert [item["name"] for item in limits] == [
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
        "x-account-rate-limit-limit",
    ]
    assert limits[1]["at"] == datetime.fromtimestamp(1795000000, UTC)
    assert limits[0]["at"] is None
