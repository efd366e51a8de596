"""An admin talks to a script from the browser: Chromium's fake microphone plays a WAV of the caller's line
(spoken by espeak-ng), the agent's voice comes back over WebRTC, captions show both sides, and the conversation
is saved as a test call of that script version with its latency per turn."""
from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from campaigns.models import TestCall
from crm.models import Call
from crm.roles import ADMINS
from tests import factories
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, log_in, screenshot

pytestmark = [pytest.mark.browser]
CALLER_LINE = "What is the pricing?"


def caller_wav(path: Path, text: str, lead_s: float = 9.0, tail_s: float = 30.0) -> Path:
    """`text` spoken by espeak-ng, with silence before (the agent's opening plays meanwhile) and after (Chromium
    loops the file: the line comes once in the test's span)."""
    spoken = path.with_suffix(".speech.wav")
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(spoken), text], check=True, timeout=30)
    with wave.open(str(spoken)) as src:
        params, frames = src.getparams(), src.readframes(src.getnframes())
    silence = b"\x00" * params.sampwidth * params.nchannels
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(silence * int(params.framerate * lead_s) + frames + silence * int(params.framerate * tail_s))
    return path


@pytest.fixture
def mic_page(browser, live_app, tmp_path):
    """A tab of a Chromium whose fake microphone plays the caller's line (a second browser: flags are per launch)."""
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is missing: apt-get install espeak-ng")
    from aioice.ice import get_host_addresses

    if not get_host_addresses(use_ipv4=True, use_ipv6=True):
        pytest.skip("WebRTC needs a network interface besides loopback (ICE never uses 127.0.0.1)")
    wav = caller_wav(tmp_path / "caller.wav", CALLER_LINE)
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-audio-capture={wav}"],
    )
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_app.url)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()
    chromium.close()


def test_an_admin_talks_to_a_script_and_the_test_call_is_saved(mic_page, make_user, settings):
    page = mic_page
    make_user("ada", ADMINS)
    script = factories.script()
    version = script.published_version
    log_in(page, "ada")
    page.goto(f"/scripts/{script.slug}/")
    page.click("#test-call-link")
    page.click("#tc-start")

    # the agent's opening arrives as audio and as a caption
    page.locator("#tc-transcript li.agent", has_text="AI assistant").wait_for()
    page.wait_for_function("window.parleyTestCall.bytes > 4000 && window.parleyTestCall.level > 0.01")

    # rehearsal STT: the line typed is the transcript of the next utterance, timed by the microphone's audio
    page.fill("#tc-say-text", CALLER_LINE)
    page.click("#tc-say-button")
    page.locator("#tc-transcript li.caller", has_text=CALLER_LINE).wait_for()
    page.locator("#tc-transcript li.agent", has_text="99 dollars").wait_for()
    page.locator("#tc-latency tr td.num").first.wait_for()
    screenshot(page, "test_call_mid_conversation")

    page.click("#tc-hangup")
    page.locator("#test-call-result", has_text="Test call #").wait_for()

    saved = TestCall.objects.get()
    assert saved.script_version == version and saved.ended_at is not None
    spoken = [(t["speaker"], t["text"]) for t in saved.turns]
    assert ("caller", CALLER_LINE) in spoken
    assert any(s == "agent" and "99 dollars" in text for s, text in spoken)
    timed = [t for t in saved.turns if t.get("v2v_ms") is not None]
    assert timed and all(t["v2v_ms"] < 5000 for t in timed)
    assert saved.recording
    assert not Call.objects.exists()  # a test call is never a campaign call
