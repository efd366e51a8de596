"""The form Admins fill in for a webhook endpoint."""
from __future__ import annotations

from django import forms

from .models import EVENTS, WebhookEndpoint


class EndpointForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https",
                         help_text="Where Parley POSTs the events (https in production)")
    events = forms.MultipleChoiceField(
        choices=[(name, f"{name} — {meaning}") for name, meaning in EVENTS.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Pick at least one event to send."},
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "active"]
        labels = {"url": "URL", "active": "Send events to this URL"}

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError("Use an http or https URL.")
        return url
