"""The demo world's inbound number (`manage.py seed_demo`): a front-desk script with a knowledge base, answered
around the clock, booking and transferring to rep1."""
from __future__ import annotations

import datetime as dt

from campaigns.models import Script
from campaigns.scripts import save_new_version
from crm.models import Rep

from .models import PhoneNumber

DEMO_NUMBER = "+14155550123"
DEMO_REP_PHONE = "+14155550199"
SCRIPT = {
    "instructions": (
        "You are Sam, an AI assistant answering the phone for Parley Demo Co. Help callers quickly and honestly: "
        "answer product and billing questions from the knowledge base, open tickets for what the support team must "
        "do, qualify prospects and book a 30-minute call with a rep, and transfer to a person when asked."
    ),
    "opening_line": "Thanks for calling Parley Demo Co. This is Sam, an AI assistant. How can I help you today?",
    "qualification_questions": [
        {"field": "team_size", "question": "How many people are on your sales team?"},
        {"field": "current_tool", "question": "What do you use today to reach new leads?"},
    ],
    "objection_notes": {},
    "knowledge_base": [
        {"question": "pricing price cost seat plan much", "answer": "Plans start at 99 dollars a month per seat."},
        {"question": "invoice billing payment card charge",
         "answer": "Invoices go out on the first of each month; you can change your card under Settings, Billing."},
        {"question": "integrations crm salesforce hubspot", "answer": "We integrate with Salesforce and HubSpot."},
        {"question": "support hours open", "answer": "Our support team works Monday to Friday, 9 to 5 Eastern."},
    ],
    "voicemail_message": "",
    "voice": "demo-voice",
}


def seed_inbound(reps: list[Rep]) -> PhoneNumber:
    """Create (or keep) the demo number; rep1 gets a (fictional) phone so transfers have somewhere to go."""
    script, created = Script.objects.get_or_create(slug="demo-front-desk", defaults={"name": "Demo front desk"})
    if created:
        save_new_version(script, publish=True, **SCRIPT)
    number, _ = PhoneNumber.objects.get_or_create(
        number=DEMO_NUMBER,
        defaults={
            "label": "Demo front desk",
            "business_name": "Parley Demo Co",
            "provider_sid": "PN" + "0" * 32,
            "script": script,
            "greeting": "Thanks for calling {business}. This is Sam, an AI assistant. How can I help you today?",
            "business_days": list(range(7)),
            "opens_at": dt.time(0, 0),
            "closes_at": dt.time(23, 59, 59),
            "timezone": "America/New_York",
            "max_concurrent_calls": 5,
        },
    )
    if reps:
        rep = reps[0]
        if not rep.phone:
            rep.phone = DEMO_REP_PHONE
            rep.save(update_fields=["phone"])
        number.reps.add(rep)
    return number
