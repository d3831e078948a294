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

from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest.filters import DIMENSIONS, ERROR_DIMENSIONS, Filters
from ingest.queries.sql import fetch_all, filter_conditions
from ingest.segments import DAILY, HOURLY, RAW, Segment, plan_segments

INTERVALS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
TIMESERIES_MAX_BUCKETS = 2_000
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


RAW_ENVELOPES = Source(
    "ingest_envelope",
    "occurred_at",
    "count(*)",
    "count(*) FILTER (WHERE failed)",
    "sum(error_count)",
)
RAW_ERRORS = Source(
    "ingest_error",
    "occurred_at",
    "count(DISTINCT envelope_id)",
    "count(DISTINCT envelope_id)",
    "count(*)",
)


def _counts_by_error(filters: Filters, group_by: str | None) -> bool:
    return bool(filters.error_values) or group_by in ERROR_DIMENSIONS


def _distinct_column(filters: Filters, group_by: str | None) -> str | None:
    """The error-rollup column that counts distinct requests exactly, or None."""
    errors = filters.error_values
    if any(len(values) > 1 for values in errors.values()):
        return None
    dimensions = set(errors) | ({group_by} & set(ERROR_DIMENSIONS))
    if dimensions == {"code"}:
        return "code_requests"
    if dimensions == {"parameter"}:
        return "parameter_requests"
    return "pair_requests"


def _source(segment: Segment, filters: Filters, group_by: str | None) -> Source:
    by_error = _counts_by_error(filters, group_by)
    if segment.source == RAW:
        return RAW_ERRORS if by_error else RAW_ENVELOPES
    if not by_error:
        table = ROLLUP_TABLES[(segment.source, "request")]
        return Source(table, "bucket", "sum(requests)", "sum(failed_requests)", "sum(errors)")
    distinct = f"sum({_distinct_column(filters, group_by)})"
    table = ROLLUP_TABLES[(segment.source, "error")]
    return Source(table, "bucket", distinct, distinct, "sum(errors)")


def _segments(filters: Filters, group_by: str | None, finest: str) -> list[Segment]:
    if _counts_by_error(filters, group_by) and _distinct_column(filters, group_by) is None:
        return [Segment(RAW, filters.since, filters.until)]
    return plan_segments(filters.since, filters.until, finest)


def _segment_sql(segment: Segment, source: Source, filters: Filters, key_sql: str, params: list):
    params += [segment.start, segment.end]
    conditions = [f"{source.time_column} >= %s", f"{source.time_column} < %s"]
    # Error filters only ever meet error sources (see _source), so all dimensions apply.
    conditions += filter_conditions(filters, DIMENSIONS, params)
    key = key_sql.format(time=source.time_column)
    return (
        f"SELECT {key} AS key, {source.requests} AS requests, "
        f"{source.failed_requests} AS failed_requests, {source.errors} AS errors "
        f"FROM {source.table} WHERE {' AND '.join(conditions)} GROUP BY 1"
    )


def _grouped_counts(
    filters: Filters,
    group_by: str | None,
    key_sql: str,
    finest: str = DAILY,
    failed_only: bool = False,
) -> list[tuple[object, Counts]]:
    params: list = []
    parts = [
        _segment_sql(segment, _source(segment, filters, group_by), filters, key_sql, params)
        for segment in _segments(filters, group_by, finest)
    ]
    if not parts:
        return []
    having = "HAVING sum(failed_requests) > 0" if failed_only else ""
    rows = fetch_all(
        "SELECT key, sum(requests), sum(failed_requests), sum(errors) "
        f"FROM ({' UNION ALL '.join(parts)}) AS segments GROUP BY key {having}",
        params,
    )
    return [(key, Counts(int(r or 0), int(f or 0), int(e or 0))) for key, r, f, e in rows]


def totals(filters: Filters) -> Counts:
    """Requests, failed requests and errors matching the filters."""
    rows = _grouped_counts(filters, None, "NULL::text")
    return rows[0][1] if rows else Counts(0, 0, 0)


def summary(filters: Filters, group_by: str) -> dict:
    """Totals, and the failed requests grouped by one dimension, most errors first."""
    column = DIMENSIONS[group_by]
    rows = _grouped_counts(filters, group_by, column, failed_only=True)
    rows.sort(key=lambda row: (-row[1].errors, -row[1].failed_requests, str(row[0])))
    groups = [
        {"key": key, "errors": counts.errors, "failed_requests": counts.failed_requests}
        for key, counts in rows
    ]
    return {"totals": totals(filters).as_dict(), "groups": groups}


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
    finest = HOURLY if interval == "hour" else DAILY
    key_sql = f"date_trunc('{interval}', {{time}}, 'UTC')"
    counts = dict(_grouped_counts(filters, None, key_sql, finest))
    return [
        {"start": start, **counts.get(start, Counts(0, 0, 0)).as_dict()}
        for start in bucket_starts(filters.since, filters.until, interval)
    ]
