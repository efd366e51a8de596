"""One browser test call over WebRTC, from the SDP offer to the saved TestCall.

`answer(test_call_id, offer_sdp)` (awaited by the signalling view, on the server's event loop) sets up the peer
connection and returns the SDP answer; the call then runs as a task of that loop:

- the browser's audio track → `webrtc.caller_frames` → `TestCallSession.on_audio`; the agent's voice goes back on
  `webrtc.AgentTrack`;
- the data channel "events" carries JSON both ways. To the page: `{"type": "caption", "speaker": "caller"|"agent",
  "text", "final"}` as words are heard and said, `{"type": "turn", ...crm.Turn fields incl. stt_ms/llm_ms/tts_ms/
  v2v_ms}` as each turn ends, `{"type": "ended", "outcome", "test_call"}`. From the page: `{"type": "say", "text"}`
  and `{"type": "hangup"}`;
- with the rehearsal STT (no speech recognition configured) a "say" is what the person is saying: it becomes the
  rehearsal caption of their next utterance, starting at the first voiced frame the VAD hears (so recognition
  follows the audio, as for simulated callees), or at once if no voice comes within SAY_WITHOUT_VOICE_S.

Deadlines: the answer within ANSWER_DEADLINE_S (else the offer is refused); the browser's audio within
TRACK_DEADLINE_S of the answer, or the call ends with an error;
a call lasts at most its script's max call length (the session's supervisor).
"""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import Any

from aiortc import RTCSessionDescription

from voice import db, drain, webrtc
from voice.providers import factory
from voice.sim import captions
from voice.test_calls import TestCallSession, load

log = logging.getLogger(__name__)

TRACK_DEADLINE_S = 15.0
ANSWER_DEADLINE_S = 10.0  # ICE gathering (STUN servers, when configured) must be done by then
SAY_WITHOUT_VOICE_S = 8.0
LINE_HEARD_MS = 200  # a typed line's words are all "heard" this long after its utterance starts
_running: set[asyncio.Task] = set()


class PageEvents:
    """The session's observer: captions and turns to the page over the data channel (queued until it opens)."""

    def __init__(self) -> None:
        self.channel: Any = None
        self._pending: list[str] = []

    def attach(self, channel) -> None:
        self.channel = channel

        @channel.on("open")
        def _open() -> None:
            self.flush()

        self.flush()

    def flush(self) -> None:
        if self.channel is not None and self.channel.readyState == "open":
            for message in self._pending:
                self.channel.send(message)
            self._pending.clear()

    def send(self, event: dict[str, Any]) -> None:
        self._pending.append(json.dumps(event, default=str))
        self.flush()

    def caption(self, speaker: str, text: str, final: bool) -> None:
        self.send({"type": "caption", "speaker": speaker, "text": text, "final": final})

    def turn(self, fields: dict[str, Any]) -> None:
        self.send({"type": "turn", **fields})


class SaidLines:
    """Typed lines waiting for the person's next utterance (the rehearsal STT's captions)."""

    def __init__(self, sid: str) -> None:
        self.sid = sid
        self.waiting: list[tuple[str, float]] = []
        self.count = 0
        self.last_utterance = 0

    def add(self, text: str, now: float) -> None:
        words = text.split()
        if words:
            self.waiting.append((" ".join(words)[:500], now))

    async def check(self, session: TestCallSession, now: float) -> None:
        """Release the oldest waiting line when an utterance starts (or it waited too long for one)."""
        if not self.waiting:
            return
        text, since = self.waiting[0]
        voiced = session.utt_active and session.utt_start_frame > self.last_utterance
        if not voiced and now - since < SAY_WITHOUT_VOICE_S:
            return
        self.waiting.pop(0)
        start = session.utt_start_frame if voiced else session.frames_in + 1
        self.last_utterance = start
        self.count += 1
        # all words at once: the person's real timing is unknown, and words spread beyond their voice would be
        # finalized one by one as separate turns at the VAD's silence (VOICE_FINALIZE_AFTER_MS)
        words = [[w, 0, LINE_HEARD_MS] for w in text.split()]
        await captions.publish(self.sid, {"utterance": self.count, "start_chunk": start, "words": words})


class BrowserCall:
    def __init__(self, test_call_id: int) -> None:
        self.test_call_id = test_call_id
        self.pc = webrtc.peer_connection()
        self.track = webrtc.AgentTrack()
        self.events = PageEvents()
        self.remote: asyncio.Future = asyncio.get_running_loop().create_future()
        self.hangup = asyncio.Event()
        self.sid = f"webrtc-{test_call_id}-{secrets.token_hex(4)}"
        self.said = SaidLines(self.sid) if factory.chosen("stt") == "rehearsal" else None

        @self.pc.on("track")
        def _track(track) -> None:
            if track.kind == "audio" and not self.remote.done():
                self.remote.set_result(track)

        @self.pc.on("datachannel")
        def _channel(channel) -> None:
            self.events.attach(channel)

            @channel.on("message")
            def _message(message) -> None:
                self._on_page(message)

        @self.pc.on("connectionstatechange")
        def _state() -> None:
            if self.pc.connectionState in ("failed", "closed"):
                self.hangup.set()

    def _on_page(self, message: Any) -> None:
        try:
            event = json.loads(message)
        except (TypeError, ValueError):
            return
        if not isinstance(event, dict):
            return
        if event.get("type") == "hangup":
            self.hangup.set()
        elif event.get("type") == "say" and self.said is not None and isinstance(event.get("text"), str):
            self.said.add(event["text"], asyncio.get_running_loop().time())

    async def answer(self, offer_sdp: str) -> str:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        self.pc.addTrack(self.track)
        webrtc.prefer_pcmu(self.pc)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def _feed(self, session: TestCallSession, track) -> None:
        """The browser's audio into the session, frame by frame, until the track ends."""
        loop = asyncio.get_running_loop()
        async for frame in webrtc.caller_frames(track):
            await session.on_audio(frame)
            if self.said is not None:
                await self.said.check(session, loop.time())

    async def run(self) -> None:
        session: TestCallSession | None = None
        caller_hung_up = True
        try:
            track = await asyncio.wait_for(self.remote, timeout=TRACK_DEADLINE_S)
            info, version = await db.run(load, self.test_call_id)
            transport = webrtc.WebRTCTransport(self.track, self.hangup.set)
            session = TestCallSession(info, transport, version)
            session.observer = self.events
            self.track.on_mark = session.on_mark
            drain.track(session)
            await session.start(self.sid, "", {})
            reader = asyncio.create_task(self._feed(session, track))
            hung_up = asyncio.create_task(self.hangup.wait())
            try:
                await asyncio.wait({reader, hung_up}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                reader.cancel()
                hung_up.cancel()
                await asyncio.gather(reader, hung_up, return_exceptions=True)
            caller_hung_up = not transport.closed
        except TimeoutError:
            log.warning("test call %s: no audio from the browser within %.0f s", self.test_call_id, TRACK_DEADLINE_S)
            await db.run(_fail, self.test_call_id, "The browser sent no audio (microphone blocked or no connection).")
        except Exception:
            log.exception("test call %s failed", self.test_call_id)
        finally:
            outcome = ""
            if session is not None:
                try:
                    await session.close(caller_hung_up=caller_hung_up)
                    outcome = session.outcome
                finally:
                    drain.untrack(session)
            self.events.send({"type": "ended", "outcome": outcome, "test_call": self.test_call_id})
            await asyncio.sleep(0)  # let the data channel write the last event before the connection closes
            await self.pc.close()
            if self.said is not None:
                await captions.forget(self.sid)


def _fail(test_call_id: int, error: str) -> None:
    from django.utils import timezone

    from campaigns.models import TestCall

    TestCall.objects.filter(pk=test_call_id).update(error=error, outcome="failed", ended_at=timezone.now())


async def answer(test_call_id: int, offer_sdp: str) -> str:
    """Answer the browser's SDP offer for TestCall `test_call_id` and start the call on this loop; returns the
    answer SDP. Raises ValueError for an offer aiortc cannot parse or answer."""
    call = BrowserCall(test_call_id)
    try:
        sdp = await asyncio.wait_for(call.answer(offer_sdp), timeout=ANSWER_DEADLINE_S)
    except TimeoutError as exc:
        await call.pc.close()
        raise ValueError(f"The offer could not be answered within {ANSWER_DEADLINE_S:g} s (ICE gathering).") from exc
    except Exception as exc:
        await call.pc.close()
        raise ValueError(f"The offer could not be answered: {exc}") from exc
    task = asyncio.create_task(call.run())
    _running.add(task)
    task.add_done_callback(_running.discard)
    return sdp
