"""OpenAI text-to-speech through the `openai` SDK's streamed `audio.speech` (the `TTS` contract).

`POST /v1/audio/speech` with `response_format: "pcm"` streams raw 24 kHz signed 16-bit little-endian mono samples
(https://platform.openai.com/docs/api-reference/audio/createSpeech, https://platform.openai.com/docs/guides/
text-to-speech#supported-output-formats); each chunk is resampled to 8 kHz mu-law for Twilio as it arrives
(`voice.audio.pcm16_24k_to_ulaw`). The endpoint takes a whole input per request, so a reply is one request per
pushed sentence, spoken in order; the end of each sentence's audio is an `AudioChunk.boundary`. Barge-in cancels
the task reading the response, which closes the HTTP stream (OpenAI stops generating). `OPENAI_BASE_URL` and
`OPENAI_API_KEY` are shared with the OpenAI LLM; `OPENAI_TTS_MODEL` and `OPENAI_TTS_VOICE` choose the voice.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
from django.conf import settings
from openai import AsyncOpenAI

from voice.audio import pcm16_24k_to_ulaw

from .base import AudioChunk, CallContext, ProviderError, drain
from .warm import client_for_loop

log = logging.getLogger(__name__)

VOICES = {"alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin",
          "cedar"}
_BLOCK = 6 * 160  # bytes of 24 kHz s16le that make one 20 ms frame at 8 kHz (a multiple of 3 samples)


class OpenAITTS:
    """The SDK client (and its connection pool) is shared on the loop; a reply is an `OpenAISpeechReply`."""

    first_byte_timeout = 2.0  # also the longest pause between chunks once a sentence has started
    abandoned_after = 60.0  # a reply neither ended nor cancelled for this long is let go (its task ends)

    def __init__(self, *, api_key: str, model: str, voice: str, base_url: str = "") -> None:
        self.api_key = api_key
        self.model = model
        self.voice = voice
        self.base_url = base_url

    @classmethod
    def for_call(cls, context: CallContext) -> OpenAITTS:
        return cls(api_key=settings.OPENAI_API_KEY, model=settings.OPENAI_TTS_MODEL,
                   voice=settings.OPENAI_TTS_VOICE, base_url=settings.OPENAI_BASE_URL)

    def client(self) -> AsyncOpenAI:
        """No SDK retries on the live path: a retried sentence would arrive later than the caller can wait."""
        return client_for_loop(
            ("openai", self.api_key, self.base_url),
            lambda: AsyncOpenAI(api_key=self.api_key, base_url=self.base_url or None, max_retries=0, timeout=30.0),
        )

    async def open(self, voice: str) -> OpenAISpeechReply:
        """`voice` (the script's) is used when it is an OpenAI voice name, else `OPENAI_TTS_VOICE`."""
        return OpenAISpeechReply(self, voice if voice in VOICES else self.voice)


class OpenAISpeechReply:
    """One agent reply (the `TTSStream` contract): sentences in, one streamed speech request each, in order."""

    def __init__(self, tts: OpenAITTS, voice: str) -> None:
        self.tts = tts
        self.voice = voice
        self.cancelled = False
        self._sentences: asyncio.Queue[str | None] = asyncio.Queue()
        self._out: asyncio.Queue[AudioChunk | ProviderError | None] = asyncio.Queue()
        self._ended = False
        self._worker = asyncio.create_task(self._speak_all())

    async def push(self, text: str) -> None:
        if not (self.cancelled or self._ended) and text.strip():
            self._sentences.put_nowait(text.strip())

    async def end(self) -> None:
        if not (self.cancelled or self._ended):
            self._ended = True
            self._sentences.put_nowait(None)

    def audio(self) -> AsyncIterator[AudioChunk]:
        return drain(self._out)

    async def cancel(self) -> None:
        """Barge-in: stop reading (closing the HTTP stream) and drop everything not yet yielded."""
        if self.cancelled:
            return
        self.cancelled = True
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._out.put_nowait(None)

    async def _speak_all(self) -> None:
        try:
            while (sentence := await asyncio.wait_for(self._sentences.get(), self.tts.abandoned_after)) is not None:
                await self._speak(sentence)
            self._out.put_nowait(None)
        except TimeoutError:
            log.warning("OpenAI TTS: a reply was neither ended nor cancelled for %g s", self.tts.abandoned_after)
            self._out.put_nowait(None)
        except ProviderError as exc:
            log.warning("%s", exc)
            self._out.put_nowait(exc)
        except Exception as exc:  # anything else the SDK or httpx raise must still reach audio(), never hang it
            log.warning("OpenAI TTS failed: %r", exc)
            self._out.put_nowait(ProviderError(f"OpenAI TTS: the audio stream dropped ({type(exc).__name__})"))

    async def _speak(self, sentence: str) -> None:
        """One sentence: every wait on OpenAI (the response, each chunk) has the first-byte deadline."""
        tts = self.tts
        deadline = tts.first_byte_timeout
        pending = b""
        try:
            request = tts.client().audio.speech.with_streaming_response.create(
                model=tts.model, voice=self.voice, input=sentence, response_format="pcm")
            async with contextlib.AsyncExitStack() as stack:
                response = await asyncio.wait_for(stack.enter_async_context(request), deadline)
                chunks = response.iter_bytes()
                while True:
                    try:
                        data = await asyncio.wait_for(anext(chunks), deadline)
                    except StopAsyncIteration:
                        break
                    pending += data
                    usable = len(pending) - len(pending) % _BLOCK
                    if usable:
                        self._out.put_nowait(AudioChunk(audio=pcm16_24k_to_ulaw(pending[:usable])))
                        pending = pending[usable:]
        except TimeoutError as exc:
            raise ProviderError(f"OpenAI TTS: no audio within {deadline:g} s") from exc
        except openai.APIStatusError as exc:
            raise ProviderError(f"OpenAI TTS refused the request ({exc.status_code}: {_message(exc)})") from exc
        except (openai.APIConnectionError, httpx.HTTPError) as exc:
            raise ProviderError(f"OpenAI TTS: the audio stream dropped ({type(exc).__name__})") from exc
        if len(pending) % 2:
            raise ProviderError("OpenAI TTS sent a malformed stream (half a 16-bit sample at the end)")
        usable = len(pending) - len(pending) % 6
        self._out.put_nowait(AudioChunk(audio=pcm16_24k_to_ulaw(pending[:usable]), boundary=True))


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        return str((body.get("error") or body).get("message") or "")[:200]
    return str(exc)[:200]
