"""The demo world `make demo` runs in: users for each role, reps with hours, a script and a campaign of leads."""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import phonenumbers
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from crm.models import Availability, Lead, Rep
from crm.roles import ADMINS, MANAGERS, REPS

from .demo_meetings import seed_meeting_campaigns  # demo-reminders and demo-followups
from .models import Campaign, CampaignLead, Script
from .scripts import save_new_version

DEMO_PASSWORD = "parley-demo"
DEMO_SLUG = "demo"
PERSONAS = (
    "books_meeting",
    "not_interested",
    "opt_out",
    "voicemail",
    "no_answer",
    "busy",
    "interrupter",
    "kb_question",
    "silent",
)
# Zones spread round the globe, so that at any hour some of them are inside the calling window.
ZONES = (
    ("US", "America/New_York"),
    ("US", "America/Los_Angeles"),
    ("US", "Pacific/Honolulu"),
    ("GB", "Europe/London"),
    ("DE", "Europe/Berlin"),
    ("IN", "Asia/Kolkata"),
    ("SG", "Asia/Singapore"),
    ("JP", "Asia/Tokyo"),
    ("AU", "Australia/Sydney"),
    ("BR", "America/Sao_Paulo"),
)
FIRST_NAMES = ("Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonah", "Kemi", "Liam")
LAST_NAMES = ("Okafor", "Nguyen", "Schmidt", "Patel", "Rossi", "Tanaka", "Silva", "Murphy", "Haddad", "Kowalski")
COMPANIES = ("Northwind", "Acme Logistics", "Globex", "Initech", "Umbrella Foods", "Stark Freight", "Wayne Dental")

SCRIPT = {
    "instructions": (
        "You are Sam, an AI assistant calling on behalf of Parley Demo Co. Goal: qualify the lead and book a "
        "30-minute call with a sales rep. Be brief, warm and honest. Never pretend to be human. If the person "
        "asks not to be called again, record the opt-out, apologise and end the call."
    ),
    "opening_line": (
        "Hi {first_name}, this is Sam, an AI assistant calling for Parley Demo Co. "
        "Do you have a minute to hear why I'm calling?"
    ),
    "qualification_questions": [
        {"field": "team_size", "question": "How many people are on your sales team?"},
        {"field": "current_tool", "question": "What do you use today to reach new leads?"},
    ],
    "objection_notes": {
        "not interested": "Totally fair. Would a short call next week be useful, or shall I leave it there?",
        "too expensive": "Pricing depends on volume; the rep can walk you through it in twenty minutes.",
        "send an email": "Happy to. The rep will also send one ahead of a short call, if you'd like one.",
    },
    "knowledge_base": [
        {"question": "pricing price cost", "answer": "Plans start at 99 dollars a month per seat."},
        {"question": "integrations crm salesforce hubspot", "answer": "We integrate with Salesforce and HubSpot."},
        {"question": "security data gdpr", "answer": "Data stays in your region and we are GDPR compliant."},
    ],
    "voicemail_message": (
        "Hi, this is Sam, an AI assistant calling for Parley Demo Co. We'd love to show you how teams book "
        "more meetings. We'll try you again another day. Have a great day!"
    ),
    "voice": "demo-voice",
}

# rep1 (the README's login) takes the demo campaign's meetings: every day 07:00–21:00 New York overlaps the daytime
# of every zone in ZONES, so whenever `make demo` runs each lead who wants a meeting gets one, with rep1. rep2 and
# rep3 work office hours and have no demo meetings (a rep sees only their own).
DEMO_REPS = (
    ("rep1", "Riley", "Chen", "America/New_York", range(7), (dt.time(7), dt.time(21))),
    ("rep2", "Sasha", "Ivanova", "Europe/London", range(5), (dt.time(9), dt.time(17))),
    ("rep3", "Taylor", "Brooks", "America/Los_Angeles", range(5), (dt.time(9), dt.time(17))),
)


def _user(username: str, first: str, last: str, group: str, **extra) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last, **extra}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    user.groups.add(Group.objects.get(name=group))
    return user


def _demo_numbers(region: str) -> itertools.count:
    """Valid, fictional-looking numbers: the region's example number with its last digits varied."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    base = example.national_number - example.national_number % 10000
    for offset in itertools.count(1):
        candidate = phonenumbers.PhoneNumber(country_code=example.country_code, national_number=base + offset)
        if phonenumbers.is_valid_number(candidate):
            yield phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)


@transaction.atomic
def seed_demo(leads: int = 60) -> Campaign:
    """Create (or top up) the demo world; safe to run any number of times."""
    _user("admin", "Alex", "Admin", ADMINS, is_staff=True, is_superuser=True)
    manager = _user("manager", "Morgan", "Manager", MANAGERS, is_staff=True)
    reps = []
    for username, first, last, tz, days, hours in DEMO_REPS:
        rep, created = Rep.objects.get_or_create(
            user=_user(username, first, last, REPS), defaults={"timezone": tz}
        )
        if created:
            Availability.objects.bulk_create(
                Availability(rep=rep, weekday=day, start=hours[0], end=hours[1]) for day in days
            )
        reps.append(rep)

    script, created = Script.objects.get_or_create(slug="demo-script", defaults={"name": "Demo outreach"})
    if created:
        save_new_version(script, publish=True, **SCRIPT)

    campaign, _ = Campaign.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={
            "name": "Demo campaign",
            "script": script,
            "caller_id": "+14155550100",
            "calling_days": list(range(7)),
            "window_start": dt.time(8),
            "window_end": dt.time(21),
            "max_concurrency": 10,
            "calls_per_second": 5,
            "created_by": manager,
        },
    )
    campaign.reps.add(reps[0])
    _top_up_leads(campaign, leads)
    seed_meeting_campaigns(campaign, manager, reps[0], ZONES, _unused_numbers())
    from inbound.demo import seed_inbound

    seed_inbound(reps)
    return campaign


def _unused_numbers() -> dict[str, Iterator[str]]:
    """Per region, demo numbers no lead has yet."""
    taken = {str(phone) for phone in Lead.objects.values_list("phone", flat=True)}
    return {region: (n for n in _demo_numbers(region) if n not in taken) for region, _ in ZONES}


def _top_up_leads(campaign: Campaign, wanted: int) -> None:
    """Make sure `wanted` leads are waiting to be dialed, preferring zones inside the window right now."""
    waiting = campaign.hopper.filter(state__in=CampaignLead.DIALABLE_STATES).count()
    missing = max(0, wanted - waiting)
    if not missing:
        return
    now = timezone.now()
    zones = sorted(ZONES, key=lambda rz: not _inside(campaign, now.astimezone(ZoneInfo(rz[1]))))
    numbers = {region: _demo_numbers(region) for region, _ in ZONES}
    taken = {str(phone) for phone in Lead.objects.values_list("phone", flat=True)}
    created = 0
    serial = Lead.objects.count()
    while created < missing:
        region, zone = zones[created % len(zones)]
        phone = next(numbers[region])
        if phone in taken:
            continue
        serial += 1
        lead = Lead.objects.create(
            phone=phone,
            first_name=FIRST_NAMES[serial % len(FIRST_NAMES)],
            last_name=LAST_NAMES[serial % len(LAST_NAMES)],
            company=COMPANIES[serial % len(COMPANIES)],
            email=f"lead{serial}@example.com",
            timezone=zone,
            consent_source="demo",
            attributes={"persona": PERSONAS[serial % len(PERSONAS)]},
        )
        CampaignLead.objects.create(campaign=campaign, lead=lead)
        taken.add(phone)
        created += 1


def _inside(campaign: Campaign, local: dt.datetime) -> bool:
    return campaign.window_start <= local.time() < campaign.window_end
