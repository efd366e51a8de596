"""Why a started campaign would have nothing to dial, in words a manager can act on.

The dialer's own live "why isn't it dialing" check covers windows and heartbeats; this only reads the
hopper, so the Start button can warn at once.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Count, Min, Q
from django.utils import timezone

from crm.profiles import format_when

from .models import Campaign, CampaignLead

State = CampaignLead.State
# Hopper states that will never be dialed again, with how a manager reads them.
DEAD_ENDS = {
    State.DO_NOT_CALL: "on the do-not-call list",
    State.EXHAUSTED: "out of attempts",
    State.DONE: "already finished",
}


def nothing_to_dial(campaign: Campaign, zone: ZoneInfo, now: dt.datetime | None = None) -> str | None:
    """None when the hopper holds a lead due now or in flight; else one sentence saying why it holds none.

    Shapes: "… has no leads.", "… has nothing to dial: 2 on the do-not-call list, 1 out of attempts.", or
    "… has nothing due yet: 3 leads wait to retry, the first at Tue 1 Dec 2026, 10:00 EST." (times in `zone`).
    """
    now = now or timezone.now()
    hopper = CampaignLead.objects.filter(campaign=campaign)
    counts = dict(hopper.values_list("state").annotate(n=Count("id")).order_by())
    if counts.get(State.CLAIMED):
        return None
    dialable = hopper.filter(state__in=CampaignLead.DIALABLE_STATES)
    if dialable.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)).exists():
        return None
    if waiting := sum(counts.get(state, 0) for state in CampaignLead.DIALABLE_STATES):
        first = format_when(dialable.aggregate(first=Min("next_attempt_at"))["first"], zone)
        leads = f"{waiting} lead{'s' if waiting != 1 else ''} wait{'s' if waiting == 1 else ''}"
        return f"{campaign.name} has nothing due yet: {leads} to retry, the first at {first}."
    about_meetings = campaign.kind != Campaign.Kind.PROSPECTING
    more = (
        "Meetings of its reps are enrolled automatically when they are due a call."
        if about_meetings else "Upload more leads to start calling."
    )
    if not counts:
        if about_meetings:
            return f"{campaign.name} has no meetings to call about yet. {more}"
        return f"{campaign.name} has nothing to dial: the campaign has no leads. Upload leads (CSV) to start calling."
    parts = [f"{counts[state]} {label}" for state, label in DEAD_ENDS.items() if counts.get(state)]
    return f"{campaign.name} has nothing to dial: {', '.join(parts)}. {more}"
