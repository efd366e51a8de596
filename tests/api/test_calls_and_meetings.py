"""Calls and meetings through the API, with the pages' permissions: a rep's token sees only that rep's meetings
and the calls behind them."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from crm.models import Call, Meeting
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(rep, media_root):
    campaign = factories.campaign("spring")
    entry = factories.hopper_entry(campaign, factories.lead(first_name="Pat", last_name="Lee"))
    call = factories.finished_call(entry, "booked", summary="Pat runs a 12-person team.", extracted={"team_size": "12"})
    call.recording.save("call.wav", ContentFile(factories.wav_bytes(0.5)))
    factories.conversation(call)
    return factories.meeting(rep, call=call)


@pytest.fixture
def someone_elses(other_rep):
    campaign = factories.campaign("fall")
    call = factories.finished_call(factories.hopper_entry(campaign), "booked")
    return factories.meeting(other_rep, call=call)


def test_a_call_reads_with_turns_outcome_summary_fields_and_a_recording_url(as_manager, booked):
    body = as_manager.get(f"/calls/{booked.call_id}").json()
    assert (body["outcome"], body["summary"], body["extracted"]) == ("booked", "Pat runs a 12-person team.",
                                                                     {"team_size": "12"})
    assert [t["speaker"] for t in body["turns"]][:2] == ["agent", "caller"]
    cut = body["turns"][2]
    assert cut["interrupted"] and cut["heard_text"] == "We help sales teams book more meetings."
    assert body["recording_url"].endswith(f"/api/v1/calls/{booked.call_id}/recording")
    assert body["meeting_ids"] == [booked.pk]


def test_the_recording_needs_a_token_that_may_see_the_call(as_manager, as_rep, booked, someone_elses, client):
    path = f"/calls/{booked.call_id}/recording"
    response = as_manager.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "audio/x-wav"
    assert b"".join(response.streaming_content)[:4] == b"RIFF"
    assert client.get(f"/api/v1{path}").status_code == 401
    assert as_rep.get(f"/calls/{someone_elses.call_id}/recording").status_code == 404


def test_calls_filter_by_campaign_outcome_lead_and_date(as_manager, booked, someone_elses):
    assert as_manager.get("/calls").json()["count"] == 2
    assert [c["id"] for c in as_manager.get("/calls", campaign="spring").json()["items"]] == [booked.call_id]
    assert as_manager.get("/calls", outcome="no_answer").json()["count"] == 0
    assert as_manager.get("/calls", lead_id=booked.lead_id).json()["count"] == 1
    last_made = max(Call.objects.values_list("created_at", flat=True))
    today = timezone.localtime(last_made).date()  # the day the last call was made, even across midnight
    assert as_manager.get("/calls", since=str(today + dt.timedelta(days=1))).json()["count"] == 0
    assert as_manager.get("/calls", until=str(today)).json()["count"] == 2


def test_a_reps_token_sees_only_its_meetings_and_their_calls(as_rep, booked, someone_elses):
    meetings = as_rep.get("/meetings").json()
    assert [m["id"] for m in meetings["items"]] == [booked.pk]
    assert as_rep.get(f"/meetings/{someone_elses.pk}").status_code == 404
    assert as_rep.patch(f"/meetings/{someone_elses.pk}", {"status": "confirmed"}).status_code == 404
    assert [c["id"] for c in as_rep.get("/calls").json()["items"]] == [booked.call_id]
    assert as_rep.get(f"/calls/{someone_elses.call_id}").status_code == 404


def test_a_manager_sees_every_meeting(as_manager, booked, someone_elses):
    assert as_manager.get("/meetings").json()["count"] == 2
    assert as_manager.get("/meetings", campaign="fall").json()["items"][0]["id"] == someone_elses.pk


def test_a_rep_confirms_cancels_and_reopens_a_meeting(as_rep, booked):
    assert as_rep.patch(f"/meetings/{booked.pk}", {"status": "confirmed"}).json()["meeting"]["status"] == "confirmed"
    assert as_rep.patch(f"/meetings/{booked.pk}", {"status": "canceled"}).json()["meeting"]["status"] == "canceled"
    assert as_rep.patch(f"/meetings/{booked.pk}", {"status": "booked"}).json()["meeting"]["status"] == "booked"
    too_early = as_rep.patch(f"/meetings/{booked.pk}", {"status": "held"})
    assert too_early.status_code == 409 and "not started yet" in too_early.json()["detail"]
    history = [(c.kind, c.user.username) for c in Meeting.objects.get(pk=booked.pk).changes.select_related("user")]
    rep_name = history[0][1]
    assert history == [("confirmed", rep_name), ("canceled", rep_name), ("reopened", rep_name)]


def test_rescheduling_says_the_lead_was_not_told_and_refuses_hours_off(as_rep, booked):
    local = booked.start.astimezone(ZoneInfo(booked.rep.timezone))  # the rep's hours are on the rep's clock
    monday = local.date() + dt.timedelta(days=7 - local.weekday())  # the rep's next Monday
    at_ten = dt.datetime.combine(monday, dt.time(10), local.tzinfo)
    moved = as_rep.patch(f"/meetings/{booked.pk}", {"start": at_ten.isoformat()})
    assert moved.status_code == 200, moved.content
    assert "has not been told" in moved.json()["message"]
    assert Meeting.objects.get(pk=booked.pk).status == Meeting.Status.RESCHEDULED
    change = Meeting.objects.get(pk=booked.pk).changes.get()
    assert (change.kind, change.old_start, change.new_start) == ("rescheduled", booked.start, moved_start(moved))
    at_night = at_ten.replace(hour=23)
    assert as_rep.patch(f"/meetings/{booked.pk}", {"start": at_night.isoformat()}).status_code == 409


def moved_start(response):
    return dt.datetime.fromisoformat(response.json()["meeting"]["start"].replace("Z", "+00:00"))


@pytest.mark.parametrize("start", ["9999-12-31T23:50:00Z", "9999-12-31T23:59:59-12:00", "2026-12-01T15:00:00"])
def test_a_start_far_out_of_range_or_without_offset_is_refused_not_a_crash(as_rep, booked, start):
    response = as_rep.patch(f"/meetings/{booked.pk}", {"start": start})
    assert response.status_code == 422
    assert Meeting.objects.get(pk=booked.pk).start == booked.start
