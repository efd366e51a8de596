"""`voice.db.run` tries a write again after a database error, so every write the voice loop makes must come out
of a retry as it comes out of one clean run: the same answer and the same rows.

Two kinds of failure are played, for every write and every statement it runs:
- a statement fails part way through (SQLite's "database table is locked", a dropped PostgreSQL connection):
  whatever ran before it must not make the retry answer otherwise;
- the write ran to its end but the caller saw an error (the connection dropped after COMMIT, before the
  acknowledgement): the retry meets its own committed work and must recognise it.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import OperationalError
from django.db.backends import utils as db_utils
from django.utils import timezone

from campaigns.models import CampaignLead
from crm.models import Call, DoNotCall, Turn
from tests import factories
from voice import db, records
from webhooks.models import WebhookDelivery, WebhookEndpoint

from .calls import live_call

AFTER = "after the commit"
DML = ("SELECT", "INSERT", "UPDATE", "DELETE")


class Faults:
    """Counts the data statements run on any thread and raises OperationalError once, at statement `at`."""

    def __init__(self) -> None:
        self.at: int | None = None
        self.seen = 0
        self.fired = False
        self._lock = threading.Lock()

    def arm(self, at: int | None) -> None:
        with self._lock:
            self.at, self.seen, self.fired = at, 0, False

    def check(self, sql: str) -> None:
        if not sql.lstrip().upper().startswith(DML):
            return
        with self._lock:
            index, self.seen = self.seen, self.seen + 1
            if self.at is not None and index == self.at and not self.fired:
                self.fired = True
                raise OperationalError("database table is locked")


@pytest.fixture
def faults(transactional_db, settings, monkeypatch):
    settings.VOICE_DB_THREADS = 2
    settings.VOICE_DB_DEADLINE_S = 5.0
    db.shutdown()
    plan = Faults()
    execute = db_utils.CursorWrapper._execute

    def counted(self, sql, params, *rest):
        plan.check(sql)
        return execute(self, sql, params, *rest)

    monkeypatch.setattr(db_utils.CursorWrapper, "_execute", counted)
    monkeypatch.setattr("webhooks.sender.send_soon", lambda ids: None)
    yield plan
    db.shutdown()


@dataclass
class Write:
    """One write as the voice loop makes it: `prepare()` makes fresh rows and gives (fn, args, after) where
    `after(result, fault)` asserts the answer and the rows one clean run leaves."""

    name: str
    prepare: Callable[[], tuple[Callable[..., Any], tuple, Callable[[Any], None]]]


def _run(plan: Faults, fn: Callable[..., Any], args: tuple, fault: int | str | None) -> Any:
    if fault == AFTER:
        done = threading.Event()

        def unacknowledged(*a: Any) -> Any:
            result = fn(*a)
            if not done.is_set():
                done.set()
                raise OperationalError("server closed the connection unexpectedly")  # after its COMMIT
            return result

        plan.arm(None)
        result = asyncio.run(db.run(unacknowledged, *args))
        assert done.is_set()
        return result
    plan.arm(fault)
    result = asyncio.run(db.run(fn, *args))
    assert fault is None or plan.fired, f"statement {fault} never ran"
    return result


def _claim(saved_sid: bool) -> Callable:
    def prepare():
        call = live_call()
        sid = call.provider_sid
        Call.objects.filter(pk=call.pk).update(
            status=Call.Status.RINGING, answered_at=None, provider_sid=sid if saved_sid else ""
        )

        def after(claimed, fault):
            assert claimed is True, "the stream was refused its own call"
            row = Call.objects.get(pk=call.pk)
            assert (row.status, row.provider_sid) == (Call.Status.IN_PROGRESS, sid)
            assert row.media_started_at is not None and row.answered_at is not None
            assert asyncio.run(db.run(records.claim_media, call.pk, sid, timezone.now())) is False, "a replay won"

        return records.claim_media, (call.pk, sid, timezone.now()), after

    return prepare


def _media_started():
    call = live_call()
    Call.objects.filter(pk=call.pk).update(status=Call.Status.RINGING, answered_at=None)

    def after(_, fault):
        row = Call.objects.get(pk=call.pk)
        assert row.status == Call.Status.IN_PROGRESS and row.media_started_at and row.answered_at

    return records.mark_media_started, (call.pk,), after


def _turns():
    call = live_call()
    turns = [{"index": i, "speaker": "caller" if i % 2 else "agent", "text": f"line {i}"} for i in range(3)]

    def after(_, fault):
        assert list(Turn.objects.filter(call=call).order_by("index").values_list("text", flat=True)) == [
            "line 0", "line 1", "line 2"
        ]

    return records.save_turns, (call.pk, turns), after


def _call_end():
    call = live_call()
    Call.objects.filter(pk=call.pk).update(error="dialed twice", media_started_at=timezone.now())
    wav = b"RIFF" + b"\0" * 40

    def after(_, fault):
        row = Call.objects.get(pk=call.pk)
        assert (row.outcome, row.error) == ("not_interested", "dialed twice\ntts: socket closed")
        assert row.media_ended_at is not None
        assert row.recording.name.endswith(f"call-{call.pk}.wav"), row.recording.name
        files = row.recording.storage.listdir(row.recording.name.rsplit("/", 1)[0])[1]
        assert [n for n in files if n.startswith(f"call-{call.pk}")] == [f"call-{call.pk}.wav"], "a stray file"
        row.recording.delete(save=False)

    return records.save_call_end, (call.pk, "not_interested", "tts: socket closed", wav), after


def _opt_out():
    WebhookEndpoint.objects.get_or_create(
        url="https://hooks.example.com/parley", defaults={"events": ["lead.opted_out"], "secret": "s"}
    )
    call = live_call()
    elsewhere = factories.hopper_entry(factories.campaign(), call.lead)

    def after(_, fault):
        assert DoNotCall.objects.filter(phone=call.lead.phone).count() == 1
        assert CampaignLead.objects.get(pk=elsewhere.pk).state == CampaignLead.State.DO_NOT_CALL
        events = WebhookDelivery.objects.filter(event="lead.opted_out", body__contains=f'"call_id":{call.pk}')
        assert events.count() <= 1, "the opt-out webhook was sent twice"
        if fault in (None, AFTER):  # a failed webhook row is logged and dropped (webhooks.events.emit)
            assert events.count() == 1, "the opt-out webhook was lost"

    return records.record_spoken_opt_out, (call.pk, "stop calling me"), after


WRITES = [
    Write("claim_media, sid saved", _claim(saved_sid=True)),
    Write("claim_media, sid not saved yet", _claim(saved_sid=False)),
    Write("mark_media_started", _media_started),
    Write("save_turns", _turns),
    Write("save_call_end", _call_end),
    Write("record_spoken_opt_out", _opt_out),
]


@pytest.mark.parametrize("write", WRITES, ids=[w.name for w in WRITES])
def test_a_retried_write_answers_and_leaves_what_one_clean_run_does(faults, write, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fn, args, after = write.prepare()
    result = _run(faults, fn, args, None)
    statements = faults.seen
    after(result, None)
    assert statements > 0
    for fault in [*range(statements), AFTER]:
        fn, args, after = write.prepare()
        after(_run(faults, fn, args, fault), fault)
