"""Helpers: a live call ready for its media stream, and a simulated callee talking to it over loopback."""
from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from django.utils import timezone

from campaigns.models import CampaignLead
from crm.models import Call, Turn
from tests import factories
from voice import metrics
from voice.sim.callee import CalleeLog, run_callee
from voice.tokens import media_stream_url


def zone_in_daytime() -> str:
    """A timezone where it is between 10:00 and 18:00 right now, so calling windows and slots are open."""
    now = timezone.now()
    for offset in range(-10, 14):
        name = f"Etc/GMT{'-' if offset >= 0 else '+'}{abs(offset)}"
        if 10 <= now.astimezone(ZoneInfo(name)).hour < 18:
            return name
    raise AssertionError("no zone in daytime")


def live_call(campaign=None, answered_by: str = "human", **campaign_fields) -> Call:
    campaign = campaign or factories.campaign(**campaign_fields)
    entry = factories.hopper_entry(
        campaign, factories.lead(timezone=zone_in_daytime()), state=CampaignLead.State.CLAIMED, attempts=1
    )
    return Call.objects.create(
        campaign=campaign,
        campaign_lead=entry,
        lead=entry.lead,
        script_version=campaign.active_script_version,
        provider_sid="CA" + uuid.uuid4().hex,
        status=Call.Status.IN_PROGRESS,
        answered_by=answered_by,
        placed_at=timezone.now() - dt.timedelta(seconds=5),
    )


def converse(call: Call, persona: str, url: str | None = None, max_seconds: float = 120) -> tuple[CalleeLog, object]:
    """Run the callee to the end of the call; then wait until the session has saved everything."""
    log = CalleeLog(record_events=True)
    url = url or media_stream_url(call.pk)
    asyncio.run(run_callee(url, call.provider_sid, persona, log=log, max_seconds=max_seconds))
    return log, (None if log.refused else metrics.wait_for(call.pk, timeout=30))


def agent_turns(call: Call) -> list[Turn]:
    return list(Turn.objects.filter(call=call, speaker=Turn.Speaker.AGENT).order_by("index"))


def caller_turns(call: Call) -> list[Turn]:
    return list(Turn.objects.filter(call=call, speaker=Turn.Speaker.CALLER).order_by("index"))
