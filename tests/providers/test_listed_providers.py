"""Start-up walks the providers the settings list: layer by layer, each in its order of preference."""
from voice.providers.factory import listed_providers


def test_it_lists_every_layer_in_the_order_of_its_setting_without_repeats(settings):
    settings.VOICE_STT = "deepgram, whisper,deepgram"
    settings.VOICE_LLM = ""
    settings.VOICE_TTS = "cartesia,piper"

    assert list(listed_providers()) == [
        ("stt", "deepgram"), ("stt", "whisper"), ("llm", "rehearsal"), ("tts", "cartesia"), ("tts", "piper"),
    ]


def test_it_walks_only_the_layers_asked_for(settings):
    settings.VOICE_STT = "whisper"
    settings.VOICE_LLM = "openai"
    settings.VOICE_TTS = "piper"

    assert list(listed_providers(("stt", "tts"))) == [("stt", "whisper"), ("tts", "piper")]
