"""One delivery attempt: send, log the attempt, and say whether to retry."""

from django.db import transaction
from django.utils import timezone

from dashboard.alerts.models import Attempt, Channel, Delivery
from dashboard.alerts.notify import send_email, send_webhook


def send(channel: Channel, payload: dict) -> str:
    if channel.kind == Channel.WEBHOOK:
        return send_webhook(channel.target, channel.secret, payload)
    return send_email(channel.target, payload)


def attempt_delivery(delivery_id: int, final: bool) -> str:
    """'sent', 'skipped' (already sent or gone), 'retry' or 'failed'."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .select_related("channel")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status == Delivery.SENT:
            return "skipped"
        delivery.attempts += 1
        try:
            detail = send(delivery.channel, delivery.payload)
        except Exception as exc:  # any failure of the channel is logged, never raised
            Attempt.objects.create(delivery=delivery, ok=False, detail=str(exc)[:2000])
            delivery.last_error = str(exc)[:2000]
            delivery.status = Delivery.FAILED if final else Delivery.PENDING
            delivery.save()
            return "failed" if final else "retry"
        Attempt.objects.create(delivery=delivery, ok=True, detail=detail)
        delivery.status, delivery.sent_at = Delivery.SENT, timezone.now()
        delivery.save()
        return "sent"
