"""Who may call the API: bearer tokens with scopes, or a logged-in dashboard session."""

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from ingest.tokens import find_token_cached


class ScopedBearer(HttpBearer):
    """`Authorization: Bearer <token>`; a valid token without the scope gets 403."""

    def __init__(self, scope: str):
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str):
        api_token = find_token_cached(token)
        if api_token is None:
            return None
        if self.scope not in api_token.scopes:
            raise HttpError(403, f"this token lacks the '{self.scope}' scope")
        return api_token


class LoggedInSession(SessionAuth):
    """A dashboard session; read-only calls need no CSRF token."""

    csrf = False


ingest_auth = [ScopedBearer("ingest")]
read_auth = [ScopedBearer("read"), LoggedInSession()]
