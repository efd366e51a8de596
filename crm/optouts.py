"""A person asked not to be called again: the do-not-call list, and no further attempt in any campaign."""
from __future__ import annotations

import re

from django.db import transaction

from campaigns.models import CampaignLead
from webhooks import payloads as webhook_payloads

from .models import Call, DoNotCall, Lead


@transaction.atomic
def record_opt_out(lead: Lead, reason: str = "", call: Call | None = None) -> DoNotCall:
    entry, created = DoNotCall.objects.get_or_create(
        phone=lead.phone,
        defaults={
            "source": DoNotCall.Source.OPT_OUT,
            "reason": (reason or (f"Asked on call {call.pk}" if call else "Asked on a call"))[:255],
        },
    )
    if created:
        webhook_payloads.lead_opted_out(lead, entry, call)
    # A row in flight (this call) is moved on by the dialer's finalize_call, which sees the DNC entry.
    settled = (CampaignLead.State.DONE, CampaignLead.State.CLAIMED)
    CampaignLead.objects.filter(lead=lead).exclude(state__in=settled).update(
        state=CampaignLead.State.DO_NOT_CALL, next_attempt_at=None
    )
    return entry


# --- the deterministic opt-out net ----------------------------------------------------------------------------
# A caller's "stop calling me" must put the number on the do-not-call list even if the model never calls
# record_opt_out (FTC Telemarketing Sales Rule, 16 CFR 310.4(b)(1)(iii)(A): a seller must honour a person's
# request not to receive calls). Phrases are matched on a normalised clause; each pattern also fixes what may
# follow it, so "don't call me before nine" or "take me off hold" are not read as opt-outs.

_CONTRACTIONS = (
    (r"\b(do|does|did|is|are|was|were|have|has|had|would|should|could|must)n'?t\b", r"\1 not"),
    (r"\bwon'?t\b", "will not"), (r"\bcan'?t\b", "cannot"), (r"\bain'?t\b", "am not"),
    (r"\bi'?m\b", "i am"), (r"\b(i|you|we|they)'d\b", r"\1 would"), (r"\b(you|we|they)'re\b", r"\1 are"),
    (r"\b(i|you|we|they)'ve\b", r"\1 have"), (r"\b(i|you|we|they)'ll\b", r"\1 will"),
    (r"\b(it|that|what)'s\b", r"\1 is"), (r"\bwanna\b", "want to"), (r"\bgotta\b", "got to"),
)
_FILLERS = re.compile(
    r"\b(?:um+|uh+|uhm|umm|er|erm|ah|hmm+|mm+|oh|please|pls|plz|kindly|just|ever|really|seriously|honestly"
    r"|actually|literally|totally|okay|ok|so|well|look|listen|hey|yeah|yes|you know|i mean|already)\b"
)
# Ways of asking ("can you", "I need you to") that wrap the request itself.
_WRAPPERS = re.compile(
    r"\b(?:why do not you|why not|(?:can|could|would|will) you|go ahead and|you (?:need|have|got|ought) to"
    r"|you (?:should|must|better)|(?:i|we) (?:want|need|would like|am asking|asked|told|am telling) you to"
    r"|i am telling you|i said)\b"
)
_OBJECT = r"(?: (?:me|us|this number|my number|this phone number|my phone number|here|this line|this house))"
_TAIL = r"(?: (?:again|anymore|any more|no more|at all|ever again))?"
_AFTER = (r"(?=$| (?:thanks|thank you|because|cause|period|goodbye|bye|or (?:text|email|call|contact|message)"
          r"|and (?:remove|take|delete|stop|do not|never|put|add|lose|forget))\b)")
_AFTER_STOP = _AFTER.replace("(?:thanks|", "(?:now|right now|thanks|")
_WHOSE = r"(?:your|the|this|that|ur|all|all your|any|every) (?:\w+ )?(?:list|lists|database|system|records)"
_LIST = rf"(?: (?:from|off|of) {_WHOSE})?"
# (pattern, negatable_by: "immediate" = only "not"/"never" just before or a reported wish; "any" = any "not" near)
_PATTERNS = (
    (r"\b(?:do not call|no call) (?:list|registry|register)\b|\bdnc(?: (?:list|registry|register))?\b", "any"),
    (r"\b(?:stop|quit|cease|end) (?:with )?(?:the|these|all the|all these|your|all) (?:phone )?(?:calls|calling)"
     + _AFTER_STOP, "immediate"),
    (r"\b(?:stop|quit|cease) (?:calling|call|ringing|phoning|contacting|texting|bothering|harassing)"
     r"(?: (?:me|us|this number|my number|this phone|my phone|my cell|this line|here|this house))?"
     + _TAIL + _AFTER_STOP, "immediate"),
    (r"\b(?:do not|never|not|cannot|will not) (?:call|ring|phone|contact|text)" + _OBJECT + "?" + _TAIL + _AFTER,
     "immediate"),
    (r"\btake (?:me|us|my number|this number|my name|my phone number) (?:off|of|out of)" + rf"(?: {_WHOSE})?"
     + _AFTER_STOP, "immediate"),
    (r"\b(?:remove|delete|erase|lose|forget|scrub) (?:me|us|my number|this number|my phone number|my name|my info)"
     + _LIST + _AFTER_STOP, "immediate"),
    (r"\b(?:want|like|wish|need|asked|asking) to be (?:removed|taken off|taken out|unsubscribed|put on (?:your|the) "
     r"(?:do not call|dnc))", "immediate"),
    (r"\b(?:do not|no longer) want (?:any more |anymore |any |these |your |more |no more )?(?:phone )?calls"
     + _TAIL + _AFTER, "immediate"),
    (r"\b(?:do not|no longer) want (?:to be|you|anyone|anybody|you guys) (?:to )?(?:called|contacted|calling|call"
     r"|contact|contacting)" + _OBJECT + "?" + _TAIL + _AFTER, "immediate"),
    (r"\bno more (?:phone )?(?:calls|calling)\b", "immediate"),
    (r"\bunsubscrib\w*", "immediate"),
    (r"\bopt(?:ed|ing)? (?:me |us )?out\b|\boptout\b", "immediate"),
)
_COMPILED = tuple((re.compile(p), how) for p, how in _PATTERNS)
_REPORTED = {"want", "wanted", "say", "said", "saying", "ask", "asked", "asking", "mean", "meant", "tell", "told",
             "telling", "need", "think", "on"}


def normalise(text: str) -> list[str]:
    """The caller's words as clauses a phrase can match: lower case, contractions expanded ("don't" → "do not"),
    STT spellings unified ("d n c" → "dnc", "do-not-call" → "do not call"), fillers and polite wrappers
    ("um", "please", "can you") dropped. Clauses split at punctuation."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"\bd[\s.\-]*n[\s.\-]*c\b\.?", "dnc", text)
    text = text.replace("-", " ")
    for pattern, replacement in _CONTRACTIONS:
        text = re.sub(pattern, replacement, text)
    clauses = []
    for clause in re.split(r"[.!?;,:\n]+", text):
        clause = re.sub(r"[^a-z0-9' ]+", " ", clause)
        clause = _WRAPPERS.sub(" ", _FILLERS.sub(" ", clause))
        clause = " ".join(clause.split())
        if clause:
            clauses.append(clause)
    return clauses


def detect(text: str) -> str | None:
    """The opt-out phrase in a caller's final turn, normalised (e.g. "take me off your list"), or None.

    Catches the common ways of asking not to be called (stop calling, take me off your list, put me on the
    do-not-call list, unsubscribe, remove/lose my number, opt out, never call again) and not what only sounds
    like them ("don't stop, go on", "remove the old number, use this one", "don't call me before nine").
    """
    for clause in normalise(text or ""):
        for pattern, negatable in _COMPILED:
            for match in pattern.finditer(clause):
                if not _negated(clause[: match.start()].split()[-4:], negatable):
                    return match.group(0).strip()
    return None


def _negated(before: list[str], how: str) -> bool:
    """Whether the words just before a phrase deny it ("I never said stop calling", "I'm not on the dnc list")."""
    negators = {"not", "never"}
    if before and before[-1] in negators:
        return True
    if not negators & set(before):
        return False
    return how == "any" or bool(_REPORTED & set(before))
