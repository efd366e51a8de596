"""The emulators refuse what the real vendors refuse, so an adapter sending a wrong field fails here first."""
from __future__ import annotations

import pytest

from voice.providers.base import ProviderError

MESSAGES = [{"role": "user", "content": "Hello?"}]


async def test_deepgram_refuses_utterance_end_without_interim_results(stt, deepgram):
    stt.options["interim_results"] = "false"
    with pytest.raises(ProviderError, match="400"):
        await stt.open()
    assert deepgram.recorder.of("refused")[0]["errors"] == ["utterance_end_ms requires interim_results=true"]


async def test_openai_refuses_a_tool_name_it_cannot_call(llm, openai_server):
    tools = [{"type": "function", "function": {"name": "book a meeting", "parameters": {"type": "object"}}}]
    with pytest.raises(ProviderError, match="400"):
        [e async for e in llm.stream(MESSAGES, tools)]
    assert "tools[0].function.name" in openai_server.recorder.of("request")[0]["errors"][0]


async def test_cartesia_refuses_an_output_format_twilio_cannot_play(tts, cartesia, monkeypatch):
    monkeypatch.setattr("voice.providers.cartesia.OUTPUT_FORMAT",
                        {"container": "raw", "encoding": "pcm_mulaw", "sample_rate": 7000})
    reply = await tts.open("voice-1")
    await reply.push("Hello.")
    with pytest.raises(ProviderError, match="sample_rate"):
        [c async for c in reply.audio()]
