import pytest
from django.contrib.auth.models import Group, User
from django.db import connection


def pytest_configure(config):
    """The suite runs with DEBUG off (pytest-django), so it signs with a strong key of its own, as production must:
    processes the tests start in-process (a Celery worker) refuse the public development key (config/checks.py).
    The dialer's in-process beat stays off in tests (a test that wants it turns it on)."""
    import secrets

    from django.conf import settings

    settings.SECRET_KEY = secrets.token_urlsafe(50)
    settings.DIALER_INPROCESS = "off"


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    redis = "redis" if settings.REDIS_URL else "none (eager Celery)"
    return [f"parley database: {engine}", f"parley broker: {redis}"]


@pytest.fixture
def make_user(db):
    def make(username: str, *roles: str, **extra) -> User:
        user = User.objects.create_user(username=username, password="pw-for-tests", **extra)
        for role in roles:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def media_root(settings, tmp_path):
    """Recordings and uploads of this test go to a throw-away folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def eager_celery():
    """Tasks run inline even when REDIS_URL makes Celery use a real broker; restored afterwards."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous


def pytest_collection_modifyitems(config, items):
    """Every transactional test restores the migrations' rows (role groups, content types) when it starts.

    Django flushes after a transactional test and re-creates content types through post_migrate unless the test
    used serialized rollback; a serialized test that then follows a plain one fails on duplicate content types.
    Making all of them serialized keeps any order of the suite working.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", None)
        if fixtures is None:
            continue
        transactional = "transactional_db" in fixtures or bool(marker and marker.kwargs.get("transaction"))
        if transactional and "django_db_serialized_rollback" not in fixtures:
            fixtures.append("django_db_serialized_rollback")


@pytest.fixture(autouse=True)
def celery_join_flag_reset():
    """Celery keeps "inside a task, never block on a result" in one process-wide flag that eager calls set and
    restore; eager tasks started from several threads at once (a rehearsal) can leave it set, which makes every
    later `.get()` in the test process refuse to run. Each test starts with it cleared."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield
