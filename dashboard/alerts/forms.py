from django import forms

from dashboard.alerts.models import Channel, Rule


class RuleForm(forms.ModelForm):
    window_minutes = forms.IntegerField(
        min_value=1, max_value=1440, initial=5, help_text="1 minute to 24 hours."
    )

    class Meta:
        model = Rule
        fields = [
            "name",
            "account",
            "code",
            "http_status",
            "endpoint",
            "parameter",
            "metric",
            "window_minutes",
            "condition",
            "threshold",
            "baseline",
            "baseline_windows",
            "min_count",
            "fire_after",
            "resolve_below",
            "group_by",
            "reminder_minutes",
            "silenced_until",
            "channels",
        ]
        widgets = {
            "silenced_until": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "channels": forms.CheckboxSelectMultiple,
        }
        help_texts = {"account": "Blank means all.", "code": "Blank means all."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["window_minutes"] = self.instance.window_seconds // 60

    def clean(self):
        cleaned = super().clean()
        minutes = cleaned.get("window_minutes")
        if minutes:
            self.instance.window_seconds = minutes * 60
        resolve_below = cleaned.get("resolve_below")
        threshold = cleaned.get("threshold")
        if (
            resolve_below is not None
            and cleaned.get("condition") == "threshold"
            and threshold is not None
            and resolve_below > threshold
        ):
            self.add_error("resolve_below", "must not be above the threshold")
        return cleaned


class ChannelForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = ["name", "kind", "target"]

    def clean(self):
        cleaned = super().clean()
        kind, target = cleaned.get("kind"), cleaned.get("target", "")
        if kind == Channel.WEBHOOK:
            forms.URLField(assume_scheme="https").clean(target)
        elif kind == Channel.EMAIL:
            for address in target.split(","):
                forms.EmailField().clean(address.strip())
        return cleaned
