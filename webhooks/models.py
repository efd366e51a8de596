"""Outbound webhooks: the endpoints Admins configure and the log of every delivery to them."""
from __future__ import annotations

from django.conf import settings
from django.db import models

# The events Parley sends, with what each means (docs/api.md shows their payloads).
EVENTS = {
    "call.completed": "A call was finalized: its outcome, duration, summary so far and extracted fields",
    "meeting.booked": "The agent booked a meeting on a call",
    "meeting.updated": "A meeting was confirmed, rescheduled, canceled, reopened, held or marked no-show",
    "lead.opted_out": "A person asked not to be called again; the number is on the do-not-call list",
    "import.finished": "A lead file import finished (done or failed), with its counters",
}


def default_events() -> list[str]:
    return list(EVENTS)


class WebhookEndpoint(models.Model):
    """A URL that receives the events it subscribes to, each body signed with its secret (HMAC-SHA256)."""

    url = models.URLField(max_length=500, help_text="https URL that receives POSTed JSON events")
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=default_events, help_text="Event types sent to this URL")
    secret = models.CharField(max_length=100, help_text="Signing secret shared with the receiver")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description or self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: the exact body sent, each attempt's result, and what happens next."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=40, db_index=True, help_text="Same for every endpoint and replay")
    event = models.CharField(max_length=40)
    body = models.TextField(help_text="The JSON body, byte for byte what is signed and sent")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True, help_text="A sender holds it until then")
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.TextField(blank=True, help_text="First bytes of the receiver's answer")
    last_error = models.TextField(blank=True)
    log = models.JSONField(default=list, blank=True, help_text='[{"at", "code", "error", "ms"}] one per attempt')
    replay_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replays")
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(status="pending"), name="webhook_delivery_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint} ({self.status})"
