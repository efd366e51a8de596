"""What every vendor emulator shares: armed faults and a record of what the emulator observed.

Faults are armed per connection or per request and may be matched to one call (by the `tag`, `user` or
`context_id` the adapters send), so a test can break one call while another on the same process goes on.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CONNECT_FAULTS = ("reject_429", "reject_503")
STREAM_FAULTS = ("never_answer", "close_mid_stream", "malformed")
FAULTS = CONNECT_FAULTS + STREAM_FAULTS


@dataclass
class Fault:
    kind: str
    match: Callable[[dict[str, Any]], bool] | None = None
    times: int = 1
    after: int = 1  # units of stream (chunks, tokens, results) delivered before a mid-stream fault fires

    def __post_init__(self) -> None:
        if self.kind not in FAULTS:
            raise ValueError(f"unknown fault {self.kind!r}; choose one of {', '.join(FAULTS)}")

    @property
    def stage(self) -> str:
        return "connect" if self.kind in CONNECT_FAULTS else "stream"

    @property
    def status(self) -> int:
        return {"reject_429": 429, "reject_503": 503}.get(self.kind, 500)


@dataclass
class Observed:
    kind: str
    data: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class Recorder:
    """Everything an emulator saw or did, in order; tests await entries instead of sleeping."""

    def __init__(self) -> None:
        self.entries: list[Observed] = []
        self._changed = asyncio.Event()

    def record(self, event: str, /, **data: Any) -> None:
        self.entries.append(Observed(event, data))
        self._changed.set()

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e.data for e in self.entries if e.kind == kind]

    def count(self, kind: str) -> int:
        return len(self.of(kind))

    async def wait_for(
        self, kind: str, predicate: Callable[[dict[str, Any]], bool] | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        """The first entry of `kind` (matching `predicate`), waiting for it to happen."""
        async with asyncio.timeout(timeout):
            while True:
                for entry in self.entries:
                    if entry.kind == kind and (predicate is None or predicate(entry.data)):
                        return entry.data
                self._changed.clear()
                await self._changed.wait()


class FaultBook:
    """Faults armed by a test (or the command line), consumed as connections and requests arrive."""

    def __init__(self) -> None:
        self._armed: list[Fault] = []

    def arm(self, kind: str, *, match: Callable[[dict[str, Any]], bool] | None = None, times: int = 1,
            after: int = 1) -> Fault:
        fault = Fault(kind, match=match, times=times, after=after)
        self._armed.append(fault)
        return fault

    def clear(self) -> None:
        self._armed.clear()

    def take(self, stage: str, info: dict[str, Any]) -> Fault | None:
        for fault in self._armed:
            if fault.stage == stage and fault.times > 0 and (fault.match is None or fault.match(info)):
                fault.times -= 1
                return fault
        return None


def parse_fault_args(values: list[str]) -> list[tuple[str, int]]:
    """`--fault kind[:after]` from a command line."""
    parsed = []
    for value in values:
        kind, _, after = value.partition(":")
        parsed.append((kind, int(after or 1)))
    return parsed
