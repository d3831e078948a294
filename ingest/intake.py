"""Accepting an ingest batch: decode it, check its size, and sort records into accepted and
rejected. Pure: no Django, no I/O, so the web process does only cheap, predictable work.

Records are read straight from the batch's text where `ingest.wire` can vouch for them, and
decoded and validated by `ingest.validate` otherwise; the answers are the same."""

from collections.abc import Container, Iterator
from dataclasses import dataclass, field

import msgspec
import orjson

from ingest import wire
from ingest.validate import (
    RECORD_MAX_BYTES,
    Record,
    RecordError,
    check_record_size,
    validate_record,
)

BATCH_MAX_RECORDS = 5_000
BATCH_MAX_BYTES = 10 * 1024 * 1024


class BatchError(Exception):
    """The batch as a whole cannot be taken; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class BatchVerdict:
    records: list  # as decoded, or as read by `ingest.wire` (raw JSON or checked fields)
    rejected: list[dict] = field(default_factory=list)

    @property
    def rejected_indices(self) -> list[int]:
        return [item["index"] for item in self.rejected]

    @property
    def accepted(self) -> int:
        return len(self.records) - len(self.rejected)


def _check_batch_size(raw: bytes) -> None:
    if len(raw) > BATCH_MAX_BYTES:
        raise BatchError(413, f"batch is {len(raw)} bytes; the limit is {BATCH_MAX_BYTES}")


def _check_record_count(records: list) -> None:
    if len(records) > BATCH_MAX_RECORDS:
        raise BatchError(413, f"batch has {len(records)} records; the limit is {BATCH_MAX_RECORDS}")


def decode_batch(raw: bytes) -> list:
    """The JSON array of records in `raw`, or BatchError."""
    _check_batch_size(raw)
    try:
        records = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BatchError(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(records, list):
        raise BatchError(400, "body must be a JSON array of records")
    _check_record_count(records)
    return records


def storable_as_a_whole(raw: bytes, records: list) -> bool:
    """Whether no value of the batch can fail to be stored, so that records need not be
    walked one value at a time (the costly part of validation).

    JSON can only carry a NUL as the escape \\u0000; orjson has already refused unpaired
    surrogates and infinite numbers; and a batch orjson can serialise again is nested
    shallowly enough for every record to be serialised when it is stored."""
    if b"\\u0000" in raw:
        return False
    try:
        orjson.dumps(records)
    except orjson.JSONEncodeError:
        return False
    return True


def rejection(raw: object, check_size: bool = True, check_storable: bool = True) -> str | None:
    """Why this record cannot be stored, or None when it can."""
    try:
        validate_record(raw, check_storable)
        if check_size:
            check_record_size(raw)
    except RecordError as exc:
        return str(exc)
    return None


def _decoded(record: msgspec.Raw) -> object:
    """One record of `wire.batch_records`, decoded. It is decoded in an array, as deep as in
    its batch: orjson.JSONDecodeError (nesting beyond orjson's limit) then means that orjson
    cannot decode the batch either."""
    return orjson.loads(b"[%b]" % record)[0]


def judge_batch(raw: bytes) -> BatchVerdict:
    """Read a batch and name every record that must be rejected, with its index."""
    _check_batch_size(raw)
    if not wire.is_clear(raw):
        return judge_decoded_batch(raw)
    check_size = len(raw) > RECORD_MAX_BYTES
    # Most batches hold only valid records, which msgspec can then check in one pass.
    all_acceptable = None if check_size else wire.all_acceptable(raw)
    if all_acceptable is not None:
        _check_record_count(all_acceptable)
        return BatchVerdict(records=all_acceptable)
    records = wire.records_of_cleared(raw)
    if records is None:
        return judge_decoded_batch(raw)
    _check_record_count(records)
    try:
        return _judge_records(records, check_size)
    except orjson.JSONDecodeError:
        return judge_decoded_batch(raw)  # which answers why the batch cannot be decoded


def _judge_records(records: list[msgspec.Raw], check_size: bool) -> BatchVerdict:
    verdict = BatchVerdict(records=records)
    for index, record in enumerate(records):
        if not wire.is_acceptable(record, check_size):
            error = rejection(_decoded(record), check_size)
            if error is not None:
                verdict.rejected.append({"index": index, "error": error})
    return verdict


def judge_decoded_batch(raw: bytes) -> BatchVerdict:
    """`judge_batch` the reference way: decode every value, then validate the records."""
    records = decode_batch(raw)
    verdict = BatchVerdict(records=records)
    # No record of a batch can be larger than the whole batch.
    check_size = len(raw) > RECORD_MAX_BYTES
    check_storable = not storable_as_a_whole(raw, records)
    for index, record in enumerate(records):
        error = rejection(record, check_size, check_storable)
        if error is not None:
            verdict.rejected.append({"index": index, "error": error})
    return verdict


def accepted_records(raw: bytes, rejected: Container[int]) -> Iterator[tuple[int, Record]]:
    """The records of a batch `judge_batch` accepted, with their index, validated and
    normalised; `rejected` holds the indices it rejected."""
    check_size = len(raw) > RECORD_MAX_BYTES  # as `judge_batch` did
    records = _read_batch(raw, check_size)
    for index, record in enumerate(records):
        if index in rejected:
            continue
        accepted = _accepted(record, check_size)
        if accepted is not None:
            yield index, accepted


def _read_batch(raw: bytes, check_size: bool) -> list:
    """The records of a batch: read (Record) where `ingest.wire` can read them all at once,
    else as raw JSON (msgspec.Raw) or, when the gate refuses the batch, decoded."""
    if not wire.is_clear(raw):
        return orjson.loads(raw)
    read = None if check_size else wire.read_all(raw)
    if read is not None:
        return read
    records = wire.records_of_cleared(raw)
    return orjson.loads(raw) if records is None else records


def _accepted(record: object, check_size: bool) -> Record | None:
    """A record of an accepted batch, validated; None for one that was rejected."""
    if type(record) is Record:  # read already
        return record
    if isinstance(record, msgspec.Raw):
        read = wire.read_record(record, check_size)
        if read is not None:
            return read
        record = _decoded(record)
    try:
        # The batch was judged before: no need to walk every value again.
        return validate_record(record, check_storable=False)
    except RecordError:
        return None
