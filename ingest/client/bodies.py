"""Turn a response body into what the ingest contract wants: a JSON object or array, a
string, or None, small enough for the server's 1 MB record limit."""

from ingest.client import codec

# The server refuses records over 1 MB; a body is kept under this many bytes of JSON.
BODY_MAX_BYTES = 900_000
TRUNCATION_MARKER = "\n[truncated by the capture client: the body had {total} bytes]"
BINARY_PLACEHOLDER = "[binary body not captured: {size} bytes of {media_type}]"
# A JSON string escape is at most 6 bytes per character, so shorter texts always fit.
_ALWAYS_FITS_CHARS = BODY_MAX_BYTES // 6
_TEXT_MEDIA_MARKERS = ("text/", "json", "xml", "javascript", "html", "x-www-form-urlencoded")
_DEFAULT_CHARSET = "utf-8"


def bounded_head(body: bytes | str | None) -> tuple[bytes | str | None, int | None]:
    """The part of a body worth keeping (at most BODY_MAX_BYTES of bytes) and, when it was
    cut, the original size: so a queued body never holds more than it can send."""
    if isinstance(body, bytes | bytearray) and len(body) > BODY_MAX_BYTES:
        return bytes(body[:BODY_MAX_BYTES]), len(body)
    return body, None


def decode_body(
    body: bytes | str | None, content_type: str | None = None, original_size: int | None = None
) -> object:
    """The body as the ingest contract wants it: a JSON object or array, a string, or None.

    JSON is decoded when the content type says so or the text starts like an object or
    array. Binary media types are replaced by a short placeholder; texts are cut, with a
    marker, so that the body stays within BODY_MAX_BYTES once encoded. ``original_size`` is
    the size of the whole body when ``body`` holds only its beginning.
    """
    if body is None:
        return None
    media_type = _media_type(content_type)
    if "json" in media_type and original_size is None and len(body) <= BODY_MAX_BYTES:
        parsed = _parse_json(body)  # the common case, first
        if parsed is not None:
            return parsed
    if isinstance(body, str):
        return _json_or_text(body, media_type, content_type)
    data = bytes(body)
    size = max(len(data), original_size or 0)
    if not _is_text(media_type):
        return BINARY_PLACEHOLDER.format(size=size, media_type=media_type)
    if size > BODY_MAX_BYTES:
        return _bounded_text(_decode(data[:BODY_MAX_BYTES], content_type), size)
    return _json_or_text(data, media_type, content_type)


def _json_or_text(data: bytes | str, media_type: str, content_type: str | None) -> object:
    """Decoded JSON when the body is a JSON object or array, else the bounded text."""
    if len(data) <= BODY_MAX_BYTES and _may_be_json(data, media_type):
        parsed = _parse_json(data)
        if parsed is not None:
            return parsed
    text = data if isinstance(data, str) else _decode(data, content_type)
    return _bounded_text(text, None)


def _media_type(content_type: str | None) -> str:
    """The lower-case media type, e.g. ``application/json`` ("" when unknown)."""
    return str(content_type).partition(";")[0].strip().lower() if content_type else ""


def _charset(content_type: str | None) -> str:
    """The charset parameter of a content type, UTF-8 when there is none."""
    for parameter in str(content_type or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip(' "'):
            return value.strip(' "')
    return _DEFAULT_CHARSET


def _is_text(media_type: str) -> bool:
    """True for an unknown media type and for the textual ones."""
    return not media_type or any(marker in media_type for marker in _TEXT_MEDIA_MARKERS)


def _may_be_json(data: bytes | str, media_type: str) -> bool:
    """True when the media type says JSON or the body starts like an object or array."""
    if "json" in media_type:
        return True
    start = data[:64].lstrip()[:1]
    return start in ("{", "[", b"{", b"[")


def _parse_json(data: bytes | str) -> dict | list | None:
    """The decoded object or array, or None when the body is not one."""
    try:
        parsed = codec.loads(data)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict | list) else None


def _decode(data: bytes, content_type: str | None) -> str:
    """Decode with the declared charset (UTF-8 when unknown); bad bytes become U+FFFD."""
    try:
        return data.decode(_charset(content_type), "replace")
    except LookupError:
        return data.decode(_DEFAULT_CHARSET, "replace")


def _bounded_text(text: str, total_bytes: int | None) -> str:
    """The text, NUL-free (the database cannot store NUL) and within BODY_MAX_BYTES as JSON.

    ``total_bytes`` is the size of the original body when ``text`` is only its beginning.
    """
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if total_bytes is None and len(text) <= _ALWAYS_FITS_CHARS:
        return text
    encoded_size = len(codec.dumps(text))
    if total_bytes is None and encoded_size <= BODY_MAX_BYTES:
        return text
    if total_bytes is None:
        total_bytes = len(text.encode("utf-8", "replace"))
    return _truncate(text, encoded_size, total_bytes)


def _truncate(text: str, encoded_size: int, total_bytes: int) -> str:
    """Cut the text so that it and the truncation marker fit in BODY_MAX_BYTES as JSON."""
    marker = TRUNCATION_MARKER.format(total=total_bytes)
    budget = BODY_MAX_BYTES - len(codec.dumps(marker))
    while encoded_size > budget:
        text = text[: len(text) * budget // encoded_size]
        encoded_size = len(codec.dumps(text))
    return text + marker
