"""WebRTC as a call transport (aiortc): a browser's microphone into a `CallSession`, the agent's voice back.

The same contract as the Twilio media WebSocket (`voice/media.py`): the session gets 160-byte μ-law frames
(20 ms, 8 kHz) from `caller_frames`, and its pacer hands `AgentTrack` one frame every 20 ms plus a mark after
each piece. The track is what aiortc's RTP sender pulls from: on its own 20 ms clock it sends the next queued
frame (or silence), and a mark queued behind a frame is reported back (`on_mark`) once that frame went out —
"marks from playout", as Twilio echoes them. `clear` drops what is queued, as Twilio's `clear` does.

The answer puts PCMU first (RFC 3551 G.711 μ-law, 8 kHz): no transcoding on either side; a browser that cannot do
PCMU gets Opus, decoded and resampled to 8 kHz by PyAV (libswresample). ICE servers: `WEBRTC_ICE_SERVERS`
(comma-separated stun: URLs), none by default (aiortc would otherwise ask Google's STUN server).
"""
from __future__ import annotations

import asyncio
import fractions
import logging
from array import array
from collections import deque
from collections.abc import AsyncIterator, Callable
from time import monotonic

import av
from aiortc import MediaStreamTrack, RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCRtpSender
from aiortc.mediastreams import MediaStreamError
from django.conf import settings

from voice.audio import FRAME_BYTES, SILENCE_BYTE, pcm_to_ulaw, ulaw_to_pcm16

log = logging.getLogger(__name__)

RATE = 8000
SAMPLES = FRAME_BYTES  # one μ-law byte per sample
MAX_QUEUED_FRAMES = 25  # 500 ms: beyond this the oldest frames are dropped (the two 20 ms clocks drifted apart)
_SILENCE_PCM = ulaw_to_pcm16(bytes([SILENCE_BYTE]) * SAMPLES)
_TIME_BASE = fractions.Fraction(1, RATE)


def peer_connection() -> RTCPeerConnection:
    """A peer connection with the configured ICE servers (none by default: host candidates only)."""
    urls = [u.strip() for u in str(getattr(settings, "WEBRTC_ICE_SERVERS", "") or "").split(",") if u.strip()]
    return RTCPeerConnection(RTCConfiguration(iceServers=[RTCIceServer(urls=u) for u in urls]))


def prefer_pcmu(pc: RTCPeerConnection) -> None:
    """Answer audio with PCMU when the offer has it (call after setRemoteDescription, before createAnswer)."""
    codecs = RTCRtpSender.getCapabilities("audio").codecs
    pcmu = [c for c in codecs if c.mimeType.lower() == "audio/pcmu"]
    rest = [c for c in codecs if c.mimeType.lower() != "audio/pcmu"]
    for transceiver in pc.getTransceivers():
        if transceiver.kind == "audio":
            transceiver.setCodecPreferences(pcmu + rest)


class AgentTrack(MediaStreamTrack):
    """The agent's voice as an outgoing audio track: queued μ-law frames and marks, played on a 20 ms clock."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._queue: deque[bytes | str] = deque()
        self._frames = 0
        self._start: float | None = None
        self._pts = 0
        self.on_mark: Callable[[str], None] | None = None
        self.frames_sent = 0

    def push(self, frame: bytes) -> None:
        self._queue.append(frame)
        self._frames += 1
        while self._frames > MAX_QUEUED_FRAMES:
            item = self._queue.popleft()
            if type(item) is bytes:
                self._frames -= 1
            else:
                self._report(item)

    def push_mark(self, name: str) -> None:
        if self._frames == 0:
            self._report(name)  # nothing before it left to play
        else:
            self._queue.append(name)

    def clear(self) -> None:
        self._queue.clear()
        self._frames = 0

    def _report(self, name: str) -> None:
        if self.on_mark is not None:
            self.on_mark(name)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = monotonic()
        else:
            self._pts += SAMPLES
            delay = self._start + self._pts / RATE - monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.2:  # the loop stalled: restart the clock rather than burst
                self._start, self._pts = monotonic(), 0
        pcm = _SILENCE_PCM
        queue = self._queue
        while queue and type(queue[0]) is str:
            self._report(queue.popleft())
        if queue:
            pcm = ulaw_to_pcm16(queue.popleft())
            self._frames -= 1
            self.frames_sent += 1
            while queue and type(queue[0]) is str:  # marks right behind this frame: it is going out now
                self._report(queue.popleft())
        frame = av.AudioFrame(format="s16", layout="mono", samples=SAMPLES)
        frame.planes[0].update(pcm)
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = _TIME_BASE
        return frame


class WebRTCTransport:
    """The session's outbound side over WebRTC (see the module docstring); `close` ends the test call."""

    def __init__(self, track: AgentTrack, on_close: Callable[[], None]) -> None:
        self.track = track
        self.closed = False
        self._on_close = on_close

    async def send_media(self, frame: bytes) -> None:
        if not self.closed:
            self.track.push(frame)

    async def send_mark(self, name: str) -> None:
        if not self.closed:
            self.track.push_mark(name)

    async def send_clear(self) -> None:
        self.track.clear()

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._on_close()


async def caller_frames(track: MediaStreamTrack) -> AsyncIterator[bytes]:
    """The remote audio track as 160-byte μ-law frames (8 kHz mono), until the track ends.

    PCMU arrives as 8 kHz mono already; anything else (Opus, 48 kHz) is resampled by PyAV (libswresample)."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    carry = b""
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        for out in resampler.resample(frame):
            data = carry + bytes(out.planes[0])[: out.samples * 2]
            whole = len(data) - len(data) % (SAMPLES * 2)
            for i in range(0, whole, SAMPLES * 2):
                yield pcm_to_ulaw(array("h", data[i : i + SAMPLES * 2]))
            carry = data[whole:]
