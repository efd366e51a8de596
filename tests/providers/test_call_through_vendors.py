"""A whole call inside a CallSession over the real media WebSocket: Deepgram -> OpenAI (with a tool) -> Cartesia."""
from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from crm.models import Call, DoNotCall
from tests.emulators.rehearsal import callee_captions, scripted_reply

from .calls import converse, dialed_call

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def conversing_vendors(deepgram, openai_server, cartesia, voice_server):
    """Deepgram hears the callee's captions; OpenAI answers as the scripted agent would."""
    deepgram.captions = callee_captions
    openai_server.responder = scripted_reply
    openai_server.first_token_delay = 0.05
    return deepgram, openai_server, cartesia


async def test_an_opt_out_call_runs_through_all_three_vendors_with_a_tool_call(conversing_vendors):
    deepgram, openai_server, cartesia = conversing_vendors
    live = await sync_to_async(dialed_call)(persona="opt_out")

    log = await converse(live, "opt_out")

    call = await sync_to_async(live.refresh)()
    assert call.outcome == Call.Outcome.OPT_OUT
    assert await DoNotCall.objects.filter(phone=call.lead.phone).aexists()
    turns = [(t.speaker, t.text) async for t in call.turns.order_by("index")]
    assert ("caller", "Please take me off your list and do not call me again.") in turns
    assert any(speaker == "agent" and "won't call you again" in text for speaker, text in turns)

    bodies = openai_server.requests()
    streamed_tool = [m for b in bodies for m in b["messages"] if m["role"] == "tool"]
    assert streamed_tool and all(b["user"] == live.user and b["tools"] for b in bodies)
    assert any(c["function"]["name"] == "record_opt_out" for b in bodies for m in b["messages"]
               for c in m.get("tool_calls") or ())
    assert len([c for c in cartesia.contexts() if c.startswith(live.context_prefix)]) >= 2
    assert log.agent_frames > 100 and log.marks_echoed
    assert "CloseStream" in [c["type"] for c in deepgram.recorder.of("control")]
