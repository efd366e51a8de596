"""Forms on the rep and call-log pages: call filters, rescheduling, weekly availability."""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from campaigns.models import Campaign, CampaignLead

from .leads import search_q
from .models import Availability, Call, Lead, Rep


class CallFilterForm(forms.Form):
    q = forms.CharField(
        required=False, label="Search", widget=forms.SearchInput(attrs={"placeholder": "Lead name or phone digits"})
    )
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.all(), required=False, empty_label="All campaigns", to_field_name="slug"
    )
    direction = forms.ChoiceField(choices=[("", "Both directions"), *Call.Direction.choices], required=False)
    outcome = forms.ChoiceField(choices=[("", "All outcomes"), *Call.Outcome.choices], required=False)
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "“To” must be on or after “From”.")
        return data

    def apply(self, calls: QuerySet[Call]) -> QuerySet[Call]:
        """The calls matching the valid filters (invalid ones are shown as errors and ignored)."""
        if not self.is_valid():
            return calls
        data = self.cleaned_data
        if data.get("q"):
            calls = calls.filter(search_q(data["q"], prefix="lead__"))
        if data.get("campaign"):
            calls = calls.filter(campaign=data["campaign"])
        if data.get("direction"):
            calls = calls.filter(direction=data["direction"])
        if data.get("outcome"):
            calls = calls.filter(outcome=data["outcome"])
        if data.get("since"):
            calls = calls.filter(created_at__date__gte=data["since"])
        if data.get("until"):
            calls = calls.filter(created_at__date__lte=data["until"])
        return calls


class RescheduleForm(forms.Form):
    """A new start on the rep's clock; `zone` (the rep's) sets the input's earliest value to now."""

    start = forms.DateTimeField(
        label="New start", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )

    def __init__(self, *args, zone: ZoneInfo | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if zone is not None:
            self.fields["start"].widget.attrs["min"] = f"{timezone.now().astimezone(zone):%Y-%m-%dT%H:%M}"


class RepSettingsForm(forms.ModelForm):
    meeting_minutes = forms.IntegerField(
        label="Meeting length (minutes)",
        min_value=5,
        max_value=480,
        error_messages={
            "min_value": "A meeting lasts at least 5 minutes.",
            "max_value": "A meeting lasts at most 480 minutes (8 hours).",
            "required": "Enter how many minutes a meeting lasts.",
        },
    )

    class Meta:
        model = Rep
        fields = ["timezone", "meeting_minutes"]
        labels = {"timezone": "Your time zone", "meeting_minutes": "Meeting length (minutes)"}

    def clean_timezone(self) -> str:
        name = self.cleaned_data["timezone"].strip()
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise forms.ValidationError(f"“{name}” is not a time zone name like America/New_York.") from exc
        return name


class AvailabilityForm(forms.ModelForm):
    class Meta:
        model = Availability
        fields = ["weekday", "start", "end"]
        widgets = {
            "start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            self.add_error("end", "Each block must end after it starts.")
        return data


class BaseAvailabilityFormSet(forms.BaseModelFormSet):
    def clean(self):
        super().clean()
        blocks = sorted(
            (f.cleaned_data["weekday"], f.cleaned_data["start"], f.cleaned_data["end"])
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("start")
            and f.cleaned_data.get("end")
        )
        for (day_a, _, end_a), (day_b, start_b, _) in zip(blocks, blocks[1:], strict=False):
            if day_a == day_b and start_b < end_a:
                raise forms.ValidationError(f"Two blocks overlap on {Availability.Weekday(day_a).label.title()}.")


AvailabilityFormSet = forms.modelformset_factory(
    Availability, form=AvailabilityForm, formset=BaseAvailabilityFormSet, extra=2, can_delete=True
)


class LeadFilterForm(forms.Form):
    """The leads page's search box and filters; `apply` narrows a queryset annotated by `leads.with_dnc`."""

    q = forms.CharField(
        required=False, label="Search", widget=forms.SearchInput(attrs={"placeholder": "Name, company or phone digits"})
    )
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.all(), required=False, empty_label="All campaigns", to_field_name="slug"
    )
    state = forms.ChoiceField(choices=[("", "Any state"), *CampaignLead.State.choices], required=False)
    dnc = forms.ChoiceField(
        choices=[("", "Do-not-call: any"), ("yes", "On do-not-call"), ("no", "Not on do-not-call")],
        required=False,
        label="Do-not-call",
    )

    def apply(self, leads: QuerySet[Lead]) -> QuerySet[Lead]:
        if not self.is_valid():
            return leads
        data = self.cleaned_data
        leads = leads.filter(search_q(data.get("q", "")))
        entries = CampaignLead.objects.filter(lead=OuterRef("pk"))
        if data.get("campaign"):
            entries = entries.filter(campaign=data["campaign"])
        if data.get("state"):
            entries = entries.filter(state=data["state"])
        if data.get("campaign") or data.get("state"):
            leads = leads.filter(Exists(entries))
        if data.get("dnc"):
            leads = leads.filter(on_dnc=data["dnc"] == "yes")
        return leads


class LeadForm(forms.ModelForm):
    class Meta:
        model = Lead
        fields = ["first_name", "last_name", "company", "email", "timezone"]
        labels = {"timezone": "Time zone(s)"}
        help_texts = {"timezone": "IANA name like America/Chicago; several comma-separated if the number spans zones."}

    def clean_timezone(self) -> str:
        names = [name.strip() for name in self.cleaned_data["timezone"].split(",") if name.strip()]
        for name in names:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise forms.ValidationError(f"“{name}” is not a time zone name like America/New_York.") from exc
        return ",".join(names)


class DoNotCallForm(forms.Form):
    reason = forms.CharField(
        max_length=255,
        error_messages={"required": "Say why the number goes on the list (e.g. “asked by email”)."},
        widget=forms.TextInput(attrs={"placeholder": "Why, e.g. asked by email"}),
    )


class DoNotCallRemovalForm(forms.Form):
    reason = forms.CharField(
        max_length=255,
        error_messages={"required": "Say why the number comes off the list (e.g. “consent given in writing”)."},
        widget=forms.TextInput(attrs={"placeholder": "Why, e.g. consent given in writing"}),
    )
