"""Simulated inbound callers (`manage.py rehearse --inbound`): each rings one of our numbers and speaks first
after the agent's greeting. Registered into `voice.sim.personas.PERSONAS` on import."""
from __future__ import annotations

from voice.sim.personas import PERSONAS, Line, Persona

INBOUND_PERSONAS = (
    Persona(  # a prospect who wants a demo; gives a name when asked (unknown callers only)
        "inbound_demo",
        (
            Line("Hi, I'd like to see a demo of your product."),
            Line("My name is Jordan Lee."),
            Line("About eight people."),
            Line("Mostly spreadsheets."),
            Line("The first one works for me."),
            Line("Great, thanks. Bye."),
        ),
    ),
    Persona(  # a known customer with a question the knowledge base answers
        "inbound_billing",
        (
            Line("Hi, I have a billing question. How much does it cost per seat?"),
            Line("No, that's all I needed. Thanks, bye."),
        ),
    ),
    Persona(  # needs a password reset: the agent leaves a ticket for support
        "inbound_password",
        (
            Line("Hi, I'm locked out and need a password reset."),
            Line("No, that's all. Thanks, bye."),
        ),
    ),
    Persona(  # asks for a human: warm transfer to a rep
        "inbound_human",
        (Line("Hi, can I speak to a person, please?"),),
        linger_s=8.0,
    ),
    Persona(  # dialed the wrong number
        "inbound_wrong_number",
        (
            Line("Oh, sorry, is this the pizza place? I think I have the wrong number."),
            Line("Okay, bye."),
        ),
        linger_s=6.0,
    ),
)
# The rehearsal rings these in turn.
ROTATION = tuple(p.name for p in INBOUND_PERSONAS)
# A known caller for this persona gives no name (the demo lead's first name is used).
NAME_LINE = "My name is Jordan Lee."

for _persona in INBOUND_PERSONAS:
    PERSONAS.setdefault(_persona.name, _persona)


def for_known_caller(name: str) -> str:
    """The persona to ring as when the caller is a known lead: the demo prospect without the name line."""
    if name != "inbound_demo":
        return name
    known = "inbound_demo_known"
    if known not in PERSONAS:
        base = PERSONAS[name]
        PERSONAS[known] = Persona(known, tuple(line for line in base.lines if line.text != NAME_LINE), base.linger_s)
    return known
