"""Booking a meeting on a call; a slot another call took meanwhile is refused by the database."""
import datetime as dt
import io
import wave

from crm.models import Call, Meeting, Rep
from tests import factories
from voice import tools
from voice.audio import SAMPLE_RATE
from voice.sim.personas import Line

from .calls import agent_turns, converse, live_call, zone_in_daytime


def _rms(samples: list[int]) -> float:
    return (sum(s * s for s in samples) / max(1, len(samples))) ** 0.5


def test_a_slot_taken_meanwhile_is_refused_and_the_agent_books_another(voice_server, persona, monkeypatch):
    zone = zone_in_daytime()
    campaign = factories.campaign()
    campaign.reps.add(factories.rep(timezone=zone, weekdays=range(7)))
    taken: list[dict] = []
    check = tools._TOOLS["check_availability"]

    def another_call_books_the_first_slot(ctx, **kwargs):
        result = check(ctx, **kwargs)
        first = result.data["slots"][0]
        factories.meeting(Rep.objects.get(pk=first["rep_id"]), start=dt.datetime.fromisoformat(first["start"]))
        taken.append(first)
        return result

    monkeypatch.setitem(tools._TOOLS, "check_availability", another_call_books_the_first_slot)
    name = persona(
        "books_first",
        Line("Hello?", "at_start"),
        Line("Sure."),
        Line("The first one works for me."),
        Line("Yes, that works."),
    )
    call = live_call(campaign)
    log, m = converse(call, name)

    call.refresh_from_db()
    assert call.outcome == Call.Outcome.BOOKED
    booked = Meeting.objects.get(lead=call.lead)
    assert booked.call == call and booked.start != dt.datetime.fromisoformat(taken[0]["start"])
    texts = [t.text for t in agent_turns(call)]
    assert any("just taken" in t for t in texts)
    assert "You're all set" in texts[-1]
    assert log.hung_up_by == "agent"


def test_the_recording_is_stereo_with_the_caller_left_and_the_agent_right(voice_server, persona):
    name = persona("hello_bye", Line("Hello?", "at_start"), Line("No thanks, not interested. Bye."))
    call = live_call()
    converse(call, name)

    call.refresh_from_db()
    with wave.open(io.BytesIO(call.recording.read())) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, SAMPLE_RATE)
        pcm = w.readframes(w.getnframes())
    samples = memoryview(pcm).cast("h")
    left, right = samples[0::2], samples[1::2]
    hello = slice(int(0.32 * SAMPLE_RATE), int(0.55 * SAMPLE_RATE))  # the callee says "Hello?" at 300 ms
    assert _rms(list(left[hello])) > 500 and _rms(list(right[hello])) < 50
    opening = agent_turns(call)[0]
    spoken = slice(int((opening.started_ms + 200) * 8), int((opening.started_ms + 1200) * 8))
    assert _rms(list(right[spoken])) > 500
