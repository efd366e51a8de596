"""Who is calling: a known lead is found by caller ID and its history told to the agent; an unknown caller gets an
unnamed lead that becomes an inbound lead once named; the greeting says who answers and keeps the AI disclosure."""
from crm.models import Call
from inbound import callers, sessions
from tests import factories


def test_a_known_caller_is_found_by_caller_id_with_past_calls_and_meetings(db):
    lead = factories.lead(phone="+12025550143", first_name="Ada", last_name="Okafor", company="Northwind")
    entry = factories.hopper_entry(factories.campaign(), lead)
    factories.finished_call(entry, "booked", summary="Ada wants a demo for 12 reps.")
    factories.meeting(factories.rep(), lead_=lead)

    found, created = callers.lead_for_caller("+12025550143", "America/Chicago")
    context = callers.caller_context(found)

    assert (found, created) == (lead, False)
    assert context["known"] and context["name"] == "Ada Okafor" and context["company"] == "Northwind"
    assert context["past_calls"][0]["summary"] == "Ada wants a demo for 12 reps."
    assert context["meetings"][0]["status"] == "Booked"


def test_an_unknown_caller_becomes_an_inbound_lead_once_named_and_a_named_lead_keeps_its_name(db):
    lead, created = callers.lead_for_caller("+12025550144", "America/Chicago")
    assert created and lead.consent_source == callers.UNNAMED and lead.timezone == "America/Chicago"
    assert not callers.caller_context(lead)["known"]

    named = callers.name_caller(lead.pk, "Jordan", "Lee", "Acme")
    again = callers.name_caller(lead.pk, "Someone", "Else")

    assert (named.full_name, named.company, named.consent_source) == ("Jordan Lee", "Acme", "inbound")
    assert again.full_name == "Jordan Lee"


def test_a_caller_id_that_is_hidden_or_invalid_is_not_a_number(db):
    assert callers.e164("anonymous") == "" and callers.e164("+266696687") == ""
    assert callers.e164("+1 (202) 555-0143") == "+12025550143"


def test_the_greeting_thanks_for_calling_and_always_discloses_the_ai():
    plain = sessions.greeting("Thanks for calling {business}. How can I help?", "Test Co", "")
    named = sessions.greeting(sessions.DEFAULT_GREETING, "Test Co", "Ada")

    assert plain == "Thanks for calling Test Co. Just so you know, I'm an AI assistant. How can I help?"
    assert named.startswith("Thanks for calling Test Co, Ada. This is an AI assistant.")


def test_an_inbound_session_gets_the_greeting_the_inbound_tools_and_no_campaign(number):
    from voice.records import load_live_call
    from voice.tools import schemas_for

    lead = factories.lead(phone="+12025550145", first_name="")
    call = Call.objects.create(direction="inbound", phone_number=number, lead=lead, status="ringing")
    info = load_live_call(call.pk)

    assert info.campaign_id is None and info.direction == "inbound"
    assert info.script["opening_line"].startswith("Thanks for calling Test Co.")
    assert "not known. Ask for their name" in info.script["instructions"]
    inbound = {t["function"]["name"] for t in schemas_for("inbound")}
    outbound = {t["function"]["name"] for t in schemas_for("outbound")}
    assert {"create_ticket", "save_caller_name"} <= inbound and not {"create_ticket", "save_caller_name"} & outbound


def test_an_inbound_caller_who_hangs_up_before_anything_was_settled_abandoned_the_call(number):
    from django.utils import timezone

    from dialer.outcomes import finalize_call

    now = timezone.now()
    lead = factories.lead(phone="+12025550146")
    call = Call.objects.create(direction="inbound", phone_number=number, lead=lead, status="completed",
                               outcome="hung_up", media_started_at=now, media_ended_at=now, answered_at=now,
                               status_events=[{"status": "completed"}])

    assert finalize_call(call.pk, now)
    call.refresh_from_db()
    assert call.outcome == Call.Outcome.ABANDONED
