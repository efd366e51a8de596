"""What the agent may do during a call: the tool schemas the LLM is given, and running a tool call.

Each tool is a plain synchronous function over the database (run through `voice.db.run`) returning the JSON
the LLM reads back, plus an `effect` the session acts on (end the call, transfer it, an outcome it implies).
A tool call never ends a call: its arguments are coerced and validated against the tool's schema in
`TOOL_SCHEMAS` (`voice.tool_arguments`) before it runs, and a bad argument, a refusal (`ToolError`), an exception
or a tool that does not answer within `TOOL_TIMEOUT_SECONDS` comes back to the model as `{"error": "..."}`.
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
from crm.meetings import SlotTaken, SlotUnavailable
from crm.models import Call, Lead, Rep
from crm.optouts import record_opt_out as opt_out
from dialer import callbacks
from voice import db
from voice.meeting_tools import GENERAL_TOOLS, KIND_TOOLS, MEETING_TOOL_SCHEMAS, MEETING_TOOLS
from voice.tool_arguments import ArgumentError, clean_arguments

log = logging.getLogger(__name__)

DEFAULT_TOOL_TIMEOUT = 5.0  # seconds; settings.TOOL_TIMEOUT_SECONDS overrides
END_OUTCOMES = ["booked", "not_interested", "callback", "opt_out", "conversation", "voicemail",
                "confirmed", "rescheduled", "canceled", "next_step"]  # the last four: calls about a meeting
# Inbound calls may also end with these (inbound/support.py).
INBOUND_END_OUTCOMES = ["answered", "ticket", "wrong_number"]


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
        "schedule_callback",
        "The caller asked to be called back at a certain time: schedule it. If it is not allowed, say why and "
        "offer the nearest allowed time it returns.",
        {
            "when": {
                "type": "string",
                "description": "The caller's local date and time: ISO 8601 without offset (2026-06-11T15:00) "
                "or their words ('tomorrow at 3pm').",
            }
        },
        ["when"],
    ),
    _fn(
        "end_call",
        "Hang up after your last sentence has been spoken.",
        {"outcome": {"type": "string", "enum": END_OUTCOMES + INBOUND_END_OUTCOMES}, "reason": {"type": "string"}},
        ["outcome"],
    ),
    _fn(
        "create_ticket",
        "Leave a ticket for the support team about what the caller needs done (password reset, billing dispute, "
        "a bug). Tell the caller the team will follow up.",
        {
            "category": {"type": "string", "enum": ["account", "billing", "technical", "callback", "sales", "other"]},
            "summary": {"type": "string", "description": "One or two sentences for the team."},
        },
        ["category", "summary"],
    ),
    _fn(
        "save_caller_name",
        "The caller told you their name (and maybe company): save it.",
        {"first_name": {"type": "string"}, "last_name": {"type": "string"}, "company": {"type": "string"}},
        ["first_name"],
    ),
]
ALL_TOOL_SCHEMAS = TOOL_SCHEMAS + MEETING_TOOL_SCHEMAS  # prospecting's and inbound's, then voice/meeting_tools.py's
TOOL_NAMES = frozenset(t["function"]["name"] for t in ALL_TOOL_SCHEMAS)
INBOUND_ONLY = frozenset({"create_ticket", "save_caller_name"})


def schemas_for(direction: str = "outbound", kind: str = "") -> list[dict[str, Any]]:
    """The tools a call is offered, by its direction and its campaign's `kind`.

    Reminder and follow-up calls get their meeting tools (voice/meeting_tools.py KIND_TOOLS) and the general ones;
    inbound calls get every prospecting tool plus the inbound-only ones; other outbound calls never see the
    inbound-only tools, and their end_call outcomes stay the outbound ones.
    """
    if direction == "inbound" and not kind:
        return TOOL_SCHEMAS
    outbound = [
        _fn("end_call", t["function"]["description"],
            {"outcome": {"type": "string", "enum": END_OUTCOMES}, "reason": {"type": "string"}}, ["outcome"])
        if t["function"]["name"] == "end_call" else t
        for t in TOOL_SCHEMAS if t["function"]["name"] not in INBOUND_ONLY
    ]  # fmt: skip
    names = KIND_TOOLS.get(kind)
    if not names:
        return outbound
    offered = outbound + MEETING_TOOL_SCHEMAS
    return [t for name in (*names, *GENERAL_TOOLS) for t in offered if t["function"]["name"] == name]


class ToolError(Exception):
    """A tool refuses these arguments; the message tells the model what would work ("rep_id must be one of 3, 5")."""


@dataclass(frozen=True)
class ToolContext:
    call_id: int
    lead_id: int
    campaign_id: int | None
    knowledge_base: tuple[dict[str, str], ...] = ()
    direction: str = "outbound"
    phone_number_id: int | None = None


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
    """The reps the agent books for and transfers to: the campaign's, or the called number's (inbound)."""
    if ctx.campaign_id is None:
        return list(Rep.objects.filter(phone_numbers__pk=ctx.phone_number_id, active=True).select_related("user"))
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
    rep = next((r for r in reps if r.pk == rep_id), None)
    if rep is None:
        offered = ", ".join(str(r.pk) for r in reps) or "none (no rep is on this campaign)"
        raise ToolError(f"rep_id must be one of {offered}: use a rep_id from check_availability")
    try:
        when = dt.datetime.fromisoformat(start)
    except (TypeError, ValueError):
        return ToolResult({"booked": False, "reason": f"Unreadable start time {start!r}."})
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    try:
        meeting = book(lead=lead, rep=rep, start=when, call=Call.objects.get(pk=ctx.call_id))
    except (SlotTaken, SlotUnavailable) as exc:
        alternatives = free_slots(reps, zone, count=2, exclude=((rep.pk, when.astimezone(dt.UTC)),))
        return ToolResult(
            {
                "booked": False,
                "reason": "That slot was just taken." if isinstance(exc, SlotTaken) else f"Not bookable: {exc}",
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
    answers = [e["answer"] for _, e in scored[:2]]
    answered = ctx.direction == "inbound" and bool(answers)
    return ToolResult({"answers": answers}, outcome=Call.Outcome.ANSWERED if answered else "")


def record_opt_out(ctx: ToolContext, reason: str = "") -> ToolResult:
    opt_out(_lead(ctx), reason=reason, call=Call.objects.get(pk=ctx.call_id))
    return ToolResult({"recorded": True}, outcome=Call.Outcome.OPT_OUT)


def transfer_to_rep(ctx: ToolContext, reason: str = "") -> ToolResult:
    if ctx.direction == "inbound":
        from inbound.support import transfer_to_rep as warm_transfer

        return warm_transfer(ctx, reason)
    rep = next((r for r in _reps(ctx) if r.phone), None)
    if rep is None:
        return ToolResult({"transferring": False, "reason": "No rep can take a call right now."})
    return ToolResult(
        {"transferring": True, "rep": str(rep)}, transfer_to=str(rep.phone), outcome=Call.Outcome.TRANSFERRED
    )


def end_call(ctx: ToolContext, outcome: str = "conversation", reason: str = "") -> ToolResult:
    if outcome not in END_OUTCOMES and not (ctx.direction == "inbound" and outcome in INBOUND_END_OUTCOMES):
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
    "schedule_callback": callbacks.tool,
    "create_ticket": lambda ctx, **kw: _inbound("create_ticket")(ctx, **kw),
    "save_caller_name": lambda ctx, **kw: _inbound("save_caller_name")(ctx, **kw),
    **MEETING_TOOLS,
}


def _inbound(name: str):
    from inbound import support

    return getattr(support, name)


def _schema(name: str) -> dict[str, Any] | None:
    """The parameters schema the LLM was given for `name`; None for a tool it was not offered."""
    for tool in (*TOOL_SCHEMAS, *MEETING_TOOL_SCHEMAS):
        if tool["function"]["name"] == name:
            return tool["function"].get("parameters") or {"type": "object", "properties": {}}
    return None


def validated(name: str, arguments: Any) -> dict[str, Any]:
    """The arguments to call tool `name` with, coerced to its schema; `ToolError` with the sentence for the model
    when the tool is unknown or an argument is wrong (also used by the script playground's dry runs)."""
    schema = _schema(name)
    if name not in _TOOLS or schema is None:
        raise ToolError(f"unknown tool {name!r}; the tools are {', '.join(sorted(_TOOLS))}")
    try:
        return clean_arguments(schema, arguments)
    except ArgumentError as exc:
        raise ToolError(f"{name} was not run: {exc}. Call it again with corrected arguments.") from exc


def run_tool_sync(ctx: ToolContext, name: str, arguments: Any) -> ToolResult:
    """Run one tool call; never raises. Every failure is a `{"error": sentence}` result the model can act on.

    `arguments` is the decoded JSON of the call (normally a dict). They are coerced and validated against the
    tool's schema in `TOOL_SCHEMAS` first, so every tool there (and any added later) is covered.
    """
    try:
        cleaned = validated(name, arguments)
    except ToolError as exc:
        return ToolResult({"error": str(exc)})
    try:
        return _TOOLS[name](ctx, **cleaned)
    except ToolError as exc:
        return ToolResult({"error": f"{name}: {exc}"})
    except Exception as exc:  # noqa: BLE001 - a tool's failure is reported to the model, never ends the call
        log.exception("tool %s failed on call %s", name, ctx.call_id)
        return ToolResult({"error": f"{name} failed ({type(exc).__name__}); try once more or carry on without it."})


_late: set[asyncio.Task[ToolResult]] = set()


async def run_tool(ctx: ToolContext, name: str, arguments: Any) -> ToolResult:
    """`run_tool_sync` off the event loop with a deadline (`TOOL_TIMEOUT_SECONDS`); never raises.

    A tool still running at the deadline is reported as an error; its thread cannot be stopped, so its late
    result is logged and dropped.
    """
    timeout = float(getattr(settings, "TOOL_TIMEOUT_SECONDS", DEFAULT_TOOL_TIMEOUT))
    task = asyncio.ensure_future(db.run(run_tool_sync, ctx, name, arguments))
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except asyncio.CancelledError:
        _keep_until_done(task, name, ctx)
        raise
    if not done:
        _keep_until_done(task, name, ctx)
        log.warning("tool %s on call %s gave no answer within %.1f s", name, ctx.call_id, timeout)
        return ToolResult({"error": f"{name} did not answer within {timeout:g} s; tell the caller a rep will "
                                    "follow up on it, or try once more."})
    try:
        return task.result()
    except Exception as exc:  # noqa: BLE001 - e.g. no thread could be had for it
        log.exception("tool %s could not be run on call %s", name, ctx.call_id)
        return ToolResult({"error": f"{name} could not be run ({type(exc).__name__})."})


def _keep_until_done(task: asyncio.Task[ToolResult], name: str, ctx: ToolContext) -> None:
    _late.add(task)

    def finished(t: asyncio.Task[ToolResult]) -> None:
        _late.discard(t)
        if not t.cancelled() and t.exception() is None:
            log.warning("tool %s on call %s finished after its deadline: %s", name, ctx.call_id, t.result().data)

    task.add_done_callback(finished)
