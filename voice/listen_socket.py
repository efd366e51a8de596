"""The listen WebSocket: `/listen/<call id>/` streams a live call's audio (both sides) to a manager's browser.

A plain ASGI handler beside the media WebSocket (`config/asgi.py`). Before the handshake completes it checks, as
the recording view does, that the Django session's user may see the call (`crm.access.calls_visible_to`) and
that the call is live, and that the Origin is this site's (a WebSocket is not covered by CSRF: a foreign page
could otherwise open it with the manager's cookie). Refused: close 1008 (HTTP 403), nothing sent.

Then every binary message is one slice from `voice.listening` (caller μ-law + agent μ-law, same length, 8 kHz),
as the hosting process publishes it. The socket closes (1000) when the call is over (checked every
LIVE_CHECK_S) or the browser goes away. It only reads: listening changes nothing in the call.
"""
from __future__ import annotations

import asyncio
import logging
from http.cookies import SimpleCookie
from importlib import import_module
from urllib.parse import urlsplit

from django.conf import settings

from voice import db, listening

log = logging.getLogger(__name__)

POLICY_VIOLATION = 1008
LIVE_CHECK_S = 3.0


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def same_origin(headers: dict[str, str]) -> bool:
    """The Origin header names this host (or one of CSRF_TRUSTED_ORIGINS)."""
    origin = headers.get("origin", "")
    if not origin:
        return False
    if origin in getattr(settings, "CSRF_TRUSTED_ORIGINS", ()):
        return True
    return urlsplit(origin).netloc == headers.get("host", "")


def may_listen(session_key: str, call_id: int) -> str:
    """Why the holder of Django session `session_key` may not listen to call `call_id` ("" when they may)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
    from django.utils.crypto import constant_time_compare

    from crm.access import calls_visible_to

    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user_id, backend_path = store.get(SESSION_KEY), store.get(BACKEND_SESSION_KEY)
    if not user_id or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return "not logged in"
    user = load_backend(backend_path).get_user(user_id)
    if user is None or not user.is_active:
        return "not logged in"
    if not constant_time_compare(store.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
        return "session no longer valid (password changed)"
    call = calls_visible_to(user).filter(pk=call_id).first()
    if call is None:
        return f"user {user.pk} may not see call {call_id}"
    if not _live(call):
        return f"call {call_id} is not live"
    return ""


def _live(call) -> bool:
    return call.is_active and not call.media_ended_at and not call.finalized_at


def call_is_live(call_id: int) -> bool:
    from crm.models import Call

    call = Call.objects.filter(pk=call_id).first()
    return call is not None and _live(call)


async def listen_app(scope, receive, send) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    try:
        call_id = int(scope["path"][len("/listen/") :].strip("/"))
    except ValueError:
        await send({"type": "websocket.close", "code": POLICY_VIOLATION})
        return
    headers = _headers(scope)
    cookie = SimpleCookie()
    cookie.load(headers.get("cookie", ""))
    morsel = cookie.get(settings.SESSION_COOKIE_NAME)
    why = "cross-site origin" if not same_origin(headers) else ""
    if not why:
        why = await db.run(may_listen, morsel.value, call_id) if morsel else "not logged in"
    if why:
        log.warning("Refused a listener: %s", why)
        await send({"type": "websocket.close", "code": POLICY_VIOLATION})
        return
    await send({"type": "websocket.accept"})
    log.info("listening to call %s", call_id)

    async def forward() -> None:
        async for slice_ in listening.listen(call_id):
            await send({"type": "websocket.send", "bytes": slice_})

    async def watch_call() -> None:
        while await db.run(call_is_live, call_id):
            await asyncio.sleep(LIVE_CHECK_S)

    async def watch_browser() -> None:
        while (await receive())["type"] != "websocket.disconnect":
            pass

    tasks = [asyncio.create_task(c) for c in (forward(), watch_call(), watch_browser())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if tasks[2] not in done:
        try:
            await send({"type": "websocket.close", "code": 1000})
        except Exception:
            pass
