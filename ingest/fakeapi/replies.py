"""What the fake API answers: a status, headers and body bytes, and the error codes the
body names (so that what was served can be counted without parsing it again)."""

import json
from dataclasses import dataclass, field

JSON_TYPE = "application/json;charset=utf-8"
HTML_TYPE = "text/html;charset=utf-8"
FAILED_STATUS_MIN = 400


@dataclass(frozen=True)
class Reply:
    """One HTTP answer. ``codes`` lists the error codes of ``errors`` and
    ``operation_errors``, in order."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    codes: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        """Failed as the dashboard counts it: an error status or any error in the body."""
        return self.status >= FAILED_STATUS_MIN or bool(self.codes)

    @property
    def error_count(self) -> int:
        """Errors as the dashboard counts them: one per error object, or one standing for a
        failed response that names none."""
        return len(self.codes) or int(self.failed)

    def with_headers(self, headers: dict[str, str]) -> "Reply":
        """The same reply with more headers (existing names keep their value)."""
        return Reply(self.status, self.body, {**headers, **self.headers}, self.codes)


def error_codes(payload: object) -> tuple[str, ...]:
    """The codes of a JSON payload's ``errors`` and ``operation_errors`` entries."""
    if not isinstance(payload, dict):
        return ()
    elements = _list(payload.get("errors"))
    for entry in _list(payload.get("operation_errors")):
        elements.extend(_list(entry))
    return tuple(str(element.get("code")) for element in elements if isinstance(element, dict))


def _list(value: object) -> list:
    return list(value) if isinstance(value, list) else []


def json_reply(status: int, payload: object, headers: dict[str, str] | None = None) -> Reply:
    """A JSON answer."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Reply(status, body, {"content-type": JSON_TYPE, **(headers or {})}, error_codes(payload))


def html_reply(status: int, html: str) -> Reply:
    """An HTML answer, as the API's front end sometimes gives instead of JSON."""
    return Reply(status, html.encode(), {"content-type": HTML_TYPE})


def empty_reply(status: int) -> Reply:
    """An answer with no body at all."""
    return Reply(status)
