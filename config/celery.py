"""The Celery app: dialing, post-call work and imports run on workers; see settings for routes and beat.

A worker or beat needs a broker every process shares (Redis, `REDIS_URL`). Without one Celery would fall back to
an in-memory transport that no other process can reach: a worker that waits forever for tasks nobody can send
it. Both refuse to start then, and say what to do instead.
"""
import os
import sys

from celery import Celery, signals
from celery.signals import beat_init, celeryd_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("parley")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

NEEDS_BROKER = (
    "celery {role} needs Redis: set REDIS_URL (e.g. REDIS_URL=redis://127.0.0.1:6379/0) in the environment or .env.\n"
    "Without Redis no worker or beat is needed: `make serve` runs the dialer's tick and sweeper inside the web "
    "process and every task in-process."
)


def has_shared_broker(broker_url: str) -> bool:
    """False for Celery's in-memory transport, which only the process that created it can reach."""
    return not broker_url.startswith("memory://")


def _refuse_without_broker(role: str) -> None:
    if not has_shared_broker(app.conf.broker_url or "memory://"):
        print(NEEDS_BROKER.format(role=role), file=sys.stderr)
        raise SystemExit(2)


@celeryd_init.connect
def _worker_needs_a_broker(**_) -> None:
    _refuse_without_broker("worker")


@beat_init.connect
def _beat_needs_a_broker(**_) -> None:
    _refuse_without_broker("beat")


@signals.worker_init.connect
@signals.beat_init.connect
def refuse_insecure_settings(**kwargs) -> None:
    """A worker or beat with an insecure production setting exits at start, naming the variable."""
    from config.checks import refuse_insecure_start

    refuse_insecure_start()
