"""Vendor latencies the rehearsal providers emulate (defaults: the seed's measured figures).

Settings (milliseconds): REHEARSAL_STT_FINAL_MS (end of speech -> final transcript), REHEARSAL_STT_INTERIM_MS
(end of a word -> interim transcript with it), REHEARSAL_LLM_FIRST_TOKEN_MS, REHEARSAL_LLM_TOKEN_MS (between
tokens), REHEARSAL_TTS_FIRST_BYTE_MS (first text of a reply -> first audio).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class EmulatedLatency:
    stt_final_ms: int = 150
    stt_interim_ms: int = 20
    llm_first_token_ms: int = 300
    llm_token_ms: int = 10
    tts_first_byte_ms: int = 90

    @classmethod
    def current(cls) -> EmulatedLatency:
        values = {}
        for name in cls.__dataclass_fields__:
            setting = f"REHEARSAL_{name.upper()}"
            if hasattr(settings, setting):
                values[name] = int(getattr(settings, setting))
        return cls(**values)
