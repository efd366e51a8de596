"""Only a valid, unexpired token for a live call opens the media stream; anything else is refused before audio."""
import datetime as dt

import time_machine
from django.utils import timezone

from crm.models import Call
from voice.tokens import make_media_token, media_stream_url

from .calls import converse, live_call


def _stream_url(token: str) -> str:
    return media_stream_url(0).rsplit("/", 1)[0] + "/" + token


def test_a_forged_token_is_refused_before_any_audio(voice_server):
    call = live_call()
    log, _ = converse(call, "books_meeting", url=_stream_url(make_media_token(call.pk) + "x"), max_seconds=5)

    assert log.refused and log.agent_frames == 0 and not log.said
    call.refresh_from_db()
    assert call.media_started_at is None


def test_an_expired_token_is_refused(voice_server):
    call = live_call()
    with time_machine.travel(timezone.now() - dt.timedelta(hours=2)):
        old = make_media_token(call.pk)
    log, _ = converse(call, "books_meeting", url=_stream_url(old), max_seconds=5)

    assert log.refused and log.agent_frames == 0
    call.refresh_from_db()
    assert call.media_started_at is None


def test_a_token_for_a_call_that_already_ended_is_refused(voice_server):
    call = live_call()
    Call.objects.filter(pk=call.pk).update(status=Call.Status.COMPLETED)
    log, _ = converse(call, "books_meeting", max_seconds=5)

    assert log.refused and log.agent_frames == 0
