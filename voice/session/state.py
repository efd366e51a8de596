"""What the session's stages share: the agent's fixed phrases, timing constants, one reply (`Reply`) and where
audio goes (`Transport`)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

APOLOGY = "Sorry, we're having a technical problem. We'll call you back. Goodbye."
REPROMPT = "Sorry, are you still there?"
SILENCE_GOODBYE = "It seems this is not a good time. I will let you go. Goodbye!"
SHUTDOWN_GOODBYE = "I'm sorry, I have to end the call here. Someone will follow up with you. Goodbye!"
TIME_UP = "I'm sorry, we are out of time for today. A rep will follow up with you. Goodbye!"
MACHINE = ("machine",)  # AMD verdicts the voicemail message is for; "fax" is hung up on at once
INTERRUPTIBLE = frozenset({"opening", "llm", "resume", "canned"})  # not goodbyes, voicemail messages, apologies
FRAME_S = 0.020
APOLOGY_TTS_WAIT_S = 1.0  # the call's TTS must start the apology this soon (and keep going), or the local voice does
APOLOGY_MARK_GRACE_S = 0.5  # after the apology's last frame: a caller side that never echoes marks waits this long

class Transport(Protocol):
    """Where the session's audio goes: the media WebSocket (Twilio Media Streams)."""

    async def send_media(self, frame: bytes) -> None: ...

    async def send_mark(self, name: str) -> None: ...

    async def send_clear(self) -> None: ...

    async def close(self) -> None: ...


@dataclass(eq=False)
class Reply:
    """One agent reply (one generation): what was generated, what the caller heard, and its latency stamps."""

    gen: int
    kind: str  # opening | llm | resume | canned | closing | voicemail | apology
    trigger: str = ""
    speculative: bool = False
    confirmed: asyncio.Event = field(default_factory=asyncio.Event)
    segments: list[str] = field(default_factory=list)
    heard: int = 0
    protect: int = 0  # pieces the caller cannot interrupt (the opening's AI disclosure) until their marks are back
    marks_queued: int = 0
    frames_sent: int = 0
    audio_done: bool = False
    cleared: bool = False
    done: bool = False
    end_outcome: str = ""
    transfer_to: str = ""
    task: asyncio.Task | None = None
    pump: asyncio.Task | None = None
    tts: Any = None
    started_ms: int | None = None
    t_end: float | None = None  # caller speech end (last voiced frame)
    t_trigger: float | None = None
    t_final: float | None = None
    t_llm: float | None = None
    t_token: float | None = None
    t_ready: float | None = None
    t_push: float | None = None
    t_byte: float | None = None
    t_frame: float | None = None

    def text(self) -> str:
        return " ".join(self.segments)

    def heard_text(self) -> str:
        return " ".join(self.segments[: self.heard])

