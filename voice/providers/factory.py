"""Provider choice by settings (VOICE_STT / VOICE_LLM / VOICE_TTS): a vendor adapter or the rehearsal one.

Each setting names one provider or a list in order of preference (`VOICE_LLM=openai,anthropic`). A call starts on
the first one not cooling down after a fault (`health`); with more than one, the layer is wrapped for mid-call
failover (`failover.py`). Each provider class offers `for_call(context: CallContext)`; classes may keep
process-wide clients warm.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import failover, failover_stt, health, local_models
from .base import LLM, STT, TTS, CallContext

PROVIDERS: dict[str, dict[str, str]] = {
    "stt": {
        "rehearsal": "voice.sim.stt.RehearsalSTT",
        "deepgram": "voice.providers.deepgram.DeepgramSTT",
        "assemblyai": "voice.providers.assemblyai.AssemblyAISTT",
        "whisper": "voice.providers.whisper.WhisperSTT",
    },
    "llm": {
        "rehearsal": "voice.sim.agent.ScriptedAgent",
        "openai": "voice.providers.openai_llm.OpenAILLM",
        "anthropic": "voice.providers.anthropic_llm.AnthropicLLM",
    },
    "tts": {
        "rehearsal": "voice.sim.tts.LocalTTS",
        "cartesia": "voice.providers.cartesia.CartesiaTTS",
        "elevenlabs": "voice.providers.elevenlabs.ElevenLabsTTS",
        "openai": "voice.providers.openai_tts.OpenAITTS",
        "piper": "voice.providers.piper.PiperTTS",
    },
}
VADS = ("webrtc", "silero")
SETTING_OF_KIND = {"stt": "VOICE_STT", "llm": "VOICE_LLM", "tts": "VOICE_TTS"}
REQUIRED_KEYS = {  # by provider name, whatever the layer (OpenAI's key serves its LLM and its TTS)
    "deepgram": "DEEPGRAM_API_KEY",
    "openai": "OPENAI_API_KEY",
    "cartesia": "CARTESIA_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "elevenlabs": "ELEVENLABS_API_KEY",
    "assemblyai": "ASSEMBLYAI_API_KEY",
}


WRAPPERS = {"stt": failover_stt.FailoverSTT, "llm": failover.FailoverLLM, "tts": failover.FailoverTTS}


@dataclass
class Providers:
    stt: STT
    llm: LLM
    tts: TTS

    async def aclose(self) -> None:
        """At hang-up: release what a provider holds for the call (Cartesia's socket); a no-op for the others."""
        for provider in (self.stt, self.llm, self.tts):
            close = getattr(provider, "close", None)
            if close is not None:
                await close()


def names(kind: str) -> list[str]:
    """The providers a layer's setting lists, in order ("openai, anthropic" -> ["openai", "anthropic"])."""
    listed = [n.strip() for n in str(getattr(settings, SETTING_OF_KIND[kind]) or "").split(",")]
    return list(dict.fromkeys(n for n in listed if n)) or ["rehearsal"]


def chosen(kind: str) -> str:
    """The layer's first listed provider."""
    return names(kind)[0]


def check_provider_settings() -> None:
    """Fail at start-up when a listed provider is unknown or lacks its key; one error names every problem of
    every listed provider of every layer (ImproperlyConfigured, sentences joined by spaces)."""
    problems = []
    for kind, setting in SETTING_OF_KIND.items():
        listed = names(kind)
        for name in listed:
            if name not in PROVIDERS[kind]:
                choices = ", ".join(sorted(PROVIDERS[kind]))
                problems.append(f"{setting}={name!r} is not a known provider; choose one of: {choices}."
                                if len(listed) == 1 else
                                f"{setting} lists {name!r}, not a known provider; choose from: {choices}.")
                continue
            key = REQUIRED_KEYS.get(name)
            if key and not getattr(settings, key, ""):
                problems.append(f"{setting}={name} needs {key} to be set in the environment." if len(listed) == 1
                                else f"{setting} lists {name}, which needs {key} to be set in the environment.")
    if problems:
        raise ImproperlyConfigured(" ".join(problems))
    for kind, name in listed_providers():  # a missing local extra: its own error, naming what to install
        if name in local_models.MODULES:
            local_models.require(name, f"{SETTING_OF_KIND[kind]}={name}")
    vad = getattr(settings, "VOICE_VAD", "webrtc")
    if vad not in VADS:
        raise ImproperlyConfigured(f"VOICE_VAD={vad!r} is not known; choose one of: {', '.join(VADS)}.")
    if vad == "silero":
        local_models.require("silero", "VOICE_VAD=silero")


def listed_providers(kinds: Iterable[str] = tuple(SETTING_OF_KIND)) -> Iterator[tuple[str, str]]:
    """(layer, provider name) of each provider the settings list for `kinds` ("stt", "llm", "tts"), layer by layer,
    each layer's as `names` gives them (in order of preference, no repeats, "rehearsal" when the setting is empty)."""
    for kind in kinds:
        for name in names(kind):
            yield kind, name


def preload_providers() -> None:
    """Import every listed provider's module now (server start-up), so the first call, or the first failover to
    a provider no call has used yet, does not stall the event loop importing an SDK (seconds for some)."""
    for kind, name in listed_providers():
        provider_class(kind, name)


def warm_local_models() -> None:
    """Load the listed local models (Whisper, Piper) at start-up, checking their files, so the first call does not
    pay for it (about a second each). Raises ImproperlyConfigured when a packaged model file is not the pinned one."""
    for kind, name in listed_providers(("stt", "tts")):
        if name in local_models.MODULES:
            provider_class(kind, name).warm()


def provider_class(kind: str, name: str | None = None) -> Any:
    """The class of `name`, or of the layer's first provider not cooling down after a fault."""
    module_name, _, class_name = PROVIDERS[kind][name or health.order(kind, names(kind))[0]].rpartition(".")
    return getattr(import_module(module_name), class_name)


def build_providers(context: CallContext, on_switch: Callable[[dict[str, Any]], None] | None = None) -> Providers:
    """The call's providers: one adapter per layer, or a failover wrapper over a layer's list (healthy first).
    `on_switch(record)` hears of every mid-call switch (`failover.Chain.fail`)."""
    check_provider_settings()
    preload_providers()  # at start-up normally; here only dictionary look-ups
    built = {}
    for kind in SETTING_OF_KIND:
        order = health.order(kind, names(kind))
        if len(order) == 1:
            built[kind] = provider_class(kind, order[0]).for_call(context)
        else:
            chain = failover.Chain(kind, order, lambda name, kind=kind: provider_class(kind, name).for_call(context),
                                   on_switch, call_id=context.call_id)
            chain.current()  # built now, so a provider that warms a connection starts on it
            built[kind] = WRAPPERS[kind](chain)
    return Providers(**built)
