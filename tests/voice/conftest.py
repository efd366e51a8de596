import pytest

from voice.loopback import LoopbackServer
from voice.sim import personas


@pytest.fixture(autouse=True)
def voice_settings(settings):
    """Quick turn-taking clocks so silence and greeting paths do not take a minute; vendor latencies as seeded."""
    settings.VOICE_GREETING_WAIT_MS = 800
    settings.TELEPHONY = "sim"
    settings.VOICE_STT = settings.VOICE_LLM = settings.VOICE_TTS = "rehearsal"
    settings.REHEARSAL_TTS_ENGINE = "synth"  # the same agent voice whether or not espeak-ng is installed
    yield settings


@pytest.fixture
def voice_server(transactional_db, eager_celery):
    """The real ASGI app (Django + media WebSocket) under uvicorn on 127.0.0.1, an ephemeral port."""
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def persona(monkeypatch):
    """Register a one-off callee persona for this test."""

    def make(name: str, *lines: personas.Line, linger_s: float = 8.0) -> str:
        monkeypatch.setitem(personas.PERSONAS, name, personas.Persona(name, tuple(lines), linger_s=linger_s))
        return name

    return make
