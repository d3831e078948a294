"""Remove credentials from what we store: secret headers, OAuth parameters, URL passwords.

Redaction replaces values in place and leaves everything else byte-for-byte as sent, so a
stored URL or header set stays recognisable to the person who made the request.
"""

import re
from collections.abc import Mapping
from urllib.parse import unquote_plus

import orjson

from ingest.body import request_params
from ingest.memo import memoised

REDACTED = "[redacted]"
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})
SECRET_PARAM_PREFIX = "oauth_"
# Lower-casing keeps the length of any header name that becomes a secret one.
_SECRET_HEADER_LENGTHS = frozenset(len(name) for name in SECRET_HEADERS)
# The percent-encodings of "o", "a", "u", "t", "h", "_" in either case all start so.
_PERCENT_ENCODED_LETTER = re.compile(r"%[4-7]")
# A JSON escape of an ASCII letter or "_" (a key may spell "oauth_" so).
_ESCAPED_LETTER = re.compile(r"\\u00[4-7]")

# scheme "://" userinfo "@": the userinfo may not contain "/", "?" or "#" (RFC 3986), and
# the last "@" before the path ends it.
_USERINFO = re.compile(r"^(?P<prefix>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/?#]*)@")


def _is_secret_param(name: object) -> bool:
    """True when a parameter name (already decoded) is an OAuth parameter."""
    return isinstance(name, str) and name.lower().startswith(SECRET_PARAM_PREFIX)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return the headers with the values of credential headers replaced by REDACTED.

    Header names are matched case-insensitively; keys and their order are kept.
    """
    redacted = dict(headers)
    for name in _secret_header_names(tuple(headers)):
        redacted[name] = REDACTED
    return redacted


@memoised  # an integration sends the same header names record after record
def _secret_header_names(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(
        name
        for name in names
        if len(name) in _SECRET_HEADER_LENGTHS and name.lower() in SECRET_HEADERS
    )


def _may_hold_secret_params(params: Mapping[str, object]) -> bool:
    """A cheap test that is False only when no key is an OAuth parameter: lower-casing maps
    character by character, so the joined keys hold every secret key's "oauth_"."""
    try:
        keys = "&".join(params)
    except TypeError:  # a key that is not a string
        return True
    return SECRET_PARAM_PREFIX in keys.lower()


def has_secret_params(params: Mapping[str, object]) -> bool:
    """True when some key of the params is an ``oauth_*`` parameter (any case)."""
    return _may_hold_secret_params(params) and any(map(_is_secret_param, params))


def redact_error_value(parameter: object, value: object) -> object:
    """The echoed value of an error about an OAuth parameter is a credential."""
    return REDACTED if _is_secret_param(parameter) else value


def redact_params(params: Mapping[str, object]) -> dict[str, object]:
    """Return the params with every ``oauth_*`` key (any case) given the value REDACTED."""
    return {key: REDACTED if _is_secret_param(key) else value for key, value in params.items()}


def _redact_query_pair(pair: str) -> str:
    """Redact one raw ``name=value`` query pair; a pair without "=" has no value to hide."""
    name, separator, _value = pair.partition("=")
    if separator and _is_secret_param(unquote_plus(name)):
        return f"{name}={REDACTED}"
    return pair


def _redact_query(url_without_fragment: str) -> str:
    """Redact the OAuth parameters of the query string, leaving the rest untouched."""
    base, question_mark, query = url_without_fragment.partition("?")
    if not question_mark:
        return url_without_fragment
    pairs = [_redact_query_pair(pair) for pair in query.split("&")]
    return f"{base}?{'&'.join(pairs)}"


def _redact_userinfo(url: str) -> str:
    """Replace the password of ``scheme://user:password@host`` with REDACTED."""
    match = _USERINFO.match(url)
    if match is None:
        return url
    user, colon, _password = match.group("userinfo").partition(":")
    if not colon:
        return url
    return f"{match.group('prefix')}{user}:{REDACTED}@{url[match.end() :]}"


def _may_name_secret_params(url: str) -> bool:
    """A cheap test that is False only when no query name can decode to an OAuth parameter:
    such a name holds "oauth_" as is (any case) or some of its characters percent-encoded.
    (Lower-casing maps no other character to one of these.)"""
    return SECRET_PARAM_PREFIX in url.lower() or bool(_PERCENT_ENCODED_LETTER.search(url))


def redact_url(url: str) -> str:
    """Return the URL with OAuth query values and any userinfo password replaced by REDACTED.

    The query string is split on "&" as sent; nothing is re-encoded or reordered, and the
    fragment is left alone.
    """
    if "@" not in url and not _may_name_secret_params(url):
        return url
    before_fragment, hash_mark, fragment = url.partition("#")
    redacted = _redact_userinfo(_redact_query(before_fragment))
    return f"{redacted}{hash_mark}{fragment}"


def _may_hide_secrets(body_json: str) -> bool:
    """A cheap test that is False only when the body text holds no ``oauth_*`` key or error
    parameter, not even in a repeated key (whose first copies stay in the text, though
    decoding keeps the last) or spelt with escapes of ASCII letters."""
    # Substring tests first: a case-insensitive regex costs several times more per body.
    if "oauth" in body_json.lower():
        return True
    return "\\u00" in body_json and _ESCAPED_LETTER.search(body_json) is not None


def redact_body_json(body_json: str) -> str:
    """The body text as sent, unless it may hold a credential: then the body re-encoded from
    a fresh decoding (repeated keys collapse to the one that counts), with the values of
    ``request.params`` ``oauth_*`` keys and of errors about ``oauth_*`` parameters redacted;
    keys keep their order."""
    if not _may_hide_secrets(body_json):
        return body_json
    body = orjson.loads(body_json)
    params = request_params(body)
    if params is not None:
        params.update(redact_params(params))
    if isinstance(body, dict):
        _redact_error_values(body.get("errors"))
        entries = body.get("operation_errors")
        for entry in entries if isinstance(entries, list) else ():
            _redact_error_values(entry)
    return orjson.dumps(body).decode()


def _redact_error_values(elements: object) -> None:
    for element in elements if isinstance(elements, list) else ():
        if isinstance(element, dict) and "value" in element:
            element["value"] = redact_error_value(element.get("parameter"), element["value"])
