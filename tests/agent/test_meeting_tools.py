"""The agent's tools on reminder and follow-up calls change the meeting, and its history says which call did."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaigns.models import Campaign, MeetingEnrollment, ScriptVersion
from crm.models import Call, Meeting, MeetingChange
from tests import factories
from voice.tools import ToolContext, run_tool_sync, schemas_for

NY = ZoneInfo("America/New_York")


def _local(days: int, hour: int) -> dt.datetime:
    day = timezone.now().astimezone(NY).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=NY)


def _call_about(meeting: Meeting, kind: str) -> ToolContext:
    campaign = factories.campaign(kind=kind)
    campaign.reps.add(meeting.rep)
    entry = factories.hopper_entry(campaign, meeting.lead)
    MeetingEnrollment.objects.create(campaign=campaign, meeting=meeting, campaign_lead=entry, call_at=timezone.now())
    call = Call.objects.create(campaign=campaign, campaign_lead=entry, lead=meeting.lead,
                               script_version=campaign.active_script_version, provider_sid=f"CAm{meeting.pk}")
    return ToolContext(call.pk, meeting.lead_id, campaign.pk, knowledge_base=({"question": "price", "answer": "99"},))


@pytest.fixture
def rep(db):
    return factories.rep(timezone="America/New_York", weekdays=range(7))  # 09:00-17:00 every day


@pytest.fixture
def reminder(rep):
    meeting = factories.meeting(rep, lead_=factories.lead(timezone="America/New_York"), start=_local(2, 10))
    return meeting, _call_about(meeting, Campaign.Kind.REMINDER)


def _history(meeting: Meeting) -> list[tuple]:
    return list(meeting.changes.values_list("kind", "call_id", "from_status", "to_status"))


def test_confirm_marks_the_meeting_confirmed_on_this_call(reminder):
    meeting, ctx = reminder
    result = run_tool_sync(ctx, "confirm_meeting", {})
    assert result.data["confirmed"] is True and result.outcome == "confirmed"
    meeting.refresh_from_db()
    assert meeting.status == "confirmed"
    assert _history(meeting) == [("confirmed", ctx.call_id, "booked", "confirmed")]
    run_tool_sync(ctx, "confirm_meeting", {})  # a second "yes" changes nothing
    assert meeting.changes.count() == 1


def test_reschedule_moves_the_meeting_to_a_free_slot_of_the_same_rep(reminder):
    meeting, ctx = reminder
    slots = run_tool_sync(ctx, "rep_slots", {"after": _local(3, 0).date().isoformat()}).data["slots"]
    assert slots and {s["rep_id"] for s in slots} == {meeting.rep_id}
    result = run_tool_sync(ctx, "reschedule_meeting", {"start": slots[0]["start"]})
    assert result.data["rescheduled"] is True and result.outcome == "rescheduled"
    old_start = meeting.start
    meeting.refresh_from_db()
    assert meeting.start == dt.datetime.fromisoformat(slots[0]["start"]) and meeting.status == "rescheduled"
    change = meeting.changes.get()
    assert (change.kind, change.call_id, change.old_start, change.new_start) == (
        "rescheduled", ctx.call_id, old_start, meeting.start
    )


def test_reschedule_into_a_taken_slot_is_refused_with_alternatives(reminder, rep):
    meeting, ctx = reminder
    factories.meeting(rep, start=_local(3, 11))
    result = run_tool_sync(ctx, "reschedule_meeting", {"start": _local(3, 11).isoformat()})
    assert result.data["rescheduled"] is False and result.outcome == ""
    alternatives = result.data["alternatives"]
    assert alternatives and all(a["start"] != _local(3, 11).isoformat() for a in alternatives)
    meeting.refresh_from_db()
    assert (meeting.start, meeting.status) == (_local(2, 10), "booked")
    assert not MeetingChange.objects.exists()


@pytest.mark.parametrize("start, words", [(lambda: _local(3, 19), "outside"), (lambda: _local(-1, 10), "past")])
def test_reschedule_out_of_hours_or_into_the_past_is_refused(reminder, start, words):
    meeting, ctx = reminder
    result = run_tool_sync(ctx, "reschedule_meeting", {"start": start().isoformat()})
    assert result.data["rescheduled"] is False and words in result.data["reason"]
    meeting.refresh_from_db()
    assert meeting.start == _local(2, 10)
    assert not meeting.changes.exists()


def test_cancel_keeps_the_reason_in_the_history(reminder):
    meeting, ctx = reminder
    result = run_tool_sync(ctx, "cancel_meeting", {"reason": "We chose another vendor"})
    assert result.data["canceled"] is True and result.outcome == "canceled"
    meeting.refresh_from_db()
    assert meeting.status == "canceled"
    change = meeting.changes.get()
    assert (change.kind, change.call_id, change.detail) == ("canceled", ctx.call_id, "We chose another vendor")
    assert run_tool_sync(ctx, "cancel_meeting", {}).data["error"].startswith("cancel_meeting was not run: reason")


@pytest.fixture
def follow_up(rep):
    meeting = factories.meeting(rep, lead_=factories.lead(timezone="America/New_York"), start=_local(-1, 10),
                                status=Meeting.Status.HELD)
    return meeting, _call_about(meeting, Campaign.Kind.FOLLOW_UP)


def test_book_next_meeting_books_the_same_rep_and_links_it_to_the_held_one(follow_up):
    held, ctx = follow_up
    slot = run_tool_sync(ctx, "rep_slots", {}).data["slots"][0]
    result = run_tool_sync(ctx, "book_next_meeting", {"start": slot["start"]})
    assert result.data["booked"] is True and result.outcome == "booked"
    new = Meeting.objects.get(pk=result.data["meeting_id"])
    assert (new.rep_id, new.lead_id, new.call_id, new.status) == (held.rep_id, held.lead_id, ctx.call_id, "booked")
    change = held.changes.get()
    assert (change.kind, change.call_id, change.related_meeting_id) == ("next_meeting", ctx.call_id, new.pk)


def test_record_next_step_and_transfer_without_a_rep_phone(follow_up):
    held, ctx = follow_up
    assert run_tool_sync(ctx, "record_next_step", {"step": "send_information", "detail": "a proposal"}).data == {
        "recorded": True, "step": "send_information"
    }
    result = run_tool_sync(ctx, "transfer_to_meeting_rep", {"reason": "has contract questions"})
    assert result.data["transferring"] is False and result.transfer_to == ""
    assert list(held.changes.values_list("kind", "detail")) == [
        ("next_step", "Send information or a proposal: a proposal"),
        ("next_step", "Wants to talk to the rep: has contract questions"),
    ]


def test_transfer_to_the_meeting_rep_with_a_phone(follow_up, rep):
    held, ctx = follow_up
    rep.phone = "+12125550199"
    rep.save()
    result = run_tool_sync(ctx, "transfer_to_meeting_rep", {"reason": "wants Riley"})
    assert (result.data["transferring"], result.transfer_to, result.outcome) == (True, "+12125550199", "transferred")
    assert held.changes.get().kind == "transfer"


def test_each_kind_is_offered_its_own_tools():
    reminder = {t["function"]["name"] for t in schemas_for(kind="reminder")}
    follow_up = {t["function"]["name"] for t in schemas_for(kind="follow_up")}
    prospecting = {t["function"]["name"] for t in schemas_for(kind="prospecting")}
    assert {"confirm_meeting", "reschedule_meeting", "cancel_meeting", "end_call"} <= reminder
    assert "book_meeting" not in reminder and "confirm_meeting" not in prospecting
    assert {"search_knowledge_base", "book_next_meeting", "record_next_step", "transfer_to_meeting_rep"} <= follow_up


def test_meeting_tools_on_a_prospecting_call_are_refused(db):
    campaign = factories.campaign()
    entry = factories.hopper_entry(campaign)
    call = Call.objects.create(campaign=campaign, campaign_lead=entry, lead=entry.lead, provider_sid="CAp")
    result = run_tool_sync(ToolContext(call.pk, entry.lead_id, campaign.pk), "confirm_meeting", {})
    assert "not about a meeting" in result.data["error"]


def test_the_call_knows_its_meeting_and_the_voicemail_names_time_and_number(reminder):
    from voice.meeting_tools import meeting_brief
    from voice.records import load_live_call

    meeting, ctx = reminder
    booking_campaign = factories.campaign()
    booking = factories.finished_call(factories.hopper_entry(booking_campaign), summary="Wants to see the dialer.")
    Meeting.objects.filter(pk=meeting.pk).update(call=booking)
    version = Call.objects.get(pk=ctx.call_id).campaign.active_script_version
    ScriptVersion.objects.filter(pk=version.pk).update(
        voicemail_message="Hi {first_name}, your meeting with {rep_name} is {meeting_time}. Call {callback_number}.",
        opening_line="Hi {first_name}, I'm an AI assistant calling about {meeting_time}.",
    )
    info = load_live_call(ctx.call_id)
    when = _local(2, 10)
    label = f"{when:%A, %B} {when.day} at 10 AM"
    assert info.context.meeting["meeting_time"] == label
    assert info.context.meeting["booking_summary"] == "Wants to see the dialer."
    voicemail = f"Hi Pat, your meeting with {meeting.rep} is {label}. Call (415) 555-0100."
    assert info.script["voicemail_message"] == voicemail
    assert info.script["opening_line"] == f"Hi Pat, I'm an AI assistant calling about {label}."
    brief = meeting_brief(info.context.meeting)
    assert label in brief and "Wants to see the dialer." in brief and "confirm_meeting" in brief
