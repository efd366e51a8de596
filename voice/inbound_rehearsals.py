"""Inbound rehearsal: simulated people ring one of our numbers, offline, over the production path.

Simulated telephony posts the signed incoming-call webhook to a uvicorn server on loopback, the TwiML answer
connects each caller's media stream with its signed token, `CallSession`s converse through the rehearsal
providers (the scripted agent's inbound flow), and the signed status callbacks and the session's end finalize
each call. Callers rotate through `voice.sim.inbound_personas.ROTATION`; every other call is from a known lead
(a lead already in the CRM), the rest from new numbers.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django.conf import settings
from django.urls import reverse

from crm.models import Call, Lead, Turn
from inbound.models import PhoneNumber, Ticket, Transfer
from voice.loopback import LoopbackServer
from voice.providers.factory import check_provider_settings
from voice.rehearsals import figures_json, turn_figures
from voice.sim.inbound_personas import ROTATION, for_known_caller

CALLER_WAIT_S = 300.0


@dataclass
class InboundReport:
    number: PhoneNumber
    call_ids: list[int]
    seconds: float
    outcomes: dict[str, int]
    meetings_booked: int
    turns: int
    agent_turns: int
    caller_turns: int
    timed_agent_turns: int
    interruptions: int
    v2v_ms: dict[str, float]
    overhead_ms: dict[str, float]
    tickets: int
    transfers: int
    kb_answers: int
    unfinished: list[int]

    def as_json(self) -> dict[str, Any]:
        """The outbound rehearsal's keys plus `tickets`, `transfers` and `kb_answers`."""
        return figures_json(self) | {
            "tickets": self.tickets,
            "transfers": self.transfers,
            "kb_answers": self.kb_answers,
        }


def _new_numbers(region: str = "US"):
    """Fictional caller numbers (the region's example number, last digits varied) not yet in the CRM."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.FIXED_LINE)
    base = example.national_number - example.national_number % 10000 + 5000
    for offset in itertools.count(1):
        candidate = phonenumbers.PhoneNumber(country_code=example.country_code, national_number=base + offset)
        e164 = phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.is_valid_number(candidate) and not Lead.objects.filter(phone=e164).exists():
            yield e164


def _callers(count: int) -> list[tuple[str, str]]:
    """(caller number, persona) for each call: personas in rotation; known leads (with a name, no live call)
    call on the even-numbered calls, new numbers on the odd ones."""
    known = iter(
        Lead.objects.exclude(first_name="").exclude(
            calls__status__in=Call.ACTIVE_STATUSES, calls__finalized_at__isnull=True
        ).order_by("id").values_list("phone", flat=True)[: count]
    )
    fresh = _new_numbers()
    out = []
    for i in range(count):
        persona = ROTATION[i % len(ROTATION)]
        phone = next(known, None) if i % 2 == 0 else None
        out.append((str(phone), for_known_caller(persona)) if phone else (next(fresh), persona))
    return out


def rehearse_inbound(number: PhoneNumber, calls: int, timeout: float = 900.0) -> InboundReport:
    """Ring `number` `calls` times (at most its capacity at once) and wait for every call to be finalized."""
    from config.celery import app
    from voice.telephony import get_telephony
    from voice.telephony.sim import SimTelephony

    check_provider_settings()
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    started = time.monotonic()
    sids: list[str] = []
    telephony = get_telephony()  # rings as the carrier; sessions hang up and transfer through the same one
    if not isinstance(telephony, SimTelephony):
        raise ValueError("An inbound rehearsal needs TELEPHONY=sim (simulated callers).")
    try:
        with LoopbackServer():
            incoming = settings.PUBLIC_BASE_URL + reverse("inbound:twilio_incoming")
            status = settings.PUBLIC_BASE_URL + reverse("inbound:twilio_incoming_status")
            pending = _callers(calls)
            at_once = max(1, min(number.max_concurrent_calls, 4))
            running: list = []
            while (pending or running) and time.monotonic() - started < timeout:
                while pending and len(running) < at_once:
                    phone, persona = pending.pop(0)
                    running.append(telephony.ring_inbound(str(number.number), phone, persona, incoming, status))
                    time.sleep(0.3)  # callers do not all ring in the same instant
                done = [f for f in running if f.done()]
                for f in done:
                    running.remove(f)
                    result = f.result()
                    sids.append(result.sid)
                if not done:
                    time.sleep(0.2)
            call_ids = list(Call.objects.filter(provider_sid__in=sids).values_list("pk", flat=True))
            for call_id in call_ids:  # the session's end is saved and finalized shortly after the line closes
                deadline = time.monotonic() + 30
                while Call.objects.filter(pk=call_id, finalized_at__isnull=True).exists():
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.1)
    finally:
        app.conf.task_always_eager = was_eager
    return summarise(number, call_ids, time.monotonic() - started)


def summarise(number: PhoneNumber, call_ids: list[int], seconds: float) -> InboundReport:
    kb = Turn.objects.filter(call__in=call_ids, speaker=Turn.Speaker.AGENT)
    answers = [e.get("answer", "") for e in (number.active_script_version.knowledge_base or [])] if \
        number.active_script_version else []
    kb_answers = sum(1 for t in kb.values_list("heard_text", "text") if any(a and a in (t[0] or t[1]) for a in answers))
    return InboundReport(
        number=number,
        call_ids=call_ids,
        seconds=seconds,
        tickets=Ticket.objects.filter(call__in=call_ids).count(),
        transfers=Transfer.objects.filter(call__in=call_ids).count(),
        kb_answers=kb_answers,
        **turn_figures(call_ids),
    )


def table(report: InboundReport) -> str:
    labels = dict(Call.Outcome.choices)
    width = max([len(labels.get(k, k)) for k in report.outcomes] + [7])
    lines = [
        f"Rehearsed {len(report.call_ids)} inbound calls to {report.number} in {report.seconds:.0f} s",
        "",
        f"  {'outcome'.ljust(width)}  calls",
    ]
    lines += [f"  {labels.get(k, k).ljust(width)}  {n:5d}" for k, n in report.outcomes.items()]
    lines += [
        "",
        f"  meetings booked {report.meetings_booked} · tickets {report.tickets} · transfers {report.transfers} · "
        f"knowledge-base answers {report.kb_answers}",
        f"  turns {report.turns} (agent {report.agent_turns}, caller {report.caller_turns}) · "
        f"interruptions {report.interruptions}",
        f"  voice-to-voice over {report.timed_agent_turns} timed agent turns: p50 {report.v2v_ms['p50']:.0f} ms, "
        f"p95 {report.v2v_ms['p95']:.0f} ms · "
        f"pipeline overhead p50 {report.overhead_ms['p50']:.1f} ms, p95 {report.overhead_ms['p95']:.1f} ms",
    ]
    if report.unfinished:
        lines.append(f"  not finalized yet: calls {', '.join(map(str, report.unfinished))}")
    base = settings.PUBLIC_BASE_URL
    lines += ["", "Browse them: `make serve`, log in as manager / parley-demo, then open "
              f"{base}/calls/?direction=inbound and {base}/numbers/"]
    return "\n".join(lines)
