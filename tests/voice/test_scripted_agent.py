"""The scripted agent speaks the LLM adapter's language: text deltas and tool calls from the real tool schemas."""
import asyncio
import json

from voice.providers.base import CallContext, TextDelta, ToolCall
from voice.sim.agent import ScriptedAgent
from voice.sim.latency import EmulatedLatency
from voice.tools import TOOL_SCHEMAS

SCRIPT = {
    "opening_line": "Hi {first_name}, this is an AI assistant calling for Test Co. Do you have a minute?",
    "qualification_questions": [{"field": "team_size", "question": "How big is your team?"}],
    "objection_notes": {"not interested": "Fair enough. Would a short call next week help?"},
    "knowledge_base": [{"question": "price pricing cost", "answer": "It costs 99 dollars."}],
}
FAST = EmulatedLatency(llm_first_token_ms=0, llm_token_ms=0)


def _run(messages):
    agent = ScriptedAgent(CallContext(call_id=1, lead={"first_name": "Pat"}, script=SCRIPT), FAST)

    async def collect():
        return [e async for e in agent.stream(messages, TOOL_SCHEMAS)]

    events = asyncio.run(collect())
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    return text, [e for e in events if isinstance(e, ToolCall)]


def _schema(name):
    return next(t["function"]["parameters"] for t in TOOL_SCHEMAS if t["function"]["name"] == name)


def test_it_opens_with_the_ai_disclosure():
    text, calls = _run([{"role": "system", "content": "x"}])
    assert text == "Hi Pat, this is an AI assistant calling for Test Co. Do you have a minute?" and not calls


def test_tool_calls_use_the_schemas_the_llm_is_given():
    history = [{"role": "system", "content": "x"}, {"role": "assistant", "content": SCRIPT["opening_line"]}]
    for said, tool in (
        ("Please take me off your list.", "record_opt_out"),
        ("How much does it cost?", "search_knowledge_base"),
    ):
        _, calls = _run([*history, {"role": "user", "content": said}])
        assert [c.name for c in calls] == [tool]
        schema = _schema(tool)
        assert set(schema["required"]) <= set(calls[0].arguments) <= set(schema["properties"])
        json.dumps(calls[0].arguments)


def test_it_qualifies_then_checks_real_availability_then_books_the_chosen_slot():
    history = [{"role": "system", "content": "x"}, {"role": "assistant", "content": "Hi Pat. Do you have a minute?"}]
    text, _ = _run([*history, {"role": "user", "content": "Sure."}])
    assert text.endswith("How big is your team?")
    history += [{"role": "user", "content": "Sure."}, {"role": "assistant", "content": text}]
    _, calls = _run([*history, {"role": "user", "content": "About ten."}])
    assert [c.name for c in calls] == ["check_availability"]
    slots = [{"rep_id": 3, "start": "2026-03-03T14:00:00+00:00", "label": "Tuesday, March 3 at 9 AM"},
             {"rep_id": 4, "start": "2026-03-03T15:00:00+00:00", "label": "Tuesday, March 3 at 10 AM"}]  # fmt: skip
    history += [
        {"role": "user", "content": "About ten."},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "check_availability", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": json.dumps({"slots": slots})},
    ]  # fmt: skip
    text, _ = _run(history)
    assert "Tuesday, March 3 at 9 AM or Tuesday, March 3 at 10 AM" in text
    history.append({"role": "assistant", "content": text})
    _, calls = _run([*history, {"role": "user", "content": "The second one."}])
    assert calls[0].name == "book_meeting" and calls[0].arguments == {"rep_id": 4, "start": slots[1]["start"]}


def test_the_first_not_interested_gets_the_objection_reply_the_second_ends_the_call():
    history = [{"role": "system", "content": "x"}, {"role": "assistant", "content": "Hi Pat."}]
    text, calls = _run([*history, {"role": "user", "content": "Not interested."}])
    assert text == SCRIPT["objection_notes"]["not interested"] and not calls
    history += [{"role": "user", "content": "Not interested."}, {"role": "assistant", "content": text}]
    _, calls = _run([*history, {"role": "user", "content": "No, not interested."}])
    assert calls[0].name == "end_call" and calls[0].arguments["outcome"] == "not_interested"


def test_an_unclear_answer_to_a_proposal_is_asked_again_not_booked():
    slots = [{"rep_id": 3, "start": "2026-03-03T14:00:00+00:00", "label": "Tuesday, March 3 at 9 AM"}]
    history = [
        {"role": "system", "content": "x"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "check_availability", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": json.dumps({"slots": slots})},
        {"role": "assistant", "content": "I can do Tuesday, March 3 at 9 AM, your time. Does that work?"},
    ]  # fmt: skip
    text, calls = _run([*history, {"role": "user", "content": "Hmm, just email."}])
    assert text.startswith("Sorry, which works better") and not calls


def test_after_answering_a_question_it_asks_its_own_again():
    history = [
        {"role": "system", "content": "x"},
        {"role": "assistant", "content": "Great, thanks. How big is your team?"},
        {"role": "user", "content": "How much does it cost?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "search_knowledge_base", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": json.dumps({"answers": ["It costs 99 dollars."]})},
    ]  # fmt: skip
    text, _ = _run(history)
    assert text == "It costs 99 dollars. So, how big is your team?"
