"""Requests the fake API refuses whatever the error rate, as the real one would: stats
without a valid time window, batch calls without a list of operations."""

from datetime import datetime

from ingest.fakeapi.calls import Call
from ingest.fakeapi.faults import api_error, errors_reply, invalid_value, missing
from ingest.fakeapi.replies import Reply
from ingest.fakeapi.routes import BATCH, STATS

TIME_PARAMETERS = ("start_time", "end_time")
BATCH_MAX_ITEMS = 40


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _check_stats(call: Call) -> Reply | None:
    """MISSING_PARAMETER for each absent time, INVALID_PARAMETER for each unreadable one,
    INVALID_TIME_WINDOW when the window ends before it starts."""
    absent = [name for name in TIME_PARAMETERS if name not in call.params]
    if absent:
        return errors_reply(400, call, *(missing(name) for name in absent))
    times = {name: _parse_time(call.params[name]) for name in TIME_PARAMETERS}
    invalid = [
        invalid_value(name, "time", "invalid date", call.params[name])
        for name, moment in times.items()
        if moment is None
    ]
    if invalid:
        return errors_reply(400, call, *invalid)
    try:
        ordered = times["start_time"] < times["end_time"]
    except TypeError:  # one has a timezone and the other not
        ordered = False
    if not ordered:
        message = "end_time must be after start_time, both with or without a timezone"
        return errors_reply(400, call, api_error("INVALID_TIME_WINDOW", message))
    return None


def _check_batch(call: Call) -> Reply | None:
    if not call.items:
        message = "Expected a JSON array of operations in the request body"
        return errors_reply(400, call, api_error("INVALID_PARAMETER", message, parameter="body"))
    if len(call.items) > BATCH_MAX_ITEMS:
        message = f"A batch holds at most {BATCH_MAX_ITEMS} operations, got {len(call.items)}"
        return errors_reply(400, call, api_error("INVALID_PARAMETER", message, parameter="body"))
    return None


def refusal(call: Call) -> Reply | None:
    """The answer to a call the API always refuses, or None when it may succeed."""
    kind = call.match.route.kind
    if kind == STATS:
        return _check_stats(call)
    if kind == BATCH:
        return _check_batch(call)
    return None
