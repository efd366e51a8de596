"""Choosing a vendor without its key stops start-up with an error naming the missing variable."""
from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.asgi import application
from voice.providers.base import CallContext
from voice.providers.cartesia import CartesiaTTS
from voice.providers.deepgram import DeepgramSTT
from voice.providers.factory import build_providers, check_provider_settings
from voice.providers.openai_llm import OpenAILLM


@pytest.mark.parametrize("setting, vendor, key", [
    ("VOICE_STT", "deepgram", "DEEPGRAM_API_KEY"),
    ("VOICE_STT", "assemblyai", "ASSEMBLYAI_API_KEY"),
    ("VOICE_LLM", "openai", "OPENAI_API_KEY"),
    ("VOICE_TTS", "cartesia", "CARTESIA_API_KEY"),
    ("VOICE_TTS", "elevenlabs", "ELEVENLABS_API_KEY"),
    ("VOICE_TTS", "openai", "OPENAI_API_KEY"),
])
def test_a_vendor_without_its_key_names_the_missing_variable(settings, setting, vendor, key):
    setattr(settings, setting, vendor)
    setattr(settings, key, "")
    with pytest.raises(ImproperlyConfigured, match=f"{setting}={vendor} needs {key}"):
        check_provider_settings()


def test_an_unknown_provider_lists_the_choices(settings):
    settings.VOICE_TTS = "polly"
    with pytest.raises(ImproperlyConfigured, match="VOICE_TTS='polly'.*cartesia, elevenlabs, openai, piper, rehearsal"):
        check_provider_settings()


async def test_the_server_refuses_to_start_and_says_which_variable_is_missing(settings):
    settings.VOICE_LLM, settings.OPENAI_API_KEY = "openai", ""
    sent = []
    inbox = iter([{"type": "lifespan.startup"}])

    async def receive():
        return next(inbox)

    async def send(message):
        sent.append(message)

    await application({"type": "lifespan"}, receive, send)

    assert sent == [{"type": "lifespan.startup.failed",
                     "message": "VOICE_LLM=openai needs OPENAI_API_KEY to be set in the environment."}]


async def test_the_server_starts_when_every_vendor_has_its_key(vendor_settings):
    sent = []
    inbox = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive():
        return next(inbox)

    async def send(message):
        sent.append(message)

    await application({"type": "lifespan"}, receive, send)

    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_the_vendor_settings_build_the_vendor_adapters(vendor_settings):
    providers = build_providers(CallContext(call_id=7, call_sid="CA7"))

    assert isinstance(providers.stt, DeepgramSTT) and isinstance(providers.llm, OpenAILLM)
    assert isinstance(providers.tts, CartesiaTTS)
    assert (providers.llm.base_url, providers.tts.base_url) == (vendor_settings.OPENAI_BASE_URL,
                                                                vendor_settings.CARTESIA_BASE_URL)


def test_every_missing_key_of_every_listed_provider_is_named_at_once(settings):
    settings.VOICE_STT, settings.VOICE_LLM, settings.VOICE_TTS = "deepgram", "openai, anthropic", "cartesia,nope"
    settings.DEEPGRAM_API_KEY = settings.OPENAI_API_KEY = settings.ANTHROPIC_API_KEY = settings.CARTESIA_API_KEY = ""

    with pytest.raises(ImproperlyConfigured) as error:
        check_provider_settings()

    message = str(error.value)
    assert "VOICE_STT=deepgram needs DEEPGRAM_API_KEY" in message
    assert "VOICE_LLM lists openai, which needs OPENAI_API_KEY" in message
    assert "VOICE_LLM lists anthropic, which needs ANTHROPIC_API_KEY" in message
    assert "VOICE_TTS lists cartesia, which needs CARTESIA_API_KEY" in message
    assert "VOICE_TTS lists 'nope', not a known provider" in message


def test_a_list_builds_a_failover_layer_starting_on_the_first_healthy_provider(vendor_settings, anthropic_server):
    from voice.providers import health
    from voice.providers.anthropic_llm import AnthropicLLM
    from voice.providers.failover import FailoverLLM

    vendor_settings.VOICE_LLM, vendor_settings.ANTHROPIC_API_KEY = "openai,anthropic", "emulator-key"
    vendor_settings.ANTHROPIC_BASE_URL = anthropic_server.url

    llm = build_providers(CallContext(call_id=7)).llm
    health.mark_failed("llm", "openai", "refused: 503")
    after_fault = build_providers(CallContext(call_id=8)).llm

    assert isinstance(llm, FailoverLLM) and isinstance(llm.chain.current(), OpenAILLM)
    assert after_fault.chain.names == ["anthropic", "openai"]
    assert isinstance(after_fault.chain.current(), AnthropicLLM)
