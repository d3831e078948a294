"""Validation of one ingest record: each rule, with a message naming the field."""

from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.validate import (
    _PLAIN_HTTP_URL,
    ACCOUNT_ID_MAX_CHARS,
    CLIENT_ID_MAX_CHARS,
    FIELDS,
    RECORD_MAX_BYTES,
    URL_MAX_CHARS,
    Record,
    RecordError,
    _has_http_host,
    _is_acceptable_url,
    check_record_size,
    validate_record,
)


def record(**fields) -> dict:
    """A minimal valid record with `fields` added or replaced."""
    return {"status": 200, "body": {"data": []}, "url": "/12/accounts/abc"} | fields


def rejection(raw: object) -> str:
    with pytest.raises(RecordError) as caught:
        validate_record(raw)
    return str(caught.value)


def nested_lists(levels: int) -> list:
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


# --- the record as a whole -----------------------------------------------------------------


def test_minimal_record_gets_defaults():
    assert validate_record(record()) == Record(
        status=200, body={"data": []}, url="/12/accounts/abc", method="GET"
    )


def test_full_record_is_normalised():
    parsed = validate_record(
        record(
            method="post",
            occurred_at="2024-05-01T14:00:00+02:00",
            duration_ms=12,
            headers={"x-transaction-id": "t1"},
            account_id="abc",
            id="client-1",
        )
    )
    assert parsed.method == "POST"
    assert parsed.occurred_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert parsed.duration_ms == 12.0
    assert parsed.headers == {"x-transaction-id": "t1"}
    assert parsed.account_id == "abc"
    assert parsed.client_id == "client-1"


@pytest.mark.parametrize("raw", [[], "record", 3, None, True])
def test_record_must_be_an_object(raw):
    assert rejection(raw).startswith("record must be a JSON object")


def test_unknown_field_is_rejected_with_the_list_of_expected_fields():
    assert rejection(record(stauts=200)) == (
        "unknown field 'stauts'; expected one of: account_id, body, duration_ms, headers, id, "
        "method, occurred_at, status, url"
    )


# --- status ------------------------------------------------------------------------------------


def test_status_is_required():
    raw = record()
    del raw["status"]
    assert rejection(raw).startswith("status is required")


@pytest.mark.parametrize("status", ["200", True, 200.0, None, [200]])
def test_status_must_be_an_integer(status):
    assert rejection(record(status=status)).startswith("status must be an integer")


@pytest.mark.parametrize("status", [99, 600, -1, 0])
def test_status_must_be_between_100_and_599(status):
    assert rejection(record(status=status)) == (f"status must be between 100 and 599, got {status}")


@pytest.mark.parametrize("status", [100, 599])
def test_status_bounds_are_accepted(status):
    assert validate_record(record(status=status)).status == status


# --- body --------------------------------------------------------------------------------------


def test_body_key_is_required():
    raw = record()
    del raw["body"]
    assert rejection(raw).startswith("body is required")


@pytest.mark.parametrize("body", [None, "<html>Not Found</html>", [1, 2], {"errors": []}])
def test_body_may_be_an_object_array_string_or_null(body):
    assert validate_record(record(body=body)).body == body


@pytest.mark.parametrize(
    ("body", "json_type"), [(1, "number"), (1.5, "number"), (False, "boolean")]
)
def test_body_must_not_be_a_number_or_boolean(body, json_type):
    assert rejection(record(body=body)) == (
        f"body must be an object, array, string or null, got {json_type}"
    )


# --- url ---------------------------------------------------------------------------------------


def test_url_is_required():
    raw = record()
    del raw["url"]
    assert rejection(raw).startswith("url is required")


def test_url_must_be_a_string():
    assert rejection(record(url=12)) == "url must be a string, got number"


def test_url_must_not_be_empty():
    assert rejection(record(url="")) == "url must not be empty"


def test_url_length_is_limited():
    url = "/" + "a" * URL_MAX_CHARS
    assert rejection(record(url=url)) == (
        f"url is {URL_MAX_CHARS + 1} characters; the limit is {URL_MAX_CHARS}"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://ads-api.x.com/12/accounts",
        "HTTP://ads-api.x.com",
        "https://[::1]:8080/x",
        "/12/accounts/abc",
        "/" + "a" * (URL_MAX_CHARS - 1),
    ],
)
def test_acceptable_urls(url):
    assert validate_record(record(url=url)).url == url


@pytest.mark.parametrize(
    "url", ["ads-api.x.com/12", "ftp://host/x", "https://", "https:///path", "https://:80/", " /x"]
)
def test_url_must_be_absolute_http_with_a_host_or_a_path(url):
    assert rejection(record(url=url)).startswith(
        "url must be an absolute http(s) URL with a host or a path starting with '/'"
    )


@settings(max_examples=500)
@given(
    st.sampled_from(["http://", "https://", "HTTP://", "hTtPs://", "ftp://", "", "/"]),
    st.text(alphabet="hHtTpPsSaZ09:/?#@[]%.-_ \u00e9", max_size=12),
)
def test_urls_taken_as_plain_have_a_host(prefix, rest):
    """The shortcut for the common URL never accepts one the full rule refuses."""
    url = prefix + rest
    if _PLAIN_HTTP_URL.match(url):
        assert _has_http_host(url)
    assert _is_acceptable_url(url) == (url.startswith("/") or _has_http_host(url))


# --- method ------------------------------------------------------------------------------------


def test_null_method_defaults_to_get():
    assert validate_record(record(method=None)).method == "GET"


def test_method_is_upper_cased():
    assert validate_record(record(method="delete")).method == "DELETE"


@pytest.mark.parametrize("method", ["", "G ET", "GET1", "A" * 17, "GÉT"])
def test_method_must_be_1_to_16_ascii_letters(method):
    assert rejection(record(method=method)).startswith("method must be 1 to 16 ASCII letters")


def test_method_must_be_a_string():
    assert rejection(record(method=1)) == "method must be a string or null, got number"


# --- occurred_at -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["2024-05-01T12:00:00Z", "2024-05-01T12:00:00+00:00", "2024-05-01T09:00:00-03:00"],
)
def test_occurred_at_with_a_timezone_is_converted_to_utc(text):
    occurred_at = validate_record(record(occurred_at=text)).occurred_at
    assert occurred_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert occurred_at.utcoffset().total_seconds() == 0


def test_occurred_at_without_timezone_is_rejected():
    assert rejection(record(occurred_at="2024-05-01T12:00:00")) == (
        "occurred_at must include a timezone (Z or +HH:MM)"
    )


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01T00:00:00Z", ""])
def test_occurred_at_must_be_iso_8601(text):
    assert rejection(record(occurred_at=text)).startswith(
        "occurred_at must be an ISO-8601 date-time"
    )


def test_occurred_at_that_leaves_the_calendar_in_utc_is_rejected():
    assert rejection(record(occurred_at="0001-01-01T00:00:00+01:00")).startswith(
        "occurred_at is out of range"
    )


def test_occurred_at_must_be_a_string():
    assert rejection(record(occurred_at=1714564800)) == (
        "occurred_at must be a string or null, got number"
    )


# --- duration_ms -------------------------------------------------------------------------------


@pytest.mark.parametrize("duration", [0, 0.5, 1200])
def test_duration_ms_accepts_non_negative_numbers(duration):
    assert validate_record(record(duration_ms=duration)).duration_ms == duration


@pytest.mark.parametrize("duration", [-1, -0.001, True, "12"])
def test_duration_ms_must_be_a_finite_non_negative_number(duration):
    assert rejection(record(duration_ms=duration)).startswith(
        "duration_ms must be a finite number of milliseconds >= 0"
    )


def test_infinite_duration_ms_is_rejected():
    assert rejection(record(duration_ms=float("inf"))) == (
        "duration_ms is inf; only finite numbers can be stored"
    )


# --- headers -----------------------------------------------------------------------------------


def test_null_headers_become_empty():
    assert validate_record(record(headers=None)).headers == {}


def test_headers_must_be_an_object():
    assert rejection(record(headers=["x: y"])).startswith("headers must be an object")


def test_header_values_must_be_strings():
    assert rejection(record(headers={"x-rate-limit": 5})) == (
        "headers.x-rate-limit must be a string, got number"
    )


# --- account_id and id -------------------------------------------------------------------------


def test_empty_account_id_becomes_none():
    assert validate_record(record(account_id="")).account_id is None


def test_account_id_length_is_limited():
    account_id = "a" * (ACCOUNT_ID_MAX_CHARS + 1)
    assert rejection(record(account_id=account_id)) == (
        f"account_id is {ACCOUNT_ID_MAX_CHARS + 1} characters; the limit is {ACCOUNT_ID_MAX_CHARS}"
    )


def test_account_id_must_be_a_string():
    assert rejection(record(account_id=18)) == "account_id must be a string or null, got number"


def test_id_becomes_client_id():
    assert validate_record(record(id="abc-1")).client_id == "abc-1"


@pytest.mark.parametrize("client_id", ["", "x" * (CLIENT_ID_MAX_CHARS + 1)])
def test_id_must_be_1_to_200_characters(client_id):
    assert rejection(record(id=client_id)).startswith(
        f"id must be 1 to {CLIENT_ID_MAX_CHARS} characters"
    )


def test_id_must_be_a_string():
    assert rejection(record(id=7)) == "id must be a string or null, got number"


# --- values that cannot be stored --------------------------------------------------------------


def test_nul_in_a_nested_body_string_is_rejected_with_its_path():
    body = {"errors": [{"message": "bad\x00value"}]}
    assert rejection(record(body=body)) == (
        "body.errors[0].message contains a NUL character (\\u0000), which cannot be stored"
    )


def test_nul_in_a_body_key_is_rejected():
    message = rejection(record(body={"errors": [{"co\x00de": "X"}]}))
    assert message == (
        "body.errors[0] key 'co\\x00de' contains a NUL character (\\u0000), which cannot be stored"
    )


@pytest.mark.parametrize("field", ["url", "method", "occurred_at", "account_id", "id"])
def test_nul_in_a_top_level_string_is_rejected(field):
    assert rejection(record(**{field: "/a\x00"})) == (
        f"{field} contains a NUL character (\\u0000), which cannot be stored"
    )


def test_nul_in_a_header_value_is_rejected():
    assert rejection(record(headers={"x-id": "a\x00"})).startswith(
        "headers.x-id contains a NUL character"
    )


def test_unpaired_surrogate_is_rejected():
    assert rejection(record(body="caf\ud800")).startswith("body contains an unpaired surrogate")


def test_integer_beyond_64_bits_is_rejected():
    assert rejection(record(body={"n": 2**64})) == (
        "body.n is an integer outside the 64-bit range, which cannot be stored"
    )


def test_non_finite_float_in_body_is_rejected():
    assert rejection(record(body=[float("nan")])) == (
        "body[0] is nan; only finite numbers can be stored"
    )


def test_body_nested_252_levels_is_accepted():
    assert validate_record(record(body=nested_lists(252))).body == nested_lists(252)


def test_very_deep_body_is_rejected_without_recursion_error():
    assert rejection(record(body=nested_lists(10_000))) == (
        "body is nested too deeply (more than 252 levels)"
    )


# --- size --------------------------------------------------------------------------------------


def test_record_within_the_size_limit_passes():
    check_record_size(record(body="x" * 1000))


def test_record_over_the_size_limit_is_rejected_with_its_size():
    raw = record(body="x" * RECORD_MAX_BYTES)
    with pytest.raises(RecordError) as caught:
        check_record_size(raw)
    size = len('{"status":200,"body":"","url":"/12/accounts/abc"}') + RECORD_MAX_BYTES
    assert str(caught.value) == f"record is {size} bytes; the limit is {RECORD_MAX_BYTES}"


def test_record_that_cannot_be_encoded_is_a_record_error():
    with pytest.raises(RecordError, match="cannot be encoded as JSON"):
        check_record_size(record(body=nested_lists(10_000)))


# --- fuzzing -----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=10,
)
# A valid record with some fields replaced by arbitrary JSON, so the fuzzing reaches every rule.
records_with_any_fields = st.builds(
    lambda overrides: record() | overrides,
    st.dictionaries(
        st.sampled_from(sorted(FIELDS)),
        json_values,
        max_size=3,
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, records_with_any_fields))
def test_any_json_value_is_either_a_record_or_a_record_error(raw):
    try:
        result = validate_record(raw)
    except RecordError:
        return
    assert isinstance(result, Record)
    orjson.dumps(raw)  # whatever validates can be serialised for storage


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, records_with_any_fields))
def test_size_check_raises_only_record_errors(raw):
    try:
        check_record_size(raw)
    except RecordError:
        return
    assert len(orjson.dumps(raw)) <= RECORD_MAX_BYTES
