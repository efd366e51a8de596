"""Plain helpers that build the smallest valid world for a test."""
from __future__ import annotations

import datetime as dt
import itertools

from django.contrib.auth.models import Group, User

from campaigns.models import Campaign, CampaignLead, Script
from campaigns.scripts import save_new_version
from crm.models import Availability, Lead, Rep
from crm.roles import REPS

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
