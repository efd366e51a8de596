"""Rehearsal: run a campaign's calls for real, offline, in this process, and summarise what happened.

The path is the production one: the dialer claims and places calls (Celery eager), simulated telephony rings
simulated callees that talk to the media WebSocket of a uvicorn server on loopback, CallSessions converse
through the rehearsal providers, and finalize_call settles each call from the session's end and the signed
status callbacks.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from campaigns.models import Campaign, CampaignLead
from crm.models import Call, Meeting, Turn
from voice import metrics
from voice.loopback import LoopbackServer
from voice.providers.factory import check_provider_settings, preload_providers, warm_local_models

if TYPE_CHECKING:
    from voice.inbound_rehearsals import InboundReport


@dataclass
class RehearsalReport:
    campaign: Campaign
    call_ids: list[int]
    seconds: float
    outcomes: dict[str, int]
    meetings_booked: int
    turns: int  # every saved turn, both speakers (each call page lists them)
    agent_turns: int
    caller_turns: int
    timed_agent_turns: int  # agent turns with a voice-to-voice time: the campaign page's latency table counts these
    interruptions: int
    v2v_ms: dict[str, float]
    overhead_ms: dict[str, float]
    unfinished: list[int] = field(default_factory=list)
    meetings: dict[str, int] = field(default_factory=dict)  # reminder/follow-up campaigns: MeetingChange counts

    def as_json(self) -> dict[str, Any]:
        return self.meetings | figures_json(self)


def figures_json(report: RehearsalReport | InboundReport) -> dict[str, Any]:
    """The `--json` keys every rehearsal report has: `calls` (how many were placed) and its `turn_figures` but
    `unfinished`."""
    return {
        "calls": len(report.call_ids),
        "outcomes": report.outcomes,
        "meetings_booked": report.meetings_booked,
        "turns": report.turns,
        "agent_turns": report.agent_turns,
        "caller_turns": report.caller_turns,
        "timed_agent_turns": report.timed_agent_turns,
        "interruptions": report.interruptions,
        "v2v_ms": report.v2v_ms,
        "overhead_ms": report.overhead_ms,
    }


def _p(values: list[float]) -> dict[str, float]:
    return {"p50": round(metrics.percentile(values, 50), 1), "p95": round(metrics.percentile(values, 95), 1)}


def rehearse(campaign: Campaign, calls: int, timeout: float = 900.0, poll: float = 0.25) -> RehearsalReport:
    """Dial up to `calls` of the campaign's due leads now and wait (at most `timeout` seconds) for them to end.

    The campaign runs for the rehearsal's span only: one that was not running before (draft, paused, stopped…)
    is paused when the rehearsal ends, so a dialer started later (`make serve`, beat) does not carry on with the
    leads the rehearsal left; one a manager had already started keeps running.
    """
    from config.celery import app
    from dialer.claims import claim_due_leads

    # The loopback server runs without lifespan, so the ASGI start-up check never runs there: a vendor chosen
    # without its key must fail here, naming the variable, before anything is dialed.
    check_provider_settings()
    preload_providers()
    warm_local_models()
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    started = time.monotonic()
    placed: list[int] = []
    was_running = True
    try:
        with LoopbackServer():
            was_running = _run_for_the_rehearsal(campaign)
            _enroll_meetings(campaign)
            idle_rounds = 0
            while time.monotonic() - started < timeout:
                remaining = calls - len(placed)
                got = claim_due_leads(campaign.pk, limit=remaining) if remaining > 0 else []
                placed += got
                open_calls = Call.objects.filter(pk__in=placed, finalized_at__isnull=True).count()
                if len(placed) >= calls and not open_calls:
                    break
                idle_rounds = idle_rounds + 1 if not got and not open_calls else 0
                if idle_rounds >= 8:
                    break  # nothing more can be dialed now (window, hopper empty)
                time.sleep(poll)
    finally:
        app.conf.task_always_eager = was_eager
        if not was_running:
            _pause_after_the_rehearsal(campaign)
    return summarise(campaign, placed, time.monotonic() - started)


def _run_for_the_rehearsal(campaign: Campaign) -> bool:
    """Start or resume the campaign; True when it was already running."""
    from dialer.controls import resume_campaign, start_campaign

    status = campaign.status
    if status == Campaign.Status.RUNNING:
        return True
    if status == Campaign.Status.PAUSED:
        resume_campaign(campaign, None)
    else:
        start_campaign(campaign, None)
    return False


def _enroll_meetings(campaign: Campaign) -> None:
    """A reminder or follow-up campaign: enroll its meetings now, as the beat task would within a minute."""
    from campaigns.kinds import calls_about_meetings
    from dialer.enrollment_reminders import enroll

    if calls_about_meetings(campaign):
        enroll(campaign.pk)


def _pause_after_the_rehearsal(campaign: Campaign) -> None:
    """Pause the campaign unless it completed (nothing left to dial) or someone else changed it meanwhile."""
    Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.RUNNING).update(status=Campaign.Status.PAUSED)
    campaign.refresh_from_db(fields=["status"])


def summarise(campaign: Campaign, call_ids: list[int], seconds: float) -> RehearsalReport:
    return RehearsalReport(
        campaign=campaign,
        call_ids=call_ids,
        seconds=seconds,
        meetings=meeting_counts(campaign, call_ids),
        **turn_figures(call_ids),
    )


def turn_figures(call_ids: list[int]) -> dict[str, Any]:
    """The figures every rehearsal report gives for the calls `call_ids`, keyed by the report's field names.

    `outcomes`: calls per outcome ("unfinished" for none yet), most first; `meetings_booked`; `turns`,
    `agent_turns`, `caller_turns` (saved turns); `timed_agent_turns` (agent turns with a voice-to-voice time);
    `interruptions` (agent turns cut short); `v2v_ms` and `overhead_ms`: {"p50", "p95"} in milliseconds, 0.0 with
    no sample (overhead from this process's recent call metrics); `unfinished`: ids of the calls not finalized.
    """
    rows = Call.objects.filter(pk__in=call_ids)
    outcomes = Counter(o or "unfinished" for o in rows.values_list("outcome", flat=True))
    agent_turns = Turn.objects.filter(call__in=call_ids, speaker=Turn.Speaker.AGENT)
    v2v = [float(v) for v in agent_turns.filter(v2v_ms__isnull=False).values_list("v2v_ms", flat=True)]
    overhead = [o for m in metrics.recent() if m.call_id in set(call_ids) for o in m.overhead_ms]
    return {
        "outcomes": dict(sorted(outcomes.items(), key=lambda kv: (-kv[1], kv[0]))),
        "meetings_booked": Meeting.objects.filter(call__in=call_ids).count(),
        "turns": Turn.objects.filter(call__in=call_ids).count(),
        "agent_turns": agent_turns.count(),
        "caller_turns": Turn.objects.filter(call__in=call_ids, speaker=Turn.Speaker.CALLER).count(),
        "timed_agent_turns": len(v2v),
        "interruptions": agent_turns.filter(interrupted=True).count(),
        "v2v_ms": _p(v2v),
        "overhead_ms": _p(overhead),
        "unfinished": list(rows.filter(finalized_at__isnull=True).values_list("pk", flat=True)),
    }


def meeting_counts(campaign: Campaign, call_ids: list[int]) -> dict[str, int]:
    """For a reminder or follow-up campaign: what its calls did to meetings, counted from the meetings' history
    (`MeetingChange` rows of these calls); empty for a prospecting campaign."""
    from campaigns.kinds import calls_about_meetings
    from crm.models import MeetingChange

    if not calls_about_meetings(campaign):
        return {}
    changes = Counter(MeetingChange.objects.filter(call__in=call_ids).values_list("kind", flat=True))
    Kind = MeetingChange.Kind
    return {
        "meetings_confirmed": changes[Kind.CONFIRMED],
        "meetings_rescheduled": changes[Kind.RESCHEDULED],
        "meetings_canceled": changes[Kind.CANCELED],
        "next_meetings_booked": changes[Kind.NEXT_MEETING],
        "next_steps_recorded": changes[Kind.NEXT_STEP],
    }


def table(report: RehearsalReport) -> str:
    labels = dict(Call.Outcome.choices)
    width = max([len(labels.get(k, k)) for k in report.outcomes] + [7])
    lines = [
        f"Rehearsed {len(report.call_ids)} calls of “{report.campaign.name}” ({report.campaign.slug}) "
        f"in {report.seconds:.0f} s",
        "",
        f"  {'outcome'.ljust(width)}  calls",
    ]
    lines += [f"  {labels.get(k, k).ljust(width)}  {n:5d}" for k, n in report.outcomes.items()]
    lines += [
        "",
        f"  meetings booked {report.meetings_booked} · turns {report.turns} (agent {report.agent_turns}, "
        f"caller {report.caller_turns}) · interruptions {report.interruptions}",
        f"  voice-to-voice over {report.timed_agent_turns} timed agent turns: p50 {report.v2v_ms['p50']:.0f} ms, "
        f"p95 {report.v2v_ms['p95']:.0f} ms · "
        f"pipeline overhead p50 {report.overhead_ms['p50']:.1f} ms, p95 {report.overhead_ms['p95']:.1f} ms",
    ]
    if report.meetings:
        lines.append("  " + " · ".join(f"{k.replace('_', ' ')} {n}" for k, n in report.meetings.items()))
    if report.unfinished:
        lines.append(f"  not finalized yet: calls {', '.join(map(str, report.unfinished))}")
    if report.campaign.status == Campaign.Status.PAUSED:
        waiting = report.campaign.hopper.filter(state__in=CampaignLead.DIALABLE_STATES).count()
        lines += ["", f"The campaign is paused again: {waiting} leads wait. Resume it on its page to dial them."]
    base = settings.PUBLIC_BASE_URL
    lines += [
        "",
        "Browse them: `make serve`, log in as manager / parley-demo (rep1 / parley-demo sees the meetings), then open",
        f"  {base}/campaigns/{report.campaign.slug}/  (outcomes, latency)",
        f"  {base}/calls/  (each call's transcript, what the caller heard, and its stereo recording)",
        f"  {base}/meetings/  (meetings booked)",
    ]
    return "\n".join(lines)
