"""What managers and admins edit: campaigns, versioned scripts, the hopper and lead imports."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q


def default_calling_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday


def default_retry_rules() -> dict[str, int]:
    """Seconds to wait before the next attempt, by the outcome of the last one."""
    return {
        "no_answer": 4 * 3600,
        "busy": 15 * 60,
        "voicemail": 24 * 3600,
        "failed": 3600,
        "callback": 24 * 3600,
        "hung_up": 24 * 3600,
    }


class Script(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    published_version = models.ForeignKey(
        "ScriptVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def latest_version(self) -> ScriptVersion | None:
        return self.versions.order_by("-number").first()


class ScriptVersion(models.Model):
    """An immutable snapshot of a script; campaigns and calls pin one."""

    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    instructions = models.TextField(help_text="System prompt: who the agent is, goal, tone")
    opening_line = models.TextField(help_text="First words; must disclose that the caller talks to an AI")
    qualification_questions = models.JSONField(
        default=list, blank=True, help_text='List of {"field", "question"}'
    )
    objection_notes = models.JSONField(default=dict, blank=True, help_text="Objection -> reply")
    knowledge_base = models.JSONField(default=list, blank=True, help_text='List of {"question", "answer"}')
    voicemail_message = models.TextField(blank=True)
    voice = models.CharField(max_length=100, blank=True, help_text="TTS voice id")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["script", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["script", "number"],
                name="scriptversion_unique_number",
                violation_error_message="This script already has a version with that number.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.script} v{self.number}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError("Script versions are immutable; save a new version instead.")
        super().save(*args, **kwargs)


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        STOPPED = "stopped", "Stopped"
        COMPLETED = "completed", "Completed"

    class Kind(models.TextChoices):
        PROSPECTING = "prospecting", "Prospecting (lead lists)"
        REMINDER = "reminder", "Meeting reminders"
        FOLLOW_UP = "follow_up", "Post-meeting follow-ups"

    class VoicemailPolicy(models.TextChoices):
        LEAVE_MESSAGE = "leave_message", "Leave the script's message"
        HANG_UP = "hang_up", "Hang up"

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    script = models.ForeignKey(Script, on_delete=models.PROTECT, related_name="campaigns")
    script_version = models.ForeignKey(
        ScriptVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        help_text="Pinned version; empty means the script's published version",
    )
    caller_id = models.CharField(max_length=20, help_text="E.164 number calls come from")
    default_region = models.CharField(max_length=2, default="US", help_text="For national-format numbers")
    default_timezone = models.CharField(
        max_length=64, blank=True, help_text="Leads with no known zone are dialed only when this is set"
    )
    calling_days = models.JSONField(default=default_calling_days, help_text="Weekdays, 0 = Monday")
    window_start = models.TimeField(default=dt.time(9, 0), help_text="Lead's local time")
    window_end = models.TimeField(default=dt.time(20, 0), help_text="Lead's local time")
    max_concurrency = models.PositiveIntegerField(default=5)
    calls_per_second = models.FloatField(default=1.0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    retry_rules = models.JSONField(default=default_retry_rules)
    ring_timeout_seconds = models.PositiveSmallIntegerField(default=25)
    max_call_seconds = models.PositiveIntegerField(default=600)
    voicemail_policy = models.CharField(
        max_length=20, choices=VoicemailPolicy.choices, default=VoicemailPolicy.LEAVE_MESSAGE
    )
    reps = models.ManyToManyField("crm.Rep", blank=True, related_name="campaigns")
    kind = models.CharField(
        max_length=20, choices=Kind.choices, default=Kind.PROSPECTING,
        help_text="Reminder and follow-up campaigns call about the meetings of their reps (campaigns/kinds.py)",
    )
    meeting_offset_minutes = models.PositiveIntegerField(
        default=24 * 60,
        help_text="Reminders: this long before the meeting starts; follow-ups: this long after it ends "
        "(lead's wall-clock time, then moved into the calling window)",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_start__lt=F("window_end")),
                name="campaign_window_order",
                violation_error_message="The calling window must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(max_concurrency__gt=0),
                name="campaign_concurrency_positive",
                violation_error_message="Allow at least 1 call at a time.",
            ),
            models.CheckConstraint(
                condition=Q(calls_per_second__gt=0),
                name="campaign_cps_positive",
                violation_error_message="Allow more than 0 calls per second.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def active_script_version(self) -> ScriptVersion | None:
        return self.script_version or self.script.published_version or self.script.latest_version


class CampaignLead(models.Model):
    """The hopper: one lead's progress through one campaign."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        CLAIMED = "claimed", "In flight"
        RETRY = "retry", "Waiting to retry"
        DONE = "done", "Done"
        EXHAUSTED = "exhausted", "Attempts exhausted"
        DO_NOT_CALL = "do_not_call", "Do not call"

    DIALABLE_STATES = (State.PENDING, State.RETRY)

    # No index of its own: the unique (campaign, lead) constraint's index leads with the campaign and serves every
    # campaign filter; a third copy cost each imported row an index entry for nothing.
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="hopper", db_index=False)
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="campaign_entries")
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=20, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    lead_import = models.ForeignKey(
        "LeadImport", on_delete=models.SET_NULL, null=True, blank=True, related_name="entries"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "lead"],
                name="campaignlead_unique_per_campaign",
                violation_error_message="This lead is already in the campaign.",
            ),
        ]
        indexes = [
            # The dialer's hot query: due rows of one campaign in a dialable state.
            models.Index(
                fields=["campaign", "next_attempt_at"],
                condition=Q(state__in=["pending", "retry"]),
                name="hopper_due",
            ),
            models.Index(fields=["campaign", "state"], name="hopper_campaign_state"),
        ]

    def __str__(self) -> str:
        return f"{self.lead} in {self.campaign} ({self.state})"


class LeadImport(models.Model):
    """One uploaded CSV file and what became of each of its rows."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Waiting for column mapping"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="imports")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED)
    encoding = models.CharField(max_length=40, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    sheet = models.CharField(max_length=100, blank=True, help_text="Sheet of an .xlsx workbook; blank: the first")
    mapping = models.JSONField(default=dict, blank=True, help_text="CSV column -> lead field")
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    dnc = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True, help_text="Why the file could not be read")
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True, help_text="Last handed to the broker")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name} -> {self.campaign}"

    @property
    def errors(self) -> list[dict]:
        """Every rejected row, in line order: [{"line", "column", "value", "reason"}] (one query, all of them;
        pages read campaigns.import_errors.error_page instead)."""
        return list(self.row_errors.order_by("line", "id").values("line", "column", "value", "reason"))


class ImportRowError(models.Model):
    """One rejected row of a LeadImport: invalid, a duplicate within the file, or already in the campaign."""

    # No index of its own: import_row_error_line (lead_import, line) serves every lookup by import.
    lead_import = models.ForeignKey(LeadImport, on_delete=models.CASCADE, related_name="row_errors", db_index=False)
    line = models.PositiveIntegerField(help_text="Line of the file (the header is line 1)")
    column = models.TextField(blank=True, help_text="The column the problem is in, blank if none")
    value = models.TextField(blank=True, help_text="The rejected value, cut to 200 characters")
    reason = models.TextField()

    class Meta:
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["lead_import", "line"], name="import_row_error_line")]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class TestCall(models.Model):
    """A spoken conversation with a script version from the browser (WebRTC), not a campaign call: nobody is
    dialed, tools that would change something ran as a dry run. Turns are kept here (same fields as `crm.Turn`),
    so campaign calls, funnels and the dialer never see it."""

    __test__ = False  # not a pytest test class

    script_version = models.ForeignKey(ScriptVersion, on_delete=models.CASCADE, related_name="test_calls")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, blank=True)
    error = models.TextField(blank=True)
    providers = models.CharField(max_length=100, blank=True, help_text="STT / LLM / TTS used, e.g. rehearsal")
    turns = models.JSONField(default=list, blank=True, help_text="crm.Turn fields of each turn, by index")
    disclosure_heard = models.BooleanField(null=True, blank=True)
    recording = models.FileField(upload_to="test-calls/%Y/%m/", blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Test call {self.pk} of {self.script_version}"


class MeetingEnrollment(models.Model):
    """One meeting a reminder or follow-up campaign calls about (`campaigns/kinds.py`, enrolled by
    `dialer/enrollment_reminders.py`). Unique per campaign and meeting, so enrolling again is a no-op; its
    hopper row is the lead's `CampaignLead` in the campaign, the call about it the row's calls."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="meeting_enrollments")
    meeting = models.ForeignKey("crm.Meeting", on_delete=models.CASCADE, related_name="enrollments")
    campaign_lead = models.ForeignKey(CampaignLead, on_delete=models.CASCADE, related_name="meeting_enrollments")
    call_at = models.DateTimeField(help_text="When the call is planned: the offset, moved into the lead's window")
    plan = models.CharField(max_length=255, blank=True, help_text="How call_at was chosen, for the campaign page")
    closed_reason = models.CharField(
        max_length=255, blank=True, help_text="Why it was not called after all (meeting canceled, moved, too late)"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["call_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "meeting"],
                name="meetingenrollment_unique",
                violation_error_message="This meeting is already enrolled in the campaign.",
            )
        ]

    def __str__(self) -> str:
        return f"meeting {self.meeting_id} in {self.campaign}"
