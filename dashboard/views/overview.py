from django.shortcuts import render

from dashboard.state import LABELS
from dashboard.views.common import dashboard_page, page_context
from ingest.filters import DIMENSIONS
from ingest.fold import rollup_snapshot
from ingest.models import Envelope
from ingest.queries.aggregates import bucket_starts, totals
from ingest.queries.breakdowns import breakdown, chart_interval, error_trend, period_change

TABLE_ROWS = 10


def _table(filters, dimension: str, interval: str, errors: int) -> dict:
    rows = breakdown(filters, dimension, interval, errors)
    return {
        "dimension": dimension,
        "label": LABELS[dimension],
        "rows": rows[:TABLE_ROWS],
        "more": max(len(rows) - TABLE_ROWS, 0),
        "all_rows": rows,
    }


@dashboard_page
def overview(request, state):
    if not Envelope.objects.exists():
        return render(request, "dashboard/welcome.html", page_context(request, state))
    filters = state.filters
    interval = chart_interval(filters)
    with rollup_snapshot():  # totals and breakdowns of one moment: shares add up
        current, previous = totals(filters), totals(state.previous)
        tables = [_table(filters, dimension, interval, current.errors) for dimension in DIMENSIONS]
    code_rows = tables[list(DIMENSIONS).index("code")]["all_rows"]
    trend = error_trend(code_rows, bucket_starts(filters.since, filters.until, interval))
    return render(
        request,
        "dashboard/overview.html",
        page_context(
            request,
            state,
            totals=current,
            changes=period_change(current, previous),
            failure_rate=current.failed_requests / current.requests if current.requests else None,
            previous_failure_rate=(
                previous.failed_requests / previous.requests if previous.requests else None
            ),
            tables=tables,
            trend=trend,
            interval=interval,
        ),
    )
