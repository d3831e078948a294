"""On the real stack: a spike for one account arrives through the ingest API; evaluating the
rules as beat would sends exactly one signed webhook and one email, then exactly one resolve
of each, and nothing more however often the evaluation runs."""

import hashlib
import hmac
import json
from datetime import timedelta

import orjson
import pytest
from django.utils import timezone
from helpers import error, make_record, wait_for
from receivers import MailSink, WebhookReceiver

from dashboard.alerts.evaluate import evaluate_all, evaluation_minute
from dashboard.alerts.models import Attempt, Channel, Delivery, Rule
from dashboard.alerts.tasks import deliver
from ingest.models import Envelope

SPIKE_ACCOUNT, CALM_ACCOUNT = "18ce54d4x5t", "calm0001"


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def mail():
    sink = MailSink()
    yield sink
    sink.close()


@pytest.fixture
def alert_worker(make_worker, mail):
    return make_worker(
        "alert-worker", env={"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(mail.port)}
    )


def traffic(now):
    """Two hours of 2 errors per 5 minutes for two accounts, then 40 for one account."""
    records = []
    for minutes_ago in range(7, 120, 5):
        for account in (SPIKE_ACCOUNT, CALM_ACCOUNT):
            for _ in range(2):
                records.append(
                    make_record(
                        status=400,
                        account=account,
                        occurred_at=now - timedelta(minutes=minutes_ago),
                        errors=[error("INVALID_PARAMETER", "start_time")],
                    )
                )
    for index in range(40):
        records.append(
            make_record(
                status=503,
                account=SPIKE_ACCOUNT,
                occurred_at=now - timedelta(seconds=30 + index),
                errors=[error("OVER_CAPACITY")],
            )
        )
    return records


def spike_rule(webhook_url: str) -> Rule:
    rule = Rule.objects.create(
        name="errors doubled",
        metric="errors",
        window_seconds=300,
        condition="spike",
        threshold=3,
        baseline=Rule.MEDIAN,
        baseline_windows=12,
        min_count=10,
        group_by="account",
    )
    rule.channels.add(
        Channel.objects.create(name="hook", kind=Channel.WEBHOOK, target=webhook_url),
        Channel.objects.create(name="ops", kind=Channel.EMAIL, target="ops@example.com"),
    )
    return rule


def payloads(webhook, event):
    bodies = [json.loads(body) for _, body in webhook.delivered()]
    return [body for body in bodies if body["event"] == event]


def test_a_spike_notifies_once_and_resolves_once(api_client, webhook, mail, alert_worker):
    now = evaluation_minute(timezone.now())
    records = traffic(now)
    answer = api_client.post(
        "/api/v1/ingest", data=orjson.dumps(records), content_type="application/json"
    )
    assert answer.json()["accepted"] == len(records)
    wait_for(lambda: Envelope.objects.count() == len(records), what="stored envelopes")
    rule = spike_rule(webhook.url)

    assert evaluate_all(now) == 2  # one webhook, one email
    wait_for(lambda: len(webhook.delivered()) == 1 and len(mail.messages) == 1, what="fire")
    assert evaluate_all(now) == 0  # the same minute again changes nothing

    headers, body = webhook.delivered()[0]
    secret = rule.channels.get(kind=Channel.WEBHOOK).secret
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-signature-sha256"] == expected
    fired = json.loads(body)
    assert fired["event"] == "fire"
    assert fired["group"] == {"by": "account", "key": SPIKE_ACCOUNT}
    assert fired["value"] == 40 and fired["baseline"] == 2
    assert f"account={SPIKE_ACCOUNT}" in fired["link"] and SPIKE_ACCOUNT in fired["text"]
    assert SPIKE_ACCOUNT in mail.messages[0].content.decode()
    assert mail.messages[0].rcpt_tos == ["ops@example.com"]

    later = now + timedelta(minutes=10)  # the spike has left the window
    assert evaluate_all(later) == 2
    wait_for(lambda: len(webhook.delivered()) == 2 and len(mail.messages) == 2, what="resolve")
    assert evaluate_all(later) == 0
    assert evaluate_all(later + timedelta(minutes=1)) == 0

    assert [p["event"] for p in payloads(webhook, "resolve")] == ["resolve"]
    assert len(webhook.received) == 2 and len(mail.messages) == 2
    firing = rule.firings.get()
    assert firing.group_key == SPIKE_ACCOUNT and firing.ended_at == later


def test_a_webhook_failing_twice_is_delivered_exactly_once(stack, make_worker):
    receiver = WebhookReceiver(fail_first=2)
    make_worker("retry-worker")
    channel = Channel.objects.create(name="flaky", kind=Channel.WEBHOOK, target=receiver.url)

    delivery = Delivery.objects.create(
        channel=channel, event=Delivery.TEST, event_at=timezone.now(), payload={"event": "test"}
    )
    try:
        deliver.delay(delivery.pk)
        wait_for(lambda: len(receiver.delivered()) == 1, timeout=60, what="delivery")
        # the worker records the outcome after the receiver has answered
        wait_for(
            lambda: Delivery.objects.get(pk=delivery.pk).status == Delivery.SENT,
            what="delivery recorded",
        )
        delivery.refresh_from_db()
        assert delivery.status == Delivery.SENT and delivery.attempts == 3
        assert list(Attempt.objects.filter(delivery=delivery).values_list("ok", flat=True)) == [
            False,
            False,
            True,
        ]
        deliver.delay(delivery.pk)  # a duplicate task sends nothing more
        wait_for(lambda: Delivery.objects.get(pk=delivery.pk).attempts == 3, what="settled")
        assert len(receiver.received) == 3 and len(receiver.delivered()) == 1
    finally:
        receiver.close()
