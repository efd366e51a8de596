"""Running a tool call never raises: bad arguments, refusals, exceptions and hangs come back as errors to read."""
import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError

from crm.models import Meeting
from voice import tools
from voice.tools import TOOL_SCHEMAS, ToolResult, run_tool, run_tool_sync


def _slot(ctx):
    return run_tool_sync(ctx, "check_availability", {}).data["slots"][0]


def test_a_rep_id_written_as_a_float_string_books_the_slot(booking_call):
    ctx, rep = booking_call
    slot = _slot(ctx)

    result = run_tool_sync(ctx, "book_meeting", {"rep_id": f"{slot['rep_id']}.0", "start": slot["start"]})

    assert result.data["booked"] is True and result.outcome == "booked"
    assert Meeting.objects.get(pk=result.data["meeting_id"]).rep == rep


def test_a_rep_not_on_the_campaign_is_refused_listing_the_reps_that_are(booking_call):
    ctx, rep = booking_call
    result = run_tool_sync(ctx, "book_meeting", {"rep_id": rep.pk + 100, "start": _slot(ctx)["start"]})

    assert result.data == {"error": f"book_meeting: rep_id must be one of {rep.pk}: use a rep_id from "
                                    "check_availability"}
    assert not Meeting.objects.exists()


def test_a_null_query_is_an_error_result_not_an_exception(booking_call):
    ctx, _ = booking_call
    result = run_tool_sync(ctx, "search_knowledge_base", {"query": None})
    assert result.data["error"].startswith("search_knowledge_base was not run: query is required and cannot be null")
    assert run_tool_sync(ctx, "search_knowledge_base", {"query": "what is the price"}).data == {"answers": ["99"]}


def test_an_unknown_tool_is_an_error_naming_the_tools(booking_call):
    ctx, _ = booking_call
    assert "unknown tool 'fly'" in run_tool_sync(ctx, "fly", {}).data["error"]


@pytest.mark.parametrize("exc", [ValueError("bad"), AttributeError("x"), DatabaseError("connection lost"), KeyError()])
def test_any_exception_in_a_tool_becomes_an_error_result(booking_call, monkeypatch, exc):
    ctx, _ = booking_call

    def broken(ctx, **kwargs):
        raise exc

    monkeypatch.setitem(tools._TOOLS, "lookup_lead", broken)
    result = run_tool_sync(ctx, "lookup_lead", {})
    assert result == ToolResult({"error": f"lookup_lead failed ({type(exc).__name__}); try once more or carry on "
                                          "without it."})


def test_a_tool_added_to_the_registry_is_validated_by_its_schema(booking_call, monkeypatch):
    ctx, _ = booking_call
    seen = []
    schema = tools._fn("ring_back", "Call back later.", {"minutes": {"type": "integer"}}, ["minutes"])
    monkeypatch.setattr(tools, "TOOL_SCHEMAS", [*TOOL_SCHEMAS, schema])
    monkeypatch.setitem(tools._TOOLS, "ring_back", lambda ctx, minutes: seen.append(minutes) or ToolResult({}))

    assert run_tool_sync(ctx, "ring_back", {"minutes": "30"}) == ToolResult({})
    assert "minutes must be an integer" in run_tool_sync(ctx, "ring_back", {"minutes": "soon"}).data["error"]
    assert seen == [30]


def test_every_offered_tool_has_a_function_and_every_function_a_schema():
    assert {t["function"]["name"] for t in tools.ALL_TOOL_SCHEMAS} == set(tools._TOOLS)
    for kind in ("prospecting", "reminder", "follow_up"):
        assert {t["function"]["name"] for t in tools.schemas_for(kind=kind)} <= set(tools._TOOLS)


@pytest.mark.django_db(transaction=True)
async def test_a_tool_that_hangs_is_an_error_after_the_deadline(settings, monkeypatch):
    settings.TOOL_TIMEOUT_SECONDS = 0.2
    release = threading.Event()
    monkeypatch.setitem(tools._TOOLS, "lookup_lead", lambda ctx: release.wait(10) and ToolResult({}))
    try:
        result = await run_tool(tools.ToolContext(1, 1, 1), "lookup_lead", {})
    finally:
        release.set()
    assert result.data["error"].startswith("lookup_lead did not answer within 0.2 s")


@pytest.mark.django_db(transaction=True)
async def test_run_tool_returns_the_tools_result(settings, monkeypatch):
    monkeypatch.setitem(tools._TOOLS, "lookup_lead", lambda ctx: ToolResult({"first_name": "Pat"}))
    assert (await run_tool(tools.ToolContext(1, 1, 1), "lookup_lead", None)).data == {"first_name": "Pat"}


@pytest.mark.parametrize("hour", [3, 22])
def test_booking_outside_the_reps_hours_offers_slots_that_are_inside(booking_call, hour):
    ctx, rep = booking_call
    day = dt.date.today() + dt.timedelta(days=2)
    start = dt.datetime.combine(day, dt.time(hour), ZoneInfo("America/New_York")).isoformat()

    result = run_tool_sync(ctx, "book_meeting", {"rep_id": rep.pk, "start": start})

    assert result.data["booked"] is False and "is outside them" in result.data["reason"]
    assert result.data["alternatives"] and not Meeting.objects.exists()


def test_booking_in_the_past_is_refused(booking_call):
    ctx, rep = booking_call
    result = run_tool_sync(ctx, "book_meeting", {"rep_id": rep.pk, "start": "2020-03-03T10:00:00-05:00"})
    assert result.data["booked"] is False and "in the past" in result.data["reason"]
    assert not Meeting.objects.exists()


def test_the_playground_checks_arguments_as_a_live_call_does(db):
    from campaigns.playground import run_tool as playground_tool
    from tests import factories

    version = factories.campaign().active_script_version
    assert "query is required and cannot be null" in playground_tool(version, "search_knowledge_base",
                                                                     {"query": None})["error"]
    assert playground_tool(version, "end_call", {"outcome": "Booked"}) == {"ending": True, "dry_run": True}
