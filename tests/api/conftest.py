import pytest
from django.test import Client

from api.tokens import create_token
from crm.roles import ADMINS, MANAGERS
from tests import factories


class ApiClient:
    """Django's test client speaking JSON with a Bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, body=None, headers=None, **params):
        call = getattr(self.client, method)
        extra = {**self.headers, **(headers or {})}
        if body is None:
            return call(f"/api/v1{path}", params or None, headers=extra)
        return call(f"/api/v1{path}", body, content_type="application/json", headers=extra)

    def get(self, path, **params):
        return self._call("get", path, **params)

    def post(self, path, body=None, headers=None):
        return self._call("post", path, body if body is not None else {}, headers)

    def patch(self, path, body, headers=None):
        return self._call("patch", path, body, headers)

    def delete(self, path, **params):
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return self.client.delete(f"/api/v1{path}?{query}", headers=self.headers)


def client_for(user) -> ApiClient:
    _, text = create_token(user, "tests")
    return ApiClient(text)


@pytest.fixture
def manager(make_user):
    return make_user("morgan", MANAGERS, first_name="Morgan")


@pytest.fixture
def admin_user(make_user):
    return make_user("alex", ADMINS, first_name="Alex")


@pytest.fixture
def as_manager(manager) -> ApiClient:
    return client_for(manager)


@pytest.fixture
def as_admin(admin_user) -> ApiClient:
    return client_for(admin_user)


@pytest.fixture
def rep(db):
    return factories.rep("riley")


@pytest.fixture
def other_rep(db):
    return factories.rep("sasha")


@pytest.fixture
def as_rep(rep) -> ApiClient:
    return client_for(rep.user)
