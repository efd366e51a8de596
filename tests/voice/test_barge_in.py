"""Barge-in: the caller talks over the agent."""
from voice.sim.personas import Line

from .calls import agent_turns, caller_turns, converse, live_call
from .scripts import long_opening_campaign, pieces


def _marks_echoed_before_clear(log) -> list[str]:
    before = []
    for kind, detail in log.events:
        if kind == "clear":
            return before
        if kind == "echo":
            before.append(detail)
    return before


def test_the_interrupted_turn_keeps_exactly_the_sentences_the_caller_heard(voice_server, persona):
    name = persona(
        "interrupts_opening",
        Line("Hello?", "at_start"),
        Line("Sorry, wait, who is this?", "over_agent", after_ms=3500),
        Line("Okay, bye."),
    )
    call = live_call(long_opening_campaign())
    log, m = converse(call, name)

    opening = agent_turns(call)[0]
    heard_marks = _marks_echoed_before_clear(log)
    heard = max(int(mark.split(":")[1]) for mark in heard_marks) + 1
    segments = pieces(opening.text)
    assert opening.interrupted
    assert 1 <= heard < len(segments)
    assert opening.heard_text == " ".join(segments[:heard])
    assert log.clears == 1 and m.interruptions == 1
    # The reply answers the interruption (the scripted agent re-introduces itself), not the unheard sentences.
    reply = agent_turns(call)[1]
    assert reply.text.startswith("Sorry about that.") and "AI assistant" in reply.text
    assert "Sorry, wait, who is this?" in [t.text for t in caller_turns(call)]


def test_clear_goes_out_within_one_frame_of_the_decision_and_nothing_of_that_reply_plays_after(
    voice_server, persona
):
    name = persona(
        "interrupts_once",
        Line("Hello?", "at_start"),
        Line("Hold on, I have a question.", "over_agent", after_ms=3000),  # after the AI disclosure
        Line("Bye now."),
    )
    call = live_call(long_opening_campaign())
    log, m = converse(call, name)

    assert len(m.barge_ins) == 1
    decided_at, cleared_at = m.barge_ins[0]
    assert cleared_at - decided_at <= 1  # frames sent between the decision and the clear
    events = log.events
    clear = events.index(("clear", ""))
    interrupted_gen = int(next(d for k, d in reversed(events[:clear]) if k == "mark").split(":")[0])
    after = events[clear + 1 :]
    assert not [d for k, d in after if k == "mark" and int(d.split(":")[0]) == interrupted_gen]
    first_mark_after = next(d for k, d in after if k == "mark")
    media_before_next_reply = [k for k, _ in after[: after.index(("mark", first_mark_after))] if k == "media"]
    assert int(first_mark_after.split(":")[0]) > interrupted_gen
    # Every frame between the clear and the next reply's first mark belongs to that next reply, which starts
    # only after the caller finished the question: none of the interrupted reply's audio.
    said = events.index(("said", "Hold on, I have a question."))
    spoken_over = [k for k, _ in events[said:clear] if k == "media"]
    assert len(spoken_over) <= 25  # the decision came within ~0.5 s of talking over the agent
    assert media_before_next_reply  # the next reply did play


def test_a_backchannel_does_not_interrupt(voice_server, persona):
    name = persona(
        "says_yeah",
        Line("Hello?", "at_start"),
        Line("yeah", "over_agent", after_ms=1500, backchannel=True),
        Line("No thanks, I'm not interested. Goodbye."),
    )
    call = live_call(long_opening_campaign())
    log, m = converse(call, name)

    opening = agent_turns(call)[0]
    assert log.clears == 0 and m.interruptions == 0
    assert m.backchannels == 1
    assert not opening.interrupted and opening.heard_text == opening.text
    assert "yeah" in [t.text for t in caller_turns(call)]


def test_late_audio_of_a_cancelled_reply_is_dropped(voice_server, persona, monkeypatch):
    monkeypatch.setitem(
        __import__("voice.providers.factory", fromlist=["PROVIDERS"]).PROVIDERS["tts"],
        "rehearsal",
        "tests.voice.doubles.StubbornTTS",
    )
    name = persona(
        "interrupts_stubborn",
        Line("Hello?", "at_start"),
        Line("Wait, stop, who is calling?", "over_agent", after_ms=3000),
        Line("Bye."),
    )
    call = live_call(long_opening_campaign())
    log, m = converse(call, name)

    assert m.interruptions == 1
    assert m.late_audio_dropped > 0  # the TTS kept sending after cancel; none of it was played
    clear = log.events.index(("clear", ""))
    interrupted_gen = int(next(d for k, d in reversed(log.events[:clear]) if k == "mark").split(":")[0])
    assert not [d for k, d in log.events[clear:] if k == "mark" and d.startswith(f"{interrupted_gen}:")]


def test_a_cough_without_words_resumes_the_unheard_rest(voice_server, persona):
    name = persona(
        "coughs",
        Line("Hello?", "at_start"),
        Line("", "over_agent", after_ms=3200, noise_ms=700),
        Line("Okay, bye."),
    )
    call = live_call(long_opening_campaign())
    log, m = converse(call, name)

    interrupted, resumed = agent_turns(call)[:2]
    assert interrupted.interrupted and m.false_interruptions == 1
    unheard = interrupted.text[len(interrupted.heard_text) :].strip()
    assert unheard and resumed.text == unheard
    assert resumed.heard_text == resumed.text  # the rest was played to the end
