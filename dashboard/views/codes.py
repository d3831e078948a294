from django.shortcuts import render

from dashboard.views.common import dashboard_page, page_context
from ingest.queries.breakdowns import code_report


@dashboard_page
def error_codes(request, state):
    rows = code_report(state.filters)
    unknown_seen = sum(1 for row in rows if row.unknown and row.errors)
    return render(
        request,
        "dashboard/codes.html",
        page_context(request, state, rows=rows, unknown_seen=unknown_seen),
    )
