from django.http import Http404, HttpResponse
from django.shortcuts import render

from dashboard.templatetags.dashboard import pretty_json
from dashboard.views.common import dashboard_page, page_context
from ingest.catalog import CATALOG
from ingest.filters import FilterError
from ingest.queries.requests import get_request, list_requests
from ingest.signals import api_warning, rate_limits

BODY_PREVIEW_CHARS = 100_000


@dashboard_page
def request_list(request, state):
    include_successful = request.GET.get("all") == "1"
    try:
        page = list_requests(
            state.filters,
            failed=None if include_successful else True,
            cursor=request.GET.get("cursor"),
        )
    except FilterError as exc:
        return render(request, "dashboard/bad_filter.html", {"error": exc}, status=400)
    return render(
        request,
        "dashboard/requests.html",
        page_context(
            request,
            state,
            page=page,
            include_successful=include_successful,
            next_url=state.url(cursor=page["next"]) if page["next"] else None,
        ),
    )


def _stored(envelope_id: int) -> dict:
    envelope = get_request(envelope_id) if 0 < envelope_id < 2**63 else None
    if envelope is None:
        raise Http404(f"No request with id {envelope_id}")
    return envelope


@dashboard_page
def request_detail(request, state, envelope_id: int):
    envelope = _stored(envelope_id)
    for error in envelope["errors"]:
        error["catalog_status"] = CATALOG.get(error["code"])
    body_text = pretty_json(envelope["body"])
    return render(
        request,
        "dashboard/request_detail.html",
        page_context(
            request,
            state,
            envelope=envelope,
            api_warning=api_warning(envelope["headers"]),
            rate_limits=rate_limits(envelope["headers"]),
            body_preview=body_text[:BODY_PREVIEW_CHARS],
            body_truncated=len(body_text) > BODY_PREVIEW_CHARS,
            body_chars=len(body_text),
        ),
    )


@dashboard_page
def request_body(request, state, envelope_id: int):
    """The whole stored body, as a download."""
    response = HttpResponse(
        pretty_json(_stored(envelope_id)["body"]), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="request-{envelope_id}-body.json"'
    return response
