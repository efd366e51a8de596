"""What the agent may do during a call: the tool schemas the LLM is given, and running a tool call.

Each tool is a plain synchronous function over the database (run on the voice DB pool, `voice.db.run`)
returning the JSON the LLM reads back, plus an `effect` the session acts on (end the call, transfer it, an
outcome it implies).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from campaigns.models import Campaign
from crm.availability import free_slots, lead_zone
from crm.bookings import book_meeting as book
from crm.meetings import SlotTaken
from crm.models import Call, Lead, Rep
from crm.optouts import record_opt_out as opt_out

log = logging.getLogger(__name__)

END_OUTCOMES = ["booked", "not_interested", "callback", "opt_out", "conversation", "voicemail"]


def _fn(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


TOOL_SCHEMAS: list[dict[str, Any]] = [
    _fn(
        "check_availability",
        "Free meeting slots with a sales rep, labelled in the lead's local time. Offer two of them.",
        {"after": {"type": "string", "description": "Optional ISO date; only slots on or after it."}},
        [],
    ),
    _fn(
        "book_meeting",
        "Book one slot returned by check_availability. If it was taken meanwhile, offer an alternative.",
        {
            "rep_id": {"type": "integer", "description": "rep_id of the chosen slot"},
            "start": {"type": "string", "description": "start of the chosen slot, ISO 8601 as given"},
        },
        ["rep_id", "start"],
    ),
    _fn("lookup_lead", "What we know about the person on the call.", {}, []),
    _fn(
        "search_knowledge_base",
        "Answers from the script's knowledge base for a question the caller asked.",
        {"query": {"type": "string"}},
        ["query"],
    ),
    _fn(
        "record_opt_out",
        "The caller asked not to be called again: add them to the do-not-call list. Then apologise and end.",
        {"reason": {"type": "string"}},
        [],
    ),
    _fn(
        "transfer_to_rep",
        "Transfer the call to a human sales rep, when the caller asks for a person.",
        {"reason": {"type": "string"}},
        [],
    ),
    _fn(
        "end_call",
        "Hang up after your last sentence has been spoken.",
        {"outcome": {"type": "string", "enum": END_OUTCOMES}, "reason": {"type": "string"}},
        ["outcome"],
    ),
]
TOOL_NAMES = frozenset(t["function"]["name"] for t in TOOL_SCHEMAS)


@dataclass(frozen=True)
class ToolContext:
    call_id: int
    lead_id: int
    campaign_id: int
    knowledge_base: tuple[dict[str, str], ...] = ()


@dataclass
class ToolResult:
    data: dict[str, Any]
    end_outcome: str = ""  # hang up after speaking, with this outcome
    transfer_to: str = ""  # transfer to this number after speaking
    outcome: str = ""  # an outcome this tool established (booked, opt_out)
    extra: dict[str, Any] = field(default_factory=dict)


def _lead(ctx: ToolContext) -> Lead:
    return Lead.objects.get(pk=ctx.lead_id)


def _reps(ctx: ToolContext) -> list[Rep]:
    return list(Campaign.objects.get(pk=ctx.campaign_id).reps.select_related("user").filter(active=True))


def check_availability(ctx: ToolContext, after: str = "") -> ToolResult:
    lead = _lead(ctx)
    zone = lead_zone(lead.timezone)
    now = None
    if after:
        try:
            now = max(dt.datetime.fromisoformat(after).replace(tzinfo=dt.UTC), dt.datetime.now(dt.UTC))
        except ValueError:
            now = None
    slots = free_slots(_reps(ctx), zone, now=now, count=3)
    return ToolResult({"timezone": str(zone), "slots": [s.as_dict(zone) for s in slots]})


def book_meeting(ctx: ToolContext, rep_id: int, start: str) -> ToolResult:
    lead = _lead(ctx)
    zone = lead_zone(lead.timezone)
    reps = _reps(ctx)
    rep = next((r for r in reps if r.pk == int(rep_id)), None)
    try:
        when = dt.datetime.fromisoformat(start)
    except (TypeError, ValueError):
        return ToolResult({"booked": False, "reason": f"Unreadable start time {start!r}."})
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    if rep is None:
        return ToolResult({"booked": False, "reason": "No such rep on this campaign."})
    try:
        meeting = book(lead=lead, rep=rep, start=when, call=Call.objects.get(pk=ctx.call_id))
    except SlotTaken:
        alternatives = free_slots(reps, zone, count=2, exclude=((rep.pk, when.astimezone(dt.UTC)),))
        return ToolResult(
            {
                "booked": False,
                "reason": "That slot was just taken.",
                "alternatives": [s.as_dict(zone) for s in alternatives],
            }
        )
    local = meeting.start.astimezone(zone)
    label = f"{local:%A, %B} {local.day} at " + local.strftime("%I:%M %p").lstrip("0").replace(":00 ", " ")
    return ToolResult(
        {"booked": True, "meeting_id": meeting.pk, "rep": str(rep), "label": label}, outcome=Call.Outcome.BOOKED
    )


def lookup_lead(ctx: ToolContext) -> ToolResult:
    lead = _lead(ctx)
    return ToolResult(
        {
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "company": lead.company,
            "timezone": lead.timezone,
            "attributes": {k: v for k, v in (lead.attributes or {}).items() if k != "persona"},
        }
    )


def search_knowledge_base(ctx: ToolContext, query: str) -> ToolResult:
    words = {w for w in query.lower().replace("?", " ").split() if len(w) > 2}
    scored = []
    for entry in ctx.knowledge_base:
        keys = set(str(entry.get("question", "")).lower().split())
        score = len(words & keys)
        if score:
            scored.append((score, entry))
    scored.sort(key=lambda x: -x[0])
    return ToolResult({"answers": [e["answer"] for _, e in scored[:2]]})


def record_opt_out(ctx: ToolContext, reason: str = "") -> ToolResult:
    opt_out(_lead(ctx), reason=reason, call=Call.objects.get(pk=ctx.call_id))
    return ToolResult({"recorded": True}, outcome=Call.Outcome.OPT_OUT)


def transfer_to_rep(ctx: ToolContext, reason: str = "") -> ToolResult:
    rep = next((r for r in _reps(ctx) if r.phone), None)
    if rep is None:
        return ToolResult({"transferring": False, "reason": "No rep can take a call right now."})
    return ToolResult(
        {"transferring": True, "rep": str(rep)}, transfer_to=str(rep.phone), outcome=Call.Outcome.TRANSFERRED
    )


def end_call(ctx: ToolContext, outcome: str = "conversation", reason: str = "") -> ToolResult:
    if outcome not in END_OUTCOMES:
        outcome = "conversation"
    return ToolResult({"ending": True}, end_outcome=outcome)


_TOOLS = {
    "check_availability": check_availability,
    "book_meeting": book_meeting,
    "lookup_lead": lookup_lead,
    "search_knowledge_base": search_knowledge_base,
    "record_opt_out": record_opt_out,
    "transfer_to_rep": transfer_to_rep,
    "end_call": end_call,
}


def run_tool_sync(ctx: ToolContext, name: str, arguments: dict[str, Any]) -> ToolResult:
    """Bad tool calls (unknown name, wrong arguments) come back to the LLM as an error, never as a crash."""
    fn = _TOOLS.get(name)
    if fn is None:
        return ToolResult({"error": f"unknown tool {name!r}"})
    try:
        return fn(ctx, **arguments)
    except TypeError as exc:
        return ToolResult({"error": f"bad arguments for {name}: {exc}"})


async def run_tool(ctx: ToolContext, name: str, arguments: dict[str, Any]) -> ToolResult:
    """Run a tool call on the voice DB pool (`voice.db.run`: fresh connection, retried blips) within
    settings.VOICE_TOOL_TIMEOUT_S (default 8 s). A tool that times out or fails comes back to the LLM as an
    error it can talk around; it never ends the call."""
    from voice import db

    timeout = float(getattr(settings, "VOICE_TOOL_TIMEOUT_S", 8.0))
    try:
        return await asyncio.wait_for(db.run(run_tool_sync, ctx, name, arguments), timeout=timeout)
    except TimeoutError:
        log.warning("call %s: tool %s timed out after %.1f s", ctx.call_id, name, timeout)
        return ToolResult({"error": f"{name} timed out; tell the caller you could not do it right now"})
    except Exception as exc:
        log.warning("call %s: tool %s failed: %r", ctx.call_id, name, exc)
        return ToolResult({"error": f"{name} failed; tell the caller you could not do it right now"})
