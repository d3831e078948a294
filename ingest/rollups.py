"""Rollup deltas for a set of newly stored envelopes. Pure: no Django.

A delta maps a rollup key to counts that are added to the stored row. Request rollups are
keyed by (bucket, account, endpoint, status); error rollups add (code, parameter). See
`ingest.models.ErrorRollup` for why the three distinct-request columns stay exact.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime

from ingest.parse import ParsedEnvelope

Truncate = Callable[[datetime], datetime]


def hour_start(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def request_deltas(envelopes: Iterable[ParsedEnvelope], truncate: Truncate) -> dict:
    """(bucket, account, endpoint, status) -> [requests, failed_requests, errors]."""
    deltas: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for envelope in envelopes:
        key = (
            truncate(envelope.occurred_at),
            envelope.account_id,
            envelope.endpoint,
            envelope.status,
        )
        counts = deltas[key]
        counts[0] += 1
        counts[1] += envelope.failed
        counts[2] += len(envelope.errors)
    return dict(deltas)


def error_deltas(envelopes: Iterable[ParsedEnvelope], truncate: Truncate) -> dict:
    """(bucket, account, endpoint, status, code, parameter) ->
    [errors, pair_requests, code_requests, parameter_requests]."""
    deltas: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for envelope in envelopes:
        request_key = (
            truncate(envelope.occurred_at),
            envelope.account_id,
            envelope.endpoint,
            envelope.status,
        )
        seen_pairs, seen_codes, seen_parameters = set(), set(), set()
        for error in envelope.errors:
            pair = (error.code, error.parameter)
            counts = deltas[(*request_key, *pair)]
            counts[0] += 1
            counts[1] += _first_time(seen_pairs, pair)
            counts[2] += _first_time(seen_codes, error.code)
            counts[3] += _first_time(seen_parameters, error.parameter)
    return dict(deltas)


def _first_time(seen: set, item: object) -> int:
    if item in seen:
        return 0
    seen.add(item)
    return 1


def sort_key(key: tuple) -> tuple:
    """A total order over rollup keys (None sorts first), so that concurrent writers lock
    rollup rows in the same order and cannot deadlock."""
    return tuple((value is not None, value) for value in key)
