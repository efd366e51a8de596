"""`{% dial_status campaign %}`: the campaign page's "why is it (not) dialing" box (dialer/eligibility.py)."""
from __future__ import annotations

from django import template

from dialer.eligibility import explain_campaign

register = template.Library()


@register.inclusion_tag("campaigns/_dial_status.html")
def dial_status(campaign) -> dict:
    return {"campaign": campaign, "status": explain_campaign(campaign)}
