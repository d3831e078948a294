"""What a request asks for: its route, the parameters the API echoes back, and the items
of a batch request."""

import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

from ingest.fakeapi.routes import Match

FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Call:
    """One request to a known route. ``params`` is what ``request.params`` echoes: the
    account id, the query and form parameters. ``items`` is the JSON array a batch request
    sent (None when its body is not one)."""

    match: Match
    params: dict[str, str]
    items: list | None = None

    @property
    def account_id(self) -> str | None:
        return self.match.account_id

    @property
    def endpoint(self) -> str:
        return self.match.endpoint


def _json_array(body: bytes) -> list | None:
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    return decoded if isinstance(decoded, list) else None


def read_call(match: Match, query: str, body: bytes, content_type: str | None) -> Call:
    """The call a request makes, from its route, query string and body."""
    params = {"account_id": match.account_id} if match.account_id else {}
    params |= dict(parse_qsl(query, keep_blank_values=True))
    if content_type and content_type.startswith(FORM_TYPE):
        params |= dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return Call(match, params, _json_array(body) if body else None)
