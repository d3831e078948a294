"""What the dashboard pages show, composed from `aggregates.grouped_counts`: breakdown rows
with their share and trend line, the error trend stacked by code, and per-code and
per-account reports. The numbers are the read API's numbers by construction."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ingest.catalog import CATALOG
from ingest.filters import Filters
from ingest.fold import rollup_snapshot
from ingest.queries.aggregates import Counts, bucket_starts, grouped_counts
from ingest.queries.sql import fetch_all

HOURLY_CHART_MAX_RANGE = timedelta(hours=48)
TREND_TOP_CODES = 5
OTHER = "other"


def chart_interval(filters: Filters) -> str:
    """Hourly points up to two days, daily points beyond."""
    return "hour" if filters.until - filters.since <= HOURLY_CHART_MAX_RANGE else "day"


@dataclass
class Row:
    key: object
    errors: int = 0
    failed_requests: int = 0
    requests: int = 0
    share: float = 0.0
    series: list[int] = field(default_factory=list)
    top_codes: list[tuple[str, int]] = field(default_factory=list)

    @property
    def failure_rate(self) -> float:
        return self.failed_requests / self.requests if self.requests else 0.0


def _series_rows(
    filters: Filters, dimension: str, interval: str, failed_only: bool
) -> dict[object, Row]:
    starts = bucket_starts(filters.since, filters.until, interval)
    position = {start: index for index, start in enumerate(starts)}
    rows: dict[object, Row] = {}
    for (key, start), counts in grouped_counts(filters, (dimension,), interval, failed_only):
        row = rows.setdefault(key, Row(key, series=[0] * len(starts)))
        row.errors += counts.errors
        row.failed_requests += counts.failed_requests
        row.requests += counts.requests
        row.series[position[start]] += counts.errors
    return rows


def breakdown(filters: Filters, dimension: str, interval: str, total_errors: int) -> list[Row]:
    """Failed requests grouped by `dimension`, most errors first, with share and trend."""
    rows = list(_series_rows(filters, dimension, interval, failed_only=True).values())
    for row in rows:
        row.share = row.errors / total_errors if total_errors else 0.0
    rows.sort(key=lambda row: (-row.errors, -row.failed_requests, str(row.key)))
    return rows


def error_trend(code_rows: list[Row], starts: list[datetime]) -> dict:
    """Errors per bucket stacked by the top codes, the rest summed as 'other'."""
    top, rest = code_rows[:TREND_TOP_CODES], code_rows[TREND_TOP_CODES:]
    series = [{"label": row.key, "values": row.series} for row in top]
    if rest:
        other = [sum(column) for column in zip(*(row.series for row in rest), strict=True)]
        series.append({"label": OTHER, "values": other})
    return {"starts": [int(start.timestamp()) for start in starts], "series": series}


def account_report(filters: Filters, interval: str) -> list[Row]:
    """Every account with requests, failure rate, errors, trend and top codes."""
    codes: dict[object, list[tuple[str, int]]] = defaultdict(list)
    with rollup_snapshot():
        rows = _series_rows(filters, "account", interval, failed_only=False)
        by_code = grouped_counts(filters, ("account", "code"), failed_only=True)
    for (account, code), counts in by_code:
        codes[account].append((code, counts.errors))
    for account, row in rows.items():
        row.top_codes = sorted(codes[account], key=lambda item: (-item[1], item[0]))[:3]
    return list(rows.values())


@dataclass
class CodeRow:
    code: str
    catalog_status: int | None
    errors: int = 0
    failed_requests: int = 0
    accounts: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    @property
    def unknown(self) -> bool:
        return self.catalog_status is None


def _seen_bounds(filters: Filters, codes: list[str]) -> dict[str, tuple[datetime, datetime]]:
    """First and last occurrence per code within the range (index lookups, not a scan)."""
    if not codes:
        return {}
    rows = fetch_all(
        "SELECT c.code, "
        "(SELECT min(occurred_at) FROM ingest_error e WHERE e.code = c.code "
        " AND e.occurred_at >= %s AND e.occurred_at < %s), "
        "(SELECT max(occurred_at) FROM ingest_error e WHERE e.code = c.code "
        " AND e.occurred_at >= %s AND e.occurred_at < %s) "
        "FROM unnest(%s::text[]) AS c(code)",
        [filters.since, filters.until, filters.since, filters.until, codes],
    )
    return {code: (first, last) for code, first, last in rows}


def code_report(filters: Filters) -> list[CodeRow]:
    """Every catalog code and every code seen, unknown codes first, then by errors."""
    rows = {code: CodeRow(code, status) for code, status in CATALOG.items()}
    with rollup_snapshot():
        by_account = grouped_counts(filters, ("code", "account"), failed_only=True)
        for (code, _account), counts in by_account:
            row = rows.setdefault(code, CodeRow(code, CATALOG.get(code)))
            row.errors += counts.errors
            row.failed_requests += counts.failed_requests
            row.accounts += 1
        seen = _seen_bounds(filters, [code for code, row in rows.items() if row.errors])
    for code, (first, last) in seen.items():
        rows[code].first_seen, rows[code].last_seen = first, last
    return sorted(rows.values(), key=lambda r: (not (r.unknown and r.errors), -r.errors, r.code))


def period_change(current: Counts, previous: Counts) -> dict[str, float | None]:
    """Relative change of each total against the previous period (None when it was 0)."""
    change = {}
    for name, now in current.as_dict().items():
        before = getattr(previous, name)
        change[name] = (now - before) / before if before else None
    return change
