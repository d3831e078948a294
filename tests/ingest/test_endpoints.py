"""Endpoint templates and the account found in a request URL."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.endpoints import _raw_path, account_from_url, endpoint_template


def test_reference_example_keeps_version_and_templates_account_and_id():
    url = "https://ads-api.x.com/12/accounts/abcdefg/campaigns/8wk12?x=1"
    assert endpoint_template("GET", url) == "GET /12/accounts/:account_id/campaigns/:id"


def test_method_is_upper_cased():
    assert endpoint_template("post", "/12/accounts/abc/campaigns") == (
        "POST /12/accounts/:account_id/campaigns"
    )


def test_path_without_host_is_templated_like_a_full_url():
    assert endpoint_template("GET", "/12/accounts/abc/campaigns") == (
        "GET /12/accounts/:account_id/campaigns"
    )


def test_query_and_fragment_are_dropped():
    assert endpoint_template("GET", "/12/accounts/abc?with_deleted=true#top") == (
        "GET /12/accounts/:account_id"
    )


def test_account_segment_without_digits_is_still_templated():
    assert endpoint_template("GET", "/12/accounts/abcdefg") == "GET /12/accounts/:account_id"


def test_segments_with_a_digit_become_id():
    assert endpoint_template("DELETE", "/12/accounts/a/line_items/8u94t") == (
        "DELETE /12/accounts/:account_id/line_items/:id"
    )


def test_segments_without_digits_are_kept():
    assert endpoint_template("GET", "/12/targeting_criteria/locations") == (
        "GET /12/targeting_criteria/locations"
    )


def test_only_the_first_segment_counts_as_the_version():
    assert endpoint_template("GET", "/12/stats/12") == "GET /12/stats/:id"


def test_first_segment_with_letters_and_digits_is_not_a_version():
    assert endpoint_template("GET", "/v12/accounts") == "GET /:id/accounts"


def test_host_port_and_userinfo_are_not_part_of_the_path():
    url = "https://user:pw@ads-api.x.com:8443/12/accounts"
    assert endpoint_template("GET", url) == "GET /12/accounts"


def test_empty_path_is_root():
    assert endpoint_template("GET", "https://ads-api.x.com") == "GET /"
    assert endpoint_template("GET", "https://ads-api.x.com?x=1") == "GET /"


def test_trailing_slash_is_dropped_and_double_slashes_collapse():
    assert endpoint_template("GET", "/12//accounts/abc/campaigns/") == (
        "GET /12/accounts/:account_id/campaigns"
    )


def test_empty_account_segment_is_dropped_not_templated():
    assert endpoint_template("GET", "/12/accounts//campaigns") == "GET /12/accounts/campaigns"


def test_digit_check_uses_the_raw_segment_so_percent_escapes_count_as_digits():
    assert endpoint_template("GET", "/12/batch/caf%C3%A9") == "GET /12/batch/:id"


@pytest.mark.parametrize(
    ("url", "account"),
    [
        ("https://ads-api.x.com/12/accounts/abcdefg/campaigns", "abcdefg"),
        ("/12/accounts/hkk5", "hkk5"),
        ("/12/accounts/hkk5?account_id=other", "hkk5"),
        ("/12/accounts/a%20b/campaigns", "a b"),
    ],
)
def test_account_from_url_is_the_decoded_segment_after_accounts(url, account):
    assert account_from_url(url) == account


@pytest.mark.parametrize(
    "url",
    [
        "/12/accounts",
        "/12/accounts/",
        "/12/accounts//campaigns",
        "/12/targeting_criteria/locations",
        "https://ads-api.x.com",
    ],
)
def test_account_from_url_is_none_without_a_non_empty_account_segment(url):
    assert account_from_url(url) is None


URL_CHARACTERS = st.sampled_from([*"ab:/?#@.+-1H\né%", "http://", "https://", "1a://"])


@given(st.lists(URL_CHARACTERS, max_size=16).map("".join))
def test_the_path_is_what_remains_without_fragment_query_scheme_and_authority(url):
    without_query = url.split("#", 1)[0].split("?", 1)[0]
    assert _raw_path(url) == re.sub(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/]*", "", without_query)
