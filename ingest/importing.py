"""Read ingest records from files: NDJSON (one record per line) and HAR (the JSON archive
browsers and proxies export). Pure: no Django, no file access; validation, parsing (and so
redaction) and storage are the caller's, as for records that come through the API.

Each file yields ``Entry`` items numbered by their place in the file (line number for
NDJSON, from 1; entry index for HAR, from 0): that number names a rejected entry and, with
the file's hash, names the chunk of the file its record is stored with, so importing a file
again stores nothing twice.
"""

import base64
import binascii
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import orjson

BOM = b"\xef\xbb\xbf"
HAR_START = re.compile(rb'\s*\{\s*"log"\s*:')
TEXT_MEDIA_MARKERS = ("text/", "json", "xml", "javascript", "html", "x-www-form-urlencoded")
BINARY_PLACEHOLDER = "[binary body not imported: {size} bytes of {media_type}]"


class NotAHarFile(ValueError):
    """The file cannot be read as a HAR archive."""


@dataclass(frozen=True)
class Entry:
    """One record read from a file (still to be validated), or why none could be read."""

    position: int
    record: object = None
    problem: str | None = None


def looks_like_har(name: str, head: bytes) -> bool:
    """Whether a file is HAR (by its name, or a JSON object whose first key is ``log``)."""
    return name.lower().endswith(".har") or bool(HAR_START.match(head.removeprefix(BOM)))


# --- NDJSON ----------------------------------------------------------------------------------


def ndjson_entries(lines: Iterable[bytes]) -> Iterator[Entry]:
    """One entry per non-blank line, numbered from 1."""
    for number, line in enumerate(lines, start=1):
        if number == 1:
            line = line.removeprefix(BOM)
        if not line.strip():
            continue
        try:
            yield Entry(number, record=orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            yield Entry(number, problem=f"not valid JSON: {exc}")


# --- HAR -------------------------------------------------------------------------------------


def har_entries(data: bytes) -> list[Entry]:
    """One entry per ``log.entries`` element, numbered from 0; NotAHarFile if the file has
    no such list."""
    try:
        archive = orjson.loads(data.removeprefix(BOM))
    except orjson.JSONDecodeError as exc:
        raise NotAHarFile(f"not valid JSON: {exc}") from None
    log = archive.get("log") if isinstance(archive, dict) else None
    items = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(items, list):
        raise NotAHarFile("a HAR file is a JSON object with a log.entries list")
    entries = []
    for index, item in enumerate(items):
        try:
            entries.append(Entry(index, record=har_record(item)))
        except ValueError as exc:
            entries.append(Entry(index, problem=str(exc)))
    return entries


def _object(parent: object, name: str) -> dict:
    value = parent.get(name) if isinstance(parent, dict) else None
    if not isinstance(value, dict):
        raise ValueError(f"the entry has no {name} object")
    return value


def har_record(entry: object) -> dict:
    """The ingest record of one HAR entry; ValueError names what is missing. Values are
    taken as they are: validation judges them."""
    request, response = _object(entry, "request"), _object(entry, "response")
    record = {
        "method": request.get("method"),
        "url": request.get("url"),
        "status": response.get("status"),
        "headers": har_headers(response.get("headers")),
        "body": har_body(response.get("content")),
        "occurred_at": entry.get("startedDateTime"),
    }
    elapsed = entry.get("time")
    if isinstance(elapsed, int | float) and not isinstance(elapsed, bool) and elapsed >= 0:
        record["duration_ms"] = elapsed  # HAR uses -1 for "unknown"
    return record


def har_headers(headers: object) -> dict[str, str]:
    """HAR's ``[{"name": ..., "value": ...}]`` as a dict; repeated names joined with ", ".
    HTTP/2 pseudo-headers (``:status``) are left out."""
    merged: dict[str, str] = {}
    for header in headers if isinstance(headers, list) else []:
        name = header.get("name") if isinstance(header, dict) else None
        value = header.get("value")
        if not isinstance(name, str) or not isinstance(value, str) or name.startswith(":"):
            continue
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged


def har_body(content: object) -> object:
    """The response body: decoded JSON when the media type says JSON (and it parses), else
    text; None when the archive did not keep it. Base64 ``encoding`` is undone."""
    if not isinstance(content, dict) or not isinstance(content.get("text"), str):
        return None
    text, media_type = content["text"], str(content.get("mimeType") or "").lower()
    if content.get("encoding") == "base64":
        try:
            data = base64.b64decode(text, validate=True)
        except binascii.Error:
            raise ValueError("response.content.text is not valid base64") from None
        if media_type and not any(marker in media_type for marker in TEXT_MEDIA_MARKERS):
            return BINARY_PLACEHOLDER.format(size=len(data), media_type=media_type)
        text = data.decode("utf-8", "replace")
    if "json" in media_type:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return text
    return text
