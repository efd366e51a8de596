"""When caller speech during agent speech takes the turn, and when it is only a backchannel."""
from voice.turns import TurnSettings, is_backchannel, same_words, should_interrupt

TURN = TurnSettings()


def test_short_sounds_never_interrupt():
    assert not should_interrupt(180, "stop", TURN)


def test_words_that_are_not_a_backchannel_interrupt_once_past_the_threshold():
    assert should_interrupt(220, "wait", TURN)


def test_backchannels_do_not_interrupt_however_long():
    for text in ("uh-huh", "yeah", "right", "mm-hmm", "okay sure"):
        assert is_backchannel(text)
        assert not should_interrupt(900, text, TURN)


def test_a_backchannel_followed_by_real_words_interrupts():
    assert should_interrupt(700, "yeah but who is this", TURN)


def test_sound_without_words_interrupts_only_when_long():
    assert not should_interrupt(400, "", TURN)
    assert should_interrupt(TURN.barge_in_wordless_ms, "", TURN)


def test_speculation_stands_when_the_final_says_the_same_words():
    assert same_words("About twelve people", "about twelve people.")
    assert not same_words("About twelve", "About twelve people.")
