"""Keep media tokens out of the logs: a logging filter that rewrites `/media/<token>` to `/media/<redacted>`.

A media token is a bearer credential for one call's audio (see `voice.tokens`), and uvicorn logs every
WebSocket handshake and HTTP request with its full path ("uvicorn.error": `"WebSocket /media/…" [accepted]`,
"uvicorn.access": the request line). `install()` puts the filter on those loggers and on the root handlers'
path of our own loggers; it is idempotent and is called by `config.asgi` when the app is loaded (uvicorn
configures its loggers before it imports the app, and `logging.config.dictConfig` keeps a logger's filters).
"""
from __future__ import annotations

import logging
import re

MEDIA_PATH = re.compile(r"/media/[^\s\"'?#]+")
REDACTED = "/media/<redacted>"
LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi", "websockets", "voice", "django")


def redact(text: str) -> str:
    """`text` with every `/media/<token>` path replaced by `/media/<redacted>`."""
    return MEDIA_PATH.sub(REDACTED, text)


class RedactMediaTokens(logging.Filter):
    """Rewrites a record's message and string arguments in place; never drops a record.

    Arguments are rewritten one by one (not folded into the message) because uvicorn's access formatter unpacks
    `record.args` positionally.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "/media/" in record.msg:
            record.msg = redact(record.msg)
        args = record.args
        if isinstance(args, tuple) and any(isinstance(a, str) and "/media/" in a for a in args):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        elif isinstance(args, dict) and any(isinstance(a, str) and "/media/" in a for a in args.values()):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in args.items()}
        return True


_FILTER = RedactMediaTokens()


def install() -> None:
    """Attach the filter to uvicorn's, websockets' and our loggers, and to every handler of the root logger
    (records of child loggers reach those handlers without passing their parents' logger filters)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
