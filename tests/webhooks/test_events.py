"""Each event is emitted where its change happens: a call finalized, a meeting booked or changed, an opt-out, an
import finished; and handing it over never makes the emitting code wait for the receiver."""
import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from campaigns import imports
from campaigns.models import CampaignLead
from crm.bookings import book_meeting
from crm.meetings import change_status
from crm.optouts import record_opt_out
from dialer.outcomes import finalize_call
from tests import factories
from webhooks import sender
from webhooks.models import WebhookDelivery


def _data(event: str) -> list[dict]:
    return [json.loads(d.body)["data"] for d in WebhookDelivery.objects.filter(event=event).order_by("id")]


def _next_weekday_at_ten(zone: str) -> dt.datetime:
    day = timezone.now().astimezone(ZoneInfo(zone)).date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10), ZoneInfo(zone))


@pytest.mark.django_db
def test_booking_and_changing_a_meeting_emit_booked_then_updated(endpoint):
    rep = factories.rep("riley")
    lead = factories.lead("+12125550143")
    meeting = book_meeting(lead=lead, rep=rep, start=_next_weekday_at_ten(rep.timezone))
    (booked,) = _data("meeting.booked")
    assert booked["meeting"]["id"] == meeting.pk and booked["meeting"]["phone"] == "+12125550143"
    assert booked["meeting"]["rep"]["username"] == "riley"
    change_status(meeting, "confirm")
    assert [d["meeting"]["status"] for d in _data("meeting.updated")] == ["confirmed"]


@pytest.mark.django_db
def test_an_opt_out_is_emitted_once_however_often_it_is_recorded(endpoint):
    lead = factories.lead("+12125550143")
    record_opt_out(lead, reason="Said stop calling")
    record_opt_out(lead, reason="Said it again")
    (event,) = _data("lead.opted_out")
    assert event["lead"]["phone"] == "+12125550143" and event["reason"] == "Said stop calling"


@pytest.mark.django_db
def test_a_finalized_call_emits_call_completed_with_its_outcome(endpoint):
    entry = factories.hopper_entry(factories.campaign("spring"), state=CampaignLead.State.CLAIMED, attempts=1)
    call = factories.finished_call(
        entry, "not_interested", summary="Not now.", status_events=[{"status": "in-progress"}, {"status": "completed"}]
    )
    assert finalize_call(call.pk)
    assert not finalize_call(call.pk)
    (event,) = _data("call.completed")
    assert (event["call"]["id"], event["call"]["outcome"], event["call"]["campaign"]) == (
        call.pk, "not_interested", "spring")
    assert event["summary_pending"] is False  # it has its summary already


@pytest.mark.django_db
def test_an_opt_out_outcome_at_finalize_emits_lead_opted_out(endpoint):
    entry = factories.hopper_entry(factories.campaign(), state=CampaignLead.State.CLAIMED, attempts=1)
    call = factories.finished_call(entry, "opt_out", status_events=[{"status": "in-progress"}, {"status": "completed"}])
    finalize_call(call.pk)
    assert [d["call_id"] for d in _data("lead.opted_out")] == [call.pk]


@pytest.mark.django_db
def test_a_finished_import_emits_its_counters(endpoint, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    campaign = factories.campaign("spring")
    started = imports.start_import(campaign, b"phone,name\n+12125550143,Ada\n12,Bad\n", "leads.csv")
    imports.run_import(started.pk)
    (event,) = _data("import.finished")
    assert event["import"] | {"finished_at": None} == {
        "id": started.pk, "campaign": "spring", "file": "leads.csv", "status": "done", "total_rows": 2,
        "imported": 1, "duplicates": 0, "invalid": 1, "dnc": 0, "failure": "", "finished_at": None}


@pytest.mark.django_db(transaction=True)
def test_an_opt_out_never_waits_for_a_receiver_that_hangs(endpoint, receiver, eager_celery, settings):
    """Celery eager (the default install): the delivery runs in the sender thread, not in the caller's."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    receiver.hang_seconds = 3
    lead = factories.lead("+12125550143")
    with transaction.atomic():
        record_opt_out(lead, reason="Said stop calling")
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 0, "the caller waited for the receiver"
    receiver.wait_for(1)
    assert sender.wait_idle(timeout=10)
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_error == "No answer within 2 s."
