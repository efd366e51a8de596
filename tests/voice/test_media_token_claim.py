"""A media token opens one stream for its own call: a replayed URL, a foreign callSid or accountSid is refused
(close 1008) before the agent says a word; and the token never reaches the logs."""
from __future__ import annotations

import asyncio
import logging
import threading
import time

import uvicorn
from django.conf import settings

from crm.models import Call
from voice import db, metrics
from voice.sim.callee import CalleeLog, run_callee
from voice.tokens import make_media_token, media_stream_url

from .calls import agent_turns, caller_turns, live_call
from .media_client import open_stream

POLICY_VIOLATION = 1008


async def _until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def test_a_replayed_token_is_refused_while_the_first_stream_talks(voice_server):
    call = live_call()
    url = media_stream_url(call.pk)
    first = CalleeLog(record_events=True)

    async def scenario():
        talk = asyncio.create_task(run_callee(url, call.provider_sid, "books_meeting", log=first, max_seconds=60))
        assert await _until(lambda: first.agent_frames > 0, 15), "the first stream never heard the agent"
        second = await open_stream(url, call.provider_sid, seconds=3)
        await talk
        return second

    second = asyncio.run(scenario())
    metrics.wait_for(call.pk, timeout=30)

    assert second.close_code == POLICY_VIOLATION and second.agent_frames == 0
    assert not first.refused and first.said
    call.refresh_from_db()
    assert call.outcome not in ("failed", "hung_up")
    assert [t.text for t in caller_turns(call)] == first.said  # every turn of the real stream was kept
    assert len(agent_turns(call)) >= 2


def test_a_start_naming_another_call_sid_is_refused(voice_server):
    call = live_call()
    out = asyncio.run(open_stream(media_stream_url(call.pk), "CA" + "0" * 32, seconds=3))

    assert out.close_code == POLICY_VIOLATION and out.agent_frames == 0
    call.refresh_from_db()
    assert call.media_started_at is None


def test_a_start_naming_another_account_is_refused(voice_server):
    call = live_call()
    out = asyncio.run(open_stream(media_stream_url(call.pk), call.provider_sid, account_sid="ACsomeoneelse", seconds=3))

    assert out.close_code == POLICY_VIOLATION and out.agent_frames == 0
    call.refresh_from_db()
    assert call.media_started_at is None


def test_the_first_stream_binds_a_call_whose_sid_was_not_saved_yet(voice_server):
    call = live_call()
    sid = call.provider_sid
    Call.objects.filter(pk=call.pk).update(provider_sid=None)
    first = asyncio.run(open_stream(media_stream_url(call.pk), sid, seconds=2))

    assert first.close_code != POLICY_VIOLATION and first.agent_frames > 0
    call.refresh_from_db()
    assert call.provider_sid == sid and call.media_started_at is not None


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_tokens_never_reach_uvicorns_or_our_logs(transactional_db, eager_celery):
    """A real uvicorn run with its own logging config at INFO and access logs on."""
    from config.asgi import application

    capture = _Capture()
    names = ("uvicorn.error", "uvicorn.access", "")
    config = uvicorn.Config(application, host="127.0.0.1", port=0, log_level="info", access_log=True,
                            lifespan="off", ws="websockets-sansio")  # fmt: skip
    server = uvicorn.Server(config)
    for name in names:
        logging.getLogger(name).addHandler(capture)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    previous = settings.PUBLIC_BASE_URL
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.01)
        settings.PUBLIC_BASE_URL = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        live = live_call()
        good = make_media_token(live.pk)
        forged = make_media_token(live.pk) + "x"
        asyncio.run(open_stream(media_stream_url(0).rsplit("/", 1)[0] + "/" + forged, live.provider_sid, seconds=0.5))
        asyncio.run(open_stream(media_stream_url(live.pk), live.provider_sid, seconds=1))
        asyncio.run(open_stream(media_stream_url(live.pk), live.provider_sid, seconds=0.5))  # replay
        metrics.wait_for(live.pk, timeout=30)
    finally:
        settings.PUBLIC_BASE_URL = previous
        server.should_exit = True
        thread.join(timeout=10)
        db.shutdown()  # the DB pool's threads close their connections, as the voice process does at exit
        for name in names:
            logging.getLogger(name).removeHandler(capture)

    handshakes = [line for line in capture.lines if '"WebSocket /media/' in line]
    assert len(handshakes) >= 3, capture.lines  # the server did log each handshake…
    signature = good.rsplit(":", 1)[1]
    for line in capture.lines:  # …but no token, nor its signature, nor the forged one
        assert signature not in line and good not in line and forged not in line, line
