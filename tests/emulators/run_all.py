"""Run the Deepgram, OpenAI, Anthropic and Cartesia emulators together, for the demo and for the real adapters.

    python -m tests.emulators.run_all
        starts all three on free ports of 127.0.0.1, prints the variables to export, serves until Ctrl-C.
        (The rehearsal's callee words reach the Deepgram emulator through Redis captions: set REDIS_URL in both.)

    python -m tests.emulators.run_all --rehearse demo --calls 20
        the `make demo` recipe in one process, through the real SDKs: starts the emulators, points
        VOICE_STT=deepgram VOICE_LLM=openai VOICE_TTS=cartesia at them, then runs migrate, seed_demo and
        `rehearse --campaign demo --calls 20` (captions travel in-process, no Redis needed).
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


def settings_for(deepgram: Any, openai: Any, cartesia: Any, anthropic: Any = None, llm: str = "openai"
                 ) -> dict[str, str]:
    extra = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": anthropic.url} if anthropic is not None else {}
    return {
        **extra,
        "VOICE_STT": "deepgram",
        "VOICE_LLM": llm,
        "VOICE_TTS": "cartesia",
        "DEEPGRAM_API_KEY": KEY,
        "DEEPGRAM_BASE_URL": deepgram.url,
        "OPENAI_API_KEY": KEY,
        "OPENAI_BASE_URL": openai.url,
        "CARTESIA_API_KEY": KEY,
        "CARTESIA_BASE_URL": cartesia.url,
    }


async def start_all(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    from .anthropic_messages import AnthropicEmulator
    from .cartesia import CartesiaEmulator
    from .deepgram import DeepgramEmulator
    from .openai_chat import OpenAIEmulator
    from .rehearsal import callee_captions, scripted_claude_reply, scripted_reply

    deepgram = DeepgramEmulator(api_key=KEY, captions=callee_captions, latency=args.stt_latency, keep_audio=False)
    openai = OpenAIEmulator(api_key=KEY, responder=scripted_reply, first_token_delay=args.first_token_delay,
                            token_rate=args.token_rate)
    cartesia = CartesiaEmulator(api_key=KEY, first_byte_delay=args.first_byte_delay)
    anthropic = AnthropicEmulator(api_key=KEY, responder=scripted_claude_reply,
                                  first_token_delay=args.first_token_delay, token_rate=args.token_rate)
    for emulator in (deepgram, openai, cartesia, anthropic):
        await emulator.start()
    return deepgram, openai, cartesia, anthropic


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
    print("Vendors: " + ", ".join(f"{type(e).__name__} on {e.url}" for e in emulators), flush=True)
    try:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo", demo=True)
        call_command("rehearse", campaign=args.rehearse, calls=args.calls)
        deepgram, openai, cartesia, anthropic = emulators
        print(f"Through the real SDKs: Deepgram {len(deepgram.connections)} live streams, "
              f"OpenAI {openai.recorder.count('request')} chat completions, "
              f"Anthropic {anthropic.recorder.count('request')} messages, "
              f"Cartesia {len(cartesia.contexts())} TTS contexts.", flush=True)
    finally:
        for emulator in emulators:
            asyncio.run_coroutine_threadsafe(emulator.stop(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rehearse", metavar="CAMPAIGN", help="seed the demo and rehearse this campaign in-process")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--stt-latency", type=float, default=0.0, help="seconds before each Deepgram message")
    parser.add_argument("--first-token-delay", type=float, default=0.3, help="OpenAI: seconds to the first token")
    parser.add_argument("--token-rate", type=float, default=100.0, help="OpenAI: tokens per second")
    parser.add_argument("--llm", default="openai", help="VOICE_LLM: openai, anthropic or a list (openai,anthropic)")
    parser.add_argument("--first-byte-delay", type=float, default=0.09, help="Cartesia: seconds to the first audio")
    args = parser.parse_args(argv)
    if args.rehearse:
        rehearse(args)
    else:
        serve(args)


if __name__ == "__main__":
    main()
