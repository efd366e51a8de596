"""What the vendor emulators say when a rehearsal campaign runs through the real SDKs (the demo recipe).

- Deepgram hears the simulated callee's words from the rehearsal caption side channel (`voice.sim.captions`),
  keyed by the Twilio call sid the adapter sends as a `tag`, and times them on the audio it receives.
- OpenAI answers as the rehearsal `ScriptedAgent` would (opening, qualification questions, slots, booking,
  opt-out, close) over the messages and tools it is sent; the call's script and lead are read from the
  database by the call id the adapter sends as `user` (`parley-call-<id>`).
- Anthropic answers the same way from a Messages API body (converted back to chat messages for the agent);
  the call id comes as `metadata.user_id`.
- Cartesia, ElevenLabs and OpenAI speech need nothing: they speak any text as speech-shaped audio of its length.
- AssemblyAI hears the callee's captions too, but its protocol carries no tag naming the call, so each new
  session takes the newest dialed call no session has taken (`newest_call_captions`): the rehearsal must run one
  call at a time (`run_all --stt assemblyai` sets the campaign's max_concurrency to 1).

Captions travel in-process, or through Redis when `REDIS_URL` is set, so the emulators must share the
rehearsal's process (`python -m tests.emulators.run_all --rehearse demo`) or its Redis.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async

from .openai_chat import Reply

_contexts: dict[int, Any] = {}


def callee_captions(call_sid: str) -> AsyncIterator[dict[str, Any]]:
    from voice.sim import captions

    return captions.subscribe(call_sid)


_taken: set[str] = set()


def newest_call_captions(session: Any) -> AsyncIterator[dict[str, Any]] | None:
    """The captions of the newest call the simulated telephony dialed that no AssemblyAI session has taken."""
    from voice.sim import captions
    from voice.telephony import get_telephony

    dials = get_telephony().ledger.dials()  # type: ignore[attr-defined]  (TELEPHONY=sim)
    sid = next((d["sid"] for d in reversed(dials) if d["sid"] not in _taken), None)
    if sid is None:
        return None
    _taken.add(sid)
    return captions.subscribe(sid)


async def scripted_reply(body: dict[str, Any]) -> Reply:
    from voice.sim.agent import ScriptedAgent
    from voice.sim.latency import EmulatedLatency

    context = await _context(str(body.get("user") or ""))
    if context is None:
        return Reply(text="Sorry, could you say that again?")
    text, calls = ScriptedAgent(context, EmulatedLatency()).plan(body["messages"])
    offered = {tool["function"]["name"] for tool in body.get("tools") or ()}
    return Reply(text=text, tool_calls=[{"name": name, "arguments": args} for name, args in calls if name in offered])


async def scripted_claude_reply(body: dict[str, Any]) -> Reply:
    """`scripted_reply` for the Anthropic emulator: the Messages API body read as the chat messages it stands for."""
    from voice.sim.agent import ScriptedAgent
    from voice.sim.latency import EmulatedLatency

    context = await _context(str((body.get("metadata") or {}).get("user_id") or ""))
    if context is None:
        return Reply(text="Sorry, could you say that again?")
    text, calls = ScriptedAgent(context, EmulatedLatency()).plan(chat_messages(body))
    offered = {tool["name"] for tool in body.get("tools") or ()}
    return Reply(text=text, tool_calls=[{"name": name, "arguments": args} for name, args in calls if name in offered])


def chat_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Messages API messages (content blocks) as Chat Completions messages (tool_calls, role `tool`)."""
    import json

    from voice.providers.anthropic_llm import NOTE_PREFIX

    out: list[dict[str, Any]] = [{"role": "system", "content": body.get("system") or ""}]
    for message in body["messages"]:
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        notes = [b["text"] for b in blocks if b.get("type") == "text" and b["text"].startswith(NOTE_PREFIX)]
        out += [{"role": "system", "content": note[len(NOTE_PREFIX):]} for note in notes]
        text = " ".join(b["text"] for b in blocks if b.get("type") == "text" and b["text"] not in notes)
        uses = [b for b in blocks if b.get("type") == "tool_use"]
        for result in (b for b in blocks if b.get("type") == "tool_result"):
            data = result.get("content")
            if isinstance(data, list):
                data = "".join(part.get("text", "") for part in data)
            out.append({"role": "tool", "tool_call_id": result["tool_use_id"], "content": data or ""})
        if uses:
            out.append({"role": "assistant", "content": text or None, "tool_calls": [
                {"id": u["id"], "type": "function",
                 "function": {"name": u["name"], "arguments": json.dumps(u["input"])}} for u in uses]})
        elif text:
            out.append({"role": message["role"], "content": text})
    return out


async def _context(user: str) -> Any:
    prefix, _, number = user.rpartition("-")
    if prefix != "parley-call" or not number.isdigit():
        return None
    call_id = int(number)
    if call_id not in _contexts:
        from voice.records import load_live_call

        info = await sync_to_async(_load_and_close, thread_sensitive=False)(load_live_call, call_id)
        if info is None:
            return None
        _contexts[call_id] = info.context
    return _contexts[call_id]


def _load_and_close(load, call_id: int):
    """Read in a pool thread and close that thread's connection: the pool outlives the call (and the test)."""
    from django.db import connection

    try:
        return load(call_id)
    finally:
        connection.close()
