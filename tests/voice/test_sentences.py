"""Streamed reply text is cut into the pieces sent to TTS: the first clause early, then whole sentences."""
from voice.turns import SentenceSplitter


def _feed(tokens: list[str]) -> list[str]:
    splitter = SentenceSplitter()
    out = []
    for token in tokens:
        out += splitter.feed(token)
    return out + splitter.flush()


def test_the_first_clause_goes_out_before_its_sentence_ends():
    assert _feed(["Great", ",", " thanks", ".", " How", " many", " people", "?"]) == [
        "Great,",
        "thanks.",
        "How many people?",
    ]


def test_later_commas_do_not_cut_a_sentence():
    pieces = _feed(["Sure. ", "I can do Tuesday, ", "or Wednesday, ", "your time. ", "Which works?"])
    assert pieces == ["Sure.", "I can do Tuesday, or Wednesday, your time.", "Which works?"]


def test_a_piece_is_only_cut_after_the_space_that_follows_its_punctuation():
    splitter = SentenceSplitter(first_clause=False)
    assert splitter.feed("It costs 99.") == []
    assert splitter.feed("50 dollars. Ok") == ["It costs 99.50 dollars."]
    assert splitter.flush() == ["Ok"]
