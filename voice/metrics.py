"""Per-call measurements of the voice loop, kept in process for `rehearse`, the benchmark and tests.

Recording is cheap enough for the per-frame path: frame jitter goes into a fixed histogram (no list growth).
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

_BUCKET_MS = 0.25
_BUCKETS = 800  # 0..200 ms; beyond lands in the last bucket


class Histogram:
    __slots__ = ("counts", "n")

    def __init__(self) -> None:
        self.counts = [0] * (_BUCKETS + 1)
        self.n = 0

    def add(self, ms: float) -> None:
        i = int(ms / _BUCKET_MS) if ms > 0 else 0
        self.counts[i if i < _BUCKETS else _BUCKETS] += 1
        self.n += 1

    def merge(self, other: Histogram) -> None:
        for i, c in enumerate(other.counts):
            self.counts[i] += c
        self.n += other.n

    def percentile(self, p: float) -> float:
        if not self.n:
            return 0.0
        rank = p / 100 * self.n
        seen = 0
        for i, c in enumerate(self.counts):
            seen += c
            if seen >= rank and c:
                return (i + 1) * _BUCKET_MS
        return _BUCKETS * _BUCKET_MS


@dataclass
class CallMetrics:
    call_id: int
    v2v_ms: list[float] = field(default_factory=list)
    overhead_ms: list[float] = field(default_factory=list)
    clear_ms: list[float] = field(default_factory=list)
    jitter: Histogram = field(default_factory=Histogram)
    barge_ins: list[tuple[int, int]] = field(default_factory=list)  # (frames sent at decision, at clear)
    interruptions: int = 0
    backchannels: int = 0
    false_interruptions: int = 0
    speculations: int = 0
    speculation_hits: int = 0
    finalizes: int = 0  # STT Finalize sent: VAD heard the caller stop with words pending
    echo_frames: int = 0  # voiced caller frames explained by the agent's own audio coming back
    echo_transcripts: int = 0  # transcripts that only repeated the words the agent was speaking
    forced_turn_ends: int = 0  # turns ended by the local deadline, without the STT's end of speech
    late_audio_dropped: int = 0
    late_tokens_dropped: int = 0
    frames_in: int = 0
    frames_out: int = 0
    malformed_frames: int = 0
    marks_timed_out: int = 0
    outcome: str = ""
    error: str = ""
    switches: list[dict] = field(default_factory=list)  # provider failovers (records from failover.Chain.fail)


_lock = threading.Condition()
_recent: deque[CallMetrics] = deque(maxlen=10_000)


def publish(m: CallMetrics) -> None:
    with _lock:
        _recent.append(m)
        _lock.notify_all()


def wait_for(call_id: int, timeout: float = 30.0) -> CallMetrics | None:
    """Block until the session of `call_id` has ended and saved everything (or `timeout`)."""
    with _lock:
        _lock.wait_for(lambda: any(m.call_id == call_id for m in _recent), timeout=timeout)
        return next((m for m in reversed(_recent) if m.call_id == call_id), None)


def recent() -> list[CallMetrics]:
    with _lock:
        return list(_recent)


def of_call(call_id: int) -> CallMetrics | None:
    with _lock:
        return next((m for m in reversed(_recent) if m.call_id == call_id), None)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
