"""Misbehaving vendors, to prove the session copes: selected through the provider factory like real adapters."""
from __future__ import annotations

import asyncio
import dataclasses

from voice.providers.base import AudioChunk, CallContext, ProviderError, Transcript, UtteranceEnd
from voice.sim import speech
from voice.sim.agent import ScriptedAgent
from voice.sim.stt import RehearsalSTT, RehearsalSTTStream
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


class _NoEndOfSpeechStream(RehearsalSTTStream):
    """Sends finals but never `speech_final` nor `UtteranceEnd` (seen from real Deepgram users)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.finalize_calls = 0

    async def finalize(self) -> None:
        self.finalize_calls += 1
        FINALIZE_CALLS.append(self.call_sid)

    async def events(self):
        async for event in super().events():
            if isinstance(event, UtteranceEnd):
                continue
            if isinstance(event, Transcript) and event.speech_final:
                event = dataclasses.replace(event, speech_final=False)
            yield event


class NoEndOfSpeechSTT(RehearsalSTT):
    async def open(self) -> _NoEndOfSpeechStream:
        return _NoEndOfSpeechStream(self.call_sid, self.latency)


class _FinalOnFinalizeStream(_NoEndOfSpeechStream):
    """Interim transcripts only; the final comes when the session sends Finalize (as Deepgram's `from_finalize`)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._finalized = asyncio.Event()

    async def finalize(self) -> None:
        await super().finalize()
        self._finalized.set()

    async def events(self):
        async for event in super().events():
            if isinstance(event, Transcript) and event.is_final:
                self._finalized.clear()
                await self._finalized.wait()
            yield event


class FinalOnFinalizeSTT(RehearsalSTT):
    async def open(self) -> _FinalOnFinalizeStream:
        return _FinalOnFinalizeStream(self.call_sid, self.latency)


FINALIZE_CALLS: list[str] = []


TTS_OPENS: list[str] = []


class CountingTTS(LocalTTS):
    """The rehearsal voice, counting every stream it opens (by call sid): nothing may open after a call closed."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.call_sid = ""

    @classmethod
    def for_call(cls, context: CallContext) -> CountingTTS:
        tts = super().for_call(context)
        tts.call_sid = context.call_sid
        return tts

    async def open(self, voice: str):
        TTS_OPENS.append(self.call_sid)
        return await super().open(voice)


_PARROTED: dict[str, list] = {}  # call sid -> STT streams that transcribe the agent's own words (echo)


class ParrotTTS(LocalTTS):
    """The rehearsal voice; every piece it is given also reaches the call's `ParrotSTT`, as a speakerphone would."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.call_sid = ""

    @classmethod
    def for_call(cls, context: CallContext) -> ParrotTTS:
        tts = super().for_call(context)
        tts.call_sid = context.call_sid
        return tts

    async def open(self, voice: str):
        stream = await super().open(voice)
        push, sid = stream.push, self.call_sid

        async def parroting_push(text: str) -> None:
            for stt in _PARROTED.get(sid, ()):
                stt.hear_echo(text)
            await push(text)

        stream.push = parroting_push
        return stream


class _ParrotSTTStream(RehearsalSTTStream):
    def hear_echo(self, text: str) -> None:
        """The agent's piece comes back through the caller's microphone and is transcribed 300 ms later."""
        final = Transcript(text=text, is_final=True, speech_final=True)
        asyncio.get_running_loop().call_later(0.3, self._events.put_nowait, final)


class ParrotSTT(RehearsalSTT):
    """The rehearsal STT, plus a transcript of each piece the agent says (an STT hearing the echo)."""

    async def open(self) -> _ParrotSTTStream:
        stream = _ParrotSTTStream(self.call_sid, self.latency)
        _PARROTED.setdefault(self.call_sid, []).append(stream)
        return stream
