"""ASGI entry point: the media WebSocket goes to the voice handler, everything else to Django."""
import asyncio
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_app = get_asgi_application()

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from config.checks import problems  # noqa: E402
from dialer import inprocess  # noqa: E402
from voice import db, drain, redact  # noqa: E402
from voice.listen_socket import listen_app  # noqa: E402
from voice.media import media_app  # noqa: E402  (needs Django set up first)
from voice.providers.factory import check_provider_settings, preload_providers, warm_local_models  # noqa: E402

redact.install()  # media tokens out of uvicorn's and our logs (uvicorn set up its loggers before loading us)


async def application(scope, receive, send):
    if scope["type"] == "websocket" and scope["path"].startswith("/media/"):
        await media_app(scope, receive, send)
    elif scope["type"] == "websocket" and scope["path"].startswith("/listen/"):
        await listen_app(scope, receive, send)  # a manager hears a live call (voice/listen_socket.py)
    elif scope["type"] == "lifespan":
        await _lifespan(receive, send)
    else:
        await django_app(scope, receive, send)


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            refusals = problems()  # an insecure production setting stops the server, naming the variable
            if refusals:
                await send({"type": "lifespan.startup.failed", "message": " ".join(refusals)})
                return
            try:
                check_provider_settings()  # a vendor chosen without its key stops the server, naming the variable
                await asyncio.to_thread(preload_providers)  # SDK imports now, not inside the first call
                await asyncio.to_thread(warm_local_models)  # Whisper / Piper loaded (and checked) before any call
            except ImproperlyConfigured as exc:
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                return
            drain.install()  # SIGTERM drains live calls before uvicorn closes their sockets (voice/drain.py)
            inprocess.start_if_enabled()  # no broker (make serve): the dialer's beat runs in this process
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await asyncio.to_thread(inprocess.stop_running)
            await asyncio.to_thread(db.shutdown)  # the voice DB pool's connections
            await send({"type": "lifespan.shutdown.complete"})
            return
