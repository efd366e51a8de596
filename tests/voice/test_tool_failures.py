"""A tool call that fails or hangs comes back to the model as an error; it never ends the call."""
from __future__ import annotations

import asyncio
import time

from django.db import OperationalError

from voice import db, tools


def _ctx() -> tools.ToolContext:
    return tools.ToolContext(call_id=1, lead_id=1, campaign_id=1, knowledge_base=())


def test_a_tool_whose_database_stays_down_returns_an_error(transactional_db, settings, monkeypatch):
    settings.VOICE_DB_DEADLINE_S = 0.2

    def down(ctx, **kwargs):
        raise OperationalError("the connection is lost")

    monkeypatch.setitem(tools._TOOLS, "lookup_lead", down)
    result = asyncio.run(tools.run_tool(_ctx(), "lookup_lead", {}))
    db.shutdown()

    assert "error" in result.data and not result.end_outcome


def test_a_tool_that_hangs_times_out_with_an_error(transactional_db, settings, monkeypatch):
    settings.TOOL_TIMEOUT_SECONDS = 0.3
    monkeypatch.setitem(tools._TOOLS, "lookup_lead", lambda ctx, **kwargs: time.sleep(1.0))
    started = time.monotonic()
    result = asyncio.run(tools.run_tool(_ctx(), "lookup_lead", {}))
    db.shutdown()

    assert "did not answer within 0.3 s" in result.data["error"] and time.monotonic() - started < 1.5
