"""API tokens: printed once by the command, stored only as a digest."""

import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ingest import tokens
from ingest.models import ApiToken
from ingest.tokens import find_token, find_token_cached, issue_token


@pytest.mark.django_db
def test_create_token_prints_the_token_last_and_stores_only_its_digest():
    out = StringIO()
    call_command("create_token", "sync-job", scopes="ingest,read", stdout=out)

    token = out.getvalue().strip().splitlines()[-1]
    stored = ApiToken.objects.get()
    assert token.startswith("xads_")
    assert token not in (stored.key_hash, stored.prefix)
    assert sorted(stored.scopes) == ["ingest", "read"]
    assert find_token(token) == stored


@pytest.mark.django_db
def test_unknown_scopes_are_refused():
    with pytest.raises(CommandError, match="scopes"):
        call_command("create_token", "x", scopes="admin", stdout=StringIO())


@pytest.mark.django_db
def test_a_revoked_token_is_not_found():
    out = StringIO()
    call_command("create_token", "x", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")

    assert find_token(token) is None


@pytest.mark.django_db
def test_a_live_token_is_remembered_without_a_query(django_assert_num_queries):
    token = issue_token("x", ["ingest"])
    found = find_token_cached(token)

    with django_assert_num_queries(0):
        assert find_token_cached(token) == found


@pytest.mark.django_db
def test_a_revoked_token_stops_working_once_remembered_seconds_pass(monkeypatch):
    monkeypatch.setattr(tokens, "CACHE_SECONDS", 0.2)
    token = issue_token("x", ["ingest"])
    assert find_token_cached(token) is not None
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")

    time.sleep(0.3)

    assert find_token_cached(token) is None


@pytest.mark.django_db
def test_an_unknown_token_is_not_remembered():
    token = tokens.TOKEN_PREFIX + "not-issued-yet"
    assert find_token_cached(token) is None
    ApiToken.objects.create(name="x", prefix="p", key_hash=tokens._digest(token), scopes=["read"])

    assert find_token_cached(token) is not None
