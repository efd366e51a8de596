"""An admin talks to a script from the browser: Chromium's fake microphone plays a WAV of the caller's line, the
agent's voice comes back over WebRTC, captions show both sides, and the conversation is saved as a test call of that
script version with its latency per turn.

Two ways the session learns the caller's words, as a deployment would have them:
- the rehearsal STT (no speech recognition configured): the line spoken by espeak-ng is also typed in the "Say"
  box, and becomes the transcript of the microphone's next utterance;
- the local Whisper STT (VOICE_STT=whisper, `make local-voice`): the line spoken by the local Piper voice, nothing
  typed (the box is not on the page); the words come from the audio alone. Skips without the extra, fails on CI."""
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
from tests.voice.real_speech import require_local_voice
from voice.sim.wer import wer

pytestmark = [pytest.mark.browser]
CALLER_LINE = "What is the pricing?"


def with_silence(path: Path, spoken: Path, lead_s: float = 9.0, tail_s: float = 30.0) -> Path:
    """`spoken` with silence before (the agent's opening plays meanwhile) and after (Chromium loops the file: the
    line comes once in the test's span), written to `path`."""
    with wave.open(str(spoken)) as src:
        params, frames = src.getparams(), src.readframes(src.getnframes())
    silence = b"\x00" * params.sampwidth * params.nchannels
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(silence * int(params.framerate * lead_s) + frames + silence * int(params.framerate * tail_s))
    return path


def espeak_wav(path: Path, text: str) -> Path:
    """`text` spoken by espeak-ng (22.05 kHz PCM), with `with_silence` around it."""
    spoken = path.with_suffix(".speech.wav")
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(spoken), text], check=True, timeout=30)
    return with_silence(path, spoken)


def piper_wav(path: Path, text: str) -> Path:
    """`text` spoken by the local Piper voice (as the simulated callees speak it: 8 kHz, through mu-law), as 16-bit
    PCM, with `with_silence` around it."""
    import numpy as np

    from voice.providers.piper import load_voice
    from voice.providers.resample import ulaw_to_float

    ulaw = load_voice().synthesize(text, varied=False)  # the same audio every run
    pcm = (np.clip(ulaw_to_float(ulaw), -1.0, 1.0) * 32767).astype("<i2").tobytes()
    spoken = path.with_suffix(".speech.wav")
    with wave.open(str(spoken), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(pcm)
    return with_silence(path, spoken)


@pytest.fixture
def mic_tab(browser, live_app):
    """`mic_tab(wav)`: a tab of a Chromium whose fake microphone plays `wav` (a second browser: flags are per
    launch)."""
    from aioice.ice import get_host_addresses

    if not get_host_addresses(use_ipv4=True, use_ipv6=True):
        pytest.skip("WebRTC needs a network interface besides loopback (ICE never uses 127.0.0.1)")
    opened = []

    def open_tab(wav: Path):
        chromium = browser.browser_type.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-audio-capture={wav}"],
        )
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_app.url)
        context.set_default_timeout(20_000)
        opened.append((context, chromium))
        return context.new_page()

    yield open_tab
    for context, chromium in opened:
        context.close()
        chromium.close()


@pytest.fixture
def mic_page(mic_tab, tmp_path):
    """A tab whose fake microphone plays the caller's line spoken by espeak-ng."""
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is missing: apt-get install espeak-ng")
    return mic_tab(espeak_wav(tmp_path / "caller.wav", CALLER_LINE))


def start_test_call(page, script) -> None:
    """Ada opens the script's test-call page and starts the call; the agent's opening arrives as audio and as a
    caption."""
    log_in(page, "ada")
    page.goto(f"/scripts/{script.slug}/")
    page.click("#test-call-link")
    page.click("#tc-start")
    page.locator("#tc-transcript li.agent", has_text="AI assistant").wait_for()
    page.wait_for_function("window.parleyTestCall.bytes > 4000 && window.parleyTestCall.level > 0.01")


def test_an_admin_talks_to_a_script_and_the_test_call_is_saved(mic_page, make_user, settings):
    page = mic_page
    make_user("ada", ADMINS)
    script = factories.script()
    version = script.published_version
    start_test_call(page, script)

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


def test_with_whisper_the_callers_words_come_from_the_microphone_audio(mic_tab, make_user, settings, tmp_path):
    """VOICE_STT=whisper: nothing is typed (there is no box to type in); the caption and the saved turn hold what
    Whisper heard in the fake microphone's audio, and the agent answers it."""
    require_local_voice()
    from voice.providers.factory import warm_local_models

    settings.VOICE_STT = "whisper"
    warm_local_models()  # as the server's start-up does: the call must not wait for the model to load
    page = mic_tab(piper_wav(tmp_path / "caller.wav", CALLER_LINE))
    make_user("ada", ADMINS)
    script = factories.script()
    start_test_call(page, script)
    assert page.locator("#tc-say").count() == 0

    # the line starts 9 s into the microphone's audio; Whisper's words are the caller's caption
    page.locator("#tc-transcript li.caller", has_text="pricing").wait_for(timeout=30_000)
    heard_energy = page.evaluate("window.parleyTestCall.energy")
    page.locator("#tc-transcript li.agent", has_text="99 dollars").wait_for()
    page.locator("#tc-latency tr td.num").first.wait_for()
    # the answer came as audio, not only as a caption: sound (not silence frames) arrived after the caller's turn
    page.wait_for_function(f"window.parleyTestCall.energy > {heard_energy} + 0.01")
    screenshot(page, "test_call_whisper_mid_conversation")

    page.click("#tc-hangup")
    page.locator("#test-call-result", has_text="Test call #").wait_for()
    saved = TestCall.objects.get()
    assert saved.providers.startswith("whisper /")
    heard = [t for t in saved.turns if t["speaker"] == "caller"]
    assert len(heard) == 1 and wer(CALLER_LINE, heard[0]["text"]) <= 0.25, saved.turns
    assert heard[0]["stt_ms"] is not None  # the end of the caller's turn measured from the end of their speech
    answer = next(t for t in saved.turns if t["speaker"] == "agent" and t["index"] > heard[0]["index"])
    assert "99 dollars" in answer["text"] and answer["v2v_ms"] is not None
