"""The AI disclosure of the opening cannot be talked over, and the call records whether it was heard."""
from django.urls import reverse

from tests import factories
from voice.sim.personas import Line

from .calls import agent_turns, caller_turns, converse, live_call
from .scripts import long_opening_campaign, pieces


def test_a_caller_talking_over_the_disclosure_still_hears_it_then_gets_an_answer(voice_server, persona):
    name = persona(
        "hello_over_disclosure",
        Line("Hello?", "at_start"),
        Line("Hello? Who is this?", "over_agent", after_ms=400),
        Line("Okay, bye."),
    )
    call = live_call(long_opening_campaign())
    log, m = converse(call, name, max_seconds=60)

    opening = agent_turns(call)[0]
    segments = pieces(opening.text)
    assert opening.heard_text.startswith(" ".join(segments[:2]))  # "Hi Pat, this is Sam, an AI assistant ..."
    assert "AI assistant" in opening.heard_text
    assert opening.interrupted and opening.heard_text != opening.text  # the rest of the opening gave way
    assert "Hello? Who is this?" in [t.text for t in caller_turns(call)]
    assert agent_turns(call)[1].text  # and the caller's question got its answer
    call.refresh_from_db()
    assert call.disclosure_heard is True


def test_the_call_page_shows_whether_the_disclosure_was_heard(make_user, client):
    from crm.roles import MANAGERS

    entry = factories.hopper_entry(factories.campaign(), factories.lead())
    heard, unheard = factories.finished_call(entry, disclosure_heard=True), factories.finished_call(entry)
    unheard.disclosure_heard = False
    unheard.save(update_fields=["disclosure_heard"])
    client.force_login(make_user("morgan", MANAGERS))

    assert "AI disclosure heard" in client.get(reverse("call_detail", args=[heard.pk])).content.decode()
    assert "AI disclosure not heard" in client.get(reverse("call_detail", args=[unheard.pk])).content.decode()
