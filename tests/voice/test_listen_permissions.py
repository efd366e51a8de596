"""Who may listen to a live call: the same rule as recordings (the call is visible to the user), only while the
call is live, only from this site's pages (a WebSocket is not covered by CSRF)."""
import pytest
from django.test import Client
from django.utils import timezone

from crm.roles import MANAGERS, REPS
from voice.listen_socket import may_listen, same_origin

from .calls import live_call

pytestmark = pytest.mark.django_db


def _session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.session.session_key


def test_a_manager_may_listen_to_a_live_call(make_user):
    call = live_call()
    assert may_listen(_session_of(make_user("morgan", MANAGERS)), call.pk) == ""


def test_a_rep_may_not_listen_to_a_call_they_may_not_see(make_user):
    call = live_call()
    rosa = make_user("rosa", REPS)
    assert may_listen(_session_of(rosa), call.pk) == f"user {rosa.pk} may not see call {call.pk}"


def test_nobody_listens_to_a_call_that_is_over_or_without_a_login(make_user):
    call = live_call()
    session = _session_of(make_user("morgan", MANAGERS))
    call.media_ended_at = timezone.now()
    call.save(update_fields=["media_ended_at"])
    assert may_listen(session, call.pk) == f"call {call.pk} is not live"
    assert may_listen("no-such-session", call.pk) == "not logged in"


def test_only_this_sites_pages_may_open_the_socket():
    assert same_origin({"origin": "http://127.0.0.1:8000", "host": "127.0.0.1:8000"})
    assert not same_origin({"origin": "https://evil.example", "host": "127.0.0.1:8000"})
    assert not same_origin({"host": "127.0.0.1:8000"})  # no Origin: not a browser page of ours
