"""A test call: a person talks to a script version from the browser, through the same `CallSession` as a phone
call, written to `campaigns.TestCall` instead of a campaign's `Call`.

What differs from a campaign call, and nothing else:
- records: turns, the end and the recording go to the TestCall row; no dialer hand-over, no do-not-call entry
  (a spoken opt-out is shown, not recorded);
- tools: as in the playground (`campaigns.playground.run_tool`): read-only tools run for real, booking, opt-out,
  transfer and hang-up are answered as a dry run; `end_call` still ends the test call once its words were heard;
- no telephony (no provider line to hang up) and no call-event bus subscription (no webhook tells a test call
  anything). Its session uses a negative call id, so nothing keyed by call id (metrics, listen taps) meets a
  campaign call's.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from voice import db
from voice.records import CallInfo
from voice.session import CallSession
from voice.tools import ToolResult

log = logging.getLogger(__name__)

TOOL_DEADLINE_S = 10.0
TURN_FIELDS = ("index", "speaker", "text", "heard_text", "interrupted", "started_ms", "ended_ms", "stt_ms",
               "llm_ms", "tts_ms", "v2v_ms", "opt_out_phrase")  # fmt: skip


def session_id(test_call_id: int) -> int:
    """The session's call id for a test call: negative, never a campaign call's id."""
    return -test_call_id


def _test_call(call_id: int):
    from campaigns.models import TestCall

    return TestCall.objects.select_for_update().get(pk=-call_id)


class TestCallRecords:
    """The `voice.records` functions a session calls, for a TestCall (each runs in `db.run`'s threads)."""

    __test__ = False

    @staticmethod
    def mark_media_started(call_id: int) -> None:
        return None

    @staticmethod
    def live_state(call_id: int) -> dict[str, Any]:
        return {"answered_by": "", "ended": False}

    @staticmethod
    def save_turns(call_id: int, turns: list[dict[str, Any]]) -> None:
        """Merge turns by index (a retried write changes nothing)."""
        with transaction.atomic():
            row = _test_call(call_id)
            by_index = {t["index"]: t for t in row.turns}
            for turn in turns:
                by_index.setdefault(turn["index"], {k: turn.get(k) for k in TURN_FIELDS if k in turn})
            row.turns = [by_index[i] for i in sorted(by_index)]
            row.save(update_fields=["turns"])

    @staticmethod
    def record_spoken_opt_out(call_id: int, phrase: str) -> None:
        log.info("test call %s: opt-out phrase %r heard (dry run: no do-not-call entry)", -call_id, phrase)

    @staticmethod
    def save_disclosure_heard(call_id: int, heard: bool | None) -> None:
        from campaigns.models import TestCall

        TestCall.objects.filter(pk=-call_id).update(disclosure_heard=heard)

    @staticmethod
    def save_call_end(call_id: int, outcome: str, error: str, recording: bytes | None) -> None:
        with transaction.atomic():
            row = _test_call(call_id)
            if recording:
                row.recording.save(f"test-call-{row.pk}.wav", ContentFile(recording), save=False)
            row.outcome, row.error, row.ended_at = outcome, error, timezone.now()
            row.save(update_fields=["recording", "outcome", "error", "ended_at"])

    @staticmethod
    def finalize(call_id: int) -> None:
        return None  # nothing for the dialer to do

    @staticmethod
    def save_provider_switches(call_id: int, switches: list[dict[str, Any]]) -> None:
        log.info("test call %s: provider switches %s", -call_id, switches)  # a test call has no call page


def load(test_call_id: int) -> tuple[CallInfo, Any]:
    """The session's `CallInfo` for a test call, and its ScriptVersion. Raises TestCall.DoesNotExist."""
    from campaigns import playground
    from campaigns.models import TestCall
    from campaigns.scripts import script_fields

    row = TestCall.objects.select_related("script_version").get(pk=test_call_id)
    version = row.script_version
    context = playground.context_for(version)
    context.call_id = session_id(test_call_id)
    context.campaign = {**context.campaign, "test_call": test_call_id}
    info = CallInfo(
        call_id=session_id(test_call_id),
        lead_id=0,
        campaign_id=0,
        answered_by="",
        voicemail_policy="hang_up",
        max_call_seconds=int(context.campaign.get("max_call_seconds") or 600),
        context=context,
        script=script_fields(version),
    )
    return info, version


class TestCallSession(CallSession):
    """`CallSession` for a test call (see the module docstring)."""

    __test__ = False

    records = TestCallRecords
    on_telephony = False

    def __init__(self, info: CallInfo, transport, version, **kwargs: Any) -> None:
        super().__init__(info, transport, **kwargs)
        self.version = version

    def _subscribe_events(self) -> asyncio.Future[None]:
        done: asyncio.Future[None] = self.loop.create_future()
        done.set_result(None)
        return done

    def _unsubscribe_events(self) -> None:
        return None

    async def _run_tool(self, call) -> ToolResult:
        from campaigns import playground

        try:
            data = await asyncio.wait_for(
                db.run(playground.run_tool, self.version, call.name, call.arguments), timeout=TOOL_DEADLINE_S
            )
        except Exception as exc:
            log.warning("test call %s: tool %s failed: %r", -self.call_id, call.name, exc)
            return ToolResult({"error": f"{call.name} failed ({type(exc).__name__}); go on without it"})
        if "error" in data:
            return ToolResult(data)
        if call.name == "end_call":
            return ToolResult(data, end_outcome=str(call.arguments.get("outcome") or "conversation"))
        if call.name == "book_meeting":
            return ToolResult(data, outcome="booked")
        if call.name == "record_opt_out":
            return ToolResult(data, outcome="opt_out")
        return ToolResult(data)
