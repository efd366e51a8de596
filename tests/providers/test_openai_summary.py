"""The post-call summary and qualification fields come back as structured output (a strict JSON schema)."""
from __future__ import annotations

import pytest

from voice.providers.base import CallSummary, ProviderError

FIELDS = [
    {"field": "team_size", "question": "How many people are on your sales team?"},
    {"field": "current_tool", "question": "What do you use today to reach new leads?"},
]
TRANSCRIPT = [
    {"speaker": "agent", "text": "Hi Pat, this is an AI assistant calling for Test Co."},
    {"speaker": "caller", "text": "Sure, go ahead."},
    {"speaker": "agent", "text": "How many people are on your sales team?"},
    {"speaker": "caller", "text": "About twelve people."},
]


async def test_it_asks_for_a_strict_schema_with_one_property_per_field(llm, openai_server):
    await llm.summarize(TRANSCRIPT, FIELDS)

    body = openai_server.requests()[0]
    assert "stream" not in body or body["stream"] is False
    spec = body["response_format"]["json_schema"]
    assert body["response_format"]["type"] == "json_schema" and spec["strict"] is True
    fields = spec["schema"]["properties"]["fields"]
    assert fields["required"] == ["team_size", "current_tool"]
    assert fields["properties"]["team_size"] == {"type": ["string", "null"],
                                                 "description": "How many people are on your sales team?"}
    assert "Caller: About twelve people." in body["messages"][-1]["content"]


async def test_the_answer_becomes_a_summary_with_only_the_fields_the_caller_answered(llm, openai_server):
    summary = await llm.summarize(TRANSCRIPT, FIELDS)

    assert isinstance(summary, CallSummary) and "About twelve people." in summary.summary
    assert summary.extracted == {"team_size": "About twelve people."}


async def test_an_answer_that_is_not_the_json_asked_for_raises(llm, openai_server):
    openai_server.faults.arm("malformed")
    with pytest.raises(ProviderError, match="not the JSON"):
        await llm.summarize(TRANSCRIPT, FIELDS)


async def test_a_server_error_is_retried_before_giving_up(llm, openai_server):
    openai_server.faults.arm("reject_503")
    summary = await llm.summarize(TRANSCRIPT, FIELDS)

    assert summary.extracted == {"team_size": "About twelve people."}
    assert openai_server.recorder.count("request") == 2
