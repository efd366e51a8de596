"""Items of an iterator produced by a background thread while the caller works on the previous one.

An import reads and checks rows in Python while the database writes the chunk before: psycopg releases the GIL
while it waits for the server, so the two overlap and a chunk costs about the larger of the two, not their sum."""
from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_END = object()
DRAIN_SECONDS = 0.05  # how often a closing consumer checks that the producer has stopped


def read_ahead(items: Iterable[T], depth: int = 1, name: str = "read-ahead") -> Iterator[T]:
    """Yield the items of `items` in order, produced by a daemon thread at most `depth` items ahead.

    An exception raised by `items` is raised here, at the item where it happened. Closing the returned generator
    (or leaving it through an exception) stops the thread before it returns; `items` must not use the database
    connection of the calling thread (Django's connections are per thread)."""
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                handoff.put((item, None))
                if stop.is_set():
                    return
            handoff.put((_END, None))
        except BaseException as exc:  # handed to the consumer, raised there
            handoff.put((None, exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item, error = handoff.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting to hand over an item nobody will take
            try:
                handoff.get(timeout=DRAIN_SECONDS)
            except queue.Empty:
                pass
        thread.join()
