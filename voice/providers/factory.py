"""Provider choice by settings (VOICE_STT / VOICE_LLM / VOICE_TTS): a vendor adapter or the rehearsal one.

Each provider class offers `for_call(context: CallContext)`; classes may keep process-wide clients warm.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import local_models
from .base import LLM, STT, TTS, CallContext

PROVIDERS: dict[str, dict[str, str]] = {
    "stt": {
        "rehearsal": "voice.sim.stt.RehearsalSTT",
        "deepgram": "voice.providers.deepgram.DeepgramSTT",
        "whisper": "voice.providers.whisper.WhisperSTT",
    },
    "llm": {"rehearsal": "voice.sim.agent.ScriptedAgent", "openai": "voice.providers.openai_llm.OpenAILLM"},
    "tts": {
        "rehearsal": "voice.sim.tts.LocalTTS",
        "cartesia": "voice.providers.cartesia.CartesiaTTS",
        "piper": "voice.providers.piper.PiperTTS",
    },
}
VADS = ("webrtc", "silero")
SETTING_OF_KIND = {"stt": "VOICE_STT", "llm": "VOICE_LLM", "tts": "VOICE_TTS"}
REQUIRED_KEYS = {"deepgram": "DEEPGRAM_API_KEY", "openai": "OPENAI_API_KEY", "cartesia": "CARTESIA_API_KEY"}


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


def chosen(kind: str) -> str:
    return getattr(settings, SETTING_OF_KIND[kind])


def check_provider_settings() -> None:
    """Fail at start-up, naming the variable, when a vendor is chosen without what it needs."""
    for kind, setting in SETTING_OF_KIND.items():
        name = chosen(kind)
        if name not in PROVIDERS[kind]:
            choices = ", ".join(sorted(PROVIDERS[kind]))
            raise ImproperlyConfigured(f"{setting}={name!r} is not a known provider; choose one of: {choices}.")
        key = REQUIRED_KEYS.get(name)
        if key and not getattr(settings, key, ""):
            raise ImproperlyConfigured(f"{setting}={name} needs {key} to be set in the environment.")
        if name in local_models.MODULES:
            local_models.require(name, f"{setting}={name}")
    vad = getattr(settings, "VOICE_VAD", "webrtc")
    if vad not in VADS:
        raise ImproperlyConfigured(f"VOICE_VAD={vad!r} is not known; choose one of: {', '.join(VADS)}.")
    if vad == "silero":
        local_models.require("silero", "VOICE_VAD=silero")


def warm_local_models() -> None:
    """Load the chosen local models (Whisper, Piper) at start-up, checking their files, so the first call does not
    pay for it (about a second each). Raises ImproperlyConfigured when a packaged model file is not the pinned one."""
    for kind in ("stt", "tts"):
        if chosen(kind) in local_models.MODULES:
            provider_class(kind).warm()


def provider_class(kind: str, name: str | None = None) -> Any:
    module_name, _, class_name = PROVIDERS[kind][name or chosen(kind)].rpartition(".")
    return getattr(import_module(module_name), class_name)


def build_providers(context: CallContext) -> Providers:
    check_provider_settings()
    return Providers(
        stt=provider_class("stt").for_call(context),
        llm=provider_class("llm").for_call(context),
        tts=provider_class("tts").for_call(context),
    )
