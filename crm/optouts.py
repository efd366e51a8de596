"""A person asked not to be called again: the do-not-call list, and no further attempt in any campaign."""
from __future__ import annotations

from django.db import transaction

from campaigns.models import CampaignLead

from .models import Call, DoNotCall, Lead


@transaction.atomic
def record_opt_out(lead: Lead, reason: str = "", call: Call | None = None) -> DoNotCall:
    entry, _ = DoNotCall.objects.get_or_create(
        phone=lead.phone,
        defaults={
            "source": DoNotCall.Source.OPT_OUT,
            "reason": (reason or (f"Asked on call {call.pk}" if call else "Asked on a call"))[:255],
        },
    )
    # A row in flight (this call) is moved on by the dialer's finalize_call, which sees the DNC entry.
    settled = (CampaignLead.State.DONE, CampaignLead.State.CLAIMED)
    CampaignLead.objects.filter(lead=lead).exclude(state__in=settled).update(
        state=CampaignLead.State.DO_NOT_CALL, next_attempt_at=None
    )
    return entry


_PHRASES = (
    "take me off your list",
    "stop calling me",
    "do not call me",
    "don't call me again",
    "remove me from your list",
)


def detect(text: str) -> str | None:
    """The opt-out phrase a caller's final turn contains, or None. (First version; the full matcher follows.)"""
    lowered = " ".join(text.lower().split())
    for phrase in _PHRASES:
        if phrase in lowered:
            return phrase
    return None
