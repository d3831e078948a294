"""Alert pages: create, preview, pause, delete rules; channels and their test button."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from helpers import error, make_record, store_records

from dashboard.alerts.models import Channel, Delivery, Rule

RULE = {
    "name": "Too many INVALID_PARAMETER", "code": "INVALID_PARAMETER", "metric": "errors",
    "window_minutes": "5", "condition": "threshold", "threshold": "3", "baseline": "median",
    "baseline_windows": "24", "min_count": "1", "fire_after": "1", "group_by": "account",
}  # fmt: skip


@pytest.fixture
def viewer(stack) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_user("ops", password="x-long-pass-123"))
    return client


def test_alert_pages_need_a_login(stack):
    for path in ("/alerts/", "/alerts/new/", "/alerts/history/", "/alerts/channels/"):
        assert Client().get(path).status_code == 302


def test_a_rule_created_through_the_form_is_listed(viewer):
    channel = Channel.objects.create(name="ops-mail", kind=Channel.EMAIL, target="ops@example.com")

    answer = viewer.post("/alerts/new/", {**RULE, "channels": [channel.pk], "action": "save"})

    rule = Rule.objects.get()
    assert answer.status_code == 302
    assert rule.window_seconds == 300 and rule.scope == {"code": ("INVALID_PARAMETER",)}
    listing = viewer.get("/alerts/").content.decode()
    assert "Too many INVALID_PARAMETER" in listing and "ops-mail" in listing


def test_preview_counts_firings_over_stored_data_without_saving(viewer):
    now = timezone.now()
    store_records([
        make_record(status=400, account="acc-a", occurred_at=now - timedelta(hours=2, seconds=i),
                    errors=[error("INVALID_PARAMETER", "start_time")])
        for i in range(5)
    ])  # fmt: skip

    html = viewer.post("/alerts/new/", {**RULE, "action": "preview"}).content.decode()

    preview = re.search(r'id="preview">(.*?)</p>', html, re.S)[1]
    assert re.search(r"<strong>1</strong> time", preview)
    assert "acc-a 1" in preview
    assert not Rule.objects.exists()


def test_form_errors_name_the_field(viewer):
    html = viewer.post("/alerts/new/", {**RULE, "window_minutes": "2000", "action": "save"})

    assert "Ensure this value is less than or equal to 1440" in html.content.decode()
    assert not Rule.objects.exists()


def test_pause_and_delete(viewer):
    rule = Rule.objects.create(name="r")

    viewer.post(f"/alerts/{rule.pk}/pause/")
    rule.refresh_from_db()
    assert rule.paused
    viewer.post(f"/alerts/{rule.pk}/delete/")
    assert not Rule.objects.exists()


def test_channels_validate_their_target_and_queue_a_test_notification(viewer):
    bad = viewer.post("/alerts/channels/", {"name": "x", "kind": "webhook", "target": "nope"})
    assert "Enter a valid URL" in bad.content.decode()

    viewer.post(
        "/alerts/channels/",
        {"name": "hook", "kind": "webhook", "target": "http://127.0.0.1:9/hook"},
    )
    channel = Channel.objects.get()
    viewer.post(f"/alerts/channels/{channel.pk}/test/")

    delivery = Delivery.objects.get()
    assert delivery.event == Delivery.TEST and delivery.payload["text"].startswith("[TEST]")
