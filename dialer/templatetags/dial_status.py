"""`{% dial_status campaign %}`: the campaign page's "why is it (not) dialing" box (dialer/eligibility.py)."""
from __future__ import annotations

from django import template
from django.utils.dateparse import parse_datetime

from dialer.eligibility import explain_campaign

register = template.Library()


@register.inclusion_tag("campaigns/_dial_status.html")
def dial_status(campaign) -> dict:
    status = explain_campaign(campaign)
    # The page writes times as the rest of the site does ({{ t|clock }}), not as the ISO string kept for dial_check.
    return {"campaign": campaign, "status": status, "last_tick": parse_datetime(status["heartbeat"] or "")}
