"""The second vendor of each layer (issue 18), each SDK against its emulator on 127.0.0.1 (port 0).

Fixtures build on tests/providers/conftest.py: `vendor_settings` points Deepgram, OpenAI and Cartesia at their
emulators; the fixtures here swap one layer for its second vendor. `tts_vendor` runs a test against Cartesia, then
ElevenLabs (the faults and cancellation both TTS vendors must handle alike).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.emulators.assemblyai import AssemblyAIEmulator
from tests.emulators.elevenlabs import ElevenLabsEmulator
from voice.providers.assemblyai import AssemblyAISTT
from voice.providers.base import CallContext
from voice.providers.elevenlabs import ElevenLabsTTS
from voice.providers.openai_tts import OpenAITTS

KEY = "emulator-key"


@pytest.fixture
async def elevenlabs():
    async with ElevenLabsEmulator(api_key=KEY) as emulator:
        yield emulator


@pytest.fixture
def elevenlabs_settings(vendor_settings, elevenlabs):
    vendor_settings.VOICE_TTS = "elevenlabs"
    vendor_settings.ELEVENLABS_API_KEY = KEY
    vendor_settings.ELEVENLABS_BASE_URL = elevenlabs.url
    return vendor_settings


@pytest.fixture
async def eleven_tts(elevenlabs_settings):
    tts = ElevenLabsTTS.for_call(CallContext(call_id=7))
    yield tts
    await tts.close()


@dataclass
class TtsVendor:
    """One TTS vendor as the tests both run see it: its adapter for call 7, its emulator, and where they differ."""

    tts: Any
    emulator: Any
    wrong_key: str  # what the ProviderError says when the key is refused
    cancelled: str  # the emulator's record of a reply cancelled mid-audio (`context_id`, `chunks` sent)
    finished: str | None  # its record of a context that ran to the end, which a cancel prevents (None: ElevenLabs
    # still speaks what was flushed before `close_context`)


@pytest.fixture(params=["cartesia", "elevenlabs"])
def tts_vendor(request) -> TtsVendor:
    """Cartesia, then ElevenLabs (test ids `[cartesia]`, `[elevenlabs]`)."""
    if request.param == "cartesia":
        return TtsVendor(tts=request.getfixturevalue("tts"), emulator=request.getfixturevalue("cartesia"),
                         wrong_key="401", cancelled="cancelled", finished="done")
    return TtsVendor(tts=request.getfixturevalue("eleven_tts"), emulator=request.getfixturevalue("elevenlabs"),
                     wrong_key="Invalid API key", cancelled="close_context", finished=None)


@pytest.fixture
def openai_tts_settings(vendor_settings):
    """VOICE_TTS=openai: the same OpenAI emulator (and key) serves the LLM and the speech."""
    vendor_settings.VOICE_TTS = "openai"
    return vendor_settings


@pytest.fixture
def openai_tts(openai_tts_settings) -> OpenAITTS:
    return OpenAITTS.for_call(CallContext(call_id=7))


@pytest.fixture
async def assemblyai():
    async with AssemblyAIEmulator(api_key=KEY) as emulator:
        yield emulator


@pytest.fixture
def assemblyai_settings(vendor_settings, assemblyai):
    vendor_settings.VOICE_STT = "assemblyai"
    vendor_settings.ASSEMBLYAI_API_KEY = KEY
    vendor_settings.ASSEMBLYAI_BASE_URL = assemblyai.url
    return vendor_settings


@pytest.fixture
def aai_stt(assemblyai_settings) -> AssemblyAISTT:
    return AssemblyAISTT.for_call(CallContext(call_id=7, call_sid="CA7", lead={"first_name": "Pat",
                                                                               "company": "Acme"}))
