"""Simulated callees: what each persona says, and when (after the agent stops, or over the agent).

A persona cannot understand the agent's audio, so its lines follow the scripted agent's flow in order:
each `after_agent` line waits until the agent has been quiet for a moment; each `over_agent` line is spoken
into the agent's next reply once that reply has played for `after_ms`. `noise` lines make sound without words
(a cough, a door), which a good agent treats as a false interruption.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    text: str
    when: str = "after_agent"  # "at_start" | "after_agent" | "over_agent"
    after_ms: int = 0  # over_agent: how far into the agent's reply
    noise_ms: int = 0  # > 0: a wordless sound of this length instead of speech
    beep: bool = False  # voicemail greeting ends with a tone
    backchannel: bool = False  # "mm-hmm" while the agent talks: no reply expected
    recording: str = ""  # a real recording from `voice.sim.corpus` (by name) instead of rendering `text`

    @property
    def expects_reply(self) -> bool:
        return bool(self.text) and not self.noise_ms and not self.backchannel


@dataclass(frozen=True)
class Persona:
    name: str
    lines: tuple[Line, ...]
    linger_s: float = 12.0  # after its last line: wait this long for the agent to hang up, then hang up
    echo_db: float | None = None  # a speakerphone: the agent's audio comes back at this level (e.g. -10.0) ...
    echo_delay_ms: int = 100  # ... this much later, mixed into what the callee sends


PERSONAS: dict[str, Persona] = {
    p.name: p
    for p in (
        Persona(
            "books_meeting",
            (
                Line("Hello?", "at_start"),
                Line("Sure, go ahead."),
                Line("mm-hmm", "over_agent", after_ms=500, backchannel=True),
                Line("About twelve people."),
                Line("Mostly spreadsheets and cold email."),
                Line("The first one works for me."),
                Line("Great, thank you. Bye."),
            ),
        ),
        Persona(
            "not_interested",
            (
                Line("Hello?", "at_start"),
                Line("Sorry, I'm not interested."),
                Line("No, really, I'm not interested. Goodbye."),
            ),
        ),
        Persona(
            "opt_out",
            (
                Line("Hello?", "at_start"),
                Line("Please take me off your list and do not call me again."),
            ),
        ),
        Persona(
            "voicemail",
            (
                Line(
                    "Hi, you have reached the voicemail of Pat. Please leave a message after the tone.",
                    "at_start",
                    beep=True,
                ),
            ),
            linger_s=30.0,
        ),
        Persona(
            "interrupter",
            (
                Line("Hello?", "at_start"),
                Line("Sorry, wait, who is this?", "over_agent", after_ms=1500),
                Line("Okay, go on."),
                Line("Around ten of us."),
                Line("We use a dialer."),
                Line("The second one, please."),
                Line("Thanks, bye."),
            ),
        ),
        Persona(
            "kb_question",
            (
                Line("Hello?", "at_start"),
                Line("Sure."),
                Line("How much does it cost?"),
                Line("Maybe five people."),
                Line("Just email, mostly."),
                Line("I will think about it. Bye."),
            ),
        ),
        Persona(
            "callback",
            (
                Line("Hello?", "at_start"),
                Line("I'm driving right now. Can you call me back tomorrow at three?"),
                Line("Yes, that works. Bye."),
            ),
        ),
        Persona("silent", (), linger_s=60.0),
        Persona(  # on a speakerphone: the agent hears itself at -10 dB 100 ms later, and must not stop for it
            "speakerphone",
            (
                Line("Hello?", "at_start"),
                Line("Sure, go ahead."),
                Line("About twelve people."),
                Line("Mostly spreadsheets and cold email."),
                Line("The first one works for me."),
                Line("Great, thank you. Bye."),
            ),
            echo_db=-10.0,
        ),
        # Personas for tests and the benchmark.
        Persona(
            "bench",
            (
                Line("Hello?", "at_start"),
                Line("Sure, go ahead."),
                Line("Sorry, quick question first.", "over_agent", after_ms=1200),
                Line("About twelve people."),
                Line("Mostly spreadsheets and cold email."),
                Line("The first one works for me."),
                Line("Yes, that works."),
            ),
        ),
        Persona(
            "cougher",
            (
                Line("Hello?", "at_start"),
                Line("", "over_agent", after_ms=1200, noise_ms=700),
                Line("Okay, bye."),
            ),
        ),
        Persona(
            "backchanneler",
            (
                Line("Hello?", "at_start"),
                Line("yeah", "over_agent", after_ms=400, backchannel=True),
                Line("No thanks, I'm not interested. Goodbye."),
                Line("Goodbye."),
            ),
        ),
    )
}

# Callees of reminder and follow-up calls (voice/sim/meeting_agent.py asks whether they can make the meeting,
# or what they thought of it).
PERSONAS.update(
    {
        p.name: p
        for p in (
            Persona("confirms", (Line("Hello?", "at_start"), Line("Yes, I will be there."), Line("Thanks, bye."))),
            Persona(
                "wants_another_day",
                (
                    Line("Hello?", "at_start"),
                    Line("Actually, could we move it to another day?"),
                    Line("The second one works."),
                    Line("Yes, that works."),  # only heard when the chosen time was just taken
                    Line("Thanks, bye."),
                ),
            ),
            Persona(
                "cancels",
                (
                    Line("Hello?", "at_start"),
                    Line("I'm sorry, I need to cancel it. We went with another vendor."),
                    Line("Thanks, bye."),
                ),
            ),
            Persona(
                "forgot_meeting",
                (
                    Line("Hello?", "at_start"),
                    Line("Sorry, what meeting? I don't remember booking anything."),
                    Line("Oh right, yes, let's keep it."),
                    Line("Thanks, bye."),
                ),
            ),
            Persona(
                "pricing_question",
                (
                    Line("Hello?", "at_start"),
                    Line("Yes, how much does it cost for a team of ten?"),
                    Line("Not yet, please send me a proposal first."),
                    Line("Thanks, bye."),
                ),
            ),
            Persona(
                "ready_next_step",
                (
                    Line("Hello?", "at_start"),
                    Line("It went well. We are ready for the next step. Can we set up another meeting?"),
                    Line("The first one works for me."),
                    Line("Yes, that works."),  # only heard when the chosen time was just taken ...
                    Line("Okay, that one then."),  # ... and again
                    Line("Great, bye."),
                ),
            ),
            Persona(
                "follow_up_not_interested",
                (
                    Line("Hello?", "at_start"),
                    Line("Thanks, but we decided not to go ahead. We're not interested."),
                    Line("Bye."),
                ),
            ),
        )
    }
)


def persona(name: str) -> Persona:
    try:
        return PERSONAS[name]
    except KeyError:
        raise ValueError(f"unknown persona {name!r}; choose one of: {', '.join(sorted(PERSONAS))}") from None
