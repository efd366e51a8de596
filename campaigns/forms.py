"""Forms managers and admins fill in: a campaign's settings and a script's next version."""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django import forms

from crm.models import Rep
from dialer.windows import LEGAL_END, LEGAL_START

from .models import Campaign, ScriptVersion, default_retry_rules

WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]
RETRY_LABELS = {
    "no_answer": "No answer",
    "busy": "Busy",
    "voicemail": "Voicemail",
    "failed": "Failed",
    "callback": "Asked to call back",
    "hung_up": "Hung up",
}


# Words in a script that mean the agent is there to book a meeting with a rep.
BOOKING_WORDS = re.compile(r"\b(book|meeting|demo|appointment|schedul)", re.IGNORECASE)
LEGAL_HOURS = f"{LEGAL_START:%H:%M}–{LEGAL_END:%H:%M}"


def _limited(name: str, field: type[forms.Field], low, high, too_low: str, too_high: str, **kwargs) -> forms.Field:
    """A number field for Campaign.`name` (starting at the model's default) whose HTML min/max and server-side
    messages state the same limits."""
    return field(
        initial=Campaign._meta.get_field(name).default,
        min_value=low,
        max_value=high,
        error_messages={"min_value": too_low, "max_value": too_high, "required": "Enter a number."},
        **kwargs,
    )


def _clock(**attrs) -> forms.TimeInput:
    return forms.TimeInput(
        attrs={"type": "time", "min": f"{LEGAL_START:%H:%M}", "max": f"{LEGAL_END:%H:%M}", **attrs}, format="%H:%M"
    )


class CampaignForm(forms.ModelForm):
    """A campaign's settings. After `is_valid()`, `warnings` lists what was accepted but will not work as hoped."""

    max_concurrency = _limited(
        "max_concurrency",
        forms.IntegerField,
        1,
        500,
        "Allow at least 1 call at a time.",
        "At most 500 calls at a time.",
        label="Max concurrency",
        help_text="Calls in flight at once.",
    )
    calls_per_second = _limited(
        "calls_per_second",
        forms.FloatField,
        0.1,
        50,
        "Allow more than 0 calls per second (at least 0.1).",
        "At most 50 calls per second.",
        label="Calls per second",
        widget=forms.NumberInput(attrs={"step": "0.1"}),
    )
    max_attempts = _limited(
        "max_attempts",
        forms.IntegerField,
        1,
        20,
        "Allow at least 1 attempt per lead.",
        "At most 20 attempts per lead.",
        label="Max attempts",
    )
    ring_timeout_seconds = _limited(
        "ring_timeout_seconds",
        forms.IntegerField,
        5,
        120,
        "Let it ring at least 5 seconds.",
        "Ring at most 120 seconds.",
        label="Ring timeout (seconds)",
    )
    max_call_seconds = _limited(
        "max_call_seconds",
        forms.IntegerField,
        30,
        7200,
        "Allow calls of at least 30 seconds.",
        "Calls last at most 7200 seconds (2 h).",
        label="Longest call (seconds)",
    )
    calling_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple, help_text="In the lead's local time."
    )
    reps = forms.ModelMultipleChoiceField(
        queryset=Rep.objects.filter(active=True).select_related("user"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Meetings are booked with these reps.",
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "slug",
            "script",
            "script_version",
            "caller_id",
            "default_region",
            "default_timezone",
            "calling_days",
            "window_start",
            "window_end",
            "max_concurrency",
            "calls_per_second",
            "max_attempts",
            "ring_timeout_seconds",
            "max_call_seconds",
            "voicemail_policy",
            "reps",
            "kind",
            "meeting_offset_minutes",
        ]
        widgets = {"window_start": _clock(), "window_end": _clock()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.warnings: list[str] = []
        self.fields["script_version"].queryset = ScriptVersion.objects.select_related("script")
        rules = {**default_retry_rules(), **(self.instance.retry_rules or {})}
        for outcome, label in RETRY_LABELS.items():
            self.fields[f"retry_{outcome}"] = forms.IntegerField(
                label=f"Retry after {label.lower()} (minutes)",
                min_value=1,
                max_value=60 * 24 * 90,
                initial=round(rules.get(outcome, 3600) / 60),
                error_messages={
                    "min_value": "Wait at least 1 minute before trying again.",
                    "max_value": "Wait at most 90 days (129600 minutes).",
                    "required": "Enter the minutes to wait.",
                },
            )

        # A form posted without them (older pages, the API of tomorrow) keeps a prospecting campaign's defaults.
        self.fields["kind"].required = False
        self.fields["meeting_offset_minutes"].required = False
        self.fields["meeting_offset_minutes"].label = "Meeting offset (minutes)"

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or self.instance.kind or Campaign.Kind.PROSPECTING

    def clean_meeting_offset_minutes(self) -> int:
        value = self.cleaned_data.get("meeting_offset_minutes")
        return self.instance.meeting_offset_minutes if value is None else value

    @property
    def retry_fields(self) -> list[forms.BoundField]:
        return [self[f"retry_{outcome}"] for outcome in RETRY_LABELS]

    def clean_caller_id(self) -> str:
        raw = self.cleaned_data["caller_id"].strip()
        try:
            number = phonenumbers.parse(raw, None)
        except phonenumbers.NumberParseException as exc:
            raise forms.ValidationError("Enter the caller id in international format, like +14155550100.") from exc
        if not phonenumbers.is_valid_number(number):
            raise forms.ValidationError("This is not a valid phone number.")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def clean_default_timezone(self) -> str:
        name = self.cleaned_data["default_timezone"].strip()
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise forms.ValidationError(f"“{name}” is not a time zone name like America/New_York.") from exc
        return name

    def clean(self):
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and start >= end:
            self.add_error("window_end", "The calling window must end after it starts.")
        elif start and end and (end <= LEGAL_START or start >= LEGAL_END):
            self.add_error(
                "window_start",
                f"{start:%H:%M}–{end:%H:%M} is outside the legal calling hours {LEGAL_HOURS} in the lead's time, "
                "so no call would ever be placed. Pick a window inside them.",
            )
        elif start and end and (start < LEGAL_START or end > LEGAL_END):
            legal = f"{max(start, LEGAL_START):%H:%M}–{min(end, LEGAL_END):%H:%M}"
            self.warnings.append(
                f"Calls will only be placed {legal} in the lead's time: the law allows {LEGAL_HOURS}, "
                f"not the whole window {start:%H:%M}–{end:%H:%M}."
            )
        version, script = data.get("script_version"), data.get("script")
        if version and script and version.script_id != script.pk:
            self.add_error("script_version", f"Version {version.number} belongs to another script.")
        chosen = version or (script.published_version or script.latest_version if script else None)
        if chosen and not data.get("reps") and _books_meetings(chosen):
            self.warnings.append(
                "No reps are assigned: the agent cannot book meetings, though its script asks it to. "
                "Tick the reps who take these meetings."
            )
        return data

    def save(self, commit: bool = True) -> Campaign:
        campaign = super().save(commit=False)
        campaign.retry_rules = {
            **(campaign.retry_rules or {}),
            **{outcome: self.cleaned_data[f"retry_{outcome}"] * 60 for outcome in RETRY_LABELS},
        }
        if commit:
            campaign.save()
            self.save_m2m()
        return campaign


def _books_meetings(version: ScriptVersion) -> bool:
    """Whether a script version sets out to book meetings (its instructions or opening line say so)."""
    return bool(BOOKING_WORDS.search(f"{version.instructions}\n{version.opening_line}"))


# An opening line must tell the callee they are talking to a machine.
AI_DISCLOSURE = re.compile(r"\bAI\b|artificial intelligence|automated|virtual assistant", re.IGNORECASE)


def _pairs(text: str, what: str) -> list[tuple[str, str]]:
    """Parse one `left: right` pair per non-blank line."""
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        left, sep, right = line.partition(":")
        if not sep or not left.strip() or not right.strip():
            raise forms.ValidationError(f"Line {number}: write each {what} as “… : …”.")
        pairs.append((left.strip(), right.strip()))
    return pairs


class ScriptVersionForm(forms.Form):
    """The editable fields of a script; saving it appends a new immutable ScriptVersion."""

    instructions = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), help_text="Who the agent is, goal, tone.")
    opening_line = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Must say the caller is talking to an AI."
    )
    qualification_questions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line — field: question",
    )
    objection_notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="One per line — objection: reply"
    )
    knowledge_base = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="One per line — keywords: answer"
    )
    voicemail_message = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    voice = forms.CharField(required=False, max_length=100, help_text="TTS voice id")
    publish = forms.BooleanField(required=False, label="Publish this version")

    @classmethod
    def initial_from(cls, version: ScriptVersion | None) -> dict[str, str]:
        if version is None:
            return {}
        return {
            "instructions": version.instructions,
            "opening_line": version.opening_line,
            "qualification_questions": "\n".join(
                f"{q.get('field', '')}: {q.get('question', '')}" for q in version.qualification_questions
            ),
            "objection_notes": "\n".join(f"{k}: {v}" for k, v in version.objection_notes.items()),
            "knowledge_base": "\n".join(
                f"{e.get('question', '')}: {e.get('answer', '')}" for e in version.knowledge_base
            ),
            "voicemail_message": version.voicemail_message,
            "voice": version.voice,
        }

    def clean_opening_line(self) -> str:
        line = self.cleaned_data["opening_line"].strip()
        if not AI_DISCLOSURE.search(line):
            raise forms.ValidationError("The opening line must tell the person they are talking to an AI.")
        return line

    def clean_qualification_questions(self) -> list[dict[str, str]]:
        pairs = _pairs(self.cleaned_data["qualification_questions"], "question")
        return [{"field": f, "question": q} for f, q in pairs]

    def clean_objection_notes(self) -> dict[str, str]:
        return dict(_pairs(self.cleaned_data["objection_notes"], "objection"))

    def clean_knowledge_base(self) -> list[dict[str, str]]:
        return [{"question": q, "answer": a} for q, a in _pairs(self.cleaned_data["knowledge_base"], "entry")]

    def version_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("publish", "name")}


class NewScriptForm(ScriptVersionForm):
    """A new script: its name and the content of version 1."""

    name = forms.CharField(max_length=200, error_messages={"required": "Give the script a name."})
    field_order = ["name"]
