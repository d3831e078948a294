"""Credentials never reach storage; everything else is stored exactly as sent."""

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.memo import MEMO_MAX_CHARS
from ingest.redact import (
    REDACTED,
    SECRET_HEADERS,
    SECRET_PARAM_PREFIX,
    _redact_query,
    _redact_userinfo,
    has_secret_params,
    redact_headers,
    redact_params,
    redact_url,
)


@pytest.mark.parametrize(
    "name", ["Authorization", "authorization", "COOKIE", "Set-Cookie", "Proxy-Authorization"]
)
def test_secret_headers_are_redacted_whatever_their_case(name):
    assert redact_headers({name: "OAuth oauth_token=secret"}) == {name: REDACTED}


def test_other_headers_are_kept_with_their_order():
    headers = {"x-transaction-id": "abc", "Authorization": "Bearer t", "Content-Type": "json"}
    redacted = redact_headers(headers)
    assert list(redacted) == ["x-transaction-id", "Authorization", "Content-Type"]
    assert redacted == {
        "x-transaction-id": "abc",
        "Authorization": REDACTED,
        "Content-Type": "json",
    }


def test_redact_headers_does_not_modify_its_argument():
    headers = {"Cookie": "session=1"}
    redact_headers(headers)
    assert headers == {"Cookie": "session=1"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/12/accounts?oauth_token=s", "/12/accounts?oauth_token=[redacted]"),
        ("/a?x=1&oauth_token=s&y=2", "/a?x=1&oauth_token=[redacted]&y=2"),
        ("/a?x=1&oauth_signature=s", "/a?x=1&oauth_signature=[redacted]"),
        ("/a?OAuth_Nonce=s&x=1", "/a?OAuth_Nonce=[redacted]&x=1"),
    ],
)
def test_oauth_query_parameters_are_redacted_in_any_position_and_case(url, expected):
    assert redact_url(url) == expected


def test_percent_encoded_oauth_parameter_names_are_recognised():
    assert redact_url("/a?oauth%5Ftoken=s") == "/a?oauth%5Ftoken=[redacted]"


def test_the_rest_of_the_url_is_byte_identical():
    url = (
        "https://ads-api.x.com/12/accounts/abc/campaigns"
        "?b=%2F%20+x&a=1&oauth_token=s&&empty=&flag&z=caf%C3%A9;k=v#frag?oauth_token=f"
    )
    expected = url.replace("oauth_token=s", "oauth_token=[redacted]")
    assert redact_url(url) == expected


def test_fragment_is_not_treated_as_query():
    assert redact_url("/a#oauth_token=s") == "/a#oauth_token=s"


def test_parameter_without_a_value_is_left_alone():
    assert redact_url("/a?oauth_callback&x=1") == "/a?oauth_callback&x=1"


def test_parameters_merely_containing_oauth_are_kept():
    assert redact_url("/a?not_oauth_token=s") == "/a?not_oauth_token=s"


def test_userinfo_password_is_redacted():
    assert redact_url("https://user:pw@ads-api.x.com/12?x=1") == (
        "https://user:[redacted]@ads-api.x.com/12?x=1"
    )


def test_password_containing_at_sign_is_fully_redacted():
    assert redact_url("https://user:p@ss@host/") == "https://user:[redacted]@host/"


def test_username_without_password_is_kept():
    assert redact_url("https://user@host/") == "https://user@host/"


def test_at_sign_in_the_path_is_not_userinfo():
    assert redact_url("https://host/a:b@c") == "https://host/a:b@c"


def test_oauth_params_are_redacted_case_insensitively():
    params = {"account_id": "abc", "OAUTH_TOKEN": "s", "oauth_consumer_key": "k"}
    assert redact_params(params) == {
        "account_id": "abc",
        "OAUTH_TOKEN": REDACTED,
        "oauth_consumer_key": REDACTED,
    }


def test_redact_params_keeps_non_string_values_of_other_keys_exactly():
    params = {"ids": [1, 2], "nested": {"oauth_token": "inner"}}
    assert redact_params(params) == params


# --- the shortcuts give the answers of the long way --------------------------------------------

URL_PIECES = ["oauth_", "OAuth_", "o%61uth_", "%6Fauth%5F", "%4FAUTH%5f", "oauth", "%5F", "_"]
URL_PIECES += ["token", "=", "&", "?", "#", "@", ":", "/", "x", "%", "%C3%A9", "+", "\u212a", "İ"]
names = st.text(st.sampled_from(["o", "O", "a", "u", "t", "h", "_", "é", "\u212a", "İ", "x"]))


def test_lower_casing_maps_only_two_non_ascii_characters_to_ascii_ones():
    """What the length checks and pre-checks of redaction and parsing rely on."""
    to_ascii = {
        chr(code)
        for code in range(0x80, sys.maxunicode + 1)
        if any(ord(char) < 0x80 for char in chr(code).lower())
    }
    assert to_ascii == {"\u0130", "\u212a"}  # "İ" becomes "i̇" (two characters), "K" becomes "k"


@settings(max_examples=500)
@given(st.lists(st.sampled_from(URL_PIECES), max_size=10), st.booleans())
def test_redact_url_answers_as_the_full_redaction(pieces, absolute):
    url = ("https://h/p?" if absolute else "") + "".join(pieces)
    before_fragment, hash_mark, fragment = url.partition("#")
    full = _redact_userinfo(_redact_query(before_fragment)) + hash_mark + fragment
    assert redact_url(url) == full


@given(st.dictionaries(names | st.sampled_from(["oauth_token", "OAUTH_x", "count"]), st.none()))
def test_has_secret_params_answers_as_a_look_at_every_key(params):
    assert has_secret_params(params) == any(
        key.lower().startswith(SECRET_PARAM_PREFIX) for key in params
    )


@given(st.dictionaries(st.sampled_from(["Cookie", "COO\u212aIE", "cookİe", "x"]) | names, names))
def test_redact_headers_answers_as_a_look_at_every_name(headers):
    expected = {
        name: REDACTED if name.lower() in SECRET_HEADERS else value
        for name, value in headers.items()
    }
    assert redact_headers(headers) == expected


def test_headers_with_long_names_are_redacted_too():
    """Long lists of names are not cached, and still looked at."""
    headers = {"x" * MEMO_MAX_CHARS: "a", "Cookie": "secret"}
    assert redact_headers(headers) == {"x" * MEMO_MAX_CHARS: "a", "Cookie": REDACTED}
