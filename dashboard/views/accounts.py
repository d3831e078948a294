from django.shortcuts import render

from dashboard.views.common import dashboard_page, page_context
from ingest.queries.breakdowns import account_report, chart_interval

SORTS = {
    "account": lambda row: str(row.key),
    "requests": lambda row: row.requests,
    "failure_rate": lambda row: row.failure_rate,
    "errors": lambda row: row.errors,
}
DEFAULT_SORT = "errors"


@dashboard_page
def accounts(request, state):
    sort = request.GET.get("sort", DEFAULT_SORT)
    sort = sort if sort in SORTS else DEFAULT_SORT
    descending = request.GET.get("dir", "desc" if sort != "account" else "asc") == "desc"
    # Ties stay in account order, whatever the direction (sorts are stable, even reversed).
    rows = sorted(
        account_report(state.filters, chart_interval(state.filters)), key=SORTS["account"]
    )
    rows.sort(key=SORTS[sort], reverse=descending)
    columns = [
        {
            "name": name,
            "url": state.url(sort=name, dir="asc" if descending and name == sort else "desc"),
            "active": name == sort,
            "descending": descending,
        }
        for name in SORTS
    ]
    return render(
        request,
        "dashboard/accounts.html",
        page_context(request, state, rows=rows, columns={c["name"]: c for c in columns}),
    )
