"""The voice session of one answered call, split into its stages (see docs/voice.md, "Stages of a session").

- `call.py`: `CallSession`, the shared state and its start; composes the stages below
- `turn_taking.py`: caller frames (VAD, STT send), STT events, end of turn, speculation, barge-in
- `replies.py`: the reply pipeline (LLM -> sentence splitter -> TTS push, tools), generations
- `playout.py`: the pump (TTS audio -> 20 ms frames and marks) and the pacer (one frame every 20 ms)
- `supervision.py`: greeting, re-prompt and hang-up on silence, maximum length, voicemail, provider events
- `ending.py`: stage failure (apology), hang-up / transfer, close (save, finalize)
- `state.py`: the phrases, constants, `Reply` and the `Transport` protocol they share
"""
from voice.session.call import CallSession
from voice.session.state import APOLOGY, REPROMPT, SILENCE_GOODBYE, TIME_UP, Reply, Transport

__all__ = ["APOLOGY", "REPROMPT", "SILENCE_GOODBYE", "TIME_UP", "CallSession", "Reply", "Transport"]
