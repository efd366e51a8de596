"""A rep opens a meeting the agent booked, reads the transcript with its interruption and plays the recording."""
import pytest
from django.core.files.base import ContentFile

from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser]


def test_a_rep_opens_a_booked_meeting_reads_the_transcript_and_plays_the_recording(page):
    rep = factories.rep("riley")
    rep.user.first_name, rep.user.last_name = "Riley", "Chen"
    rep.user.save()
    campaign = factories.campaign("spring", name="Spring outreach")
    lead = factories.lead(first_name="Pat", last_name="Lee", company="Globex", email="pat@globex.example")
    call = factories.finished_call(
        factories.hopper_entry(campaign, lead),
        "booked",
        summary="Pat leads a 12-person sales team that books demos from spreadsheets; wants to see pricing.",
        extracted={"team_size": "12", "current_tool": "spreadsheets"},
    )
    call.recording.save("call.wav", ContentFile(factories.wav_bytes(2.0)))
    factories.conversation(call)
    meeting = factories.meeting(rep, call=call)

    log_in(page, "riley")
    page.get_by_role("link", name="My meetings").click()
    page.get_by_role("link", name="Pat Lee").click()
    page.wait_for_url(f"**/meetings/{meeting.pk}/")

    transcript = page.locator("#transcript")
    assert "Tuesday at 10 works." in transcript.inner_text()
    interrupted = transcript.locator("li.interrupted")
    assert interrupted.locator(".heard").inner_text() == "We help sales teams book more meetings."
    assert interrupted.locator(".cut").inner_text().startswith("I'd love to set up a short call")
    assert page.locator("#summary").get_by_text("Pat leads a 12-person sales team").is_visible()

    audio = page.locator("#recording audio")
    audio.evaluate("a => a.play()")
    page.wait_for_function("document.querySelector('#recording audio').currentTime > 0.2")
    assert audio.evaluate("a => a.duration") == pytest.approx(2.0, abs=0.05)
    audio.evaluate("a => a.pause()")

    screenshot(page, "meeting-page")
