"""Twilio Media Streams JSON <-> typed frames, both directions (the server side and the simulated callee's side).

Only translation lives here: no timing, no state. Hot paths (`decode` of a media frame, `media_message`) do one
`json.loads` / one string concatenation and one base64 call per 20 ms frame.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from voice.audio import FRAME_BYTES


class MalformedFrame(ValueError):
    """A WebSocket message that is not a well-formed Media Streams event."""


@dataclass(slots=True)
class Connected:
    protocol: str = "Call"


@dataclass(slots=True)
class Start:
    stream_sid: str
    call_sid: str
    account_sid: str = ""
    custom_parameters: dict[str, str] = field(default_factory=dict)
    media_format: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Media:
    payload: bytes
    chunk: int = 0
    timestamp: int = 0


@dataclass(slots=True)
class Mark:
    name: str


@dataclass(slots=True)
class Dtmf:
    digit: str


@dataclass(slots=True)
class Stop:
    call_sid: str = ""


@dataclass(slots=True)
class Clear:
    pass


InboundEvent = Connected | Start | Media | Mark | Dtmf | Stop
OutboundEvent = Media | Mark | Clear


def _b64(payload: Any) -> bytes:
    if not isinstance(payload, str):
        raise MalformedFrame("media payload is not a string")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedFrame(f"media payload is not base64: {exc}") from exc


def _load(text: str | bytes) -> dict[str, Any]:
    try:
        msg = json.loads(text)
    except (ValueError, TypeError) as exc:
        raise MalformedFrame(f"not JSON: {exc}") from exc
    if not isinstance(msg, dict):
        raise MalformedFrame("not a JSON object")
    return msg


def decode(text: str | bytes) -> InboundEvent:
    """One message Twilio sends us; raises MalformedFrame."""
    msg = _load(text)
    event = msg.get("event")
    try:
        if event == "media":
            media = msg["media"]
            audio = _b64(media["payload"])
            if not audio or len(audio) > 8 * FRAME_BYTES:
                raise MalformedFrame(f"media payload of {len(audio)} bytes")
            return Media(audio, int(media.get("chunk") or 0), int(media.get("timestamp") or 0))
        if event == "mark":
            return Mark(str(msg["mark"]["name"]))
        if event == "start":
            start = msg["start"]
            return Start(
                stream_sid=str(start.get("streamSid") or msg["streamSid"]),
                call_sid=str(start["callSid"]),
                account_sid=str(start.get("accountSid", "")),
                custom_parameters=dict(start.get("customParameters") or {}),
                media_format=dict(start.get("mediaFormat") or {}),
            )
        if event == "dtmf":
            return Dtmf(str(msg["dtmf"]["digit"]))
        if event == "stop":
            return Stop(str((msg.get("stop") or {}).get("callSid", "")))
        if event == "connected":
            return Connected(str(msg.get("protocol", "Call")))
    except (KeyError, TypeError, AttributeError) as exc:
        raise MalformedFrame(f"{event} event without {exc}") from exc
    except ValueError as exc:
        raise MalformedFrame(f"{event} event: {exc}") from exc
    raise MalformedFrame(f"unknown event {event!r}")


# --- server -> Twilio -------------------------------------------------------------------------------


def media_message(stream_sid: str, frame: bytes) -> str:
    return (
        '{"event":"media","streamSid":"'
        + stream_sid
        + '","media":{"payload":"'
        + base64.b64encode(frame).decode("ascii")
        + '"}}'
    )


def mark_message(stream_sid: str, name: str) -> str:
    return json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear_message(stream_sid: str) -> str:
    return json.dumps({"event": "clear", "streamSid": stream_sid})


def decode_outbound(text: str | bytes) -> OutboundEvent:
    """One message the server sends Twilio (what the simulated callee reads); raises MalformedFrame."""
    msg = _load(text)
    event = msg.get("event")
    try:
        if event == "media":
            return Media(_b64(msg["media"]["payload"]))
        if event == "mark":
            return Mark(str(msg["mark"]["name"]))
        if event == "clear":
            return Clear()
    except (KeyError, TypeError) as exc:
        raise MalformedFrame(f"{event} event without {exc}") from exc
    raise MalformedFrame(f"unknown event {event!r}")


# --- Twilio -> server (the simulated callee speaks these) ---------------------------------------------


def connected_message() -> str:
    return json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})


def start_message(stream_sid: str, call_sid: str, account_sid: str, custom_parameters: dict[str, str]) -> str:
    return json.dumps(
        {
            "event": "start",
            "sequenceNumber": "1",
            "streamSid": stream_sid,
            "start": {
                "streamSid": stream_sid,
                "accountSid": account_sid,
                "callSid": call_sid,
                "tracks": ["inbound"],
                "customParameters": custom_parameters,
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        }
    )


def inbound_media_message(stream_sid: str, sequence: int, chunk: int, timestamp_ms: int, frame: bytes) -> str:
    return (
        '{"event":"media","sequenceNumber":"'
        + str(sequence)
        + '","streamSid":"'
        + stream_sid
        + '","media":{"track":"inbound","chunk":"'
        + str(chunk)
        + '","timestamp":"'
        + str(timestamp_ms)
        + '","payload":"'
        + base64.b64encode(frame).decode("ascii")
        + '"}}'
    )


def inbound_mark_message(stream_sid: str, sequence: int, name: str) -> str:
    return json.dumps(
        {"event": "mark", "sequenceNumber": str(sequence), "streamSid": stream_sid, "mark": {"name": name}}
    )


def dtmf_message(stream_sid: str, sequence: int, digit: str) -> str:
    return json.dumps(
        {
            "event": "dtmf",
            "sequenceNumber": str(sequence),
            "streamSid": stream_sid,
            "dtmf": {"track": "inbound_track", "digit": digit},
        }
    )


def stop_message(stream_sid: str, sequence: int, account_sid: str, call_sid: str) -> str:
    return json.dumps(
        {
            "event": "stop",
            "sequenceNumber": str(sequence),
            "streamSid": stream_sid,
            "stop": {"accountSid": account_sid, "callSid": call_sid},
        }
    )
