"""Pages for alert rules, channels and history. Login required on every page."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from dashboard.alerts.evaluate import evaluation_minute
from dashboard.alerts.forms import ChannelForm, RuleForm
from dashboard.alerts.models import Channel, Delivery, Firing, Rule
from dashboard.alerts.notify import build_payload, dashboard_link
from dashboard.alerts.preview import preview

HISTORY_ROWS = 200


@login_required
def rule_list(request):
    rules = (
        Rule.objects.annotate(firing_groups=Count("states", filter=Q(states__status="firing")))
        .prefetch_related("channels")
        .order_by("name")
    )
    return render(request, "alerts/rules.html", {"rules": rules})


@login_required
def rule_edit(request, rule_id: int | None = None):
    rule = get_object_or_404(Rule, pk=rule_id) if rule_id else Rule()
    form = RuleForm(request.POST or None, instance=rule)
    result = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "preview":
            result = preview(form.instance, evaluation_minute(timezone.now()))
        else:
            form.save()
            return redirect("alerts:rule", rule_id=form.instance.pk)
    return render(request, "alerts/rule_form.html", {"form": form, "rule": rule, "preview": result})


@login_required
def rule_history(request, rule_id: int):
    rule = get_object_or_404(Rule, pk=rule_id)
    firings = rule.firings.prefetch_related("deliveries__attempt_log", "deliveries__channel")
    rows = [_firing_row(rule, firing) for firing in firings[:HISTORY_ROWS]]
    return render(
        request,
        "alerts/rule_history.html",
        {"rule": rule, "rows": rows, "states": rule.states.order_by("group_key")},
    )


@login_required
def history(request):
    firings = Firing.objects.select_related("rule")[:HISTORY_ROWS]
    return render(
        request,
        "alerts/history.html",
        {"rows": [_firing_row(firing.rule, firing) for firing in firings]},
    )


def _firing_row(rule: Rule, firing: Firing) -> dict:
    window = timedelta(seconds=rule.window_seconds)
    start, end = firing.started_at - window, firing.ended_at or timezone.now()
    link = dashboard_link(rule, firing.group_key, start, end)
    query = link.split("?", 1)[1]
    return {"firing": firing, "overview": f"/?{query}", "requests": f"/requests/?{query}"}


@login_required
@require_POST
def rule_pause(request, rule_id: int):
    rule = get_object_or_404(Rule, pk=rule_id)
    rule.paused = not rule.paused
    rule.save(update_fields=["paused"])
    return redirect("alerts:rules")


@login_required
@require_POST
def rule_delete(request, rule_id: int):
    get_object_or_404(Rule, pk=rule_id).delete()
    return redirect("alerts:rules")


@login_required
def channel_list(request):
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("alerts:channels")
    channels = Channel.objects.order_by("name")
    recent = Delivery.objects.select_related("channel").prefetch_related("attempt_log")[:50]
    return render(
        request, "alerts/channels.html", {"form": form, "channels": channels, "recent": recent}
    )


@login_required
@require_POST
def channel_test(request, channel_id: int):
    from dashboard.alerts.tasks import deliver

    channel = get_object_or_404(Channel, pk=channel_id)
    now = timezone.now()
    sample = Rule(pk=0, name=f"Test notification for {channel.name}")
    delivery = Delivery.objects.create(
        channel=channel,
        event=Delivery.TEST,
        event_at=now,
        payload=build_payload(sample, "test", "", 0, None, now),
    )
    deliver.delay(delivery.pk)
    return redirect("alerts:channels")
