"""The voice loop's database access survives a blip: a killed connection is reopened, a failed operation is
retried up to a deadline, calls do not queue behind each other, and the pool closes its connections."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest
from django.conf import settings
from django.db import OperationalError, connection

from voice import db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="terminates PostgreSQL backends")


@pytest.fixture
def pool(transactional_db, settings):
    """The scenarios kill backends inside one event loop, as in the voice process (whose threads outlive calls)."""
    settings.VOICE_DB_THREADS = 4
    settings.VOICE_DB_DEADLINE_S = 5.0
    db.shutdown()
    yield
    db.shutdown()


def _slow_query(seconds: float) -> int:
    from django.db import connection as conn

    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute("SELECT pg_sleep(%s)", [seconds])
        else:
            time.sleep(seconds)
            cursor.execute("SELECT 1")
    return 1


def _backend_pid() -> int:
    from django.db import connection as conn

    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _others() -> list[int]:
    """Backends on this database other than the test's own connection (call from the test's thread)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def _terminate(pids: list[int] | None = None, spare: int = 0) -> None:
    """pg_terminate_backend on `pids`, or on every backend of this database but `spare` and the killer's own,
    from a thread of its own (whose connection it closes), so it can run inside the event loop."""

    def kill() -> None:
        from django.db import connection as conn

        try:
            with conn.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND pid <> %s AND (%s OR pid = ANY(%s))",
                    [spare, pids is None, pids or []],
                )
        finally:
            conn.close()

    thread = threading.Thread(target=kill)
    thread.start()
    thread.join(10)


def _own_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_two_concurrent_one_second_operations_take_one_second_not_two(pool):
    async def both() -> float:
        started = time.monotonic()
        await asyncio.gather(db.run(_slow_query, 1.0), db.run(_slow_query, 1.0))
        return time.monotonic() - started

    assert asyncio.run(both()) < 1.7


@postgres_only
def test_a_connection_killed_by_the_server_is_reopened_for_the_next_operation(pool, settings):
    settings.VOICE_DB_THREADS = 1
    db.shutdown()

    async def scenario() -> tuple[int, int]:
        first = await db.run(_backend_pid)
        _terminate([first])
        return first, await db.run(_backend_pid)

    first, second = asyncio.run(scenario())
    assert second != first


@postgres_only
def test_every_connection_killed_mid_call_no_operation_is_lost(pool):
    mine = _own_pid()

    async def scenario() -> list[int]:
        await asyncio.gather(*(db.run(_slow_query, 0.1) for _ in range(8)))  # every pool thread holds a connection
        _terminate(spare=mine)
        return await asyncio.gather(*(db.run(_slow_query, 0.05) for _ in range(8)))

    assert asyncio.run(scenario()) == [1] * 8


def test_an_outage_shorter_than_the_deadline_is_ridden_out(pool):
    failures = iter([OperationalError("server closed the connection unexpectedly")] * 3)

    def flaky() -> str:
        exc = next(failures, None)
        if exc is not None:
            raise exc
        return "saved"

    assert asyncio.run(db.run(flaky)) == "saved"


def test_an_outage_past_the_deadline_raises_the_database_error(pool, settings):
    settings.VOICE_DB_DEADLINE_S = 0.3

    def down() -> None:
        raise OperationalError("connection refused")

    started = time.monotonic()
    with pytest.raises(OperationalError):
        asyncio.run(db.run(down))
    assert time.monotonic() - started < 1.5


def test_other_errors_are_not_retried(pool):
    calls = []

    def broken() -> None:
        calls.append(1)
        raise ValueError("a bug, not a blip")

    with pytest.raises(ValueError):
        asyncio.run(db.run(broken))
    assert calls == [1]


@postgres_only
def test_shutting_the_pool_down_closes_its_threads_connections(pool):
    def pid_after_a_while() -> int:
        _slow_query(0.2)  # held long enough that the four run on four threads
        return _backend_pid()

    async def use_all() -> set[int]:
        return set(await asyncio.gather(*(db.run(pid_after_a_while) for _ in range(4))))

    pool_pids = asyncio.run(use_all())
    assert pool_pids and pool_pids <= set(_others())
    db.shutdown()
    from voice.loopback_process import wait_until

    # A closed backend leaves pg_stat_activity a moment after its socket closes.
    assert wait_until(lambda: not pool_pids & set(_others()), timeout=10), pool_pids & set(_others())


@postgres_only
@pytest.mark.skipif(not settings.REDIS_URL, reason="the callee's words reach a separate voice process via Redis")
def test_killing_the_voice_process_connections_mid_call_loses_no_turn_and_tools_still_work(transactional_db):
    from crm.models import Call, Turn
    from voice.loopback_process import VoiceProcess, wait_until
    from voice.sim.callee import CalleeLog, run_callee
    from voice.tokens import make_media_token

    from .calls import live_call
    from .test_cross_process_events import ENV

    call = live_call()
    log = CalleeLog()
    mine = _own_pid()
    with VoiceProcess(ENV, name="blip") as voice:
        url = f"ws://127.0.0.1:{voice.port}/media/{make_media_token(call.pk)}"
        thread = threading.Thread(
            target=lambda: asyncio.run(run_callee(url, call.provider_sid, "books_meeting", log=log, max_seconds=40))
        )
        thread.start()
        assert wait_until(lambda: Turn.objects.filter(call=call, speaker="caller").exists(), 20), voice.log_text()
        _terminate(spare=mine)  # every connection of the voice process, mid-call
        thread.join(60)
        assert wait_until(lambda: Call.objects.filter(pk=call.pk, media_ended_at__isnull=False).exists(), 20)
        text = voice.log_text()

    call.refresh_from_db()
    caller = list(call.turns.filter(speaker="caller").order_by("index").values_list("text", flat=True))
    agent = list(call.turns.filter(speaker="agent").order_by("index").values_list("text", flat=True))
    assert caller == log.said, text  # no caller turn lost
    assert call.outcome not in ("failed", "hung_up") and "technical problem" not in " ".join(agent), text
    assert any("calendar" in t for t in agent), agent  # the availability tool ran after the blip
