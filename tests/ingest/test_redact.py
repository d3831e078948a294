"""Credentials never reach storage; everything else is stored exactly as sent."""

import pytest

from ingest.redact import REDACTED, redact_headers, redact_params, redact_url


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
