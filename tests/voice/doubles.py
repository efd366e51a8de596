"""Misbehaving vendors, to prove the session copes: selected through the provider factory like real adapters."""
from __future__ import annotations

import asyncio

from voice.providers.base import AudioChunk, CallContext, ProviderError
from voice.sim import speech
from voice.sim.agent import ScriptedAgent
from voice.sim.tts import LocalTTS


class StubbornTTSStream:
    """Streams audio in real time and ignores `cancel`: its late audio must be dropped by the session."""

    def __init__(self) -> None:
        self.texts: asyncio.Queue = asyncio.Queue()

    async def push(self, text: str) -> None:
        self.texts.put_nowait(text)

    async def end(self) -> None:
        self.texts.put_nowait(None)

    async def cancel(self) -> None:
        return None

    async def audio(self):
        while (text := await self.texts.get()) is not None:
            audio = speech.render(text)[0]
            for i in range(0, len(audio), 1600):
                await asyncio.sleep(0.2)
                yield AudioChunk(audio[i : i + 1600], boundary=i + 1600 >= len(audio))


class StubbornTTS:
    @classmethod
    def for_call(cls, context: CallContext) -> StubbornTTS:
        return cls()

    async def open(self, voice: str) -> StubbornTTSStream:
        return StubbornTTSStream()


class BrokenLLM(ScriptedAgent):
    """Fails on its first reply, as a vendor whose stream drops."""

    async def stream(self, messages, tools):
        await asyncio.sleep(0.05)
        raise ProviderError("LLM stream dropped")
        yield  # pragma: no cover


class BrokenTTS(LocalTTS):
    """Opens, then fails every stream: the apology must come from somewhere else."""

    async def open(self, voice: str):
        raise ProviderError("TTS socket refused")
