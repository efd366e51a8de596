import pytest
from django.utils import timezone

from campaigns.scripts import save_new_version
from crm.models import Call
from dialer.outcomes import finalize_call
from tests import factories
from voice.summaries import call_transcript

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = "How many people are on your sales team?"
LINES = (
    ("agent", "Hi Pat, this is Sam, an AI assistant calling for Test Co. Do you have a minute?", "", False, None),
    ("caller", "Sure, go ahead.", "", False, None),
    ("agent", f"Great. {QUESTION} And what do you use today?", f"Great. {QUESTION}", True, 480),
    ("caller", "About twelve people.", "", False, None),
    ("agent", "Thanks, goodbye!", "", False, 420),
)


def _answered_call(lines=LINES):
    campaign = factories.campaign()
    save_new_version(
        campaign.script, publish=True, qualification_questions=[{"field": "team_size", "question": QUESTION}]
    )
    now = timezone.now()
    call = factories.finished_call(
        factories.hopper_entry(campaign, state="claimed", attempts=1),
        outcome="conversation",
        script_version=campaign.script.published_version,
        media_started_at=now,
        media_ended_at=now,
    )
    factories.conversation(call, lines)
    return call


def test_finalizing_an_answered_call_writes_its_summary_and_qualification_answers(eager_celery):
    call = _answered_call()
    assert finalize_call(call.pk, force=True)
    call.refresh_from_db()
    assert "About twelve people." in call.summary
    assert call.extracted == {"team_size": "About twelve people."}


def test_the_summary_reads_only_what_the_caller_heard():
    call = _answered_call()
    agent_lines = [line["text"] for line in call_transcript(call) if line["speaker"] == "agent"]
    assert f"Great. {QUESTION}" in agent_lines
    assert not any("what do you use today" in text for text in agent_lines)


def test_a_call_nobody_spoke_on_gets_no_summary(eager_celery):
    call = _answered_call(lines=LINES[:1])
    assert finalize_call(call.pk, force=True)
    call.refresh_from_db()
    assert call.summary == "" and call.extracted == {}


def test_an_unanswered_call_is_not_summarized(eager_celery):
    entry = factories.hopper_entry(factories.campaign(), state="claimed", attempts=1)
    call = factories.finished_call(entry, outcome="no_answer")
    assert finalize_call(call.pk, force=True)
    assert Call.objects.get(pk=call.pk).summary == ""
