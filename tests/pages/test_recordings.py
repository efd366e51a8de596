"""Recordings stream only through a permission-checked view, with byte ranges so the player can seek."""
import pytest
from django.core.files.base import ContentFile

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_whole_recording_is_served_as_audio_and_never_cached(client, rep, booked):
    client.force_login(rep.user)
    response = client.get(f"/calls/{booked.call.pk}/recording/")
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/x-wav"
    assert response["Cache-Control"] == "private, no-store"
    assert _body(response) == booked.call.recording.open("rb").read()


def test_a_byte_range_is_served_partially(client, rep, booked):
    client.force_login(rep.user)
    size = booked.call.recording.size
    response = client.get(f"/calls/{booked.call.pk}/recording/", headers={"Range": "bytes=4-11"})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 4-11/{size}"
    assert _body(response) == booked.call.recording.open("rb").read()[4:12]
    tail = client.get(f"/calls/{booked.call.pk}/recording/", headers={"Range": "bytes=-10"})
    assert len(_body(tail)) == 10


def test_an_open_range_of_a_long_recording_is_sent_in_parts(client, rep, booked):
    booked.call.recording.save("long.wav", ContentFile(bytes(range(256)) * 6000))
    client.force_login(rep.user)
    response = client.get(f"/calls/{booked.call.pk}/recording/", headers={"Range": "bytes=0-"})
    assert response.status_code == 206
    assert response["Content-Range"] == "bytes 0-1048575/1536000"
    rest = client.get(f"/calls/{booked.call.pk}/recording/", headers={"Range": "bytes=1048576-"})
    assert rest["Content-Range"] == "bytes 1048576-1535999/1536000"
    assert _body(response) + _body(rest) == bytes(range(256)) * 6000


def test_a_range_past_the_end_is_refused(client, rep, booked):
    client.force_login(rep.user)
    response = client.get(f"/calls/{booked.call.pk}/recording/", headers={"Range": "bytes=999999-"})
    assert response.status_code == 416


def test_a_call_without_a_recording_is_not_found(client, manager, booked):
    booked.call.__class__.objects.filter(pk=booked.call.pk).update(recording="")
    client.force_login(manager)
    assert client.get(f"/calls/{booked.call.pk}/recording/").status_code == 404
