"""From a validated record to the stored envelope and its errors: the product's contract."""

import copy
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.catalog import CATALOG
from ingest.memo import MEMO_MAX_CHARS
from ingest.parse import (
    CODE_KEY_MAX_CHARS,
    PARAMETER_KEY_MAX_CHARS,
    ParsedEnvelope,
    ParsedError,
    _transaction_id,
    parse_record,
)
from ingest.redact import REDACTED
from ingest.validate import validate_record

RECEIVED_AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

REFERENCE_ERROR_BODY = {
    "errors": [
        {
            "parameter": "start_time",
            "details": "invalid date",
            "code": "INVALID_PARAMETER",
            "value": "",
            "message": 'Expected time, got "" for start_time',
        }
    ],
    "request": {"params": {"account_id": "hkk5"}},
}


def parse(status: int = 200, body: object = None, **fields) -> ParsedEnvelope:
    """Validate and parse a record, as the ingest pipeline does."""
    raw = {"status": status, "body": body, "url": "/12/accounts/abc/campaigns"} | fields
    return parse_record(validate_record(raw), RECEIVED_AT)


def only_error(envelope: ParsedEnvelope) -> ParsedError:
    assert len(envelope.errors) == 1
    return envelope.errors[0]


# --- the reference example ---------------------------------------------------------------------


def test_reference_error_envelope():
    envelope = parse(400, REFERENCE_ERROR_BODY, url="/12/stats/accounts/hkk5")
    assert envelope.failed is True
    assert envelope.account_id == "hkk5"
    assert envelope.request_params == {"account_id": "hkk5"}
    assert envelope.errors == (
        ParsedError(
            position=0,
            code="INVALID_PARAMETER",
            parameter="start_time",
            message='Expected time, got "" for start_time',
            details="invalid date",
            value="",
            extra={},
            unknown=False,
            mismatch=False,
            synthesized=False,
        ),
    )


def test_error_as_json_lists_main_fields_then_extra():
    body = {"errors": [{"code": "INVALID_PARAMETER", "hint": "use ISO-8601"}]}
    assert only_error(parse(400, body)).as_json() == {
        "code": "INVALID_PARAMETER",
        "parameter": None,
        "message": None,
        "details": None,
        "value": None,
        "unknown": False,
        "mismatch": False,
        "synthesized": False,
        "item_index": None,
        "hint": "use ISO-8601",
    }


def test_extra_fields_never_override_main_fields_in_as_json():
    body = {"errors": [{"code": "INVALID_PARAMETER", "unknown": "yes", "synthesized": 1}]}
    error = only_error(parse(400, body))
    assert error.extra == {"unknown": "yes", "synthesized": 1}
    assert error.as_json()["unknown"] is False
    assert error.as_json()["synthesized"] is False


def test_errors_keep_their_position_in_the_array():
    body = {"errors": [{"code": "MISSING_PARAMETER"}, {"code": "INVALID_PARAMETER"}]}
    errors = parse(400, body).errors
    assert [(error.position, error.code) for error in errors] == [
        (0, "MISSING_PARAMETER"),
        (1, "INVALID_PARAMETER"),
    ]


def test_value_and_details_are_kept_as_any_json():
    body = {"errors": [{"code": "INVALID_PARAMETER", "value": [1, {"a": None}], "details": 7}]}
    error = only_error(parse(400, body))
    assert error.value == [1, {"a": None}]
    assert error.details == 7


# --- failed and synthesized errors -------------------------------------------------------------


def test_success_without_errors_is_not_failed():
    envelope = parse(200, {"data": [], "request": {"params": {}}})
    assert envelope.failed is False
    assert envelope.errors == ()


def test_200_carrying_errors_is_failed():
    envelope = parse(200, {"errors": [{"code": "INVALID_PARAMETER"}]})
    assert envelope.failed is True
    assert only_error(envelope).code == "INVALID_PARAMETER"


def test_html_404_is_not_found():
    error = only_error(parse(404, "<html><body>Not Found</body></html>"))
    assert (error.code, error.synthesized, error.unknown, error.mismatch) == (
        "NOT_FOUND",
        True,
        False,
        False,
    )


@pytest.mark.parametrize("body", [None, ""])
def test_empty_500_is_internal_error(body):
    error = only_error(parse(500, body))
    assert (error.code, error.parameter, error.message, error.synthesized) == (
        "INTERNAL_ERROR",
        None,
        None,
        True,
    )


def test_undocumented_status_is_synthesized_as_http_status_and_not_unknown():
    error = only_error(parse(418, None))
    assert (error.code, error.synthesized, error.unknown, error.mismatch) == (
        "HTTP_418",
        True,
        False,
        False,
    )


@pytest.mark.parametrize("body", [{"errors": []}, {"errors": {"code": "X"}}, {"data": None}, []])
def test_failure_without_a_usable_errors_array_gets_one_synthesized_error(body):
    assert only_error(parse(429, body)).code == "TOO_MANY_REQUESTS"


def test_success_with_an_empty_errors_array_is_not_failed():
    assert parse(200, {"errors": []}).failed is False


# --- catalog flags -----------------------------------------------------------------------------


def test_undocumented_code_is_flagged_unknown():
    error = only_error(parse(400, {"errors": [{"code": "BRAND_NEW_CODE"}]}))
    assert (error.code, error.unknown, error.mismatch) == ("BRAND_NEW_CODE", True, False)


def test_code_with_a_different_catalog_status_is_flagged_mismatch():
    assert CATALOG["CAMPAIGN_NOT_FOUND"] == 404
    error = only_error(parse(400, {"errors": [{"code": "CAMPAIGN_NOT_FOUND"}]}))
    assert (error.unknown, error.mismatch) == (False, True)


@pytest.mark.parametrize("element", [{}, {"code": ""}, {"code": 88}, {"code": None}])
def test_missing_empty_or_non_string_code_becomes_unknown(element):
    error = only_error(parse(400, {"errors": [element]}))
    assert (error.code, error.unknown) == ("UNKNOWN", True)


@pytest.mark.parametrize("parameter", ["", 3, None, ["start_time"]])
def test_parameter_that_is_not_a_non_empty_string_is_none(parameter):
    body = {"errors": [{"code": "INVALID_PARAMETER", "parameter": parameter}]}
    assert only_error(parse(400, body)).parameter is None


def test_string_error_element_becomes_unknown_with_its_text_as_message():
    error = only_error(parse(400, {"errors": ["Rate limit exceeded"]}))
    assert (error.code, error.message, error.extra, error.unknown) == (
        "UNKNOWN",
        "Rate limit exceeded",
        {"raw": "Rate limit exceeded"},
        True,
    )


@pytest.mark.parametrize("element", [42, None, ["a"], True])
def test_other_non_object_error_elements_are_kept_raw(element):
    error = only_error(parse(400, {"errors": [element]}))
    assert (error.code, error.message, error.extra) == ("UNKNOWN", None, {"raw": element})


# --- account -----------------------------------------------------------------------------------


def test_account_from_record_wins():
    body = {"request": {"params": {"account_id": "from-params"}}}
    assert parse(200, body, account_id="from-record").account_id == "from-record"


def test_account_from_echoed_params_comes_next():
    body = {"request": {"params": {"account_id": "from-params"}}}
    assert parse(200, body, account_id="").account_id == "from-params"


@pytest.mark.parametrize("params_account", ["", 18, None])
def test_account_from_url_when_params_have_no_usable_account(params_account):
    body = {"request": {"params": {"account_id": params_account}}}
    assert parse(200, body, url="/12/accounts/from-url").account_id == "from-url"


def test_no_account_anywhere_is_none():
    assert parse(200, {"data": []}, url="/12/targeting_criteria/locations").account_id is None


# --- transaction id ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["x-transaction-id", "X-Transaction-Id", "x-transaction"])
def test_transaction_id_header_variants(name):
    assert parse(headers={name: "tx-1"}).transaction_id == "tx-1"


def test_x_transaction_id_is_preferred_over_x_transaction():
    headers = {"X-Transaction": "old", "x-transaction-id": "new"}
    assert parse(headers=headers).transaction_id == "new"


def test_no_transaction_header_is_none():
    assert parse(headers={"content-type": "application/json"}).transaction_id is None


def test_empty_transaction_header_counts_as_absent():
    headers = {"x-transaction-id": "", "x-transaction": "tx-2"}
    assert parse(headers=headers).transaction_id == "tx-2"


# --- redaction and derived fields --------------------------------------------------------------


def test_url_is_redacted_but_endpoint_comes_from_the_original_url():
    url = "https://ads-api.x.com/12/accounts/abc/campaigns/8wk12?oauth_token=secret&count=5"
    envelope = parse(200, None, url=url, method="put")
    assert envelope.url == (
        "https://ads-api.x.com/12/accounts/abc/campaigns/8wk12?oauth_token=[redacted]&count=5"
    )
    assert envelope.endpoint == "PUT /12/accounts/:account_id/campaigns/:id"
    assert envelope.method == "PUT"


def test_secret_headers_are_redacted():
    headers = {"Authorization": "OAuth oauth_signature=s", "x-rate-limit-remaining": "5"}
    assert parse(headers=headers).headers == {
        "Authorization": REDACTED,
        "x-rate-limit-remaining": "5",
    }


def test_echoed_oauth_params_are_redacted_in_request_params_and_body():
    body = {"data": [1], "request": {"params": {"account_id": "abc", "oauth_token": "s"}}}
    envelope = parse(200, body)
    assert envelope.request_params == {"account_id": "abc", "oauth_token": REDACTED}
    assert orjson.loads(envelope.body_json) == {
        "data": [1],
        "request": {"params": {"account_id": "abc", "oauth_token": REDACTED}},
    }


def test_parsing_does_not_modify_the_record_body():
    body = {"request": {"params": {"oauth_token": "s"}}}
    record = validate_record({"status": 200, "body": body, "url": "/"})
    parse_record(record, RECEIVED_AT)
    assert record.body == {"request": {"params": {"oauth_token": "s"}}}


@pytest.mark.parametrize("body", [{"request": "x"}, {"request": {"params": [1]}}, [1], "text"])
def test_body_without_params_object_is_stored_as_sent_and_params_are_empty(body):
    envelope = parse(200, copy.deepcopy(body))
    assert orjson.loads(envelope.body_json) == body
    assert envelope.request_params == {}


def test_occurred_at_from_the_record_is_kept():
    envelope = parse(occurred_at="2024-04-30T08:00:00Z")
    assert envelope.occurred_at == datetime(2024, 4, 30, 8, 0, tzinfo=UTC)


def test_received_at_stands_in_for_a_missing_occurred_at_in_utc():
    record = validate_record({"status": 200, "body": None, "url": "/"})
    paris = timezone(timedelta(hours=2))
    envelope = parse_record(record, datetime(2024, 5, 1, 14, 0, tzinfo=paris))
    assert envelope.occurred_at == RECEIVED_AT
    assert envelope.occurred_at.utcoffset() == timedelta(0)


def test_naive_received_at_is_a_programming_error():
    record = validate_record({"status": 200, "body": None, "url": "/"})
    with pytest.raises(ValueError, match="received_at must be timezone-aware"):
        parse_record(record, datetime(2024, 5, 1, 12, 0))


def test_client_id_status_and_duration_pass_through():
    envelope = parse(201, None, id="c-1", duration_ms=35.5)
    assert (envelope.client_id, envelope.status, envelope.duration_ms) == ("c-1", 201, 35.5)


# --- strings are kept exactly ------------------------------------------------------------------

HOSTILE_STRINGS = [
    "<script>alert('x')</script>",
    "He said \"no\" and 'maybe' `then`",
    "'; DROP TABLE ingest_error; --",
    "  leading and trailing spaces, tabs\t and\nnewlines  ",
    "Ünïcödé 日本語 עברית 😀👍🏽 \u200b",
    "x" * 200_000,
]


@pytest.mark.parametrize("text", HOSTILE_STRINGS, ids=range(len(HOSTILE_STRINGS)))
def test_hostile_strings_are_kept_exactly(text):
    body = {"errors": [{"code": text, "parameter": text, "message": text, "custom": text}]}
    error = only_error(parse(400, body))
    # codes and parameters are aggregation keys, cut to fit an index; all else is whole
    assert error.code == text[:CODE_KEY_MAX_CHARS]
    assert error.parameter == text[:PARAMETER_KEY_MAX_CHARS]
    assert error.message == text
    assert error.extra == {"custom": text}


# --- invariants for any valid record -----------------------------------------------------------

storable_chars = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))
safe_text = st.text(storable_chars)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | safe_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(safe_text, children, max_size=3)
    ),
    max_leaves=8,
)
error_elements = (
    st.fixed_dictionaries(
        {},
        optional={
            "code": st.sampled_from(sorted(CATALOG)) | safe_text | json_values,
            "parameter": safe_text | json_values,
            "message": safe_text,
            "value": json_values,
            "other": json_values,
        },
    )
    | json_values
)
bodies = (
    st.none()
    | safe_text
    | st.lists(json_values, max_size=3)
    | st.dictionaries(safe_text, json_values, max_size=3)
    | st.fixed_dictionaries(
        {},
        optional={
            "errors": st.lists(error_elements, max_size=4) | json_values,
            "request": st.fixed_dictionaries(
                {}, optional={"params": st.dictionaries(safe_text, json_values, max_size=3)}
            ),
        },
    )
)
segments = st.sampled_from(["accounts", "12", "campaigns", "abc", "8wk12", "", "a%20b"])
urls = st.builds(
    lambda prefix, parts, query: prefix + "/" + "/".join(parts) + query,
    st.sampled_from(["", "https://ads-api.x.com", "http://u:p@host:8080"]),
    st.lists(segments, max_size=6),
    st.sampled_from(["", "?oauth_token=s&x=1", "?x#frag"]),
)
records = st.fixed_dictionaries(
    {"status": st.integers(100, 599), "body": bodies, "url": urls},
    optional={
        "method": st.from_regex(r"[A-Za-z]{1,16}", fullmatch=True),
        "headers": st.dictionaries(
            st.sampled_from(["x-transaction-id", "X-Transaction", "Authorization"]) | safe_text,
            safe_text,
            max_size=3,
        ),
        "account_id": st.none() | st.text(storable_chars, max_size=40),
    },
)


@settings(max_examples=300, deadline=None)
@given(records)
def test_parse_record_invariants(raw):
    envelope = parse_record(validate_record(raw), RECEIVED_AT)
    errors = envelope.errors
    assert envelope.failed == (envelope.status >= 400 or bool(errors))
    assert sum(error.synthesized for error in errors) <= 1
    assert not any(error.synthesized for error in errors) or len(errors) == 1
    assert all(isinstance(error.code, str) and error.code for error in errors)
    assert [error.position for error in errors] == list(range(len(errors)))
    assert all(not (error.unknown and error.synthesized) for error in errors)
    method, _, path = envelope.endpoint.partition(" ")
    assert method == envelope.method == envelope.method.upper()
    assert path.startswith("/")
    assert "oauth_token=s" not in envelope.url


def test_an_oauth_parameter_echoed_in_an_error_has_its_value_redacted():
    record = validate_record(
        {
            "status": 401,
            "url": "/12/accounts",
            "body": {
                "errors": [
                    {
                        "code": "UNAUTHORIZED_ACCESS",
                        "parameter": "oauth_token",
                        "value": "secret-token",
                    }
                ]
            },
        }
    )

    (parsed_error,) = parse_record(record, datetime.now(UTC)).errors

    assert parsed_error.value == "[redacted]"


def test_huge_codes_and_accounts_are_cut_to_fit_an_index():
    code = "C" * 200_000
    record = validate_record(
        {
            "status": 400,
            "url": "/12/accounts/" + "a" * 5000 + "/x",
            "body": {"errors": [{"code": code, "message": code}]},
        }
    )

    envelope = parse_record(record, datetime.now(UTC))

    assert envelope.errors[0].code == code[:CODE_KEY_MAX_CHARS]
    assert envelope.errors[0].message == code
    assert len(envelope.account_id) == 128


def test_batch_operation_errors_are_errors_with_their_item_index():
    body = {
        "data": [{"id": "c1"}, None, None],
        "operation_errors": [
            [],
            [{"code": "INVALID_PARAMETER", "parameter": "name", "message": "too long"}],
            [
                {"code": "MISSING_PARAMETER", "parameter": "funding_instrument_id"},
                {"code": "INVALID_PARAMETER", "parameter": "start_time"},
            ],
        ],
    }

    envelope = parse(200, body)

    assert envelope.failed
    assert [(e.item_index, e.code, e.parameter, e.position) for e in envelope.errors] == [
        (1, "INVALID_PARAMETER", "name", 0),
        (2, "MISSING_PARAMETER", "funding_instrument_id", 1),
        (2, "INVALID_PARAMETER", "start_time", 2),
    ]
    assert not any(e.synthesized for e in envelope.errors)


def test_a_batch_answer_without_operation_errors_is_a_success():
    envelope = parse(200, {"data": [{"id": "c1"}], "operation_errors": [[], []]})

    assert not envelope.failed and envelope.errors == ()


header_names = st.sampled_from(
    ["x-transaction-id", "X-Transaction-Id", "x-transaction", "X-TRANSACTION", "x-transactİon"]
) | st.text(st.sampled_from(list("x-transaciond\u212aİ")), max_size=17)


@given(st.dictionaries(header_names, st.sampled_from(["", "t1", "t2"])))
def test_transaction_id_is_the_first_non_empty_value_of_the_first_names_of_any_case(headers):
    first_values: dict[str, str] = {}
    for name, value in headers.items():
        first_values.setdefault(name.lower(), value)
    expected = first_values.get("x-transaction-id") or first_values.get("x-transaction") or None
    assert _transaction_id(headers) == expected


def test_transaction_id_among_long_header_names():
    """Long lists of names are not cached, and still looked at."""
    headers = {"x" * MEMO_MAX_CHARS: "a", "X-Transaction": "t2"}
    assert _transaction_id(headers) == "t2"
