"""Run the vendor emulators together (Deepgram or AssemblyAI, OpenAI and Anthropic, Cartesia or ElevenLabs or OpenAI
speech), for the demo and for trying the real adapters.

    python -m tests.emulators.run_all
        starts all three on free ports of 127.0.0.1, prints the variables to export, serves until Ctrl-C.
        (The rehearsal's callee words reach the Deepgram emulator through Redis captions: set REDIS_URL in both.)

    python -m tests.emulators.run_all --rehearse demo --calls 20
        the `make demo` recipe in one process, through the real SDKs: starts the emulators, points
        VOICE_STT=deepgram VOICE_LLM=openai VOICE_TTS=cartesia at them, then runs migrate, seed_demo and
        `rehearse --campaign demo --calls 20` (captions travel in-process, no Redis needed).

    python -m tests.emulators.run_all --rehearse demo --calls 5 --stt assemblyai --tts elevenlabs
        the same through the second vendors (`--tts openai` speaks with OpenAI's audio.speech). AssemblyAI's
        protocol names no call, so `--stt assemblyai` rehearses one call at a time (tests/emulators/rehearsal.py).

    python -m tests.emulators.run_all --rehearse demo --calls 20 --llm anthropic
        the same through Claude (VOICE_LLM=anthropic); any provider list works, e.g. --llm openai,anthropic.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import threading
from typing import Any

from .standalone import setup_django

KEY = "emulator-key"


def settings_for(stt: Any, openai: Any, tts: Any, anthropic: Any = None, llm: str = "openai") -> dict[str, str]:
    """The environment that points VOICE_STT / VOICE_LLM / VOICE_TTS at these emulators (`llm`: VOICE_LLM)."""
    stt_name = {"DeepgramEmulator": "deepgram", "AssemblyAIEmulator": "assemblyai"}[type(stt).__name__]
    tts_name = {"CartesiaEmulator": "cartesia", "ElevenLabsEmulator": "elevenlabs",
                "OpenAIEmulator": "openai"}[type(tts).__name__]
    values = {"VOICE_STT": stt_name, "VOICE_LLM": llm, "VOICE_TTS": tts_name,
              "OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": openai.url}
    if anthropic is not None:
        values |= {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": anthropic.url}
    prefix = stt_name.upper()
    values |= {f"{prefix}_API_KEY": KEY, f"{prefix}_BASE_URL": stt.url}
    if tts_name != "openai":
        values |= {f"{tts_name.upper()}_API_KEY": KEY, f"{tts_name.upper()}_BASE_URL": tts.url}
    return values


async def start_all(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    from .anthropic_messages import AnthropicEmulator
    from .assemblyai import AssemblyAIEmulator
    from .cartesia import CartesiaEmulator
    from .deepgram import DeepgramEmulator
    from .elevenlabs import ElevenLabsEmulator
    from .openai_chat import OpenAIEmulator
    from .rehearsal import callee_captions, newest_call_captions, scripted_claude_reply, scripted_reply

    stt: Any
    if args.stt == "assemblyai":
        stt = AssemblyAIEmulator(api_key=KEY, caption_source=newest_call_captions)
    else:
        stt = DeepgramEmulator(api_key=KEY, captions=callee_captions, latency=args.stt_latency, keep_audio=False)
    openai = OpenAIEmulator(api_key=KEY, responder=scripted_reply, first_token_delay=args.first_token_delay,
                            token_rate=args.token_rate)
    openai.speech.first_byte_delay = args.first_byte_delay
    tts: Any = {"cartesia": lambda: CartesiaEmulator(api_key=KEY, first_byte_delay=args.first_byte_delay),
                "elevenlabs": lambda: ElevenLabsEmulator(api_key=KEY, first_byte_delay=args.first_byte_delay),
                "openai": lambda: openai}[args.tts]()
    anthropic = AnthropicEmulator(api_key=KEY, responder=scripted_claude_reply,
                                  first_token_delay=args.first_token_delay, token_rate=args.token_rate)
    for emulator in {id(e): e for e in (stt, openai, tts, anthropic)}.values():
        await emulator.start()
    return stt, openai, tts, anthropic


def serve(args: argparse.Namespace) -> None:
    setup_django()

    async def run() -> None:
        emulators = await start_all(args)
        for name, value in settings_for(*emulators, llm=args.llm).items():
            print(f"export {name}={value}")
        print("# emulators ready; Ctrl-C to stop", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


def rehearse(args: argparse.Namespace) -> None:
    """Emulators on a background loop, the rehearsal on the main thread, one process."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="vendor-emulators", daemon=True)
    thread.start()
    emulators = asyncio.run_coroutine_threadsafe(start_all(args), loop).result(timeout=10)
    os.environ.update(settings_for(*emulators, llm=args.llm))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    distinct = list({id(e): e for e in emulators}.values())  # OpenAI may serve both the LLM and the speech
    print("Vendors: " + ", ".join(f"{type(e).__name__} on {e.url}" for e in distinct), flush=True)
    try:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo", demo=True)
        if args.stt == "assemblyai":
            from campaigns.models import Campaign

            Campaign.objects.filter(slug=args.rehearse).update(max_concurrency=1)
        call_command("rehearse", campaign=args.rehearse, calls=args.calls)
        print("Through the real SDKs: " + "; ".join(_usage(e) for e in distinct), flush=True)
    finally:
        for emulator in distinct:
            asyncio.run_coroutine_threadsafe(emulator.stop(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)


def _usage(emulator: Any) -> str:
    name = type(emulator).__name__
    if name == "DeepgramEmulator":
        return f"Deepgram {len(emulator.connections)} live streams"
    if name == "AssemblyAIEmulator":
        return f"AssemblyAI {len(emulator.sessions)} streaming sessions"
    if name == "OpenAIEmulator":
        speech = emulator.speech.recorder.count("request")
        return f"OpenAI {emulator.recorder.count('request')} chat completions, {speech} speech requests"
    if name == "AnthropicEmulator":
        return f"Anthropic {emulator.recorder.count('request')} messages"
    if name == "ElevenLabsEmulator":
        return f"ElevenLabs {len(emulator.contexts())} TTS contexts on {emulator.recorder.count('connected')} sockets"
    return f"Cartesia {len(emulator.contexts())} TTS contexts"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rehearse", metavar="CAMPAIGN", help="seed the demo and rehearse this campaign in-process")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--stt", choices=("deepgram", "assemblyai"), default="deepgram")
    parser.add_argument("--tts", choices=("cartesia", "elevenlabs", "openai"), default="cartesia")
    parser.add_argument("--llm", default="openai", help="VOICE_LLM: openai, anthropic or a list (openai,anthropic)")
    parser.add_argument("--stt-latency", type=float, default=0.0, help="seconds before each Deepgram message")
    parser.add_argument("--first-token-delay", type=float, default=0.3, help="OpenAI: seconds to the first token")
    parser.add_argument("--token-rate", type=float, default=100.0, help="OpenAI: tokens per second")
    parser.add_argument("--first-byte-delay", type=float, default=0.09, help="Cartesia: seconds to the first audio")
    args = parser.parse_args(argv)
    if args.rehearse:
        rehearse(args)
    else:
        serve(args)


if __name__ == "__main__":
    main()
