"""The rollup rows that newly stored envelopes add, counted in Python: pure, no I/O.

A batch is counted once into hourly rows, and the daily rows are those hourly rows summed
per day (every count is additive: an envelope lies in exactly one hour). `ingest.store` queues
a batch's hourly rows, encoded, in the same transaction as its envelopes; `ingest.fold` later
decodes and merges the queued rows of many batches before adding them to the rollup tables.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import add

import orjson

from ingest.parse import ParsedEnvelope

# key -> counts; the count columns of each table are listed in `ingest.fold`.
Counts = dict[tuple, list[int]]


@dataclass(frozen=True, slots=True)
class Rollups:
    """Rows per rollup table: requests (bucket, account, endpoint, status), errors (the same
    and code, parameter), and one dimension at a time (bucket, dimension, value)."""

    requests: Counts
    errors: Counts
    dimensions: Counts


def hour_start(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _add(counts: Counts, key: tuple, values: Sequence[int]) -> None:
    row = counts.get(key)
    if row is None:
        counts[key] = list(values)
    else:
        row[:] = map(add, row, values)


def hourly_rollups(envelopes: Iterable[ParsedEnvelope]) -> Rollups:
    """Count the envelopes (and their errors) into hourly rollup rows."""
    rollups = Rollups({}, {}, {})
    hours: dict[tuple, datetime] = {}  # datetime.replace() is slow; a batch spans few hours
    for envelope in envelopes:
        moment = envelope.occurred_at  # UTC
        place = (moment.year, moment.month, moment.day, moment.hour)
        request_key = (
            hours.get(place) or hours.setdefault(place, hour_start(moment)),
            envelope.account_id,
            envelope.endpoint,
            envelope.status,
        )
        _add(rollups.requests, request_key, (1, int(envelope.failed), len(envelope.errors)))
        if envelope.errors:
            _add_errors(rollups, request_key, envelope)
    _add_request_dimensions(rollups)
    return rollups


def _add_request_dimensions(rollups: Rollups) -> None:
    """Totals (dimension '') and the account, HTTP status and endpoint rows, summed from the
    request rows, which hold all three."""
    for (hour, account_id, endpoint, status), counts in rollups.requests.items():
        for dimension, value in (
            ("", None),
            ("account", account_id),
            ("http_status", str(status)),
            ("endpoint", endpoint),
        ):
            _add(rollups.dimensions, (hour, dimension, value), counts)


def _add_errors(rollups: Rollups, request_key: tuple, envelope: ParsedEnvelope) -> None:
    """Each error counts once; the request counts once per (code, parameter), per code and
    per parameter, on its first error with it, and once on its first error (position 0)."""
    seen_pairs, seen_codes, seen_parameters = set(), set(), set()
    for error in envelope.errors:
        pair = (error.code, error.parameter)
        counts = (
            1,
            int(pair not in seen_pairs),
            int(error.code not in seen_codes),
            int(error.parameter not in seen_parameters),
            int(error.position == 0),
        )
        _add(rollups.errors, (*request_key, *pair), counts)
        seen_pairs.add(pair)
        seen_codes.add(error.code)
        seen_parameters.add(error.parameter)
    hour = request_key[0]
    # A request with such an error counts once, as a request and as a failed request.
    for dimension, values in (
        ("code", Counter(error.code for error in envelope.errors)),
        ("parameter", Counter(error.parameter for error in envelope.errors)),
    ):
        for value, errors in values.items():
            _add(rollups.dimensions, (hour, dimension, value), (1, 1, errors))


def daily_rollups(hourly: Rollups) -> Rollups:
    """The hourly rows summed per day."""
    return Rollups(
        *(_per_day(counts) for counts in (hourly.requests, hourly.errors, hourly.dimensions))
    )


def _per_day(hourly: Counts) -> Counts:
    daily: Counts = {}
    days: dict[datetime, datetime] = {}  # a batch spans a few hours at most
    for key, counts in hourly.items():
        hour = key[0]
        day = days.get(hour) or days.setdefault(hour, day_start(hour))
        _add(daily, (day, *key[1:]), counts)
    return daily


def merge_rollups(parts: Iterable[Rollups]) -> Rollups:
    """The rows of several Rollups summed key by key."""
    merged = Rollups({}, {}, {})
    for part in parts:
        for kind in ("requests", "errors", "dimensions"):
            into = getattr(merged, kind)
            for key, values in getattr(part, kind).items():
                _add(into, key, values)
    return merged


def encode_rollups(rollups: Rollups) -> bytes:
    """JSON: each kind as a list of rows, key columns then counts; buckets as ISO-8601."""
    return orjson.dumps(
        {
            kind: [(*key, *values) for key, values in getattr(rollups, kind).items()]
            for kind in ("requests", "errors", "dimensions")
        }
    )


# How many leading columns of a row of each kind form its key.
KEY_WIDTHS = {"requests": 4, "errors": 6, "dimensions": 3}


def decode_rollups(encoded: bytes) -> Rollups:
    """The inverse of `encode_rollups`."""
    document = orjson.loads(encoded)
    buckets: dict[str, datetime] = {}  # a batch spans few hours
    decoded = Rollups({}, {}, {})
    for kind, width in KEY_WIDTHS.items():
        into = getattr(decoded, kind)
        for row in document[kind]:
            text = row[0]
            bucket = buckets.get(text) or buckets.setdefault(text, datetime.fromisoformat(text))
            _add(into, (bucket, *row[1:width]), row[width:])
    return decoded
