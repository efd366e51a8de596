"""The rehearsal callee's captions for one STT stream, placed on that stream's audio clock (tests/emulators/
deepgram.py and assemblyai.py in caption mode).

The real services hear words in the audio; caption mode knows them by call time. A stream opened with the call
starts near call time 0 (origin 0). One opened mid-call (a reconnect, or a failover replaying unfinalized audio)
starts with a burst of replayed audio, then live audio: once live audio flows, call time now minus audio received
is its origin, and the captions that ended before it were heard by an earlier stream (dropped here).
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

MID_CALL_S = 0.5  # a stream whose audio starts this far into the call was opened mid-call
SETTLE_S = 0.3  # a mid-call stream's replayed burst is over this long after its first audio


class CaptionTimeline:
    """Captions waiting to be heard (`captions`, in order) and where the stream starts on the call's clock."""

    def __init__(self) -> None:
        self.captions: deque[dict[str, Any]] = deque()
        self.origin = 0.0  # seconds of call time before this stream's first audio
        self.aligned = False
        self._call_start_wall: float | None = None
        self._origin_estimate = float("inf")
        self._first_audio_wall: float | None = None

    async def follow(self, source: AsyncIterator[dict[str, Any]]) -> None:
        """Take captions from the side channel as they come: the first with a wall time (`at`) dates the call's
        start; those with words wait in `captions`."""
        async for caption in source:
            if caption.get("at") is not None and self._call_start_wall is None:
                self._call_start_wall = caption["at"] - (caption["start_chunk"] - 1) * 0.020  # 20 ms chunks, from 1
            if caption.get("words"):
                self.captions.append(caption)

    def align(self, audio_s: float) -> bool:
        """Place the stream on the call's clock, `audio_s` seconds of its audio received; False while a replayed
        burst is still arriving. True without placing it (`aligned` stays False) while no caption dated the call:
        checked again on the next audio."""
        wall = time.time()
        if self._first_audio_wall is None:
            self._first_audio_wall = wall
        if self._call_start_wall is None:
            return True
        self._origin_estimate = min(self._origin_estimate, (wall - self._call_start_wall) - audio_s)
        if self._origin_estimate < MID_CALL_S:
            self.aligned = True
            return True
        if wall - self._first_audio_wall < SETTLE_S:
            return False
        self.aligned, self.origin = True, self._origin_estimate
        self.captions = deque(c for c in self.captions if self.base_ms(c) + c["words"][-1][2] > 0)
        return True

    def base_ms(self, caption: dict[str, Any]) -> float:
        """Where a caption's utterance starts on this stream's audio clock (ms); its words' times add to it."""
        return (caption["start_chunk"] - 1) * 20 - self.origin * 1000
