"""Encoding records into an ingest batch, and reading the server's verdict on one.

The server refuses records over 1 MB and batches over 10 MiB. A batch stops growing once
past BATCH_SOFT_MAX_BYTES, so even with one more maximal record it stays under the limit.
"""

import logging

from ingest.client import codec
from ingest.client.records import CapturedResponse, redact_record

logger = logging.getLogger("xads.capture")

RECORD_MAX_BYTES = 1_000_000
BATCH_SOFT_MAX_BYTES = 9_000_000


def encode_record(record: dict | CapturedResponse, record_id: str) -> bytes | None:
    """The record as JSON, with ``record_id`` as its idempotency ``id`` unless it has one;
    None (logged) when it cannot be sent. Hand-made dict records are redacted here."""
    try:
        if isinstance(record, CapturedResponse):
            record = record.to_record()  # redacted when captured
        else:
            record = redact_record(record)
        record.setdefault("id", record_id)
        encoded = codec.dumps(record)
    except Exception as error:
        logger.warning("capture: dropped a record that cannot be encoded: %r", error)
        return None
    if len(encoded) > RECORD_MAX_BYTES:
        logger.warning("capture: dropped a record of %d bytes (limit 1 MB)", len(encoded))
        return None
    return encoded


def join_batch(parts: list[bytes]) -> bytes:
    """The JSON array of already encoded records."""
    return b"[" + b",".join(parts) + b"]"


def rejected_count(body: bytes, count: int) -> int:
    """How many records a 202 answer rejected (logged); 0 when the answer says nothing."""
    try:
        rejected = codec.loads(body).get("rejected") or []
    except Exception:
        return 0
    if rejected:
        logger.warning(
            "capture: ingest rejected %d of %d records: %.300s", len(rejected), count, rejected
        )
    return min(len(rejected), count)


def warn_refused(status: int, body: bytes, count: int) -> None:
    """A batch refused for good (400, 401, 403, 413...): say why, once, at warning."""
    logger.warning(
        "capture: ingest answered HTTP %d to a batch of %d records; dropped: %.300s",
        status,
        count,
        body.decode("utf-8", "replace"),
    )
