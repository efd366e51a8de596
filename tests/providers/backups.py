"""A second instance of a vendor as another provider name, so failover is tested between two emulators of one
vendor (the first failing): `deepgram-backup` reads BACKUP_DEEPGRAM_BASE_URL, `cartesia-backup`
BACKUP_CARTESIA_BASE_URL, `openai-backup` BACKUP_OPENAI_BASE_URL. The failover mechanism only sees names."""
from __future__ import annotations

from django.conf import settings

from voice.providers.base import CallContext
from voice.providers.cartesia import CartesiaTTS
from voice.providers.deepgram import DeepgramSTT
from voice.providers.openai_llm import OpenAILLM

BACKUPS = {
    "stt": {"deepgram-backup": "tests.providers.backups.BackupDeepgramSTT"},
    "llm": {"openai-backup": "tests.providers.backups.BackupOpenAILLM"},
    "tts": {"cartesia-backup": "tests.providers.backups.BackupCartesiaTTS"},
}


class BackupDeepgramSTT(DeepgramSTT):
    @classmethod
    def for_call(cls, context: CallContext) -> DeepgramSTT:
        stt = super().for_call(context)
        stt.base_url = settings.BACKUP_DEEPGRAM_BASE_URL
        return stt


class BackupOpenAILLM(OpenAILLM):
    @classmethod
    def for_call(cls, context: CallContext) -> OpenAILLM:
        llm = super().for_call(context)
        llm.base_url = settings.BACKUP_OPENAI_BASE_URL
        return llm


class BackupCartesiaTTS(CartesiaTTS):
    @classmethod
    def for_call(cls, context: CallContext) -> CartesiaTTS:
        tts = cls(api_key=settings.CARTESIA_API_KEY, model=settings.CARTESIA_MODEL,
                  base_url=settings.BACKUP_CARTESIA_BASE_URL, label=f"call{context.call_id}")
        tts.warm()
        return tts


def register(monkeypatch=None) -> None:
    """Add the backup names to the provider registry (with `monkeypatch`, for one test only)."""
    from voice.providers import factory

    for kind, entries in BACKUPS.items():
        for name, path in entries.items():
            if monkeypatch is not None:
                monkeypatch.setitem(factory.PROVIDERS[kind], name, path)
            else:
                factory.PROVIDERS[kind][name] = path
