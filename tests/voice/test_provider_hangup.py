"""The provider reports the call over (the dialer's status webhook): the session ends at once and saves it."""
import threading

from crm.models import Call
from voice import live

from .calls import converse, live_call


def test_a_hangup_from_the_provider_ends_the_session_with_what_was_said(voice_server):
    call = live_call()
    timer = threading.Timer(4.0, live.notify, args=(call.pk, "hangup"))
    timer.start()
    log, m = converse(call, "books_meeting")
    timer.join()

    call.refresh_from_db()
    assert log.hung_up_by == "agent"  # the stream was closed from our side, as Twilio would
    assert call.outcome == Call.Outcome.HUNG_UP and call.media_ended_at is not None
    assert call.turns.filter(speaker="caller", text="Hello?").exists()
    assert m.frames_in * 0.02 < 10
