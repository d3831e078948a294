"""The endpoints the fake API serves and how a request path finds one.

An endpoint is named like the dashboard names it, e.g.
``GET /12/accounts/:account_id/campaigns/:id``: that name keys per-endpoint error rates.
"""

from dataclasses import dataclass

COLLECTION = "collection"
ITEM = "item"
STATS = "stats"
BATCH = "batch"
METHODS = {
    COLLECTION: ("GET", "POST"),
    ITEM: ("GET", "POST", "PUT", "DELETE"),
    STATS: ("GET",),
    BATCH: ("POST",),
}
ACCOUNT_PLACEHOLDER = ":account_id"
ID_PLACEHOLDER = ":id"


@dataclass(frozen=True)
class Route:
    """A path template, what kind of answer it gives and the type of object it serves."""

    template: str
    kind: str
    data_type: str
    deprecated: bool = False

    @property
    def methods(self) -> tuple[str, ...]:
        return METHODS[self.kind]


ROUTES = (
    Route("/12/accounts", COLLECTION, "account"),
    Route("/12/accounts/:account_id", ITEM, "account"),
    Route("/12/accounts/:account_id/campaigns", COLLECTION, "campaign"),
    Route("/12/accounts/:account_id/campaigns/:id", ITEM, "campaign"),
    Route("/12/accounts/:account_id/line_items", COLLECTION, "line_item"),
    Route("/12/accounts/:account_id/line_items/:id", ITEM, "line_item"),
    Route("/12/accounts/:account_id/promoted_tweets", COLLECTION, "promoted_tweet", True),
    Route("/12/accounts/:account_id/promoted_tweets/:id", ITEM, "promoted_tweet", True),
    Route("/12/stats/accounts/:account_id", STATS, "stats"),
    Route("/12/batch/accounts/:account_id/campaigns", BATCH, "campaign"),
)


@dataclass(frozen=True)
class Match:
    """A request path matched to a route, with the ids the path holds."""

    route: Route
    method: str
    account_id: str | None = None
    entity_id: str | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.route.template}"


def _bind(template: str, segments: list[str]) -> dict[str, str] | None:
    """The placeholder values when the segments fit the template, else None."""
    expected = template.strip("/").split("/")
    if len(expected) != len(segments):
        return None
    values = {}
    for pattern, segment in zip(expected, segments, strict=True):
        if pattern.startswith(":"):
            values[pattern] = segment
        elif pattern != segment:
            return None
    return values


def match_route(method: str, path: str) -> Match | None:
    """The route serving ``path`` (any method), or None when no route has that shape."""
    segments = [segment for segment in path.split("/") if segment]
    for route in ROUTES:
        values = _bind(route.template, segments)
        if values is not None:
            return Match(route, method, values.get(ACCOUNT_PLACEHOLDER), values.get(ID_PLACEHOLDER))
    return None
