"""Reading batches from their JSON text (ingest.wire) gives the answers of the decoded path:
the same verdicts, the same parsed envelopes, for any input."""

import json
from datetime import UTC, datetime

import msgspec
import orjson
import pytest
from django.db import connection
from helpers import error, make_record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import wire
from ingest.batches import parse_batch, store_batch
from ingest.intake import BatchError, accepted_records, judge_batch, judge_decoded_batch
from ingest.parse import ParsedEnvelope, parse_record
from ingest.validate import FIELDS, NESTING_MAX_LEVELS, RecordError, validate_record

RECEIVED_AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
URL = "https://ads-api.x.com/12/accounts/abc/campaigns?count=5"


def answer(judge, raw: bytes) -> tuple:
    try:
        verdict = judge(raw)
    except BatchError as exc:
        return ("batch error", exc.status, exc.message)
    return (verdict.accepted, verdict.rejected)


def comparable(envelope: ParsedEnvelope) -> dict:
    """The envelope's fields; key order counts (it is stored), and the body text is compared
    by what it decodes to."""
    fields = {name: getattr(envelope, name) for name in ParsedEnvelope.__dataclass_fields__}
    return fields | {
        "occurred_at": envelope.occurred_at.isoformat(),
        "body_json": orjson.loads(fields["body_json"]),
        "headers": list(envelope.headers.items()),
        "request_params": list(envelope.request_params.items()),
    }


def parsed_decoded(raw: bytes, rejected: set[int]) -> list:
    """What parse_batch gave before the fast path: every accepted record decoded, then parsed."""
    parsed = []
    for index, record in enumerate(orjson.loads(raw)):
        if index in rejected:
            continue
        try:
            validated = validate_record(record, check_storable=False)
        except RecordError:
            continue
        parsed.append((index, comparable(parse_record(validated, RECEIVED_AT))))
    return parsed


def parsed_from_wire(raw: bytes, rejected: set[int]) -> list:
    return [
        (index, comparable(parse_record(record, RECEIVED_AT)))
        for index, record in accepted_records(raw, rejected)
    ]


def assert_same_answers(raw: bytes) -> None:
    expected = answer(judge_decoded_batch, raw)
    assert answer(judge_batch, raw) == expected
    if expected[0] != "batch error":
        rejected = {item["index"] for item in expected[1]}
        assert parsed_from_wire(raw, rejected) == parsed_decoded(raw, rejected)


def record(**fields) -> dict:
    return {"status": 200, "url": URL, "body": {"data": []}} | fields


# --- generated batches -------------------------------------------------------------------------

# Any code point, NUL and lone surrogates included.
hostile_text = st.text(st.characters(blacklist_categories=()), max_size=12) | st.sampled_from(
    ["", "a\x00b", "caf\ud800", "😀", "\\u0000", "é", "oauth_token", "1234567890123456789"]
)
# Numbers that orjson and msgspec read differently, and deep arrays, written into the text
# as they are.
DEEP_ARRAYS = [
    "[" * levels + "]" * levels
    for levels in (NESTING_MAX_LEVELS - 1, NESTING_MAX_LEVELS, 260, 1100)
]
RAW_TEXTS = [
    *DEEP_ARRAYS,
    "1e999",
    "-1E+400",
    "1e308",
    "1e-400",
    "0.1e99",
    "12345678901234567890",
    "-9223372036854775809",
    "18446744073709551615",
    "1" + "0" * 400,
    "123456789012345678.5e99",
]
RAW_MARK = "\x01raw:"
raw_texts = st.sampled_from(RAW_TEXTS).map(lambda text: RAW_MARK + text)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | hostile_text
    | raw_texts
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(hostile_text, children, max_size=3)
    ),
    max_leaves=10,
)
params = st.dictionaries(
    st.sampled_from(["account_id", "oauth_token", "OAuth_Nonce", "count", "oauth"]) | hostile_text,
    values,
    max_size=4,
)
error_elements = (
    st.fixed_dictionaries(
        {},
        optional={
            "code": st.sampled_from(["INVALID_PARAMETER", "NOT_FOUND"]) | values,
            "parameter": st.sampled_from(["oauth_token", "start_time"]) | values,
            "message": values,
            "value": values,
            "other": values,
        },
    )
    | values
)
object_bodies = st.fixed_dictionaries(
    {},
    optional={
        "errors": st.lists(error_elements, max_size=3) | values,
        "operation_errors": st.lists(st.lists(error_elements, max_size=2) | values, max_size=3),
        "request": st.fixed_dictionaries({}, optional={"params": params | values}) | values,
        "data": values,
    },
)
bodies = object_bodies | values


records = st.fixed_dictionaries(
    {},
    optional={
        "status": st.integers(100, 599) | values,
        "body": bodies,
        "url": st.sampled_from([URL, "/12/accounts/a%20b", "http://u:p@h/x?oauth_token=s"])
        | values,
        "method": st.sampled_from(["get", "POST"]) | values,
        "occurred_at": st.sampled_from(["2026-11-20T05:00:00Z", "2026-11-20"]) | values,
        "duration_ms": st.floats(min_value=0, allow_infinity=False) | values,
        "headers": st.dictionaries(
            st.sampled_from(["X-Transaction-Id", "authorization"]) | hostile_text,
            hostile_text | values,
            max_size=3,
        ),
        "account_id": values,
        "id": values,
        "extra": values,
    },
)
batches = st.lists(records | values, max_size=5)


def as_json(batch: list, ensure_ascii: bool, spaced: bool) -> bytes:
    """The batch as JSON text, raw texts written in place; invalid UTF-8 when a string holds
    a lone surrogate and ensure_ascii is off."""
    separators = (", ", ": ") if spaced else (",", ":")
    text = json.dumps(batch, ensure_ascii=ensure_ascii, separators=separators)
    for raw_text in RAW_TEXTS:
        text = text.replace(json.dumps(RAW_MARK + raw_text, ensure_ascii=ensure_ascii), raw_text)
    return text.encode("utf-8", "surrogatepass")


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(batches, st.booleans(), st.booleans())
def test_any_batch_gets_the_answers_of_the_decoded_path(batch, ensure_ascii, spaced):
    assert_same_answers(as_json(batch, ensure_ascii, spaced))


@settings(max_examples=200, deadline=None)
@given(st.lists(object_bodies, min_size=1, max_size=4), st.integers(100, 599))
def test_records_the_gate_clears_are_read_from_the_text(bodies_sent, status):
    raw = as_json([record(status=status, body=body) for body in bodies_sent], False, True)
    for item in wire.batch_records(raw) or []:
        text = bytes(item)
        deep = text.count(b"[") + text.count(b"{") > NESTING_MAX_LEVELS
        assert deep or wire.read_record(item, check_size=False) is not None
    assert_same_answers(raw)


def test_a_realistic_batch_is_read_from_the_text():
    batch = [
        make_record(status=400, errors=[error("INVALID_PARAMETER", "start_time")]),
        make_record(headers={"x-transaction-id": "3e1234", "set-cookie": "s"}),
        make_record(status=404, account=None, id="client-1", duration_ms=12.5),
        make_record(body={"data": [{"id": "1590000000000000000", "n": [1, 2, 3]}]}),
    ]
    raw = orjson.dumps(batch)
    records = wire.batch_records(raw)
    assert records is not None and all(wire.read_record(item, check_size=False) for item in records)
    assert_same_answers(raw)


# --- whole batches read at once, msgspec checking the field rules it can --------------------

# Values on either side of each rule msgspec checks while decoding, and of the rules left to
# `ingest.validate.record_from_checked_fields`; a record gets one or two of them.
EDGE_STRINGS = ["", "a", "é", "😀", "x" * 200, "😀" * 200, "x" * 201, "😀" * 201]
EDGE_VALUES = [None, True, False, 0, -0.0, 1.5, "200", [], {}, [1], {"a": 1}, *EDGE_STRINGS]
EDGES = {
    "status": [100, 200, 599, 99, 600, 200.0, -1, 404],
    "url": [
        "/",
        "/12/accounts/a%20b",
        "HTTPS://ads-api.x.com/12",
        "https://u@h/x",
        "https://u@/x",
        "https://:80/x",
        "https://[::1]/x",
        "http://h:p@h2:80?q#f",
        "https:///x",
        "ftp://h/x",
        "ads-api.x.com/12",
        "/" + "a" * 8191,
        "/" + "a" * 8192,
    ],
    "method": ["get", "POST", "Delete", "GET\n", "G3T", "ÉT", "a" * 16, "a" * 17],
    "occurred_at": [
        "2026-11-20T05:00:00Z",
        "2026-11-20T05:00:00.123Z",
        "2026-11-20T05:00:00.1234567Z",
        "2026-11-20t05:00:00z",
        "2026-11-20 05:00:00+00:00",
        "2026-11-20T05:00:00-00:00",
        "2026-11-20T05:00:00+05:30",
        "2026-11-20T05:00:00+01:00:30",
        "2026-11-20T05:00:00",
        "2026-11-20",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "20261120T050000Z",
    ],
    "duration_ms": [0, -0.5, -1, 123456789012345678, 1e300],
    "headers": [{"a": "1"}, {"a": 1}, {"a": None}],
    "account_id": [],
    "id": [],
}
EDGE_CHANGES = [(name, value) for name, values in EDGES.items() for value in values] + [
    (name, value) for name in EDGES for value in EDGE_VALUES
]
edge_records = st.builds(
    lambda body, changes, headers: record(body=body) | dict(changes) | headers,
    bodies,
    st.lists(st.sampled_from(EDGE_CHANGES), max_size=2),
    st.just({}) | st.fixed_dictionaries({"headers": st.dictionaries(hostile_text, hostile_text)}),
)


def read_by_reference(raw: bytes) -> list:
    """Each record of the batch validated the decoded way: a Record, or its rejection."""
    read = []
    for record in orjson.loads(raw):
        try:
            read.append(validate_record(record))
        except RecordError as exc:
            read.append(str(exc))
    return read


def comparable_record(record) -> dict:
    """The record's fields, its body as what parsing reads of it."""
    fields = {name: getattr(record, name) for name in record.__dataclass_fields__}
    # Aware times compare equal across time zones: their text tells them apart.
    moment = record.occurred_at
    return fields | {
        "headers": list(record.headers.items()),
        "body": None,
        "occurred_at": None if moment is None else moment.isoformat(),
    }


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(edge_records, min_size=1, max_size=3), st.booleans(), st.booleans())
def test_a_batch_read_at_once_is_read_as_the_decoded_path_reads_it(batch, ensure_ascii, spaced):
    raw = as_json(batch, ensure_ascii, spaced)
    assert_same_answers(raw)
    if wire.batch_records(raw) is None:
        return
    read = wire.read_all(raw)
    assert (wire.all_acceptable(raw) is None) == (read is None)
    if read is None:
        return
    expected = read_by_reference(raw)
    assert not any(isinstance(item, str) for item in expected)
    assert [comparable_record(record) for record in read] == [
        comparable_record(record) for record in expected
    ]
    envelopes = [comparable(parse_record(record, RECEIVED_AT)) for record in read]
    assert envelopes == [comparable(parse_record(record, RECEIVED_AT)) for record in expected]


def test_a_batch_of_valid_records_is_read_at_once():
    batch = [
        make_record(status=400, errors=[error("INVALID_PARAMETER", "start_time")]),
        make_record(headers={"x-transaction-id": "3e1234"}, method="post", duration_ms=0),
        make_record(status=404, account=None, id="client-1", occurred_at=RECEIVED_AT),
        record(body=None, account_id="", occurred_at="2026-11-20T05:00:00+05:30"),
        record(body="text", url="HTTP://u:p@h/x"),
    ]
    raw = orjson.dumps(batch)
    assert wire.all_acceptable(raw) is not None
    read = wire.read_all(raw)
    assert [comparable_record(item) for item in read] == [
        comparable_record(item) for item in read_by_reference(raw)
    ]
    assert [item.method for item in read] == ["GET", "POST", "GET", "GET", "GET"]
    assert read[3].account_id is None
    assert read[3].occurred_at == datetime(2026, 11, 19, 23, 30, tzinfo=UTC)
    assert_same_answers(raw)


@pytest.mark.parametrize(
    "odd",
    [
        {"status": True},
        {"status": 200.0},
        {"status": 99},
        {"status": 600},
        {"url": ""},
        {"url": "/" + "a" * 8192},
        {"url": "https://u@/x"},
        {"method": "GET\n"},
        {"method": "a" * 17},
        {"occurred_at": "2026-11-20t05:00:00z"},
        {"occurred_at": "2026-11-20T05:00:00"},
        {"duration_ms": -0.5},
        {"headers": {"a": 1}},
        {"account_id": "x" * 201},
        {"id": ""},
        {"id": "x" * 201},
        {"body": 5},
        {"extra": 1},
    ],
)
def test_one_invalid_record_sends_its_batch_record_by_record(odd):
    raw = orjson.dumps([record(), record() | odd])
    assert wire.batch_records(raw) is not None
    assert wire.all_acceptable(raw) is None and wire.read_all(raw) is None
    assert [item["index"] for item in judge_batch(raw).rejected] == [1]
    assert_same_answers(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'[{"status": 200, "url": "/", "body": {"a": 1}, "body": null}]',
        b'[{"status": "x", "status": 200, "url": "/", "body": null}]',
        b'[{"status": 200, "url": "/", "body": null, "id": "a", "id": null}]',
        b"[]",
    ],
)
def test_repeated_fields_read_at_once_count_as_decoded(raw):
    assert_same_answers(raw)


# --- the gate, one condition at a time ---------------------------------------------------------


def batch_of(body_text: str) -> bytes:
    return f'[{{"status": 200, "url": "{URL}", "body": {body_text}}}]'.encode()


@pytest.mark.parametrize(
    "body_text",
    [
        '"a\\u0000b"',
        '"\\ud800"',
        '"\\uDFFF x"',
        '"\\ud83d\\ude00"',  # a valid pair is refused too: only costs time
        "[12345678901234567890]",
        "[-9223372036854775809]",
        "[1e999]",
        "[1.5E+308]",
        "[1e-400]",
        '{"n": 1' + "0" * 400 + "}",
    ],
)
def test_the_gate_refuses_escapes_and_numbers_it_cannot_vouch_for(body_text):
    raw = batch_of(body_text)
    assert wire.batch_records(raw) is None
    assert_same_answers(raw)


@pytest.mark.parametrize(
    "body_text",
    [
        '"1234567890123456789012"',
        '"a3e123f"',
        '{"entity_ids": "7kb7n,e012,3e972"}',
        "[1e99, -123456789012345678, 0.000001, 1e-05, 2E+05]",
        '"1764316800 1e-05 2026-11-28T06:00:00.123Z"',
        '"😀 é"',
    ],
)
def test_the_gate_lets_through_what_only_looks_risky(body_text):
    raw = batch_of(body_text)
    records = wire.batch_records(raw)
    assert records is not None and wire.read_record(records[0], check_size=False) is not None
    assert_same_answers(raw)


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from([b"\\", b"\\u", b"\\\\", b"u", b"0000", b"00", b"d8", b"DF", b"x" * 100]),
        max_size=80,
    )
)
def test_unsafe_escapes_are_found_as_a_search_would(parts):
    for raw in (b"".join(parts), b'"\\n"' * 20 + b"".join(parts)):  # past the first few too
        assert wire._has_unsafe_escapes(raw) == (wire._UNSAFE_ESCAPE.search(raw) is not None)


@pytest.mark.parametrize("raw", [b'[{"status": 200, "body": "\xff"}]', b'["\xed\xa0\x80"]'])
def test_invalid_utf8_is_refused_by_the_gate_and_gets_400(raw):
    assert wire.batch_records(raw) is None
    assert answer(judge_batch, raw)[:2] == ("batch error", 400)


@pytest.mark.parametrize(
    "levels", [NESTING_MAX_LEVELS - 1, NESTING_MAX_LEVELS, 300, 1021, 1022, 1023, 1100]
)
def test_deep_records_are_judged_by_the_decoded_path(levels):
    """Around orjson's own depth limit too, where the whole batch gets 400."""
    deep = "[" * levels + "]" * levels
    raw = b"[%b, %b]" % (orjson.dumps(record()), batch_of(deep)[1:-1])
    assert_same_answers(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'[{"status": 200, "status": "x", "url": "/", "body": null}]',
        b'[{"status": 200, "url": "/", "body": {"errors": [], "errors": [{"code": "X"}]}}]',
        b'[{"status": 200, "url": "/", "body": null, "headers": {"a": "1", "b": "", "a": "3"}}]',
        b'[{"status": 200, "url": "/", "body": {"request": {"params": {"x": 1, "y": 2, "x": 3}}}}]',
        b'[{"status": 200, "url": "/", "body": 5}]',
        b'[{"status": 200, "url": "/", "body": true}]',
        b'[{"status": 200, "url": "/"}]',
        b'[{"status": 200, "url": "/", "body": null, "bodyy": 1}]',
        b'[5, "x", null, [], {}]',
        b'{"status": 200}',
        b'[{"status": 200,}]',
        b"",
        b"[1] x",
    ],
)
def test_odd_batches_get_the_same_answers(raw):
    assert_same_answers(raw)


def test_big_batches_check_record_sizes():
    padding = "x" * 1_100_000
    raw = orjson.dumps([record(), record(body=padding), record(body=[1e15] * 150_000)])
    assert len(raw) > 1_000_000
    assert answer(judge_batch, raw) == answer(judge_decoded_batch, raw)
    assert [item["index"] for item in judge_batch(raw).rejected] == [1, 2]


def test_what_is_stored_of_a_big_record_is_what_its_size_was_judged_by():
    """A record padded with 3 MB of spaces is 7 bytes once compact: accepted, and stored
    compact, never as the 3 MB sent."""
    body_text = '{"a":' + " " * 3_000_000 + "1}"
    raw = b'[{"status": 200, "url": "/12/accounts/a/x", "body": %b}]' % body_text.encode()

    assert judge_batch(raw).rejected == []
    (envelope,) = parse_batch(raw, RECEIVED_AT, set())
    assert envelope.body_json == '{"a":1}'


def test_record_fields_are_those_of_the_validator():
    assert set(wire._Fields.__struct_fields__) == FIELDS


# --- the body is stored as sent ------------------------------------------------------------------

BODY_AS_SENT = '{ "data" : [1.50, 2E3, "caf\\u00e9 \\/ \\"q\\""], "request": {"params": {}} }'


def test_the_body_text_is_the_text_as_sent():
    (envelope,) = parse_batch(batch_of(BODY_AS_SENT), RECEIVED_AT, set())
    assert envelope.body_json == BODY_AS_SENT


def test_a_body_echoing_oauth_params_is_stored_redacted():
    body = '{"request": {"params": {"oauth_token": "secret", "count": 5}}, "data": [ 1 ]}'
    (envelope,) = parse_batch(batch_of(body), RECEIVED_AT, set())
    assert "secret" not in envelope.body_json
    assert orjson.loads(envelope.body_json) == {
        "request": {"params": {"oauth_token": "[redacted]", "count": 5}},
        "data": [1],
    }


@pytest.mark.parametrize(
    "body",
    [
        # A repeated key: decoding keeps the last copy, the text as sent holds both.
        '{"request": {"params": {"oauth_token": "secret"}}, "request": {"params": {}}}',
        '{"request": {"params": {"oauth_token": "secret"}, "params": {"count": 5}}}',
        '{"requ\\u0065st": {"params": {"OAuth_Token": "secret"}}}',
        '{"errors": [{"code": "INVALID_PARAMETER", "parameter": "oauth_token", '
        '"value": "secret"}]}',
        '{"operation_errors": [[], [{"code": "X", "parameter": "OAUTH_NONCE", '
        '"value": "secret"}]]}',
    ],
)
def test_no_credential_of_the_body_text_is_stored(body):
    (envelope,) = parse_batch(batch_of(body), RECEIVED_AT, set())
    assert "secret" not in envelope.body_json
    assert "secret" not in orjson.dumps([error.as_json() for error in envelope.errors]).decode()


@pytest.mark.django_db(transaction=True)
def test_the_stored_body_is_the_text_as_sent():
    store_batch("stored-as-sent", batch_of(BODY_AS_SENT), RECEIVED_AT, set())
    with connection.cursor() as cursor:
        cursor.execute("SELECT body::text FROM ingest_envelope")
        assert cursor.fetchone()[0] == BODY_AS_SENT


def test_records_are_read_without_decoding_their_bodies():
    (raw_record,) = msgspec.json.decode(
        batch_of('{"data": [[[1]]], "errors": []}'), type=list[msgspec.Raw]
    )
    read = wire.read_record(raw_record, check_size=False)
    assert read.body.json == '{"data": [[[1]]], "errors": []}'
    assert read.body.errors == []
