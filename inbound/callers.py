"""Who is calling: the caller's lead by caller ID, what the agent may know about them, and naming a new caller.

A caller Parley does not know gets a lead row at once (the call needs one, and an opt-out must land somewhere),
marked `consent_source = "inbound (unnamed caller)"`; it becomes an inbound lead (`consent_source = "inbound"`)
when the caller gives a name (`name_caller`). A known lead is never changed by calling in, and a caller on the
do-not-call list is only answered: nothing here enrolls anyone in a campaign.
"""
from __future__ import annotations

import phonenumbers
from django.db import IntegrityError, transaction

from crm.models import Call, DoNotCall, Lead, Meeting

UNNAMED = "inbound (unnamed caller)"
INBOUND = "inbound"


def e164(raw: str) -> str:
    """The caller ID as E.164, or "" when it is hidden or not a valid number ("anonymous", "+266696687")."""
    try:
        number = phonenumbers.parse(raw or "", None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def lead_for_caller(phone: str, default_zone: str) -> tuple[Lead, bool]:
    """(the lead with this E.164 number, created?). A new one is unnamed, in `default_zone` until known."""
    lead = Lead.objects.filter(phone=phone).first()
    if lead is not None:
        return lead, False
    try:
        with transaction.atomic():
            return Lead.objects.create(phone=phone, consent_source=UNNAMED, timezone=default_zone), True
    except IntegrityError:  # the same caller, twice at once
        return Lead.objects.get(phone=phone), False


def caller_context(lead: Lead, exclude_call: int | None = None) -> dict:
    """What the agent is told about a caller: {"known": bool, "name", "company", "past_calls": [{"when",
    "direction", "outcome", "summary"}] (last 3), "meetings": [{"when", "rep", "status"}] (last 3),
    "do_not_call": bool}. Unknown = an unnamed lead with no earlier calls."""
    calls = Call.objects.filter(lead=lead).exclude(pk=exclude_call).order_by("-created_at")[:3]
    meetings = Meeting.objects.filter(lead=lead).select_related("rep__user").order_by("-start")[:3]
    past = [
        {
            "when": c.created_at.date().isoformat(),
            "direction": c.direction,
            "outcome": c.get_outcome_display() if c.outcome else "",
            "summary": c.summary[:200],
        }
        for c in calls
    ]
    return {
        "known": bool(lead.full_name) or bool(past),
        "name": lead.full_name,
        "company": lead.company,
        "past_calls": past,
        "meetings": [
            {"when": m.start.isoformat(), "rep": str(m.rep), "status": m.get_status_display()} for m in meetings
        ],
        "do_not_call": DoNotCall.objects.filter(phone=lead.phone).exists(),
    }


def name_caller(lead_id: int, first_name: str, last_name: str = "", company: str = "") -> Lead:
    """The caller said who they are: an unnamed inbound lead takes the name and becomes an inbound lead.
    A lead that already has a name keeps it (a caller's words never overwrite what the team recorded)."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead_id)
        if lead.full_name:
            return lead
        lead.first_name, lead.last_name = first_name.strip()[:100], last_name.strip()[:100]
        if company and not lead.company:
            lead.company = company.strip()[:200]
        if lead.consent_source == UNNAMED:
            lead.consent_source = INBOUND
        lead.save(update_fields=["first_name", "last_name", "company", "consent_source"])
        return lead
