from django.urls import reverse

NAV = (
    ("overview", "Overview"),
    ("requests", "Requests"),
    ("codes", "Error codes"),
    ("accounts", "Accounts"),
    ("alerts:rules", "Alerts"),
)


def navigation(request) -> dict:
    """Plain navigation links; dashboard pages replace them with links that keep the
    range and filters (see dashboard.views.common.page_context)."""
    return {"nav": nav_links(request, lambda path: path)}


def nav_links(request, carry) -> list[dict]:
    links = []
    for name, label in NAV:
        path = reverse(name)
        current = request.path == path or (
            name.startswith("alerts") and request.path.startswith(path)
        )
        links.append({"label": label, "url": carry(path), "current": current})
    return links
