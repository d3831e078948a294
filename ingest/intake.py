"""Accepting an ingest batch: decode it, check its size, and sort records into accepted and
rejected. Pure: no Django, no I/O, so the web process does only cheap, predictable work."""

from dataclasses import dataclass, field

import orjson

from ingest.validate import RECORD_MAX_BYTES, RecordError, check_record_size, validate_record

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
    records: list
    rejected: list[dict] = field(default_factory=list)

    @property
    def rejected_indices(self) -> list[int]:
        return [item["index"] for item in self.rejected]

    @property
    def accepted(self) -> int:
        return len(self.records) - len(self.rejected)


def decode_batch(raw: bytes) -> list:
    """The JSON array of records in `raw`, or BatchError."""
    if len(raw) > BATCH_MAX_BYTES:
        raise BatchError(413, f"batch is {len(raw)} bytes; the limit is {BATCH_MAX_BYTES}")
    try:
        records = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BatchError(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(records, list):
        raise BatchError(400, "body must be a JSON array of records")
    if len(records) > BATCH_MAX_RECORDS:
        raise BatchError(413, f"batch has {len(records)} records; the limit is {BATCH_MAX_RECORDS}")
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


def judge_batch(raw: bytes) -> BatchVerdict:
    """Decode a batch and name every record that must be rejected, with its index."""
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
