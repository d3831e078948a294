"""One POST of an encoded batch to the ingest API, with the standard library only."""

import urllib.error
import urllib.request
from dataclasses import dataclass

INGEST_PATH = "/api/v1/ingest"
USER_AGENT = "xads-capture/1"


@dataclass(frozen=True, slots=True)
class Reply:
    """What the ingest server answered."""

    status: int
    body: bytes
    retry_after: str | None


def ingest_url(endpoint_url: str) -> str:
    """The ingest API URL under a server's base URL (e.g. ``https://xads.example.com``)."""
    return str(endpoint_url).rstrip("/") + INGEST_PATH


def post_batch(url: str, token: str, body: bytes, timeout: float) -> Reply:
    """POST a JSON array of records and return the answer, whatever its status.

    Network failures raise OSError (URLError and timeouts are OSErrors) or
    http.client.HTTPException; a malformed or non-HTTP URL raises ValueError or
    http.client.InvalidURL.
    """
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"the ingest URL must be http(s), got {url!r}")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, response.read(), response.headers.get("Retry-After"))
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.read(), error.headers.get("Retry-After"))
