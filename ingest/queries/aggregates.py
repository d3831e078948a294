"""Error aggregates: totals, groups and time series, exact over any filters.

Every count is a sum over disjoint time segments (see `ingest.segments`). The ragged edges
come from raw rows; whole hours and days from rollups, when the rollups can answer exactly:

- with no code/parameter filter, request rollups give requests, failed requests and errors;
  grouping by code (or parameter) sums `code_requests` (or `parameter_requests`), which count
  each request once per code (or parameter);
- with one code and/or one parameter, error rollups filtered to it give the errors, and the
  matching requests from `code_requests`, `parameter_requests` or `pair_requests`;
- with several codes or parameters, distinct requests cannot be summed from rollups, so the
  whole range is read from raw rows (slower, still exact).
"""

from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest.filters import DIMENSIONS, ERROR_DIMENSIONS, Filters
from ingest.fold import rollup_snapshot
from ingest.queries.sql import fetch_all, filter_conditions
from ingest.segments import DAILY, HOURLY, RAW, Segment, plan_segments

INTERVALS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
TIMESERIES_MAX_BUCKETS = 2_000
DIMENSION_TABLES = {HOURLY: "ingest_hourlydimensionrollup", DAILY: "ingest_dailydimensionrollup"}
ROLLUP_TABLES = {
    (HOURLY, "request"): "ingest_hourlyrequestrollup",
    (DAILY, "request"): "ingest_dailyrequestrollup",
    (HOURLY, "error"): "ingest_hourlyerrorrollup",
    (DAILY, "error"): "ingest_dailyerrorrollup",
}


@dataclass(frozen=True)
class Counts:
    requests: int
    failed_requests: int
    errors: int

    def as_dict(self) -> dict:
        return {
            "requests": self.requests,
            "failed_requests": self.failed_requests,
            "errors": self.errors,
        }


@dataclass(frozen=True)
class Source:
    """How to count over one kind of table: its name, time column and count expressions."""

    table: str
    time_column: str
    requests: str
    failed_requests: str
    errors: str
    condition: str = "TRUE"
    one_dimension: bool = False  # a dimension rollup: the grouped value is in `value`

    def key_column(self, name: str) -> str:
        if not self.one_dimension:
            return DIMENSIONS[name]
        return "value::smallint" if name == "http_status" else "value"


RAW_ENVELOPES = Source(
    "ingest_envelope",
    "occurred_at",
    "count(*)",
    "count(*) FILTER (WHERE failed)",
    "sum(error_count)",
)
RAW_FAILED_ENVELOPES = Source(
    "ingest_envelope", "occurred_at", "count(*)", "count(*)", "sum(error_count)", "failed"
)
RAW_ERRORS = Source(
    "ingest_error",
    "occurred_at",
    "count(DISTINCT envelope_id)",
    "count(DISTINCT envelope_id)",
    "count(*)",
)


def _error_dimensions(filters: Filters, by: Sequence[str]) -> set[str]:
    return set(filters.error_values) | (set(by) & set(ERROR_DIMENSIONS))


def _distinct_column(filters: Filters, by: Sequence[str]) -> str | None:
    """The error-rollup column that counts distinct requests exactly, or None."""
    if any(len(values) > 1 for values in filters.error_values.values()):
        return None
    dimensions = _error_dimensions(filters, by)
    if dimensions == {"code"}:
        return "code_requests"
    if dimensions == {"parameter"}:
        return "parameter_requests"
    return "pair_requests"


def _source(segment: Segment, filters: Filters, by: Sequence[str], failed_only: bool) -> Source:
    """Where a segment's counts come from. Failed requests alone are read from the error
    rollups, which hold only failed traffic: far fewer rows than the request rollups."""
    by_error = bool(_error_dimensions(filters, by))
    if segment.source != RAW and not filters.values and len(by) <= 1:
        dimension = by[0] if by else ""
        return Source(
            DIMENSION_TABLES[segment.source],
            "bucket",
            "sum(requests)",
            "sum(failed_requests)",
            "sum(errors)",
            f"dimension = '{dimension}'",
            True,
        )
    if segment.source == RAW:
        if by_error:
            return RAW_ERRORS
        return RAW_FAILED_ENVELOPES if failed_only else RAW_ENVELOPES
    if not by_error and not failed_only:
        table = ROLLUP_TABLES[(segment.source, "request")]
        return Source(table, "bucket", "sum(requests)", "sum(failed_requests)", "sum(errors)")
    column = _distinct_column(filters, by) if by_error else "first_error_requests"
    distinct = f"sum({column})"
    table = ROLLUP_TABLES[(segment.source, "error")]
    return Source(table, "bucket", distinct, distinct, "sum(errors)")


def _segments(
    filters: Filters, by: Sequence[str], finest: str, unfolded: Set[datetime]
) -> list[Segment]:
    if _error_dimensions(filters, by) and _distinct_column(filters, by) is None:
        return [Segment(RAW, filters.since, filters.until)]
    return plan_segments(filters.since, filters.until, finest, unfolded)


def _key_columns(by: Sequence[str], interval: str | None, source: Source) -> list[str]:
    keys = [source.key_column(name) for name in by]
    if interval:
        keys.append(f"date_trunc('{interval}', {source.time_column}, 'UTC')")
    return keys or ["NULL::text"]


def _segment_sql(segment: Segment, source: Source, filters: Filters, keys: list[str], params):
    params += [segment.start, segment.end]
    conditions = [f"{source.time_column} >= %s", f"{source.time_column} < %s", source.condition]
    # Error filters only ever meet error sources (see _source), so all dimensions apply.
    conditions += filter_conditions(filters, DIMENSIONS, params)
    selected = ", ".join(f"{key} AS k{index}" for index, key in enumerate(keys))
    return (
        f"SELECT {selected}, {source.requests} AS requests, "
        f"{source.failed_requests} AS failed_requests, {source.errors} AS errors "
        f"FROM {source.table} WHERE {' AND '.join(conditions)} "
        f"GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))}"
    )


def _summed(parts: list[str], params: list, key_names: str, having: str = "") -> list[tuple]:
    """The counts of every segment query in `parts`, summed per key."""
    return fetch_all(
        f"SELECT {key_names}, sum(requests), sum(failed_requests), sum(errors) "
        f"FROM ({' UNION ALL '.join(parts)}) AS segments GROUP BY {key_names} {having}",
        params,
    )


def grouped_counts(
    filters: Filters,
    by: Sequence[str] = (),
    interval: str | None = None,
    failed_only: bool = False,
) -> list[tuple[tuple, Counts]]:
    """Counts per combination of the dimensions `by` (and per UTC bucket of `interval`).

    Keys are tuples in the order of `by`, the bucket start last. `failed_only` keeps the
    groups that have failed requests."""
    finest = HOURLY if interval == "hour" else DAILY
    width = len(by) + (1 if interval else 0) or 1
    key_names = ", ".join(f"k{index}" for index in range(width))
    having = "HAVING sum(failed_requests) > 0" if failed_only else ""
    with rollup_snapshot() as unfolded:
        params: list = []
        parts = []
        for segment in _segments(filters, by, finest, unfolded):
            source = _source(segment, filters, by, failed_only)
            keys = _key_columns(by, interval, source)
            parts.append(_segment_sql(segment, source, filters, keys, params))
        if not parts:
            return []
        rows = _summed(parts, params, key_names, having)
    return [
        (tuple(row[:width]), Counts(*(int(value or 0) for value in row[width:]))) for row in rows
    ]


def windowed_counts(
    filters: Filters, windows: Sequence[tuple[datetime, datetime]], by: Sequence[str] = ()
) -> list[dict[tuple, Counts]]:
    """For each [start, end) window, counts per combination of `by`, in one query.

    The filters' own since/until are ignored; alerts use this to read a window and its
    baseline windows at once."""
    result: list[dict[tuple, Counts]] = [{} for _ in windows]
    key_names = ", ".join(f"k{index}" for index in range(len(by) + 1))
    with rollup_snapshot() as unfolded:
        params: list = []
        parts = []
        for index, (start, end) in enumerate(windows):
            window = Filters(start, end, filters.values)
            for segment in _segments(window, by, DAILY, unfolded):
                source = _source(segment, window, by, failed_only=False)
                keys = [str(index), *(source.key_column(name) for name in by)]
                parts.append(_segment_sql(segment, source, window, keys, params))
        if not parts:
            return result
        rows = _summed(parts, params, key_names)
    for row in rows:
        key, values = tuple(row[1 : len(by) + 1]), row[len(by) + 1 :]
        result[int(row[0])][key] = Counts(*(int(value or 0) for value in values))
    return result


def totals(filters: Filters) -> Counts:
    """Requests, failed requests and errors matching the filters."""
    rows = grouped_counts(filters)
    return rows[0][1] if rows else Counts(0, 0, 0)


def summary(filters: Filters, group_by: str) -> dict:
    """Totals, and the failed requests grouped by one dimension, most errors first, read in
    one snapshot."""
    with rollup_snapshot():
        rows = grouped_counts(filters, (group_by,), failed_only=True)
        counted = totals(filters)
    rows.sort(key=lambda row: (-row[1].errors, -row[1].failed_requests, str(row[0])))
    groups = [
        {"key": key, "errors": counts.errors, "failed_requests": counts.failed_requests}
        for (key,), counts in rows
    ]
    return {"totals": counted.as_dict(), "groups": groups}


def bucket_starts(since: datetime, until: datetime, interval: str) -> list[datetime]:
    step = INTERVALS[interval]
    start = since.replace(minute=0, second=0, microsecond=0)
    if interval == "day":
        start = start.replace(hour=0)
    starts = []
    while start < until:
        starts.append(start)
        start += step
    return starts


def timeseries(filters: Filters, interval: str) -> list[dict]:
    """Counts per UTC hour or day over the range, empty buckets included."""
    counts = {key[-1]: value for key, value in grouped_counts(filters, interval=interval)}
    return [
        {"start": start, **counts.get(start, Counts(0, 0, 0)).as_dict()}
        for start in bucket_starts(filters.since, filters.until, interval)
    ]
