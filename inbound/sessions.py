"""What an inbound call's session is told: the greeting (with the AI disclosure kept), the direction-aware
instructions, and the caller's context (a known lead's name, company, past calls and meetings)."""
from __future__ import annotations

from django.utils import timezone

from campaigns.scripts import script_fields
from crm.models import Call
from voice.session.safeguards import disclosure_pieces
from voice.turns import SentenceSplitter

from . import callers, hours

DEFAULT_GREETING = "Thanks for calling {business}. This is an AI assistant. How can I help you today?"
AI_NOTE = "Just so you know, I'm an AI assistant."


def greeting(template: str, business: str, first_name: str) -> str:
    """The first words: the number's greeting with {business} and {first_name} filled in, and an AI disclosure
    inserted after its first sentence when it has none (the caller must hear that they talk to an AI)."""
    try:
        text = (template or DEFAULT_GREETING).format(business=business or "us", first_name=first_name)
    except (KeyError, IndexError, ValueError):
        text = template
    text = " ".join(text.split())
    if first_name and "{first_name}" not in (template or DEFAULT_GREETING):
        text = text.replace("Thanks for calling " + (business or "us"), f"Thanks for calling {business or 'us'}, "
                            f"{first_name}", 1) if text.startswith("Thanks for calling") else text
    splitter = SentenceSplitter(first_clause=True)
    pieces = splitter.feed(text + " ") + splitter.flush()
    if not disclosure_pieces(pieces):
        first, _, rest = text.partition(". ")
        text = f"{first}. {AI_NOTE} {rest}".strip() if rest else f"{text} {AI_NOTE}"
    return text


def instructions(call: Call, context: dict, open_now: bool) -> str:
    number = call.phone_number
    lines = [
        f"This is an INBOUND call: the caller rang {number.label} ({number.number}); you answered. Help them: "
        "answer questions with search_knowledge_base, open a ticket with create_ticket for what the team must do "
        "(password resets, billing disputes, bugs), book a meeting with a rep for prospects (qualify first), "
        "schedule_callback when they want a call later, and transfer_to_rep when they ask for a person or you "
        "cannot resolve it. Never pretend to be human.",
        f"Business hours: {hours.hours_text(number)}; it is {'inside' if open_now else 'OUTSIDE'} them now"
        + ("" if open_now else ": no rep can take a transfer; offer a callback or a ticket instead."),
    ]
    if context["known"]:
        lines.append(f"The caller is a known contact: {context['name'] or 'name not recorded'}"
                     + (f" of {context['company']}" if context["company"] else "") + ".")
        for c in context["past_calls"]:
            lines.append(f"Earlier call {c['when']} ({c['direction']}): {c['outcome']}. {c['summary']}".strip())
        for m in context["meetings"]:
            lines.append(f"Meeting {m['when']} with {m['rep']}: {m['status']}.")
    else:
        lines.append("The caller is not known. Ask for their name early and save it with save_caller_name.")
    return "\n".join(lines)


def session_parts(call: Call) -> tuple[dict, dict, int]:
    """(script dict, campaign-like dict, max call seconds) for an inbound call's `CallInfo`."""
    number = call.phone_number
    script = script_fields(call.script_version or number.active_script_version)
    lead = call.lead
    context = callers.caller_context(lead, exclude_call=call.pk)
    open_now = hours.is_open(number, timezone.now())
    script["opening_line"] = greeting(number.greeting, number.business_name, lead.first_name)
    script["instructions"] = "\n".join(p for p in (str(script.get("instructions") or ""),
                                                   instructions(call, context, open_now)) if p)
    script["voicemail_message"] = ""
    info = {
        "id": None,
        "slug": "",
        "name": number.label,
        "business": number.business_name or number.label,
        "max_call_seconds": number.max_call_seconds,
        "direction": "inbound",
        "phone_number_id": number.pk,
        "business_open": open_now,
        "caller_known": context["known"],
    }
    return script, info, number.max_call_seconds
