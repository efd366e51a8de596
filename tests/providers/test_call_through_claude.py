"""A whole call inside a CallSession over the real media WebSocket: Deepgram -> Claude (with a tool) -> Cartesia."""
from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from crm.models import Call, DoNotCall
from tests.emulators.rehearsal import callee_captions, scripted_claude_reply

from .calls import converse, dialed_call

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def through_claude(deepgram, anthropic_server, cartesia, voice_server, vendor_settings):
    deepgram.captions = callee_captions
    anthropic_server.responder = scripted_claude_reply
    anthropic_server.first_token_delay = 0.05
    vendor_settings.VOICE_LLM = "anthropic"
    vendor_settings.ANTHROPIC_API_KEY = "emulator-key"
    vendor_settings.ANTHROPIC_BASE_URL = anthropic_server.url
    return anthropic_server


async def test_an_opt_out_call_runs_through_claude_with_a_tool_call(through_claude):
    live = await sync_to_async(dialed_call)(persona="opt_out")

    log = await converse(live, "opt_out")

    call = await sync_to_async(live.refresh)()
    turns = [(t.speaker, t.text) async for t in call.turns.order_by("index")]
    assert call.outcome == Call.Outcome.OPT_OUT, (call.error, turns)
    assert await DoNotCall.objects.filter(phone=call.lead.phone).aexists()
    assert any(speaker == "agent" and "won't call you again" in text for speaker, text in turns)
    requests = through_claude.recorder.of("request")
    assert requests and all(r["errors"] == [] and r["user"] == live.user for r in requests)
    tool_uses = [b for r in requests for m in r["body"]["messages"] if m["role"] == "assistant"
                 for b in m["content"] if b["type"] == "tool_use"]
    assert any(b["name"] == "record_opt_out" for b in tool_uses)
    assert log.agent_frames > 100 and call.provider_switches == []
