"""With a second provider listed for a layer, each injected fault of the first moves the live call to the second:
no apology, the call ends as a healthy call does, and the switch is on the call (and its page)."""
from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from crm.models import Call
from crm.timelines import call_timeline
from tests.emulators.anthropic_messages import AnthropicEmulator
from tests.emulators.cartesia import CartesiaEmulator
from tests.emulators.deepgram import DeepgramEmulator
from tests.emulators.faults import STREAM_FAULTS
from tests.emulators.rehearsal import callee_captions, scripted_claude_reply, scripted_reply
from voice.session import APOLOGY

from . import backups
from .calls import LiveCall, converse, dialed_call

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PERSONA = "opt_out"
KINDS = ("reject_429", "reject_503", "never_answer", "malformed", "close_mid_stream")


@pytest.fixture
def failover_settings(vendor_settings, deepgram, openai_server, cartesia, voice_server, monkeypatch):
    """Every layer on its vendor's emulator; no cool-down, so each call meets its own fault mid-call."""
    backups.register(monkeypatch)
    deepgram.captions = callee_captions
    openai_server.responder = scripted_reply
    vendor_settings.VOICE_PROVIDER_COOLDOWN_S = 0
    return vendor_settings


async def new_calls(n: int) -> list[LiveCall]:
    return [await sync_to_async(dialed_call)(persona=PERSONA) for _ in range(n)]


async def assert_continued(faulty: dict[str, LiveCall], layer: str, first: str, second: str) -> None:
    for kind, live in faulty.items():
        call = await sync_to_async(live.refresh)()
        turns = [(t.speaker, t.text) async for t in call.turns.order_by("index")]
        agent_said = [text for speaker, text in turns if speaker == "agent"]
        assert call.outcome == Call.Outcome.OPT_OUT, f"{kind}: {call.outcome} {call.error} {turns}"
        assert APOLOGY not in agent_said and not call.error, f"{kind}: {call.error} {agent_said}"
        assert any("won't call you again" in said for said in agent_said), f"{kind}: {turns}"
        switches = call.provider_switches
        assert [(s["layer"], s["from"], s["to"]) for s in switches] == [(layer, first, second)], f"{kind}: {switches}"
        assert switches[0]["why"] and switches[0]["served_ms"] is not None
        timeline = await sync_to_async(call_timeline)(call)
        assert any(e.label.endswith(f"moved from {first} to {second}") for e in timeline)


async def test_each_llm_fault_moves_the_call_to_claude(failover_settings, openai_server):
    failover_settings.VOICE_LLM = "openai,anthropic"
    failover_settings.ANTHROPIC_API_KEY = "emulator-key"
    async with AnthropicEmulator(api_key="emulator-key", responder=scripted_claude_reply) as claude:
        failover_settings.ANTHROPIC_BASE_URL = claude.url
        faulty = dict(zip(KINDS, await new_calls(len(KINDS)), strict=True))
        for kind, live in faulty.items():
            openai_server.faults.arm(kind, match=lambda info, user=live.user: info["body"].get("user") == user,
                                     after=2, times=10)

        await asyncio.gather(*(converse(live, PERSONA) for live in faulty.values()))

        assert {r["user"] for r in claude.recorder.of("request")} == {live.user for live in faulty.values()}
    await assert_continued(faulty, "llm", "openai", "anthropic")


async def test_each_tts_fault_moves_the_call_to_the_second_tts(failover_settings, cartesia):
    async with CartesiaEmulator(api_key="emulator-key") as backup:
        failover_settings.VOICE_TTS = "cartesia,cartesia-backup"
        failover_settings.BACKUP_CARTESIA_BASE_URL = backup.url
        calls = await new_calls(len(KINDS))
        faulty = dict(zip((*STREAM_FAULTS, "reject_429", "reject_503"), calls, strict=True))
        for kind in STREAM_FAULTS:
            prefix = faulty[kind].context_prefix
            cartesia.faults.arm(kind, match=lambda info, prefix=prefix: info["context_id"].startswith(prefix),
                                after=2)
        await asyncio.gather(*(converse(faulty[kind], PERSONA) for kind in STREAM_FAULTS))
        for kind in ("reject_429", "reject_503"):  # a refused handshake names no call: one call at a time
            cartesia.faults.arm(kind, times=2)  # the socket warmed at call start, and the adapter's one retry
            await converse(faulty[kind], PERSONA)

        assert {c.split("-")[0] for c in backup.contexts()} >= {f"call{live.call.pk}" for live in calls}
    await assert_continued(faulty, "tts", "cartesia", "cartesia-backup")


async def test_each_stt_fault_moves_the_call_to_the_second_stt(failover_settings, deepgram):
    async with DeepgramEmulator(api_key="emulator-key", captions=callee_captions, keep_audio=False) as backup:
        failover_settings.VOICE_STT = "deepgram,deepgram-backup"
        failover_settings.BACKUP_DEEPGRAM_BASE_URL = backup.url
        faulty = dict(zip(KINDS, await new_calls(len(KINDS)), strict=True))
        for kind, live in faulty.items():
            tag = f"parley-call-{live.call.pk}"
            # Deepgram's own single reconnect survives one drop: a drop twice is the fault that needs a failover
            deepgram.faults.arm(kind, match=lambda info, tag=tag: tag in info["tags"], after=60,
                                times=2 if kind == "close_mid_stream" else 1)

        await asyncio.gather(*(converse(live, PERSONA) for live in faulty.values()))

        assert len(backup.connections) == len(KINDS)
    await assert_continued(faulty, "stt", "deepgram", "deepgram-backup")


async def test_a_tts_drop_moves_the_call_from_cartesia_to_elevenlabs(failover_settings, cartesia):
    from tests.emulators.elevenlabs import ElevenLabsEmulator

    async with ElevenLabsEmulator(api_key="emulator-key") as elevenlabs:
        failover_settings.VOICE_TTS = "cartesia,elevenlabs"
        failover_settings.ELEVENLABS_API_KEY, failover_settings.ELEVENLABS_BASE_URL = "emulator-key", elevenlabs.url
        [live] = await new_calls(1)
        cartesia.faults.arm("close_mid_stream", match=lambda info: info["context_id"].startswith(live.context_prefix),
                            after=2)

        await converse(live, PERSONA)

        assert elevenlabs.recorder.entries
    await assert_continued({"close_mid_stream": live}, "tts", "cartesia", "elevenlabs")


async def test_an_stt_drop_moves_the_call_from_deepgram_to_assemblyai(failover_settings, deepgram):
    from tests.emulators.assemblyai import AssemblyAIEmulator

    async with AssemblyAIEmulator(api_key="emulator-key") as assemblyai:
        failover_settings.VOICE_STT = "deepgram,assemblyai"
        failover_settings.ASSEMBLYAI_API_KEY, failover_settings.ASSEMBLYAI_BASE_URL = "emulator-key", assemblyai.url
        [live] = await new_calls(1)
        assemblyai.caption_source = lambda session: callee_captions(live.sid)  # its protocol names no call
        deepgram.faults.arm("malformed", match=lambda info: f"parley-call-{live.call.pk}" in info["tags"], after=60)

        await converse(live, PERSONA)

        assert len(assemblyai.sessions) == 1
    await assert_continued({"malformed": live}, "stt", "deepgram", "assemblyai")
