"""Each injected vendor fault ends its call gracefully (apology, hang-up, outcome `failed`) while another call in
the same voice process carries on to its normal end."""
from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from campaigns.demo import SCRIPT
from campaigns.models import Script
from campaigns.scripts import save_new_version
from crm.models import Call
from tests import factories
from tests.emulators.faults import STREAM_FAULTS
from tests.emulators.rehearsal import callee_captions, scripted_reply
from voice.session import APOLOGY

from .calls import LiveCall, converse, dialed_call

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PERSONA = "opt_out"  # a short call with a tool call (record_opt_out) and an end_call


@pytest.fixture
def vendors(deepgram, openai_server, cartesia, voice_server):
    deepgram.captions = callee_captions
    openai_server.responder = scripted_reply
    return deepgram, openai_server, cartesia


async def new_calls(n: int) -> list[LiveCall]:
    return [await sync_to_async(dialed_call)(persona=PERSONA) for _ in range(n)]


async def assert_outcomes(healthy: LiveCall, faulty: dict[str, LiveCall], vendor: str,
                          expected: str = Call.Outcome.OPT_OUT) -> None:
    call = await sync_to_async(healthy.refresh)()
    said = [(t.speaker, t.text) async for t in call.turns.order_by("index")]
    assert call.outcome == expected, f"the healthy call ended {call.outcome!r}: {call.error} {said}"
    for kind, live in faulty.items():
        call = await sync_to_async(live.refresh)()
        agent_said = [t.text async for t in call.turns.filter(speaker="agent").order_by("index")]
        assert call.outcome == Call.Outcome.FAILED, f"{kind}: {call.outcome!r}"
        assert vendor in call.error, f"{kind}: {call.error}"
        assert agent_said and agent_said[-1] == APOLOGY, f"{kind}: {agent_said}"
        assert call.media_ended_at is not None


async def test_each_deepgram_fault_ends_its_call_while_another_carries_on(vendors):
    deepgram, _, _ = vendors
    healthy, *others = await new_calls(6)
    kinds = ("reject_429", "reject_503", "never_answer", "malformed", "close_mid_stream")
    faulty = dict(zip(kinds, others, strict=True))
    for kind, live in faulty.items():
        tag = f"parley-call-{live.call.pk}"
        # a single drop is survived by a reconnect (test_deepgram_reconnect); a drop after it ends the call
        deepgram.faults.arm(kind, match=lambda info, tag=tag: tag in info["tags"], after=60,
                            times=2 if kind == "close_mid_stream" else 1)

    await asyncio.gather(*(converse(live, PERSONA) for live in [healthy, *faulty.values()]))

    await assert_outcomes(healthy, faulty, "Deepgram")


async def test_each_openai_fault_ends_its_call_while_another_carries_on(vendors):
    _, openai_server, _ = vendors
    healthy, *others = await new_calls(6)
    kinds = ("reject_429", "reject_503", "never_answer", "malformed", "close_mid_stream")
    faulty = dict(zip(kinds, others, strict=True))
    for kind, live in faulty.items():
        openai_server.faults.arm(kind, match=lambda info, user=live.user: info["body"].get("user") == user,
                                 after=2, times=10)

    await asyncio.gather(*(converse(live, PERSONA) for live in [healthy, *faulty.values()]))

    await assert_outcomes(healthy, faulty, "OpenAI")


async def test_each_cartesia_fault_ends_its_call_while_another_carries_on(vendors):
    _, _, cartesia = vendors
    campaign = await sync_to_async(booking_campaign)()
    healthy = await sync_to_async(dialed_call)(campaign, persona="books_meeting")
    others = [await sync_to_async(dialed_call)(campaign, persona=PERSONA) for _ in range(5)]
    faulty = dict(zip((*STREAM_FAULTS, "reject_429", "reject_503"), others, strict=True))
    for kind in STREAM_FAULTS:
        prefix = faulty[kind].context_prefix
        cartesia.faults.arm(kind, match=lambda info, prefix=prefix: info["context_id"].startswith(prefix), after=2)

    carrying_on = asyncio.create_task(converse(healthy, "books_meeting"))
    await asyncio.gather(*(converse(faulty[kind], PERSONA) for kind in STREAM_FAULTS))
    for kind in ("reject_429", "reject_503"):
        # A refused handshake names no call, so these calls go one at a time (the healthy one still talking);
        # the socket warmed at call start is refused, and so is the retry at first use.
        cartesia.faults.arm(kind, times=2)
        await converse(faulty[kind], PERSONA)
    await carrying_on

    await assert_outcomes(healthy, faulty, "Cartesia", Call.Outcome.BOOKED)


def booking_campaign():
    """The demo's script (qualification questions the books_meeting caller answers) and a rep to book with."""
    script = Script.objects.create(name="Demo script", slug=f"demo-script-{Script.objects.count()}")
    save_new_version(script, publish=True, **SCRIPT)
    campaign = factories.campaign(script=script)
    campaign.reps.add(factories.rep())
    return campaign
