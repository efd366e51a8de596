"""Plain helpers that build the smallest valid world for a test."""
from __future__ import annotations

import datetime as dt
import itertools

from django.contrib.auth.models import Group, User

from campaigns.models import Campaign, CampaignLead, Script
from campaigns.scripts import save_new_version
from crm.models import Availability, Lead, Rep
from crm.roles import REPS
from dialer.windows import timezone_value_inside

_serial = itertools.count(1)


def script(slug: str | None = None) -> Script:
    s = Script.objects.create(name="Test script", slug=slug or f"script-{next(_serial)}")
    save_new_version(
        s,
        publish=True,
        instructions="Book a meeting.",
        opening_line="Hi {first_name}, this is an AI assistant calling for Test Co.",
        voicemail_message="Sorry we missed you.",
        knowledge_base=[{"question": "price pricing", "answer": "It costs 99 dollars."}],
    )
    return s


def campaign(slug: str | None = None, **fields) -> Campaign:
    defaults = {
        "name": "Test campaign",
        "slug": slug or f"campaign-{next(_serial)}",
        "script": fields.pop("script", None) or script(),
        "caller_id": "+14155550100",
        "calling_days": list(range(7)),
        "window_start": dt.time(9),
        "window_end": dt.time(20),
    }
    defaults.update(fields)
    return Campaign.objects.create(**defaults)


def lead(phone: str | None = None, timezone: str = "America/New_York", **fields) -> Lead:
    number = phone or f"+1201555{next(_serial) % 10000:04d}"
    return Lead.objects.create(phone=number, timezone=timezone, first_name=fields.pop("first_name", "Pat"), **fields)


ROUND_THE_WORLD = ("America/New_York", "Europe/London", "Asia/Tokyo", "Australia/Sydney", "America/Los_Angeles")


def open_zone(campaign_: Campaign, span: dt.timedelta = dt.timedelta(minutes=5)) -> str:
    """A zone of ROUND_THE_WORLD inside `campaign_`'s calling window now and still `span` later, for a test that
    dials on the real clock like the server: a window closing between the claim and the dial would block it."""
    now = dt.datetime.now(dt.UTC)
    return next(z for z in ROUND_THE_WORLD if all(timezone_value_inside(z, campaign_, t) for t in (now, now + span)))


def hopper_entry(campaign_: Campaign, lead_: Lead | None = None, **fields) -> CampaignLead:
    return CampaignLead.objects.create(campaign=campaign_, lead=lead_ or lead(), **fields)


def rep(username: str | None = None, timezone: str = "America/New_York", weekdays=range(5)) -> Rep:
    user = User.objects.create_user(username=username or f"rep{next(_serial)}", password="pw-for-tests")
    user.groups.add(Group.objects.get(name=REPS))
    r = Rep.objects.create(user=user, timezone=timezone)
    Availability.objects.bulk_create(
        Availability(rep=r, weekday=day, start=dt.time(9), end=dt.time(17)) for day in weekdays
    )
    return r


# --- calls, turns, meetings and recordings as the pages show them (tests/pages, tests/browser) -------------


def wav_bytes(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A short stereo 16-bit WAV with a quiet tone on each channel: a playable stand-in recording."""
    import io
    import math
    import struct
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = bytearray()
        for i in range(int(seconds * rate)):
            left = int(3000 * math.sin(2 * math.pi * 220 * i / rate))
            right = int(3000 * math.sin(2 * math.pi * 330 * i / rate))
            frames += struct.pack("<hh", left, right)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


def finished_call(entry: CampaignLead, outcome: str = "booked", **fields):
    """A completed call of a hopper entry with the given outcome (answered unless nobody picked up)."""
    from django.utils import timezone

    from crm.models import Call

    now = timezone.now()
    unanswered = outcome in ("no_answer", "busy", "failed", "invalid_number", "blocked")
    defaults = {
        "campaign": entry.campaign,
        "campaign_lead": entry,
        "lead": entry.lead,
        "script_version": entry.campaign.active_script_version,
        "status": Call.Status.COMPLETED,
        "outcome": outcome,
        "placed_at": now - dt.timedelta(minutes=3),
        "answered_at": None if unanswered else now - dt.timedelta(minutes=2, seconds=50),
        "ended_at": now,
        "duration_seconds": 0 if unanswered else 170,
    }
    defaults.update(fields)
    return Call.objects.create(**defaults)


CONVERSATION = (
    ("agent", "Hi Pat, this is Sam, an AI assistant calling for Test Co. Do you have a minute?", "", False, None),
    ("caller", "Sure, what is it about?", "", False, None),
    (
        "agent",
        "We help sales teams book more meetings. I'd love to set up a short call with one of our reps.",
        "We help sales teams book more meetings.",
        True,
        512,
    ),
    ("caller", "How much does it cost?", "", False, None),
    ("agent", "Plans start at 99 dollars a month per seat. Would Tuesday at 10 work?", "", False, 431),
    ("caller", "Tuesday at 10 works.", "", False, None),
    ("agent", "Great, you're booked for Tuesday at 10 with Riley. Thanks, Pat!", "", False, 650),
)


def conversation(call, lines=CONVERSATION) -> list:
    """Turns of a short booking conversation; the third one was interrupted mid-sentence."""
    from crm.models import Turn

    turns = []
    for index, (speaker, text, heard, interrupted, v2v) in enumerate(lines):
        turns.append(
            Turn.objects.create(
                call=call,
                index=index,
                speaker=speaker,
                text=text,
                heard_text=heard or (text if speaker == "agent" else ""),
                interrupted=interrupted,
                started_ms=index * 4000,
                ended_ms=index * 4000 + 3000,
                v2v_ms=v2v,
                stt_ms=v2v and 150,
                llm_ms=v2v and 300,
                tts_ms=v2v and 390,
            )
        )
    return turns


def meeting(rep_: Rep, call=None, lead_: Lead | None = None, start=None, **fields):
    from django.utils import timezone

    from crm.models import Meeting

    start = start or (timezone.now() + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    return Meeting.objects.create(
        lead=lead_ or (call.lead if call else lead()),
        call=call,
        campaign=call.campaign if call else None,
        rep=rep_,
        start=start,
        end=start + dt.timedelta(minutes=30),
        **fields,
    )
