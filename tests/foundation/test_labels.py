"""Codes in words: who answered (AMD) and which lead attributes a person sees."""
import pytest

from crm.labels import answered_by_label, shown_attributes
from crm.timelines import call_timeline
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("machine_end_beep", "Machine (after the beep)"),
        ("machine_start", "Machine (greeting)"),
        ("human", "Person"),
        ("fax", "Fax machine"),
        ("something_new", "Something new"),
        ("", ""),
    ],
)
def test_answering_machine_codes_read_as_words(code, words):
    assert answered_by_label(code) == words


def test_the_call_timeline_says_who_answered_in_words():
    call = factories.finished_call(factories.hopper_entry(factories.campaign()), "voicemail",
                                   answered_by="machine_end_beep")
    labels = [event.label for event in call_timeline(call)]
    assert "Answered by: Machine (after the beep)" in labels
    assert not any("machine_end_beep" in label or "machine end beep" in label for label in labels)


def test_the_rehearsal_persona_is_not_a_lead_facing_attribute():
    attributes = {"persona": "interrupter", "Notes": "met at expo", "_source_row": 12}
    assert shown_attributes(attributes) == {"Notes": "met at expo"}
    assert shown_attributes(None) == {}
