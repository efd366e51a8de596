"""Inbound calling: the phone numbers that answer with an agent, the tickets the agent leaves for the team, and
the transfers of callers to reps."""
from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from phonenumber_field.modelfields import PhoneNumberField


def default_business_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday


class PhoneNumber(models.Model):
    """A number callers ring: who answers (a script, pinned to a version or the published one), whom the agent
    books for and transfers to, business hours in one zone, what happens after hours and at capacity."""

    class AfterHours(models.TextChoices):
        AGENT = "agent", "The agent answers and offers a callback"
        MESSAGE = "message", "Play the after-hours message and hang up"
        FORWARD = "forward", "Forward to the after-hours number"

    number = PhoneNumberField(unique=True, help_text="E.164, as the provider gives it in To")
    provider = models.CharField(max_length=20, default="twilio")
    provider_sid = models.CharField(max_length=64, blank=True, help_text="The provider's number sid (PN…)")
    label = models.CharField(max_length=200)
    business_name = models.CharField(max_length=200, blank=True, help_text="Said in the greeting")
    script = models.ForeignKey("campaigns.Script", on_delete=models.PROTECT, related_name="phone_numbers")
    script_version = models.ForeignKey(
        "campaigns.ScriptVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="phone_numbers",
        help_text="Pinned version; empty means the script's published version",
    )
    greeting = models.TextField(
        blank=True,
        help_text="First words, e.g. 'Thanks for calling {business}, this is Sam, an AI assistant. How can I help?' "
        "An AI disclosure is added when it has none.",
    )
    reps = models.ManyToManyField("crm.Rep", blank=True, related_name="phone_numbers")
    timezone = models.CharField(max_length=64, default="America/New_York", help_text="Zone of the business hours")
    business_days = models.JSONField(default=default_business_days, help_text="Weekdays, 0 = Monday")
    opens_at = models.TimeField(default=dt.time(9))
    closes_at = models.TimeField(default=dt.time(17))
    after_hours = models.CharField(max_length=20, choices=AfterHours.choices, default=AfterHours.AGENT)
    after_hours_message = models.TextField(
        blank=True, default="Thanks for calling. We're closed right now; please call again during business hours."
    )
    forward_to = PhoneNumberField(blank=True, help_text="After hours: forward here (with 'forward')")
    max_concurrent_calls = models.PositiveIntegerField(default=5)
    busy_message = models.TextField(
        default="Thanks for calling. All of our lines are busy right now; please call again in a few minutes."
    )
    callback_campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="Callbacks the agent schedules are dialed by this campaign; without one they become tickets",
    )
    max_call_seconds = models.PositiveIntegerField(default=900)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=F("closes_at")),
                name="phonenumber_hours_order",
                violation_error_message="Business hours must end after they start.",
            ),
            models.CheckConstraint(
                condition=Q(max_concurrent_calls__gt=0),
                name="phonenumber_capacity_positive",
                violation_error_message="Allow at least 1 call at a time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.number})"

    @property
    def active_script_version(self):
        return self.script_version or self.script.published_version


class Ticket(models.Model):
    """A note for the team that the agent left on an inbound call (password reset, billing dispute, callback)."""

    class Category(models.TextChoices):
        ACCOUNT = "account", "Account access / password"
        BILLING = "billing", "Billing"
        TECHNICAL = "technical", "Technical problem"
        CALLBACK = "callback", "Callback request"
        SALES = "sales", "Sales"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    call = models.ForeignKey("crm.Call", on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets")
    lead = models.ForeignKey("crm.Lead", on_delete=models.PROTECT, related_name="tickets")
    phone_number = models.ForeignKey(PhoneNumber, on_delete=models.SET_NULL, null=True, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    summary = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.summary[:50]}"


class Transfer(models.Model):
    """A caller handed to a rep. Warm: the rep's leg rings first and hears `summary` before joining the caller;
    cold: the caller's leg dials the rep directly (the fallback when the rep's leg cannot be placed)."""

    class Mode(models.TextChoices):
        WARM = "warm", "Warm"
        COLD = "cold", "Cold"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RINGING = "ringing", "Rep's phone ringing"
        CONNECTED = "connected", "Connected"
        MISSED = "missed", "Rep did not answer"
        FAILED = "failed", "Failed"

    call = models.ForeignKey("crm.Call", on_delete=models.CASCADE, related_name="transfers")
    rep = models.ForeignKey("crm.Rep", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    to_number = models.CharField(max_length=20)
    summary = models.CharField(max_length=300, help_text="What the rep hears before being connected")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.WARM)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    rep_call_sid = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} transfer of call {self.call_id} to {self.to_number}"
