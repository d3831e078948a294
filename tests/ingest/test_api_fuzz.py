"""Hostile input: whatever JSON a client sends, ingest answers 202 or a clear 400."""

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.tokens import issue_token

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
record_like = st.fixed_dictionaries(
    {},
    optional={
        "status": json_values | st.integers(100, 599),
        "body": json_values,
        "url": json_values | st.just("https://ads-api.x.com/12/accounts/a/campaigns"),
        "method": json_values | st.sampled_from(["GET", "post"]),
        "occurred_at": json_values | st.just("2026-11-20T05:00:00Z"),
        "duration_ms": json_values,
        "headers": json_values,
        "account_id": json_values,
        "id": json_values,
    },
)


@pytest.mark.django_db(transaction=True)
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(payload=st.lists(record_like | json_values, max_size=5) | json_values)
def test_any_json_gets_202_or_a_clear_400(client, payload):
    try:
        raw = orjson.dumps(payload)
    except (orjson.JSONEncodeError, TypeError):  # e.g. integers beyond 64 bits
        raw = str(payload).encode()
    token = issue_token("fuzz", ["ingest"])

    answer = client.post(
        "/api/v1/ingest",
        data=raw,
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"},
    )

    assert answer.status_code in (202, 400), answer.content
    body = answer.json()
    if answer.status_code == 400:
        assert body["error"]
    else:
        assert body["accepted"] + len(body["rejected"]) == len(payload)
        assert all(item["error"] for item in body["rejected"])
