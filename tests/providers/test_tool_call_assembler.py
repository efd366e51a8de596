"""Joining tool-call deltas: the rules behind the recorded shapes, on deltas no corpus file has yet."""
from types import SimpleNamespace as NS

from voice.providers.openai_llm import ToolCallAssembler
from voice.tool_arguments import UNPARSED


def part(index=None, id=None, name=None, arguments=None):
    return NS(index=index, id=id, type="function", function=NS(name=name, arguments=arguments))


def assemble(*parts, finish="tool_calls"):
    calls = ToolCallAssembler()
    for p in parts:
        calls.add(p)
    calls.finish_reason = finish
    return [(c.id, c.name, c.arguments) for c in calls.complete()]


def test_an_id_repeated_on_every_fragment_keeps_one_call():
    assert assemble(part(0, "c1", "lookup_lead", '{"a"'), part(0, "c1", None, ': 1}')) == [
        ("c1", "lookup_lead", {"a": 1})]


def test_a_fresh_id_on_a_fragment_mid_arguments_continues_the_call():
    """LM Studio-style servers send a new id with each fragment (see NousResearch/hermes-agent's accumulator)."""
    assert assemble(part(0, "c1", "book_meeting", '{"rep_id"'), part(0, "c2", None, ': 3}')) == [
        ("c1", "book_meeting", {"rep_id": 3})]


def test_a_second_name_after_a_call_without_arguments_opens_a_new_call():
    result = assemble(part(None, None, "lookup_lead", ""), part(None, None, "check_availability", "{}"))
    assert [(name, args) for _, name, args in result] == [("lookup_lead", {}), ("check_availability", {})]
    assert len({call_id for call_id, _, _ in result}) == 2


def test_calls_keep_the_order_they_were_opened_in_even_when_indexes_are_not():
    result = assemble(part(1, "b", "end_call", '{"outcome": "booked"}'), part(0, "a", "lookup_lead", "{}"))
    assert [r[1] for r in result] == ["end_call", "lookup_lead"]


def test_arguments_that_never_became_json_are_marked_unparsed_not_raised():
    assert assemble(part(0, "c1", "book_meeting", '{"rep_id": 3')) == [
        ("c1", "book_meeting", {UNPARSED: '{"rep_id": 3'})]


def test_a_call_cut_by_the_length_limit_or_without_a_name_is_dropped():
    assert assemble(part(0, "c1", "book_meeting", '{"rep_id": 3'), finish="length") == []
    assert assemble(part(0, "c1", None, "{}")) == []
