"""Each real SDK against its emulator on 127.0.0.1 (port 0)."""
from __future__ import annotations

import pytest

from tests.emulators.anthropic_messages import AnthropicEmulator
from tests.emulators.cartesia import CartesiaEmulator
from tests.emulators.deepgram import DeepgramEmulator
from tests.emulators.openai_chat import OpenAIEmulator
from voice.providers.anthropic_llm import AnthropicLLM  # noqa: F401  (imported up front, as at server start)
from voice.providers.base import CallContext
from voice.providers.cartesia import CartesiaTTS
from voice.providers.deepgram import DeepgramSTT
from voice.providers.openai_llm import OpenAILLM

KEY = "emulator-key"


@pytest.fixture
async def deepgram():
    async with DeepgramEmulator(api_key=KEY) as emulator:
        yield emulator


@pytest.fixture
async def openai_server():
    async with OpenAIEmulator(api_key=KEY) as emulator:
        yield emulator


@pytest.fixture
async def anthropic_server():
    async with AnthropicEmulator(api_key=KEY) as emulator:
        yield emulator


@pytest.fixture
async def cartesia():
    async with CartesiaEmulator(api_key=KEY) as emulator:
        yield emulator


@pytest.fixture
def vendor_settings(settings, deepgram, openai_server, cartesia):
    """Settings as an operator would set them, pointing every vendor at its emulator."""
    settings.VOICE_STT, settings.VOICE_LLM, settings.VOICE_TTS = "deepgram", "openai", "cartesia"
    settings.DEEPGRAM_API_KEY = settings.OPENAI_API_KEY = settings.CARTESIA_API_KEY = KEY
    settings.DEEPGRAM_BASE_URL = deepgram.url
    settings.OPENAI_BASE_URL = openai_server.url
    settings.CARTESIA_BASE_URL = cartesia.url
    return settings


@pytest.fixture
def stt(vendor_settings) -> DeepgramSTT:
    return DeepgramSTT.for_call(CallContext(call_id=7, call_sid="CA7"))


@pytest.fixture
def llm(vendor_settings) -> OpenAILLM:
    return OpenAILLM.for_call(CallContext(call_id=7))


@pytest.fixture
async def tts(vendor_settings):
    tts = CartesiaTTS.for_call(CallContext(call_id=7))
    yield tts
    await tts.close()


@pytest.fixture
def voice_server(vendor_settings, eager_celery, transactional_db):
    """uvicorn serving config.asgi on an ephemeral port, its CallSessions using the vendor adapters."""
    from voice.loopback import LoopbackServer

    with LoopbackServer() as server:
        yield server


@pytest.fixture(autouse=True)
def provider_health():
    """No provider cool-down leaks from one test into another."""
    from voice.providers import health

    health.reset()
    yield
    health.reset()
