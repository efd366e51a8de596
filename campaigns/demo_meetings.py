"""The demo's reminder and follow-up campaigns (`demo-reminders`, `demo-followups`) and meetings to call about.

Reminders: meetings with rep1 (Riley Chen) in the next day, booked (validated like any booking) two days ago, of
leads whose local time is inside the calling window now, so a rehearsal calls them at once. Follow-ups: meetings
with rep1 that were held yesterday. Each lead's `persona` says how the simulated callee answers.
"""
from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from django.utils import timezone

from crm.availability import free_slots
from crm.bookings import book_meeting
from crm.models import Call, Lead, Meeting, Rep

from .models import Campaign, CampaignLead, Script, default_retry_rules
from .scripts import save_new_version

REMINDER_SLUG, FOLLOW_UP_SLUG = "demo-reminders", "demo-followups"
REMINDER_PERSONAS = ("confirms", "wants_another_day", "cancels", "forgot_meeting", "voicemail")
FOLLOW_UP_PERSONAS = ("pricing_question", "ready_next_step", "follow_up_not_interested")
BOOKING_SUMMARY = (
    "The caller booked a meeting with {rep}. They run a team of {n} sales reps on spreadsheets and cold email, "
    "and want to see how the AI dialer books meetings and what it costs."
)

REMINDER_SCRIPT = {
    "instructions": (
        "You are Sam, an AI assistant calling for Parley Demo Co to remind people of the meeting they booked with "
        "one of our reps. Be brief and friendly. Never pretend to be human. Confirm, move or cancel the meeting "
        "as they wish; only offer times the tools give you."
    ),
    "opening_line": (
        "Hi {first_name}, this is Sam, an AI assistant calling for Parley Demo Co about your meeting with "
        "{rep_name} on {meeting_time}, your time. Will you still be able to make it?"
    ),
    "objection_notes": {},
    "knowledge_base": [
        {"question": "pricing price cost much", "answer": "Plans start at 99 dollars a month per seat."},
        {"question": "how long length duration", "answer": "The meeting takes thirty minutes, by video call."},
    ],
    "voicemail_message": (
        "Hi {first_name}, this is Sam, an AI assistant from Parley Demo Co, reminding you of your meeting with "
        "{rep_name} on {meeting_time}. To move or cancel it, call us back at {callback_number}. Thank you!"
    ),
    "voice": "demo-voice",
}
FOLLOW_UP_SCRIPT = {
    "instructions": (
        "You are Sam, an AI assistant calling for Parley Demo Co after a product demo with one of our reps. Answer "
        "questions from the knowledge base, book the next meeting when they are ready, and always record the next "
        "step. Be brief and honest. Never pretend to be human."
    ),
    "opening_line": (
        "Hi {first_name}, this is Sam, an AI assistant calling for Parley Demo Co to follow up on your meeting "
        "with {rep_name} on {meeting_day}. Do you have any questions, or shall we set up the next step?"
    ),
    "objection_notes": {},
    "knowledge_base": [
        {
            "question": "pricing price cost much",
            "answer": "Plans start at 99 dollars a month per seat, so a team of ten is 990 dollars a month, with "
            "two months free on a yearly plan.",
        },
        {"question": "integrations crm salesforce hubspot", "answer": "We integrate with Salesforce and HubSpot."},
        {"question": "security data gdpr", "answer": "Data stays in your region and we are GDPR compliant."},
    ],
    "voicemail_message": (
        "Hi {first_name}, this is Sam, an AI assistant from Parley Demo Co, following up on your meeting with "
        "{rep_name}. If you have any questions, call us back at {callback_number}. Thank you!"
    ),
    "voice": "demo-voice",
}


def seed_meeting_campaigns(source: Campaign, manager, rep: Rep, zones, numbers, wanted: int = 10) -> list[Campaign]:
    """Create (or top up) the demo's reminder and follow-up campaigns with `wanted` meetings each waiting to be
    called, then enroll them (what the beat task does every minute). Each meeting was booked two days ago on a
    call of the `source` (prospecting) campaign, with its summary. `zones` are (region, IANA zone) pairs;
    `numbers` maps a region to an iterator of unused E.164 numbers."""
    from dialer.enrollment_reminders import enroll

    campaigns = []
    for slug, name, kind, script, offset in (
        (REMINDER_SLUG, "Demo meeting reminders", Campaign.Kind.REMINDER, REMINDER_SCRIPT, 24 * 60),
        (FOLLOW_UP_SLUG, "Demo post-meeting follow-ups", Campaign.Kind.FOLLOW_UP, FOLLOW_UP_SCRIPT, 18 * 60),
    ):
        script_row, created = Script.objects.get_or_create(slug=f"{slug}-script", defaults={"name": name})
        if created:
            save_new_version(script_row, publish=True, **script)
        campaign, _ = Campaign.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name, "script": script_row, "caller_id": "+14155550100", "calling_days": list(range(7)),
                "window_start": dt.time(8), "window_end": dt.time(21), "max_concurrency": 10,
                "calls_per_second": 5, "created_by": manager, "kind": kind, "meeting_offset_minutes": offset,
                "max_attempts": 2,
                # A reminder that reached voicemail or nobody is tried again the same day, before the meeting.
                "retry_rules": {**default_retry_rules(), "voicemail": 3 * 3600, "no_answer": 2 * 3600},
            },
        )
        campaign.reps.add(rep)
        _top_up(campaign, source, rep, zones, numbers, wanted)
        enroll(campaign.pk)
        campaigns.append(campaign)
    return campaigns


def _top_up(campaign: Campaign, source: Campaign, rep: Rep, zones, numbers, wanted: int) -> None:
    waiting = campaign.hopper.filter(state__in=CampaignLead.DIALABLE_STATES).count()
    open_zones = [(r, z) for r, z in zones if _inside(campaign, ZoneInfo(z))]
    if not open_zones:
        return  # no demo zone may be called right now; the next run of seed_demo tops up
    reminder = campaign.kind == Campaign.Kind.REMINDER
    personas = REMINDER_PERSONAS if reminder else FOLLOW_UP_PERSONAS
    missing = max(0, wanted - waiting)
    serial = Lead.objects.count()
    tries = itertools.islice(itertools.cycle(open_zones), 3 * max(missing, 1) + len(open_zones))
    for region, zone in tries:
        if missing <= 0:
            break
        start = _reminder_slot(rep, ZoneInfo(zone)) if reminder else None
        if reminder and start is None:
            continue
        serial += 1
        lead = Lead.objects.create(
            phone=next(numbers[region]), first_name=("Noor", "Omar", "Priya", "Quinn", "Rosa", "Sven")[serial % 6],
            last_name=("Adams", "Baker", "Costa", "Dubois", "Eriksen")[serial % 5], company="Northwind",
            timezone=zone, consent_source="demo", attributes={"persona": personas[serial % len(personas)]},
        )
        call = _booking_call(source, lead, BOOKING_SUMMARY.format(rep=rep, n=8 + serial % 9))
        if reminder:
            meeting = book_meeting(lead=lead, rep=rep, start=start, call=call)
        else:
            meeting = _held_meeting(rep, lead, call)
        Meeting.objects.filter(pk=meeting.pk).update(created_at=call.created_at)
        missing -= 1


def _booking_call(source: Campaign, lead: Lead, summary: str) -> Call:
    """The finished call of the prospecting campaign that booked the lead's meeting two days ago."""
    at = timezone.now() - dt.timedelta(days=2)
    entry = CampaignLead.objects.create(
        campaign=source, lead=lead, state=CampaignLead.State.DONE, attempts=1, last_outcome=Call.Outcome.BOOKED
    )
    call = Call.objects.create(
        campaign=source, campaign_lead=entry, lead=lead, script_version=source.active_script_version,
        status=Call.Status.COMPLETED, outcome=Call.Outcome.BOOKED, placed_at=at, answered_at=at + dt.timedelta(
            seconds=8), ended_at=at + dt.timedelta(minutes=3), finalized_at=at + dt.timedelta(minutes=3),
        duration_seconds=172, summary=summary,
    )
    Call.objects.filter(pk=call.pk).update(created_at=at)
    call.refresh_from_db()
    return call


def _reminder_slot(rep: Rep, zone: ZoneInfo) -> dt.datetime | None:
    """The first free slot with the rep inside the lead's daytime, if it is within the next 23 hours (so a
    24-hour reminder is due now)."""
    slots = free_slots([rep], zone, count=1)
    if not slots or slots[0].start > timezone.now() + dt.timedelta(hours=23):
        return None
    return slots[0].start


def _held_meeting(rep: Rep, lead: Lead, call: Call) -> Meeting:
    """A 30-minute meeting with the rep that was held yesterday (its own half hour, never overlapping another)."""
    start = (timezone.now() - dt.timedelta(hours=26)).replace(minute=0, second=0, microsecond=0)
    while Meeting.objects.filter(rep=rep, start__lt=start + dt.timedelta(minutes=30), end__gt=start).exists():
        start -= dt.timedelta(minutes=30)
    return Meeting.objects.create(
        lead=lead, rep=rep, call=call, campaign=call.campaign, start=start, end=start + dt.timedelta(minutes=30),
        status=Meeting.Status.HELD,
    )


def _inside(campaign: Campaign, zone: ZoneInfo) -> bool:
    local = timezone.now().astimezone(zone)
    # An hour of margin before the window closes: a rehearsal right after seeding still finds them inside.
    return campaign.window_start <= local.time() and (local + dt.timedelta(hours=1)).time() < campaign.window_end \
        and local.date() == (local + dt.timedelta(hours=1)).date()
