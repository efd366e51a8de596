"""The system of record: leads, calls, turns, meetings, reps and the do-not-call list."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import Q
from phonenumber_field.modelfields import PhoneNumberField

from .constraints import PostgresExclusionConstraint, TsTzRange


class Lead(models.Model):
    """A person we may call. One row per phone number, shared by every campaign that holds it.

    The phone, timezone and jurisdiction indexes are declared in Meta, not with unique=True/db_index=True: on
    PostgreSQL those would add a second, varchar_pattern_ops ("_like") index to each column, which only a prefix
    LIKE could use (nothing queries one; the lead search's phone__contains is '%digits%', which no btree index
    serves) and which every imported row paid for."""

    phone = PhoneNumberField()
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    timezone = models.CharField(
        max_length=255,
        blank=True,
        help_text="IANA zone; several comma-separated when the number spans zones "
        "(the dialer then uses the most restrictive window).",
    )
    consent_source = models.CharField(max_length=200, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    jurisdiction = models.CharField(
        max_length=8,
        null=True,
        blank=True,
        help_text='Calling-rule jurisdiction, "US-FL" / "CA-BC", "" if none; NULL until derived '
        "(dialer/jurisdictions.py: the file's state column, else the number's area code).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            # The importer's ON CONFLICT (phone) and every lookup by number use it.
            models.UniqueConstraint(
                fields=["phone"],
                name="lead_phone_unique",
                violation_error_message="A lead with this phone number already exists.",
            ),
        ]
        indexes = [
            models.Index(fields=["timezone"], name="lead_timezone"),  # the claim's calling-window exclusion
            models.Index(fields=["jurisdiction"], name="lead_jurisdiction"),  # derive_missing's IS NULL, the caps
        ]

    def __str__(self) -> str:
        return f"{self.full_name or 'Lead'} ({self.phone})"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def zones(self) -> list[ZoneInfo]:
        return [ZoneInfo(name) for name in self.timezone.split(",") if name]


class DoNotCall(models.Model):
    class Source(models.TextChoices):
        OPT_OUT = "opt_out", "Asked on a call"
        IMPORT = "import", "Imported list"
        MANUAL = "manual", "Added by staff"

    phone = PhoneNumberField(unique=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "do-not-call entry"
        verbose_name_plural = "do-not-call list"

    def __str__(self) -> str:
        return str(self.phone)


class Rep(models.Model):
    """A human sales rep the agent books meetings for and transfers calls to."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rep")
    phone = PhoneNumberField(blank=True)
    timezone = models.CharField(max_length=64, default="America/New_York")
    meeting_minutes = models.PositiveSmallIntegerField(default=30)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["user__first_name", "user__last_name", "id"]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class Availability(models.Model):
    """Weekly working hours of a rep, in the rep's own timezone."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    rep = models.ForeignKey(Rep, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["rep", "weekday", "start"]
        verbose_name_plural = "availability"
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")),
                name="availability_start_before_end",
                violation_error_message="Each block must end after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rep} {self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class Call(models.Model):
    """One dial attempt of one lead in one campaign, or one inbound call to one of our numbers (no campaign)."""

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", "Outbound"
        INBOUND = "inbound", "Inbound"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        DIALING = "dialing", "Dialing"
        RINGING = "ringing", "Ringing"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    ACTIVE_STATUSES = (Status.QUEUED, Status.DIALING, Status.RINGING, Status.IN_PROGRESS)

    class Outcome(models.TextChoices):
        BOOKED = "booked", "Meeting booked"
        NOT_INTERESTED = "not_interested", "Not interested"
        CALLBACK = "callback", "Call back later"
        OPT_OUT = "opt_out", "Opted out"
        TRANSFERRED = "transferred", "Transferred to rep"
        CONVERSATION = "conversation", "Conversation, no booking"
        HUNG_UP = "hung_up", "Hung up"
        VOICEMAIL = "voicemail", "Voicemail"
        FAX = "fax", "Fax machine"
        NO_ANSWER = "no_answer", "No answer"
        BUSY = "busy", "Busy"
        INVALID_NUMBER = "invalid_number", "Invalid number"
        BLOCKED = "blocked", "Blocked (do-not-call or window)"
        FAILED = "failed", "Failed"
        # Inbound calls (inbound/): what the caller got.
        ANSWERED = "answered", "Question answered"
        TICKET = "ticket", "Ticket created"
        WRONG_NUMBER = "wrong_number", "Wrong number"
        AFTER_HOURS = "after_hours", "After-hours message"
        OVER_CAPACITY = "over_capacity", "Lines busy (at capacity)"
        ABANDONED = "abandoned", "Abandoned"
        # Reminder and follow-up calls about a meeting (crm/meeting_changes.py).
        CONFIRMED = "confirmed", "Meeting confirmed"
        RESCHEDULED = "rescheduled", "Meeting rescheduled"
        CANCELED = "canceled", "Meeting canceled"
        NEXT_STEP = "next_step", "Next step recorded"

    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.OUTBOUND, db_index=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )  # null only for inbound calls
    campaign_lead = models.ForeignKey(
        "campaigns.CampaignLead", on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )
    phone_number = models.ForeignKey(
        "inbound.PhoneNumber", on_delete=models.PROTECT, null=True, blank=True, related_name="calls",
        help_text="Inbound: the number that was called",
    )
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="calls")
    script_version = models.ForeignKey(
        "campaigns.ScriptVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )
    attempt = models.PositiveSmallIntegerField(default=1)
    provider = models.CharField(max_length=20, default="sim")
    provider_sid = models.CharField(max_length=64, null=True, blank=True, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True, db_index=True)
    answered_by = models.CharField(max_length=32, blank=True, help_text="Answering-machine detection result")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    placed_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    media_started_at = models.DateTimeField(null=True, blank=True, help_text="Voice session began")
    media_ended_at = models.DateTimeField(null=True, blank=True, help_text="Voice session ended, turns saved")
    finalized_at = models.DateTimeField(null=True, blank=True)
    callback_at = models.DateTimeField(
        null=True, blank=True, help_text="Callback the lead asked for on this call (dialer/callbacks.py)"
    )
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    status_events = models.JSONField(default=list, blank=True, help_text="Provider status timeline")
    recording = models.FileField(upload_to="recordings/%Y/%m/", blank=True)
    summary = models.TextField(blank=True)
    extracted = models.JSONField(default=dict, blank=True, help_text="Qualification answers")
    disclosure_heard = models.BooleanField(
        null=True, blank=True, help_text="The opening's AI disclosure was heard to its end (from playback marks)"
    )
    provider_switches = models.JSONField(
        default=list, blank=True,
        help_text="Mid-call provider failovers: [{layer, from, to, why, at, served_ms}] (voice/providers/failover.py)",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["campaign", "status"], name="call_campaign_status")]
        constraints = [
            # One person is on at most one call at a time, whatever the campaign (dialer/claims.py).
            models.UniqueConstraint(
                fields=["lead"],
                condition=Q(finalized_at__isnull=True, status__in=["queued", "dialing", "ringing", "in_progress"]),
                name="call_one_active_per_lead",
                violation_error_message="This person is already on a call; one call per person at a time.",
            ),
            models.CheckConstraint(
                condition=Q(direction="inbound") | Q(campaign__isnull=False, campaign_lead__isnull=False),
                name="call_outbound_has_campaign",
                violation_error_message="An outbound call belongs to a campaign and its hopper row.",
            ),
        ]

    def __str__(self) -> str:
        if self.direction == self.Direction.INBOUND:
            return f"Call {self.pk} from {self.lead.phone if self.lead_id else '?'}"
        return f"Call {self.pk} to {self.lead.phone if self.lead_id else '?'}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def max_call_seconds(self) -> int:
        """The longest this call may last: its campaign's limit, or the called number's (inbound)."""
        if self.campaign_id is not None:
            return self.campaign.max_call_seconds
        return self.phone_number.max_call_seconds if self.phone_number_id else 900

    @property
    def source_label(self) -> str:
        """The campaign's name, or "Inbound: <number label>" for pages and exports."""
        if self.campaign_id is not None:
            return self.campaign.name
        return f"Inbound: {self.phone_number.label}" if self.phone_number_id else "Inbound"


class Turn(models.Model):
    """One utterance in a call, saved when it ends, with what the caller actually heard."""

    class Speaker(models.TextChoices):
        AGENT = "agent", "Agent"
        CALLER = "caller", "Caller"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="turns")
    index = models.PositiveIntegerField()
    speaker = models.CharField(max_length=10, choices=Speaker.choices)
    text = models.TextField(help_text="What was said (agent: what was generated)")
    heard_text = models.TextField(blank=True, help_text="Agent turns: the part the caller heard")
    interrupted = models.BooleanField(default=False)
    started_ms = models.PositiveIntegerField(default=0, help_text="Offset from call start")
    ended_ms = models.PositiveIntegerField(default=0)
    stt_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Caller speech end to STT final")
    llm_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Caller speech end to LLM first token")
    tts_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Caller speech end to TTS first byte")
    v2v_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Caller speech end to first audio sent")
    opt_out_phrase = models.CharField(
        max_length=200, blank=True, help_text="Caller turns: the opt-out phrase matched in it (evidence for DNC)"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["call", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "index"],
                name="turn_unique_index",
                violation_error_message="This call already has a turn with that number.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.speaker}: {self.text[:40]}"


class Meeting(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CONFIRMED = "confirmed", "Confirmed"
        RESCHEDULED = "rescheduled", "Rescheduled"
        CANCELED = "canceled", "Canceled"
        HELD = "held", "Held"
        NO_SHOW = "no_show", "No-show"

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="meetings")
    call = models.ForeignKey(Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings")
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings"
    )
    rep = models.ForeignKey(Rep, on_delete=models.PROTECT, related_name="meetings")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED, db_index=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(
                fields=["rep", "start"],
                condition=~Q(status="canceled"),
                name="meeting_rep_no_double_booking",
                violation_error_message="The rep already has a meeting at that time; pick another slot.",
            ),
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")),
                name="meeting_start_before_end",
                violation_error_message="A meeting must end after it starts.",
            ),
            PostgresExclusionConstraint(  # no two open meetings of one rep overlap (btree_gist; PostgreSQL only)
                name="meeting_rep_no_overlap",
                expressions=[(TsTzRange("start", "end"), RangeOperators.OVERLAPS), ("rep", RangeOperators.EQUAL)],
                condition=~Q(status="canceled"),
                violation_error_message="The rep already has a meeting at that time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lead} with {self.rep} at {self.start:%Y-%m-%d %H:%M}"


class MeetingChange(models.Model):
    """One entry in a meeting's history: what changed, who changed it, on which call (crm/meeting_changes.py)."""

    class Kind(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        RESCHEDULED = "rescheduled", "Rescheduled"
        CANCELED = "canceled", "Canceled"
        REOPENED = "reopened", "Reopened"
        HELD = "held", "Marked held"
        NO_SHOW = "no_show", "Marked no-show"
        NEXT_MEETING = "next_meeting", "Next meeting booked"
        NEXT_STEP = "next_step", "Next step"
        TRANSFER = "transfer", "Transfer to rep"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    call = models.ForeignKey(
        Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="meeting_changes",
        help_text="The call on which the agent made the change",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The person who made it on the meeting page",
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    old_start = models.DateTimeField(null=True, blank=True)
    new_start = models.DateTimeField(null=True, blank=True)
    detail = models.TextField(blank=True, help_text="Reason, next step or note, in the words given")
    related_meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The next meeting booked on a follow-up call",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (meeting {self.meeting_id})"


class Profile(models.Model):
    """A user's own page settings. An empty time zone means "the browser's", until the user picks one."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    timezone = models.CharField(max_length=64, blank=True, help_text="IANA zone the user reads times in")

    def __str__(self) -> str:
        return f"{self.user} ({self.timezone or 'browser zone'})"
