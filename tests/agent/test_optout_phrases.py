"""The deterministic opt-out net: the common ways people ask not to be called, and what only sounds like it."""
import pytest

from crm.optouts import detect

OPT_OUTS = [
    "stop calling me",
    "Stop calling!",
    "STOP CALLING ME!!!",
    "take me off your list",
    "Please take me off your calling list.",
    "Not interested. Take me off.",
    "take me of your list",  # STT hears "of" for "off"
    "Take my number off your list.",
    "put me on your do not call list",
    "Add me to the do-not-call list.",
    "Put this number on the DNC list.",
    "put me on d n c",
    "I'm on the do not call registry.",
    "don't ever call this number again",
    "Do not call me again.",
    "Don't call me anymore.",
    "dont call me no more",  # no apostrophe, as STT often writes it
    "Never call me again.",
    "Seriously, never call here again.",
    "Could you not call me anymore?",
    "unsubscribe me",
    "Unsubscribe.",
    "remove my number",
    "Remove me from your list.",
    "Remove me.",
    "Delete my number.",
    "Forget this number.",
    "lose my number",
    "I want to opt out",
    "Opt me out.",
    "I already opted out.",
    "Can you stop calling me?",
    "Why don't you stop calling me?",
    "Quit calling me.",
    "Stop calling this number.",
    "Please stop calling my phone.",
    "I asked you to stop calling me.",
    "You need to stop calling here.",
    "Um, uh, please just stop calling.",
    "Stop ringing me.",
    "Stop contacting me.",
    "Do not contact me again.",
    "I don't want any more calls.",
    "No more calls, please.",
    "Stop with the calls.",
    "Stop these calls.",
    "I'd like to be removed from your list.",
    "I want to be taken off your list.",
    "I don't want to be called again.",
    "Look, I'm not interested, so stop calling me, okay?",
    "Take us off your list right now.",
    "I've told you people three times to stop calling.",
    "Do not text me.",
]

NOT_OPT_OUTS = [
    "don't stop, go on",
    "Don't stop now, I'm listening.",
    "remove the old number, use this one",
    "can you call me back later",
    "stop, I have a question",
    "Stop, stop, let me think.",
    "Stop right there, what's the price?",
    "I'm not on any list",
    "please call me back tomorrow",
    "Don't call me before nine.",
    "Don't call me before nine or after five.",
    "don't call me sir",
    "Don't call me Robert, call me Bob.",
    "Call me Bob.",
    "Don't call me at work, call me at home.",
    "Don't call my cell, call the office.",
    "Call me at my office number instead.",
    "I'm not saying stop calling, just call later.",
    "I never said stop calling.",
    "I don't want you to stop calling.",
    "Yeah, keep calling me every week.",
    "Did you stop calling my mom?",
    "take me off hold please",
    "Can you take me off speaker?",
    "Take me through the options.",
    "put me on your mailing list",
    "I want to opt in.",
    "I didn't unsubscribe, I still want the updates.",
    "I'd like to remove the second slot.",
    "Remove the Tuesday slot please.",
    "My number changed, use my cell.",
    "I'm on the list for the webinar.",
    "Who gave you my number?",
    "Not interested right now, but call me next month.",
    "You can call me anytime.",
    "Please don't hang up.",
    "Hold on, let me get a pen.",
    "The list price seems high.",
    "Can you stop talking for a second?",
    "Call me back on this number.",
    "I don't mind the calls.",
    "Don't worry about it.",
    "Put me down for Thursday.",
    "Sure, go ahead and book it.",
    "What's on your list of features?",
    "Don't call me now, I'm driving.",
    "Don't call me today.",
    "Stop calling my mom.",
]


def test_there_are_at_least_forty_of_each():
    assert len(OPT_OUTS) >= 40 and len(NOT_OPT_OUTS) >= 40


@pytest.mark.parametrize("text", OPT_OUTS)
def test_an_opt_out_is_caught_with_the_phrase_as_evidence(text):
    evidence = detect(text)
    assert evidence, f"missed: {text!r}"
    assert len(evidence.split()) >= 1 and evidence == evidence.lower()


@pytest.mark.parametrize("text", NOT_OPT_OUTS)
def test_what_only_sounds_like_an_opt_out_is_not_caught(text):
    assert detect(text) is None


@pytest.mark.parametrize("text, phrase", [
    ("Um, please, just take me off your list.", "take me off your list"),
    ("Don't ever call this number again!", "do not call this number again"),
    ("Why don't you stop calling me?", "stop calling me"),
    ("put me on your do-not-call list", "do not call list"),
    ("Put this number on the D.N.C. list.", "dnc list"),
])
def test_the_evidence_is_the_normalised_phrase(text, phrase):
    assert detect(text) == phrase


@pytest.mark.parametrize("text", ["", "   ", "...", "uh", "stop"])
def test_empty_or_bare_words_are_not_opt_outs(text):
    assert detect(text) is None
