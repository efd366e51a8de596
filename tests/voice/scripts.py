"""Scripts for voice tests: an opening of several sentences, so that what was heard can be told apart."""
from __future__ import annotations

from campaigns.scripts import save_new_version
from tests import factories

LONG_OPENING = (
    "Hi {first_name}, this is Sam, an AI assistant calling for Test Co. We help sales teams book more meetings "
    "without more work. I would love to tell you how it works. Do you have a minute?"
)


def long_opening_campaign(**fields):
    script = factories.script()
    save_new_version(script, publish=True, opening_line=LONG_OPENING)
    return factories.campaign(script=script, **fields)


def pieces(text: str) -> list[str]:
    """How the session cuts a spoken line into the pieces it marks (first clause, then sentences)."""
    from voice.turns import SentenceSplitter

    splitter = SentenceSplitter(first_clause=True)
    return splitter.feed(text + " ") + splitter.flush()
