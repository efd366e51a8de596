"""A manager listens to a live call from its page: both sides' audio arrives in the browser a few hundred ms
behind, while the call runs on unchanged. With PostgreSQL and Redis the call lives in another voice process (the
audio crosses Redis); without them, in the test's own server."""
from __future__ import annotations

import asyncio
import os
import threading

import pytest

from crm.models import Call
from crm.roles import MANAGERS, REPS
from tests.browser.conftest import log_in, screenshot
from tests.voice.calls import live_call
from voice.loopback_process import VoiceProcess, wait_until
from voice.sim.callee import CalleeLog, run_callee
from voice.tokens import make_media_token

pytestmark = [pytest.mark.browser]
CROSS_PROCESS = bool(os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL", "").startswith("postgres"))
ENV = {
    "TELEPHONY": "sim", "VOICE_STT": "rehearsal", "VOICE_LLM": "rehearsal", "VOICE_TTS": "rehearsal",
    "REHEARSAL_TTS_ENGINE": "synth", "VOICE_GREETING_WAIT_MS": "800", "CELERY_TASK_ALWAYS_EAGER": "1",
}  # fmt: skip


@pytest.fixture
def call_host(live_app, settings):
    """Where the call's media socket goes: another voice process (Redis between them) or the test's server."""
    if not CROSS_PROCESS:
        settings.REHEARSAL_TTS_ENGINE = "synth"
        yield live_app.url
        return
    with VoiceProcess(ENV, name="listen-host") as host:
        yield host.base_url


def _callee(host_url: str, call: Call, log: CalleeLog) -> threading.Thread:
    url = host_url.replace("http://", "ws://") + f"/media/{make_media_token(call.pk)}"
    thread = threading.Thread(
        target=lambda: asyncio.run(run_callee(url, call.provider_sid, "books_meeting", log=log, max_seconds=60)),
        daemon=True,
    )
    thread.start()
    return thread


def test_a_manager_hears_both_sides_of_a_live_call(page, call_host, make_user):
    make_user("morgan", MANAGERS)
    call = live_call()
    log_in(page, "morgan")
    page.goto(f"/calls/{call.pk}/")
    page.click("#listen-button")
    page.locator("#listen-state", has_text="Listening to call").wait_for()

    log = CalleeLog()
    thread = _callee(call_host, call, log)
    page.wait_for_function(
        "window.parleyListen.maxCaller > 0.02 && window.parleyListen.maxAgent > 0.02", timeout=30_000
    )
    page.locator("#transcript li.agent").first.wait_for()
    page.locator("#listen-levels", has_text="ms behind").wait_for()
    screenshot(page, "manager_listening")
    thread.join(timeout=70)
    assert not thread.is_alive()

    page.locator("#listen-state", has_text="the call ended").wait_for(timeout=15_000)
    assert page.evaluate("window.parleyListen.played") > 8000  # over a second of audio played
    assert wait_until(lambda: Call.objects.get(pk=call.pk).media_ended_at is not None, timeout=20)
    call.refresh_from_db()
    assert call.outcome == "conversation" and not call.error  # listening changed nothing: the call ran its course


def test_a_rep_cannot_listen_to_a_call_they_may_not_see(page, make_user):
    make_user("rosa", REPS)
    call = live_call()
    log_in(page, "rosa")
    assert page.goto(f"/calls/{call.pk}/").status == 404  # the page itself is refused
    page.goto("/meetings/")
    closed = page.evaluate(
        """(id) => new Promise((resolve) => {
             const ws = new WebSocket("ws://" + location.host + "/listen/" + id + "/");
             ws.onclose = (e) => resolve(e.code);
           })""",
        call.pk,
    )
    assert closed in (1006, 1008)  # refused before the handshake: no audio ever flows


