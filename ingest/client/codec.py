"""JSON encoding and decoding: orjson when it is installed, the standard library otherwise.

Both produce compact UTF-8 JSON, the form in which the ingest server measures records.
Decoding errors are ``ValueError`` either way (orjson's JSONDecodeError is one).
"""

import json

try:
    import orjson
except ImportError:
    orjson = None


def dumps(value: object) -> bytes:
    """Encode as compact UTF-8 JSON; raises TypeError for values JSON cannot hold."""
    if orjson is not None:
        return orjson.dumps(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def loads(data: bytes | str) -> object:
    """Decode JSON text; raises ValueError when it is not JSON."""
    if orjson is not None:
        return orjson.loads(data)
    return json.loads(data)
