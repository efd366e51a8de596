"""A call's life as one ordered list: provider status reports plus our own milestones."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.dateparse import parse_datetime

from .labels import answered_by_label
from .models import Call

PROVIDER_LABELS = {
    "queued": "Queued at the carrier",
    "initiated": "Dialing",
    "ringing": "Ringing",
    "in-progress": "Answered",
    "answered": "Answered",
    "completed": "Hung up",
    "busy": "Busy",
    "no-answer": "No answer",
    "failed": "Failed",
    "canceled": "Canceled",
}


LAYER_LABELS = {"stt": "Speech-to-text", "llm": "Language model", "tts": "Text-to-speech"}


@dataclass(frozen=True)
class Event:
    at: dt.datetime | None
    label: str
    detail: str = ""


def call_timeline(call: Call) -> list[Event]:
    events = [Event(call.created_at, "Claimed by the dialer")]
    if call.placed_at:
        events.append(Event(call.placed_at, "Placed with the carrier"))
    for raw in call.status_events if isinstance(call.status_events, list) else []:
        if not isinstance(raw, dict):
            continue
        status = str(raw.get("status", raw.get("event", "")))
        at = parse_datetime(str(raw.get("at", ""))) if raw.get("at") else None
        detail = " · ".join(f"{k} {v}" for k, v in raw.items() if k not in ("status", "event", "at", "seq") and v)
        events.append(Event(at, PROVIDER_LABELS.get(status, status.replace("-", " ").capitalize()), detail))
    if call.answered_by:
        events.append(Event(call.answered_at, f"Answered by: {answered_by_label(call.answered_by)}"))
    if call.media_started_at:
        events.append(Event(call.media_started_at, "Voice session started"))
    for switch in call.provider_switches if isinstance(call.provider_switches, list) else []:
        if isinstance(switch, dict):
            events.append(provider_switch_event(switch))
    if call.media_ended_at:
        events.append(Event(call.media_ended_at, "Voice session ended, turns saved"))
    if call.finalized_at:
        events.append(Event(call.finalized_at, f"Outcome: {call.get_outcome_display() or 'none'}"))
    return sorted(events, key=lambda e: (e.at is None, e.at or dt.datetime.min.replace(tzinfo=dt.UTC)))


def provider_switch_event(switch: dict) -> Event:
    """'Language model moved from openai to anthropic' with why, and how long the switch took to be heard."""
    at = parse_datetime(str(switch.get("at", ""))) if switch.get("at") else None
    layer = LAYER_LABELS.get(str(switch.get("layer")), str(switch.get("layer", "provider")))
    detail = str(switch.get("why") or "")
    if switch.get("served_ms") is not None:
        detail += f" · next provider served in {switch['served_ms']} ms"
    return Event(at, f"{layer} moved from {switch.get('from')} to {switch.get('to')}", detail.strip(" ·"))
