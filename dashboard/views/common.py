"""What every page shares: the URL state, and a clear 400 page for bad filters."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from dashboard.context_processors import nav_links
from dashboard.state import RANGES, page_state
from ingest.filters import FilterError


def dashboard_page(view):
    """Login required; the page state parsed from the URL is passed as `state`."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            state = page_state(request.GET, timezone.now())
        except FilterError as exc:
            return render(request, "dashboard/bad_filter.html", {"error": exc}, status=400)
        return view(request, state, *args, **kwargs)

    return wrapper


def page_context(request, state, **context) -> dict:
    nav = nav_links(request, state.carried)
    ranges = [{"name": name, "url": state.range_url(name)} for name in RANGES]
    return {"state": state, "nav": nav, "ranges": ranges, "chips": state.chips(), **context}
