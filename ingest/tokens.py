"""API tokens: issued once in plain text, stored as a SHA-256 digest, checked per request.

Tokens carry 256 random bits, so a fast digest is enough (as GitHub does); a slow
password hash would only cost time on every ingest call.
"""

import hashlib
import secrets

from ingest.models import ApiToken

TOKEN_PREFIX = "xads_"


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
    return ApiToken.objects.filter(key_hash=_digest(plaintext), revoked_at__isnull=True).first()
