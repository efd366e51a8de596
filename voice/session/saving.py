"""Saving: the session's writes to the system of record, through `voice.db.run` (never the shared
`sync_to_async` thread). Turns stay in memory until durably written: a writer task saves them in order, retries
a failed write with backoff, and `close` flushes what is left (with a deadline) before the call's end is saved.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from voice import db

log = logging.getLogger(__name__)

RETRY_FIRST_S = 0.2  # first wait after a failed turn write; doubles up to RETRY_MAX_S
RETRY_MAX_S = 2.0
FLUSH_DEADLINE_S = 15.0  # at close: keep retrying unsaved turns this long, then log them and give up


class Saving:
    """Mixed into CallSession: turns, and other writes the call must not lose."""

    def _save(self, fn, *args, **kwargs) -> asyncio.Task:
        """Run the database function `fn(*args, **kwargs)` through `voice.db.run`; close awaits it."""
        task = asyncio.create_task(db.run(fn, *args, **kwargs))
        self._saves.add(task)
        task.add_done_callback(self._saved)
        return task

    def _saved(self, task: asyncio.Task) -> None:
        self._saves.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call %s: could not save: %r", self.call_id, task.exception())

    def _save_turn(self, speaker: str, text: str, **fields: Any) -> int:
        """Queue one turn for writing (it gets the next index); returns its index."""
        index, self.turn_index = self.turn_index, self.turn_index + 1
        self._unsaved[index] = {"index": index, "speaker": speaker, "text": text, **fields}
        self._turns_queued.set()
        if self.observer is not None:
            self.observer.turn(self._unsaved[index])
        return index

    async def _write_turns(self) -> bool:
        """Write every unsaved turn in one go (idempotent: a retried turn is not written twice); False on failure."""
        batch = [self._unsaved[i] for i in sorted(self._unsaved)]
        if not batch:
            return True
        try:
            await db.run(self.records.save_turns, self.call_id, batch)
        except Exception as exc:
            log.warning("call %s: could not save %d turn(s) yet (%r); retrying", self.call_id, len(batch), exc)
            return False
        for turn in batch:
            self._unsaved.pop(turn["index"], None)
        return True

    async def _turn_writer(self) -> None:
        """Stage task: save turns as they come, retrying with backoff while the database is unavailable."""
        while True:
            await self._turns_queued.wait()
            self._turns_queued.clear()
            delay = RETRY_FIRST_S
            while self._unsaved and not await self._write_turns():
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)

    async def _flush_turns(self, deadline_s: float = FLUSH_DEADLINE_S) -> bool:
        """At close: write what is left, retrying until `deadline_s`; False (and the turns logged) if it could not."""
        loop = asyncio.get_running_loop()
        until = loop.time() + deadline_s
        delay = RETRY_FIRST_S
        while self._unsaved:
            if await self._write_turns():
                break
            if loop.time() + delay > until:
                log.error("call %s: turns lost after %.0f s of retries: %r", self.call_id, deadline_s,
                          [self._unsaved[i] for i in sorted(self._unsaved)])
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)
        return True
