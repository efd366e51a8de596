"""The Celery app: dialing, post-call work and imports run on workers; see settings for routes and beat."""
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("parley")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def refuse_insecure_settings(**kwargs) -> None:
    """A worker or beat with an insecure production setting exits at start, naming the variable."""
    from config.checks import refuse_insecure_start

    refuse_insecure_start()
