"""The rehearsal's scripted summariser writes sentences a rep can read, not the caller's lines joined."""
import asyncio

from voice.providers.base import CallContext
from voice.sim.agent import ScriptedAgent
from voice.sim.latency import EmulatedLatency

FIELDS = [
    {"field": "team_size", "question": "How many people are on your sales team?"},
    {"field": "current_tool", "question": "What do you use today to reach new leads?"},
]


def _summary(lines):
    agent = ScriptedAgent(CallContext(call_id=1, call_sid="CA1", script={}, lead={}), EmulatedLatency())
    transcript = [{"speaker": who, "text": text} for who, text in lines]
    return asyncio.run(agent.summarize(transcript, FIELDS))


def test_a_booked_call_says_with_whom_and_when_and_the_answers():
    result = _summary([
        ("agent", "Hi Pat, this is Sam. Do you have a minute?"),
        ("caller", "Hello?"),
        ("caller", "Sure, go ahead."),
        ("agent", "How many people are on your sales team?"),
        ("caller", "About twelve people."),
        ("agent", "What do you use today to reach new leads?"),
        ("caller", "How much does it cost?"),
        ("agent", "Plans start at 99 dollars. What do you use today to reach new leads?"),
        ("caller", "Mostly spreadsheets and cold email."),
        ("agent", "You're all set with Riley Chen on Tue 1 Dec at 10:00 AM. You'll get an invite by email."),
    ])
    assert result.summary == (
        "The caller booked a meeting with Riley Chen for Tue 1 Dec at 10:00 AM. "
        "They asked “How much does it cost?”. "
        "Their answers: team size: “About twelve people.”; current tool: “Mostly spreadsheets and cold email.”."
    )
    assert " / " not in result.summary and "turns;" not in result.summary


def test_a_refusal_and_an_opt_out_read_as_what_the_caller_wanted():
    refused = _summary([("agent", "Hi Pat."), ("caller", "Sorry, I'm not interested.")]).summary
    opted_out = _summary([("agent", "Hi Pat."), ("caller", "Please take me off your list.")]).summary
    assert refused == "The caller said they were not interested (“Sorry, I'm not interested.”)."
    assert opted_out == "The caller asked not to be called again, and the agent confirmed they will not be."


def test_a_voicemail_greeting_is_not_taken_for_a_caller():
    summary = _summary([
        ("caller", "Hi, you have reached the voicemail of Pat. Please leave a message after the tone."),
        ("agent", "Hi, this is Sam, an AI assistant calling for Parley Demo Co."),
    ]).summary
    assert summary == (
        "The call reached a voicemail greeting (“Hi, you have reached the voicemail of Pat. Please leave a message "
        "after the tone.”), and the agent left the script's message."
    )
