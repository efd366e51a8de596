"""TwiML documents Parley answers with or sends (Twilio's voice markup, built with the SDK's VoiceResponse).

Reference: https://www.twilio.com/docs/voice/twiml (<Connect><Stream>, <Say>, <Hangup>, <Dial>, <Conference>).
The simulated carrier (voice/telephony/sim.py, voice/sim/inbound.py) reads the same documents.
"""
from __future__ import annotations

from twilio.twiml.voice_response import Dial, VoiceResponse


def stream(stream_url: str, call_id: int) -> str:
    """<Response><Connect><Stream url=…><Parameter name="call_id" …/></Stream></Connect></Response>."""
    response = VoiceResponse()
    connect = response.connect()
    connect.stream(url=stream_url).parameter(name="call_id", value=str(call_id))
    return str(response)


def say_and_hang_up(text: str) -> str:
    """<Response><Say>text</Say><Hangup/></Response>: a polite message, then the line is closed."""
    response = VoiceResponse()
    response.say(text)
    response.hangup()
    return str(response)


def dial(number: str, say: str = "") -> str:
    """<Response>[<Say>…</Say>]<Dial>number</Dial></Response>: a cold transfer / forward."""
    response = VoiceResponse()
    if say:
        response.say(say)
    response.dial(number)
    return str(response)


def conference(room: str, *, say: str = "", starts: bool, ends: bool = True) -> str:
    """<Response>[<Say>…</Say>]<Dial><Conference …>room</Conference></Dial></Response>.

    The caller's leg joins with `starts=False` (hears hold music until the rep arrives); the rep's leg hears
    `say` (the one-sentence summary) first, then joins with `starts=True`, which connects the two."""
    response = VoiceResponse()
    if say:
        response.say(say)
    d = Dial()
    d.conference(
        room,
        start_conference_on_enter="true" if starts else "false",
        end_conference_on_exit="true" if ends else "false",
        beep="false",
    )
    response.append(d)
    return str(response)
