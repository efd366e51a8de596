"""The agent's inbound tools (registered in voice/tools.py): tickets for the team, naming a new caller, the warm
transfer to a rep, and callbacks. Each is a plain function over the database returning a `ToolResult`; like every
tool it may raise `ToolError` (told to the model) but never ends the call.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from campaigns.models import CampaignLead
from crm.models import Call, DoNotCall, Lead
from dialer import callbacks
from voice.tools import ToolContext, ToolError, ToolResult, _reps

from . import callers, hours
from .models import PhoneNumber, Ticket, Transfer

SUMMARY_MAX = 300


def _number(ctx: ToolContext) -> PhoneNumber:
    if ctx.phone_number_id is None:
        raise ToolError("this tool is for inbound calls only")
    return PhoneNumber.objects.get(pk=ctx.phone_number_id)


def create_ticket(ctx: ToolContext, category: str, summary: str) -> ToolResult:
    """A ticket for the team on the caller's lead: {"ticket_id", "category"}; outcome "ticket"."""
    summary = " ".join((summary or "").split())
    if not summary:
        raise ToolError("summary must say what the team should do")
    if category not in Ticket.Category.values:
        category = Ticket.Category.OTHER
    ticket = Ticket.objects.create(
        call_id=ctx.call_id, lead_id=ctx.lead_id, phone_number_id=ctx.phone_number_id, category=category,
        summary=summary[:2000],
    )
    return ToolResult({"ticket_id": ticket.pk, "category": ticket.get_category_display()}, outcome=Call.Outcome.TICKET)


def save_caller_name(ctx: ToolContext, first_name: str, last_name: str = "", company: str = "") -> ToolResult:
    """Name an unknown caller (their lead becomes an inbound lead); a known lead's name is kept."""
    if not first_name.strip():
        raise ToolError("first_name is empty; ask the caller for their name")
    lead = callers.name_caller(ctx.lead_id, first_name, last_name, company)
    return ToolResult({"saved": True, "first_name": lead.first_name, "last_name": lead.last_name})


def transfer_summary(lead: Lead, number: PhoneNumber, reason: str) -> str:
    """The one sentence the rep hears before being connected."""
    who = lead.full_name or f"a caller from {lead.phone}"
    if lead.company:
        who += f" of {lead.company}"
    why = " ".join((reason or "asked for a person").split()).rstrip(".?! ")
    return f"Parley transfer from {number.label}: {who}, who said: {why}."[:SUMMARY_MAX]


def transfer_to_rep(ctx: ToolContext, reason: str = "") -> ToolResult:
    """Pick a rep of the number with a phone and record a pending warm transfer; the session carries it out once
    the agent's last sentence was heard (inbound/transfers.py). Outside business hours nobody is transferred."""
    number = _number(ctx)
    if not hours.is_open(number, timezone.now()):
        return ToolResult({"transferring": False, "reason": "We're outside business hours: offer a callback or a "
                                                             "ticket instead."})
    rep = next((r for r in _reps(ctx) if r.phone), None)
    if rep is None:
        return ToolResult({"transferring": False, "reason": "No rep can take a call right now."})
    lead = Lead.objects.get(pk=ctx.lead_id)
    Transfer.objects.create(call_id=ctx.call_id, rep=rep, to_number=str(rep.phone),
                            summary=transfer_summary(lead, number, reason))
    return ToolResult(
        {"transferring": True, "rep": str(rep)}, transfer_to=str(rep.phone), outcome=Call.Outcome.TRANSFERRED
    )


def schedule_callback(ctx: ToolContext, when: str = "", now: dt.datetime | None = None) -> ToolResult:
    """A callback the caller asked for. With the number's callback campaign (and the caller not on the
    do-not-call list) the lead is put in that campaign's hopper for that time, checked like an outbound
    callback (window, state law); otherwise (or for a do-not-call caller, who is never enrolled) the team gets a
    callback ticket. {"scheduled", "when", "label", "reason", "nearest", "nearest_label", "by"}."""
    now = now or timezone.now()
    number = _number(ctx)
    lead = Lead.objects.get(pk=ctx.lead_id)
    zone = ZoneInfo((lead.timezone or number.timezone).split(",")[0])
    answer = {"scheduled": False, "when": None, "label": "", "reason": "", "nearest": None, "nearest_label": "",
              "by": ""}
    moment = callbacks.resolve(when, zone, now)
    if moment is None:
        answer["reason"] = f"Could not understand {when!r} as a date and time; ask for a day and a time."
        return ToolResult(answer)
    answer["when"], answer["label"] = moment.isoformat(), callbacks._label(moment)
    if moment < now + callbacks.MIN_NOTICE:
        answer["reason"] = "That time has passed."
        return ToolResult(answer)
    on_dnc = DoNotCall.objects.filter(phone=lead.phone).exists()
    campaign = number.callback_campaign
    with transaction.atomic():
        if campaign is not None and not on_dnc:
            checker = callbacks._Checker(lead, campaign, None)
            reason = checker.why_not(moment)
            if reason:
                answer["reason"] = f"Cannot call back {callbacks._label(moment)}: {reason}."
                nearest = checker.nearest(moment, now + callbacks.MIN_NOTICE)
                if nearest is not None:
                    nearest = nearest.astimezone(zone)
                    answer["nearest"], answer["nearest_label"] = nearest.isoformat(), callbacks._label(nearest)
                return ToolResult(answer)
            entry, _ = CampaignLead.objects.get_or_create(campaign=campaign, lead=lead)
            if entry.state not in (CampaignLead.State.CLAIMED, CampaignLead.State.DO_NOT_CALL):
                CampaignLead.objects.filter(pk=entry.pk).update(
                    state=CampaignLead.State.RETRY, next_attempt_at=moment, updated_at=now
                )
            answer["by"] = f"campaign {campaign.name}"
        else:
            note = " (on the do-not-call list: a person decides)" if on_dnc else ""
            Ticket.objects.create(call_id=ctx.call_id, lead=lead, phone_number=number,
                                  category=Ticket.Category.CALLBACK,
                                  summary=f"Call back {callbacks._label(moment)} ({zone.key}){note}.")
            answer["by"] = "ticket"
        Call.objects.filter(pk=ctx.call_id).update(callback_at=moment)
    answer["scheduled"] = True
    return ToolResult(answer, outcome=Call.Outcome.CALLBACK)
