"""An event sent before the session subscribed to its call's events is not lost: the session re-reads its call
row once it is subscribed (AMD verdict, provider hang-up) and acts on it."""
import dataclasses

from django.utils import timezone

from crm.models import Call
from voice import records

from .calls import agent_turns, converse, live_call


def _stale_info(monkeypatch, **changes):
    """The session starts from what the handler read (before the event), while the row already has the event."""
    load = records.load_live_call

    def stale(call_id):
        info = load(call_id)
        return dataclasses.replace(info, **changes) if info is not None else None

    monkeypatch.setattr(records, "load_live_call", stale)


def test_an_amd_verdict_written_before_the_session_subscribed_still_switches_to_voicemail(voice_server, monkeypatch):
    call = live_call(answered_by="machine_end_beep")
    _stale_info(monkeypatch, answered_by="")  # the verdict was published before anyone listened
    log, m = converse(call, "voicemail", max_seconds=60)

    call.refresh_from_db()
    assert [t.text for t in agent_turns(call)] == [call.script_version.voicemail_message]
    assert call.outcome == Call.Outcome.VOICEMAIL


def test_a_hang_up_reported_before_the_session_subscribed_ends_it_at_once(voice_server, monkeypatch):
    call = live_call()
    Call.objects.filter(pk=call.pk).update(status=Call.Status.COMPLETED, ended_at=timezone.now())
    monkeypatch.setattr(records, "claim_media", lambda call_id, sid, at: True)  # the row is no longer live
    monkeypatch.setattr(records, "load_live_call", _live_anyway(records.load_live_call))
    log, m = converse(call, "books_meeting", max_seconds=30)

    assert log.hung_up_by == "agent" and log.agent_frames == 0  # nothing was said on a line already gone
    assert m.outcome == "hung_up"


def _live_anyway(load):
    def read(call_id):
        Call.objects.filter(pk=call_id).update(status=Call.Status.IN_PROGRESS)
        try:
            return load(call_id)
        finally:
            Call.objects.filter(pk=call_id).update(status=Call.Status.COMPLETED)

    return read
