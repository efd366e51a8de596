"""Vendor clients are shared on a loop and let go of when their loop closes."""
from __future__ import annotations

import asyncio

from voice.providers import warm
from voice.providers.base import CallContext
from voice.providers.openai_llm import OpenAILLM


def test_each_loop_gets_its_own_client_and_closed_loops_are_forgotten(vendor_settings):
    kept = []

    async def clients():
        loop = asyncio.get_running_loop()
        kept.append(loop)  # held on purpose, as pooled connections would hold it
        one = OpenAILLM.for_call(CallContext(call_id=1)).client()
        two = OpenAILLM.for_call(CallContext(call_id=2)).client()
        return one, two, [other for other in warm._by_loop if other is not loop]

    first_a, first_b, _ = asyncio.run(clients())
    second, _, others = asyncio.run(clients())

    assert first_a is first_b and second is not first_a
    assert others == []  # the first loop closed: its client was dropped
