from django.contrib import admin

from dashboard.alerts.models import Attempt, Channel, Delivery, Firing, Rule, RuleState


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "metric",
        "condition",
        "threshold",
        "window_seconds",
        "group_by",
        "paused",
    ]
    list_filter = ["paused", "metric", "condition"]
    search_fields = ["name", "account", "code", "endpoint"]
    filter_horizontal = ["channels"]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "target"]


@admin.register(Firing)
class FiringAdmin(admin.ModelAdmin):
    list_display = ["rule", "group_key", "started_at", "ended_at", "peak_value", "baseline"]
    list_filter = ["rule"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["channel", "event", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "event"]


admin.site.register(RuleState)
admin.site.register(Attempt)
