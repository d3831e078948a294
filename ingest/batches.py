"""From a queued batch payload to stored rows: the work one Celery task does."""

from datetime import datetime

from ingest.intake import accepted_records
from ingest.parse import ParsedEnvelope, parse_record
from ingest.store import store_envelopes


def parse_batch(raw: bytes, received_at: datetime, rejected: set[int]) -> list[ParsedEnvelope]:
    """The accepted records of a batch, parsed."""
    return [parse_record(record, received_at) for _, record in accepted_records(raw, rejected)]


def store_batch(batch_id: str, raw: bytes, received_at: datetime, rejected: set[int]) -> int:
    """Parse and store a batch; returns how many envelopes were new."""
    return store_envelopes(batch_id, parse_batch(raw, received_at, rejected), received_at)
