import pytest
from django.contrib.auth.models import Group, User
from django.db import connection


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
def eager_celery():
    """Tasks run inline even when REDIS_URL makes Celery use a real broker; restored afterwards."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous
