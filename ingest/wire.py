"""Reading ingest records straight from a batch's JSON text, without building their bodies.

A body is most of a record's bytes (stats arrays, lists of entities), yet parsing needs only
three small parts of it (see `ingest.body`). So msgspec splits the batch into records as raw
JSON, decodes each record's small fields, keeps its body as the text sent, and decodes only
``errors``, ``operation_errors`` and ``request.params`` of an object body.

The gate. msgspec checks the syntax of the text it skips, but not all that `ingest.validate`
guarantees of every value. A batch takes this path only when its bytes show that none of
these can occur in it:

* invalid UTF-8: the batch is ASCII, or decodes as UTF-8;
* a NUL or an unpaired surrogate: JSON can carry them only as the escapes ``\\u0000`` and
  ``\\uD800``-``\\uDFFF``, and the gate refuses those escapes (valid pairs included);
* a number that msgspec and orjson read differently (orjson reads an integer beyond 64
  bits as a float, and refuses the batch for a float out of range): the gate refuses any
  number with 19 digits in a row or with an exponent of 3 digits or more, and looks at the
  bytes around such digits to tell numbers from strings (long ids);
* nesting beyond NESTING_MAX_LEVELS: a record is read here only when its body's ``[`` and
  ``{`` bytes, those inside strings included, are no more than that (its other fields, when
  valid, are never nested).

Within the gate every value is storable, so only the field rules remain. msgspec checks
those it can express while decoding (types, ranges, lengths: see `_Fields`), and
`ingest.validate.record_from_checked_fields` the others. A batch the gate does not clear, and
a record the fast path cannot vouch for (an invalid one, say), go the decoded way, which stays
the reference: the answer is the same either way, only slower. False alarms of the gate cost
only time.

A batch of valid records, the common case, is decoded in one pass (`all_acceptable`,
`read_all`); as soon as msgspec refuses one of its records, the batch is split into records
(`records_of_cleared`), each read on its own (`is_acceptable`, `read_record`).
"""

import re
from typing import Annotated

import msgspec
from msgspec import Meta

from ingest.body import BodyParts, params_of_request
from ingest.validate import (
    ACCOUNT_ID_MAX_CHARS,
    CLIENT_ID_MAX_CHARS,
    NESTING_MAX_LEVELS,
    RECORD_MAX_BYTES,
    STATUS_MAX,
    STATUS_MIN,
    URL_MAX_CHARS,
    Record,
    RecordError,
)
from ingest.validate import record_from_checked_fields as validated

# Re-serialising a record can make it longer than sent, numbers only: "1e15" becomes
# "1000000000000000.0". A record this many times under RECORD_MAX_BYTES is within it.
SIZE_GROWTH_MAX = 5

_UNSAFE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")  # NUL, surrogates
# Digits and signs as "0", "E" as "e": two substring searches find where a wide number may
# be, and each place is then checked against the text as sent ("e-05" is not one).
_NUMBER_SHAPES = bytes.maketrans(b"123456789E+-", b"000000000e00")
_WIDE_NUMBER_MARKS = (b"0" * 19, b"e000")
_WIDE_NUMBER_PART = re.compile(rb"[0-9]{19}|[eE][-+]?[0-9]{3}")
_NUMBER_CHARS = b"0123456789eE.+-"
_NUMBER_STARTS = frozenset(bytes([char]) for char in b"-0123456789")
# What may come just before and just after a number in JSON; any other byte on either side
# means the characters are part of a string.
_BEFORE_NUMBER = frozenset(b"[,: \t\n\r")
_AFTER_NUMBER = frozenset(b",]} \t\n\r")
_NUMBER_CHARS_MAX = 64  # longer runs of number characters are not looked into
# Marks looked into before giving up (for the other path): so many, plus one per so many bytes.
_MARKS_CHECKED_MIN = 16
_BYTES_PER_MARK_CHECKED = 256
# Backslashes looked at one by one before searching the rest of the text in one go.
_BACKSLASHES_CHECKED_MIN = 16
_BYTES_PER_BACKSLASH_CHECKED = 256
_OBJECT = b"{"
_BODY_KINDS = frozenset(
    (_OBJECT, b"[", b'"', b"n")
)  # the first bytes of an object, array, string, null


class _Fields(msgspec.Struct, forbid_unknown_fields=True):
    """An ingest record (see `ingest.validate.FIELDS`) with its body left as JSON text, and
    the rules of its other fields that msgspec can check (types, ranges, lengths) checked
    while decoding; `ingest.validate.record_from_checked_fields` applies the others."""

    status: Annotated[int, Meta(ge=STATUS_MIN, le=STATUS_MAX)]
    body: msgspec.Raw
    url: Annotated[str, Meta(min_length=1, max_length=URL_MAX_CHARS)]
    method: str | None = None
    occurred_at: str | None = None
    duration_ms: Annotated[float, Meta(ge=0)] | None = None
    headers: dict[str, str] | None = None
    account_id: Annotated[str, Meta(max_length=ACCOUNT_ID_MAX_CHARS)] | None = None
    id: Annotated[str, Meta(min_length=1, max_length=CLIENT_ID_MAX_CHARS)] | None = None


class _ObjectBody(msgspec.Struct):
    """The parts of an object body that parsing reads; msgspec skips all other keys. (The
    echoed ``request`` holds little more than its ``params``.)"""

    errors: object = None
    operation_errors: object = None
    request: object = None


_batch_decoder = msgspec.json.Decoder(list[msgspec.Raw])
_batch_fields_decoder = msgspec.json.Decoder(list[_Fields])
_fields_decoder = msgspec.json.Decoder(_Fields)
_object_body_decoder = msgspec.json.Decoder(_ObjectBody)


def _in_a_number(raw: bytes, position: int) -> bool:
    """Whether the mark at `position` may be in a number rather than in a string: the run of
    number characters around it starts and ends as a number would, and is bounded by what
    may surround a number."""
    window = raw[max(0, position - _NUMBER_CHARS_MAX) : position + 1]
    before = window.rstrip(_NUMBER_CHARS)
    if before and before[-1] not in _BEFORE_NUMBER:
        return False
    if window[len(before) : len(before) + 1] not in _NUMBER_STARTS:
        return False
    after = raw[position : position + _NUMBER_CHARS_MAX].lstrip(_NUMBER_CHARS)
    return not after or after[0] in _AFTER_NUMBER


def _has_wide_numbers(raw: bytes) -> bool:
    """Whether a number may have 19 digits in a row or a 3-digit exponent (see the module
    docstring); marks found in strings, such as long ids, do not count."""
    shapes = raw.translate(_NUMBER_SHAPES)
    marks_left = _MARKS_CHECKED_MIN + len(raw) // _BYTES_PER_MARK_CHECKED
    for mark in _WIDE_NUMBER_MARKS:
        position = shapes.find(mark)
        while position != -1:
            marks_left -= 1
            if marks_left < 0 or _is_wide_number(raw, position):
                return True
            position = shapes.find(mark, position + 1)
    return False


def _is_wide_number(raw: bytes, position: int) -> bool:
    """Whether the mark at `position` may be a wide number (see `_has_wide_numbers`)."""
    return bool(_WIDE_NUMBER_PART.match(raw, position)) and _in_a_number(raw, position)


def is_clear(raw: bytes) -> bool:
    """Whether the gate lets the batch through (see the module docstring)."""
    if not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return not _has_unsafe_escapes(raw) and not _has_wide_numbers(raw)


def _has_unsafe_escapes(raw: bytes) -> bool:
    """Whether `_UNSAFE_ESCAPE` is in the text. Backslashes are rare in JSON text and found
    with a memchr, so the pattern is tried at each of the first few only, and the rest of the
    text is searched in one go."""
    position = raw.find(b"\\")
    for _ in range(_BACKSLASHES_CHECKED_MIN + len(raw) // _BYTES_PER_BACKSLASH_CHECKED):
        if position == -1:
            return False
        if _UNSAFE_ESCAPE.match(raw, position):
            return True
        position = raw.find(b"\\", position + 1)
    return position != -1 and _UNSAFE_ESCAPE.search(raw, position) is not None


def batch_records(raw: bytes) -> list[msgspec.Raw] | None:
    """The records of a batch as raw JSON, or None when the batch must be decoded instead
    (the gate refused it, or it is not a valid JSON array)."""
    return records_of_cleared(raw) if is_clear(raw) else None


def records_of_cleared(raw: bytes) -> list[msgspec.Raw] | None:
    """`batch_records` of a batch the gate has cleared."""
    try:
        return _batch_decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None


def _fields_of_cleared(raw: bytes) -> list[_Fields] | None:
    """The fields of every record of a batch the gate has cleared; None when msgspec refuses
    one of them (the batch must then be read record by record). Only for a batch of at most
    RECORD_MAX_BYTES, so that no record needs its size checked."""
    try:
        return _batch_fields_decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None


def all_acceptable(raw: bytes) -> list[_Fields] | None:
    """The fields of every record of a batch the gate has cleared, of at most RECORD_MAX_BYTES,
    when this path can vouch for every one of them; else None (see `is_acceptable`)."""
    batch = _fields_of_cleared(raw)
    if batch is None or not all(map(_fields_are_acceptable, batch)):
        return None
    return batch


def read_all(raw: bytes) -> list[Record] | None:
    """Every record of a batch the gate has cleared, of at most RECORD_MAX_BYTES, as
    `read_record` reads it; None when this path cannot vouch for every one of them."""
    batch = _fields_of_cleared(raw)
    if batch is None:
        return None
    records = []
    for fields in batch:
        record = _read(fields)
        if record is None:
            return None
        records.append(record)
    return records


def _body_parts(text: bytes) -> BodyParts:
    """The parts of a body, from its JSON text (see `_body_text`)."""
    if text[:1] != _OBJECT:
        return BodyParts(text.decode())
    parts = _object_body_decoder.decode(text)
    return BodyParts(
        text.decode(), parts.errors, parts.operation_errors, params_of_request(parts.request)
    )


def _fields(record: msgspec.Raw, check_size: bool) -> _Fields | None:
    """The record's fields, its body as raw JSON; None when this path cannot read them.

    `check_size`: whether the record could be over RECORD_MAX_BYTES."""
    if check_size and len(record) * SIZE_GROWTH_MAX > RECORD_MAX_BYTES:
        return None
    try:
        return _fields_decoder.decode(record)
    except (msgspec.DecodeError, RecursionError):  # not an object, or a rule msgspec checks
        return None


def _body_text(body: msgspec.Raw) -> bytes | None:
    """The body's JSON text when the body is one a record may hold (an object, array, string
    or null) nested no deeper than may be stored; else None.

    Only the body needs its nesting checked: any other field holds a scalar or, for
    headers, an object of strings, as msgspec checked."""
    text = bytes(body)
    if text[:1] not in _BODY_KINDS:
        return None
    if text.count(b"[") + text.count(b"{") > NESTING_MAX_LEVELS:
        return None
    return text


def _validated(fields: _Fields, body: object) -> Record | None:
    try:
        return validated(
            fields.status,
            body,
            fields.url,
            fields.method,
            fields.occurred_at,
            fields.duration_ms,
            fields.headers,
            fields.account_id,
            fields.id,
        )
    except RecordError:
        return None


def _fields_are_acceptable(fields: _Fields) -> bool:
    # Judging the record needs only the kind of its body, which `_body_text` checks.
    return _body_text(fields.body) is not None and _validated(fields, None) is not None


def _read(fields: _Fields) -> Record | None:
    body_text = _body_text(fields.body)
    if body_text is None:
        return None
    return _validated(fields, _body_parts(body_text))


def is_acceptable(record: msgspec.Raw, check_size: bool) -> bool:
    """Whether one record of `batch_records` is valid; False when this path cannot vouch for
    it (it may still be valid): `ingest.validate` must judge it decoded."""
    fields = _fields(record, check_size)
    return fields is not None and _fields_are_acceptable(fields)


def read_record(record: msgspec.Raw, check_size: bool) -> Record | None:
    """One record of `batch_records`, validated and normalised, its body as BodyParts;
    None when this path cannot vouch for it: `ingest.validate` must judge it decoded.

    `check_size`, as for `is_acceptable`: a record that could be over RECORD_MAX_BYTES was
    judged decoded, and is read decoded, so that what is stored is what was measured."""
    fields = _fields(record, check_size)
    return None if fields is None else _read(fields)
