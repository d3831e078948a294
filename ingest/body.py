"""The parts of a response body that parsing reads, with the body's JSON text.

Parsing needs only ``body.errors``, ``body.operation_errors`` and ``body.request.params``
of a body, and its text to store. `body_parts` takes them from a decoded body;
`ingest.wire` reads them straight from the JSON text, without decoding the rest.
"""

from dataclasses import dataclass

import orjson


# Not frozen, but never changed once built: one is built per record on the ingest hot path,
# where a frozen dataclass costs three times as much to build.
@dataclass(slots=True)
class BodyParts:
    """What parsing reads of a body; the parts are None when the body does not hold them."""

    json: str  # the body as JSON text (not yet redacted)
    errors: object = None  # body["errors"] of an object body
    operation_errors: object = None  # body["operation_errors"] of an object body
    params: dict | None = None  # body["request"]["params"] when every step is an object


def request_params(body: object) -> dict | None:
    """Return ``body["request"]["params"]`` when every step is a dict, else None."""
    return params_of_request(body.get("request")) if isinstance(body, dict) else None


def params_of_request(request: object) -> dict | None:
    """Return ``request["params"]`` when both are dicts, else None."""
    if not isinstance(request, dict):
        return None
    params = request.get("params")
    return params if isinstance(params, dict) else None


def body_parts(body: object) -> BodyParts:
    """The parts of a decoded body; its JSON text is the compact serialisation."""
    json = orjson.dumps(body).decode()
    if not isinstance(body, dict):
        return BodyParts(json)
    return BodyParts(json, body.get("errors"), body.get("operation_errors"), request_params(body))
