"""Whole calls through the vendor adapters: a simulated callee talks to a CallSession over the real media
WebSocket (uvicorn on loopback), and the session's Deepgram, OpenAI and Cartesia adapters talk to the emulators."""
from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async

from crm.models import Call
from tests import factories
from voice import metrics
from voice.sim.callee import CalleeLog, run_callee
from voice.tokens import media_stream_url

_numbers = itertools.count(1)


@dataclass
class LiveCall:
    call: Call
    sid: str
    metrics: Any = None

    @property
    def context_prefix(self) -> str:
        """How the Cartesia adapter names this call's contexts."""
        return f"call{self.call.pk}-"

    @property
    def user(self) -> str:
        """What the OpenAI adapter sends as `user` for this call."""
        return f"parley-call-{self.call.pk}"

    def refresh(self) -> Call:
        self.call = Call.objects.select_related("lead").get(pk=self.call.pk)
        return self.call


def dialed_call(campaign=None, persona: str = "opt_out") -> LiveCall:
    """A call the dialer has placed and the callee has answered (a human), ready for its media stream."""
    campaign = campaign or factories.campaign()
    entry = factories.hopper_entry(campaign, factories.lead(phone=f"+1201555{next(_numbers):04d}",
                                                            attributes={"persona": persona}))
    sid = "CA" + uuid.uuid4().hex
    call = Call.objects.create(campaign=campaign, campaign_lead=entry, lead=entry.lead,
                               script_version=campaign.active_script_version, provider_sid=sid,
                               status=Call.Status.IN_PROGRESS, answered_by="human")
    return LiveCall(call=call, sid=sid)


async def converse(live: LiveCall, persona: str, max_seconds: float = 40.0) -> CalleeLog:
    """The callee answers as `persona` and talks until either side hangs up; returns once the session has
    saved everything (the call's outcome, turns and recording)."""
    url = await sync_to_async(media_stream_url)(live.call.pk)
    log = CalleeLog(record_events=True)
    await run_callee(url, live.sid, persona, log=log, max_seconds=max_seconds)
    live.metrics = await asyncio.to_thread(metrics.wait_for, live.call.pk, 15.0)
    return log
