"""What a notification says, and sending it by email or signed webhook."""

import hashlib
import hmac
import json
import urllib.request
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail

SIGNATURE_HEADER = "X-Signature-SHA256"
WEBHOOK_TIMEOUT_SECONDS = 10
EVENT_WORDS = {"fire": "FIRING", "resolve": "RESOLVED", "reminder": "STILL FIRING", "test": "TEST"}


def dashboard_link(rule, group: str, start: datetime, end: datetime) -> str:
    """The overview filtered to the rule's scope (and group) over the firing window."""
    params = {name: values[0] for name, values in rule.scope.items()}
    if rule.group_by and group:
        params[rule.group_by] = group
    params.update(range="custom", since=start.isoformat(), until=end.isoformat())
    return f"{settings.PUBLIC_URL.rstrip('/')}/?{urlencode(params)}"


def describe(payload: dict) -> str:
    """One line for humans: email subject, chat message."""
    group = f" on {payload['group']['by']} {payload['group']['key']}" if payload["group"] else ""
    baseline = f" (baseline {payload['baseline']:g})" if payload["baseline"] is not None else ""
    return (
        f"[{EVENT_WORDS[payload['event']]}] {payload['rule']['name']}{group}: "
        f"{payload['metric']} = {payload['value']:g}{baseline} over "
        f"{payload['window_seconds'] // 60} min"
    )


def build_payload(
    rule, event: str, group: str, value: float, baseline: float | None, at: datetime
) -> dict:
    start = at - timedelta(seconds=rule.window_seconds)
    payload = {
        "event": event,
        "rule": {"id": rule.pk, "name": rule.name},
        "scope": {name: values[0] for name, values in rule.scope.items()},
        "group": {"by": rule.group_by, "key": group} if rule.group_by else None,
        "metric": rule.metric,
        "value": value,
        "baseline": baseline,
        "window_seconds": rule.window_seconds,
        "at": at.isoformat(),
        "link": dashboard_link(rule, group, start, at),
    }
    payload["text"] = f"{describe(payload)} {payload['link']}"
    return payload


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(url: str, secret: str, payload: dict) -> str:
    """POST the payload; raises on a network error or a non-2xx answer."""
    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature(secret, body)},
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
        return f"HTTP {response.status}"


def send_email(recipients: str, payload: dict) -> str:
    to = [address.strip() for address in recipients.split(",") if address.strip()]
    body = json.dumps({k: v for k, v in payload.items() if k != "text"}, indent=2)
    send_mail(describe(payload), f"{payload['text']}\n\n{body}\n", None, to)
    return f"sent to {len(to)} recipient(s)"
