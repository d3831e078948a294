"""API tokens: issued once in plain text, stored as a SHA-256 digest, checked per request.

Tokens carry 256 random bits, so a fast digest is enough (as GitHub does); a slow
password hash would only cost time on every ingest call.

The web process remembers a live token for CACHE_SECONDS, so that an ingest call needs no
database round trip: a revoked token keeps working for at most that long.
"""

import hashlib
import secrets

from django.core.cache import caches

from ingest.models import ApiToken

TOKEN_PREFIX = "xads_"
CACHE_ALIAS = "tokens"
CACHE_SECONDS = 5


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def parse_scopes(text: str) -> list[str]:
    """Turn 'ingest,read' into a list, refusing scopes that do not exist."""
    scopes = sorted({part.strip() for part in text.split(",") if part.strip()})
    unknown = [scope for scope in scopes if scope not in ApiToken.SCOPES]
    if unknown or not scopes:
        raise ValueError(f"scopes must be a comma-separated subset of {', '.join(ApiToken.SCOPES)}")
    return scopes


def issue_token(name: str, scopes: list[str]) -> str:
    """Create a token and return its plain text, which is never stored."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        name=name,
        prefix=plaintext[: len(TOKEN_PREFIX) + 6],
        key_hash=_digest(plaintext),
        scopes=scopes,
    )
    return plaintext


def find_token(plaintext: str) -> ApiToken | None:
    """The live token with this plain text, or None."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    return _live_token(_digest(plaintext))


def find_token_cached(plaintext: str) -> ApiToken | None:
    """Like find_token, but a token found live in the last CACHE_SECONDS is not looked up
    again. Unknown tokens are not remembered: a newly issued token works at once."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    digest = _digest(plaintext)
    cache = caches[CACHE_ALIAS]
    token = cache.get(digest)
    if token is None:
        token = _live_token(digest)
        if token is not None:
            cache.set(digest, token, CACHE_SECONDS)
    return token


def _live_token(digest: str) -> ApiToken | None:
    return ApiToken.objects.filter(key_hash=digest, revoked_at__isnull=True).first()
