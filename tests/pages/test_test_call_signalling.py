"""The test-call page and its signalling: only Admins, CSRF-checked, a bad offer gets one sentence and loses
nothing; a saved test call reads back with its turns and latency per agent turn."""
import json

import pytest
from django.test import Client

from campaigns.models import TestCall
from crm.roles import MANAGERS
from tests import factories

pytestmark = pytest.mark.django_db


def _offer(client, slug: str, body) -> tuple[int, dict]:
    response = client.post(f"/scripts/{slug}/test-call/offer/", data=json.dumps(body),
                           content_type="application/json")  # fmt: skip
    return response.status_code, response.json()


def test_the_test_call_page_is_for_admins(client, admin_user, make_user):
    factories.script("sales")
    client.force_login(make_user("morgan", MANAGERS))
    assert client.get("/scripts/sales/test-call/").status_code == 403
    client.force_login(admin_user)
    page = client.get("/scripts/sales/test-call/").content.decode()
    assert "Start test call" in page and "Latency per agent turn" in page
    assert 'href="/scripts/sales/test-call/"' in client.get("/scripts/sales/").content.decode()
    assert 'href="/scripts/sales/test-call/?version=1"' in client.get("/scripts/sales/playground/").content.decode()


def test_only_admins_may_start_a_test_call(client, make_user):
    factories.script("sales")
    client.force_login(make_user("morgan", MANAGERS))
    status, body = _offer(client, "sales", {"sdp": "v=0\r\n", "version": 1})
    assert (status, body["error"]) == (403, "Only Admins make test calls.")
    assert not TestCall.objects.exists()


def test_the_offer_needs_the_csrf_token(admin_user):
    factories.script("sales")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    status = client.post("/scripts/sales/test-call/offer/", data="{}", content_type="application/json").status_code
    assert status == 403


def test_a_body_that_is_not_an_offer_is_refused_in_one_sentence(client, admin_user):
    factories.script("sales")
    client.force_login(admin_user)
    status, body = _offer(client, "sales", {"offer": "hello"})
    assert status == 400 and body["error"] == 'Send JSON {"sdp": "<the SDP offer>", "version": <number>}.'
    assert not TestCall.objects.exists()


def test_an_offer_webrtc_cannot_answer_is_refused_and_recorded_as_failed(client, admin_user):
    factories.script("sales")
    client.force_login(admin_user)
    status, body = _offer(client, "sales", {"sdp": "v=0\r\nm=audio nonsense\r\n", "version": 1})
    assert status == 400 and body["error"].startswith("The offer could not be answered")
    call = TestCall.objects.get()
    assert call.outcome == "failed" and call.error.startswith("The offer could not be answered")


def test_a_saved_test_call_shows_its_turns_and_latency(client, admin_user):
    version = factories.script("sales").published_version
    call = TestCall.objects.create(script_version=version, outcome="conversation", providers="rehearsal", turns=[
        {"index": 0, "speaker": "agent", "text": "Hi Jamie, I am an AI.", "heard_text": "Hi Jamie, I am an AI."},
        {"index": 1, "speaker": "caller", "text": "What is the pricing?"},
        {"index": 2, "speaker": "agent", "text": "It costs 99 dollars.", "heard_text": "It costs 99 dollars.",
         "stt_ms": 100, "llm_ms": 402, "tts_ms": 503, "v2v_ms": 503},
    ])  # fmt: skip
    client.force_login(admin_user)
    page = client.get(f"/test-calls/{call.pk}/").content.decode()
    assert "What is the pricing?" in page and "It costs 99 dollars." in page
    assert "503 ms to voice" in page and "<td class=\"num\">402</td>" in page
