"""Turn request URLs into low-cardinality endpoint templates and find the account in them.

Path rules, applied to the path only (scheme, host, query and fragment are ignored):

* segments are split on "/"; empty segments are dropped, so "//" collapses to "/" and a
  trailing slash disappears; an empty path becomes "/";
* the segment right after a segment equal to ``accounts`` becomes ``:account_id``;
* a first segment made only of ASCII digits is the API version and stays (``/12/...``);
* any other segment containing an ASCII digit becomes ``:id``;
* all other segments are kept exactly as written (no percent-decoding).
"""

import re
from functools import lru_cache
from urllib.parse import unquote

ACCOUNTS_SEGMENT = "accounts"
ACCOUNT_PLACEHOLDER = ":account_id"
ID_PLACEHOLDER = ":id"

# The path: after the optional "scheme://" prefix (as in RFC 3986) and authority, up to the
# query or fragment. A URL without the prefix is treated as a bare path.
_PATH = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*)?([^?#]*)")
_ASCII_DIGIT = re.compile(r"[0-9]")


def _raw_path(url: str) -> str:
    """Return the path part of an absolute URL or of a bare path, undecoded."""
    return _PATH.match(url).group(1)


def _raw_segments(url: str) -> list[str]:
    """Split the URL path on "/", keeping empty segments (they matter for adjacency)."""
    return _raw_path(url).split("/")


def _template_segment(segment: str, previous: str | None, is_first: bool) -> str:
    """Template one non-empty path segment according to the module rules."""
    if previous == ACCOUNTS_SEGMENT:
        return ACCOUNT_PLACEHOLDER
    if segment.isalpha():  # the common case, and letters are not digits
        return segment
    if is_first and segment.isascii() and segment.isdigit():
        return segment
    if _ASCII_DIGIT.search(segment):
        return ID_PLACEHOLDER
    return segment


def endpoint_template(method: str, url: str) -> str:
    """Return ``"<METHOD> <templated path>"`` for a request.

    >>> endpoint_template("get", "https://ads-api.x.com/12/accounts/abcdefg/campaigns/8wk12?x=1")
    'GET /12/accounts/:account_id/campaigns/:id'
    """
    return _endpoint_template(method, _raw_path(url))


# Traffic repeats paths (one per account and endpoint). A URL is at most 8,192 characters,
# so the cached paths and templates take at most ~16 MB.
@lru_cache(maxsize=1024)
def _endpoint_template(method: str, path: str) -> str:
    return f"{method.upper()} {_templated_path(path)}"


def _templated_path(path: str) -> str:
    templated: list[str] = []
    previous: str | None = None
    for segment in path.split("/"):
        if segment:
            templated.append(_template_segment(segment, previous, is_first=not templated))
        previous = segment
    return f"/{'/'.join(templated)}"


def account_from_url(url: str) -> str | None:
    """Return the percent-decoded path segment right after ``accounts``, or None.

    Only the first ``accounts`` segment counts; an empty or missing segment after it
    (``/12/accounts`` or ``/12/accounts//campaigns``) gives None.
    """
    segments = _raw_segments(url)
    for index, segment in enumerate(segments[:-1]):
        if segment == ACCOUNTS_SEGMENT:
            account = unquote(segments[index + 1])
            return account or None
    return None
