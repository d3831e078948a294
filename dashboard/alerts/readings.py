"""Reading a rule's metric for a window and its baseline from the shared aggregates."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from dashboard.alerts import maths
from ingest.filters import ERROR_DIMENSIONS, REQUEST_DIMENSIONS, Filters
from ingest.fold import rollup_snapshot
from ingest.queries.aggregates import windowed_counts

NULL_GROUP = "null"
DAY, WEEK = timedelta(days=1), timedelta(days=7)


@dataclass(frozen=True)
class Reading:
    value: float
    baseline: float | None


def group_key(key: tuple) -> str:
    """'' for an ungrouped rule; the group's value otherwise ('null' when absent)."""
    if not key:
        return ""
    return NULL_GROUP if key[0] is None else str(key[0])


def baseline_windows(rule, end: datetime) -> list[tuple[datetime, datetime]]:
    """The windows whose metric makes the baseline of the window ending at `end`."""
    width = timedelta(seconds=rule.window_seconds)
    if rule.condition == maths.THRESHOLD:
        return []
    if rule.baseline == rule.MEDIAN:
        return [
            (end - (i + 1) * width, end - i * width) for i in range(1, rule.baseline_windows + 1)
        ]
    shift = DAY if rule.baseline == rule.DAY_AGO else WEEK
    return [(end - shift - width, end - shift)]


def window_counts(rule, windows) -> list[dict[str, maths.WindowCounts]]:
    by = (rule.group_by,) if rule.group_by else ()
    denominators = None
    with rollup_snapshot():  # a failure rate's two counts of one moment
        scoped = windowed_counts(Filters(windows[0][0], windows[0][1], rule.scope), windows, by)
        if rule.metric == maths.FAILURE_RATE:
            request_scope = {k: v for k, v in rule.scope.items() if k in REQUEST_DIMENSIONS}
            request_by = () if rule.group_by in ERROR_DIMENSIONS else by
            denominators = windowed_counts(
                Filters(windows[0][0], windows[0][1], request_scope), windows, request_by
            )
    result = []
    for index, counts in enumerate(scoped):
        window: dict[str, maths.WindowCounts] = {}
        for key, value in counts.items():
            requests = value.requests
            if denominators is not None:
                requests = sum(
                    c.requests for k, c in denominators[index].items() if not request_by or k == key
                )
            window[group_key(key)] = maths.WindowCounts(
                value.errors, value.failed_requests, requests
            )
        result.append(window)
    return result


def read_rule(rule, end: datetime, known_groups: set[str] = frozenset()) -> dict[str, Reading]:
    """The metric of every group over the window ending at `end`, with its baseline.

    Groups with a state (`known_groups`) are read too, so that a group whose errors
    stopped reads 0 and can resolve."""
    width = timedelta(seconds=rule.window_seconds)
    baselines = baseline_windows(rule, end)
    counts = window_counts(rule, [(end - width, end), *baselines])
    groups = set(counts[0]) | set(known_groups)
    if not rule.group_by:
        groups = {""}
    readings = {}
    for group in groups:
        value = maths.metric_value(rule.metric, counts[0].get(group, maths.WindowCounts()))
        previous = [
            maths.metric_value(rule.metric, c.get(group, maths.WindowCounts())) for c in counts[1:]
        ]
        baseline = maths.median_baseline(previous) if baselines else None
        readings[group] = Reading(value, baseline)
    return readings
