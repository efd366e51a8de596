"""Twilio Media Streams messages in and out."""
import base64
import json

import pytest

from voice import media_streams as ms
from voice.audio import SILENCE_FRAME


def test_a_media_frame_decodes_to_its_audio():
    text = ms.inbound_media_message("MZ1", 3, 7, 140, SILENCE_FRAME)
    event = ms.decode(text)
    assert event == ms.Media(SILENCE_FRAME, chunk=7, timestamp=140)


def test_start_carries_the_stream_and_call_sids_and_custom_parameters():
    event = ms.decode(ms.start_message("MZ1", "CA1", "AC1", {"call_id": "9"}))
    assert (event.stream_sid, event.call_sid, event.custom_parameters) == ("MZ1", "CA1", {"call_id": "9"})


@pytest.mark.parametrize(
    "text",
    [
        "nope",
        "[]",
        json.dumps({"event": "media", "media": {"payload": "@@@"}}),
        json.dumps({"event": "media", "media": {"payload": ""}}),
        json.dumps({"event": "mark"}),
        json.dumps({"event": "start", "start": {}}),
        json.dumps({"event": "unheard-of"}),
    ],
)
def test_malformed_messages_raise_a_clear_error(text):
    with pytest.raises(ms.MalformedFrame):
        ms.decode(text)


def test_outbound_media_mark_and_clear_are_what_twilio_expects():
    media = json.loads(ms.media_message("MZ1", b"\x01" * 160))
    payload = base64.b64encode(b"\x01" * 160).decode()
    assert media == {"event": "media", "streamSid": "MZ1", "media": {"payload": payload}}
    assert json.loads(ms.mark_message("MZ1", "4:0")) == {"event": "mark", "streamSid": "MZ1", "mark": {"name": "4:0"}}
    assert json.loads(ms.clear_message("MZ1")) == {"event": "clear", "streamSid": "MZ1"}
