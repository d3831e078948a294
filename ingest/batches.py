"""From a queued batch payload to stored rows: the work one Celery task does."""

from datetime import datetime

from ingest.intake import accepted_records
from ingest.parse import ParsedEnvelope, parse_record
from ingest.store import store_envelopes


def dedup_key(batch_id: str, index: int, client_id: str | None) -> str:
    """The key that makes storing a record idempotent.

    A client-chosen id is global ("the first copy wins"); without one, the record's place in
    its batch identifies it, so a redelivered batch is recognised."""
    return f"c:{client_id}" if client_id else f"s:{batch_id}:{index}"


def parse_batch(
    batch_id: str, raw: bytes, received_at: datetime, rejected: set[int]
) -> list[tuple[str, ParsedEnvelope]]:
    """The accepted records of a batch, parsed and keyed for storage."""
    return [
        (dedup_key(batch_id, index, record.client_id), parse_record(record, received_at))
        for index, record in accepted_records(raw, rejected)
    ]


def store_batch(batch_id: str, raw: bytes, received_at: datetime, rejected: set[int]) -> int:
    """Parse and store a batch; returns how many envelopes were new."""
    return store_envelopes(parse_batch(batch_id, raw, received_at, rejected), received_at)
