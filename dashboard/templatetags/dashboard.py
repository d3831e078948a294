"""Template helpers: sparklines as inline SVG, percentages, changes, pretty JSON."""

import orjson
from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()

SPARK_WIDTH, SPARK_HEIGHT = 100, 24


def sparkline_points(values: list[int], width: int = SPARK_WIDTH, height: int = SPARK_HEIGHT):
    """SVG polyline points for `values`, scaled to the box (top is the maximum)."""
    if not values:
        return ""
    peak = max(values) or 1
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{index * step:.1f},{height - 1 - (value / peak) * (height - 2):.1f}"
        for index, value in enumerate(values)
    )


@register.simple_tag
def sparkline(values: list[int], label: str = "trend"):
    return format_html(
        '<svg class="spark" viewBox="0 0 {} {}" preserveAspectRatio="none" role="img" '
        'aria-label="{}"><polyline points="{}"/></svg>',
        SPARK_WIDTH,
        SPARK_HEIGHT,
        label,
        sparkline_points(values),
    )


@register.filter
def percent(fraction: float | None, digits: int = 1) -> str:
    if fraction is None:
        return "-"
    return f"{fraction * 100:.{digits}f}%"


@register.filter
def change(fraction: float | None) -> str:
    """'+12.5% vs previous period'; a plain note when the previous period had none."""
    if fraction is None:
        return "none in the previous period"
    sign = "+" if fraction >= 0 else "-"
    return f"{sign}{abs(fraction) * 100:.1f}% vs previous period"


@register.filter
def precise_time(moment) -> str:
    """UTC time to the millisecond."""
    return f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond // 1000:03d}"


@register.filter
def pretty_json(value) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


@register.filter
def key_label(value) -> str:
    return "(none)" if value is None else str(value)


@register.simple_tag(takes_context=True)
def narrow(context, dimension: str, value) -> str:
    """The overview narrowed to `dimension` = `value`, keeping the rest of the page state."""
    return context["state"].narrowed_url(reverse("overview"), dimension, value)


@register.simple_tag(takes_context=True)
def narrow_requests(context, dimension: str, value) -> str:
    """The failed requests narrowed to `dimension` = `value`."""
    return context["state"].narrowed_url(reverse("requests"), dimension, value)


@register.simple_tag(takes_context=True)
def requests_url(context, include_successful: bool = False) -> str:
    url = context["state"].carried(reverse("requests"))
    if include_successful:
        url += ("&" if "?" in url else "?") + "all=1"
    return url


@register.simple_tag
def widthof(fraction: float) -> str:
    """A share as an SVG width out of 100 (CSP forbids inline style attributes)."""
    return f"{max(0.0, min(fraction, 1.0)) * 100:.1f}"
