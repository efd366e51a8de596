"""Why a started campaign would have nothing to dial, in words a manager can act on.

The dialer's own live "why isn't it dialing" check covers windows and heartbeats; this only reads the
hopper, so the Start button can warn at once.
"""
from __future__ import annotations

from django.db.models import Count

from .models import Campaign, CampaignLead

State = CampaignLead.State
# Hopper states that will never be dialed again, with how a manager reads them.
DEAD_ENDS = {
    State.DO_NOT_CALL: "on the do-not-call list",
    State.EXHAUSTED: "out of attempts",
    State.DONE: "already finished",
}


def nothing_to_dial(campaign: Campaign) -> str | None:
    """None when the hopper holds a lead to dial or in flight; else one sentence saying why it holds none.

    Shape of the sentence: "… has no leads." or "… has nothing to dial: 2 on the do-not-call list, 1 out of attempts."
    """
    counts = dict(
        CampaignLead.objects.filter(campaign=campaign).values_list("state").annotate(n=Count("id")).order_by()
    )
    if any(counts.get(state) for state in (*CampaignLead.DIALABLE_STATES, State.CLAIMED)):
        return None
    if not counts:
        return f"{campaign.name} has nothing to dial: the campaign has no leads. Upload leads (CSV) to start calling."
    parts = [f"{counts[state]} {label}" for state, label in DEAD_ENDS.items() if counts.get(state)]
    return f"{campaign.name} has nothing to dial: {', '.join(parts)}. Upload more leads to start calling."
