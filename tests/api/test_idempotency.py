"""Idempotency-Key on creates: a retried request creates nothing twice and gets the first answer."""
import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from api.idempotency import run_once
from api.models import IdempotencyRecord
from campaigns.models import CampaignLead, LeadImport
from crm.models import Lead
from tests import factories

pytestmark = pytest.mark.django_db
KEY = {"Idempotency-Key": "8f14e45f-create-ada"}


def test_the_same_key_and_body_gets_the_first_answer_and_creates_once(as_manager):
    factories.campaign("spring")
    body = {"phone": "+12125550143", "first_name": "Ada", "campaign": "spring"}
    first = as_manager.post("/leads", body, headers=KEY)
    again = as_manager.post("/leads", body, headers=KEY)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Lead.objects.count() == 1 and LeadImport.objects.count() == 1


def test_the_same_key_with_another_body_is_refused_with_422(as_manager):
    as_manager.post("/leads", {"phone": "+12125550143"}, headers=KEY)
    response = as_manager.post("/leads", {"phone": "+12125550144"}, headers=KEY)
    assert response.status_code == 422
    assert "different request" in response.json()["detail"]
    assert Lead.objects.count() == 1


def test_the_same_key_on_another_endpoint_is_refused(as_manager):
    as_manager.post("/leads", {"phone": "+12125550143"}, headers=KEY)
    response = as_manager.post("/leads/batch", {"leads": [{"phone": "+12125550143"}]}, headers=KEY)
    assert response.status_code == 422


def test_keys_belong_to_their_user(as_manager, as_admin):
    as_manager.post("/leads", {"phone": "+12125550143"}, headers=KEY)
    response = as_admin.post("/leads", {"phone": "+12125550144"}, headers=KEY)
    assert response.status_code == 201


def test_an_enrollment_retried_with_its_key_enrolls_once(as_manager):
    campaign = factories.campaign("spring")
    lead = factories.lead()
    body = {"lead_ids": [lead.pk]}
    first = as_manager.post("/campaigns/spring/enroll", body, headers=KEY).json()
    again = as_manager.post("/campaigns/spring/enroll", body, headers=KEY).json()
    assert first == again and first["enrolled"] == 1
    assert CampaignLead.objects.filter(campaign=campaign).count() == 1
    assert LeadImport.objects.count() == 1


def test_a_request_still_running_with_the_key_gets_409(manager):
    from api.idempotency import IdempotencyConflict

    def run():
        with pytest.raises(IdempotencyConflict) as inner:
            run_once(manager, "k", "POST /leads", {"a": 1}, lambda: (201, {}))
        assert inner.value.status == 409
        return 201, {"ok": True}

    assert run_once(manager, "k", "POST /leads", {"a": 1}, run) == (201, {"ok": True})


def test_a_key_is_forgotten_after_its_hours(manager, settings):
    settings.API_IDEMPOTENCY_HOURS = 24
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert run_once(manager, "k", "POST /leads", {"a": 1}, lambda: (201, {"n": 1})) == (201, {"n": 1})
    with time_machine.travel(start + dt.timedelta(hours=25), tick=False):
        assert run_once(manager, "k", "POST /leads", {"a": 2}, lambda: (201, {"n": 2})) == (201, {"n": 2})
    assert IdempotencyRecord.objects.count() == 1


def test_a_request_that_failed_leaves_its_key_free_for_a_retry(manager):
    def boom():
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        run_once(manager, "k", "POST /leads", {"a": 1}, boom)
    assert not IdempotencyRecord.objects.exists()
    assert run_once(manager, "k", "POST /leads", {"a": 1}, lambda: (201, {"ok": True})) == (201, {"ok": True})
