"""Tokens: created on the account page (shown once, stored hashed), act as their user, revoked there."""
import hashlib

import pytest

from api.models import ApiToken
from api.tokens import create_token
from crm.roles import MANAGERS
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_a_request_without_a_token_is_refused(client):
    response = client.get("/api/v1/campaigns")
    assert response.status_code == 401


def test_a_made_up_or_malformed_token_is_refused(manager):
    create_token(manager, "real")
    for text in ("parley_abcdefghijkl_wrong", "nonsense", "parley__x"):
        assert ApiClient(text).get("/campaigns").status_code == 401


def test_the_account_page_shows_a_new_token_once_and_stores_only_its_hash(client, manager):
    client.force_login(manager)
    response = client.post("/account/tokens/", {"token-name": "HubSpot sync"}, follow=True)
    page = response.content.decode()
    row = ApiToken.objects.get(user=manager)
    start = page.index("parley_" + row.prefix + "_")
    text = page[start : page.index("<", start)].strip()
    assert row.digest == hashlib.sha256(text.encode()).hexdigest()
    assert text not in str(ApiToken.objects.filter(pk=row.pk).values().get())
    assert ApiClient(text).get("/campaigns").status_code == 200
    again = client.get("/account/").content.decode()
    assert text not in again and f"parley_{row.prefix}_…" in again and "HubSpot sync" in again


def test_a_token_revoked_on_the_account_page_stops_working(client, manager):
    row, text = create_token(manager, "old")
    assert ApiClient(text).get("/campaigns").status_code == 200
    client.force_login(manager)
    client.post(f"/account/tokens/{row.pk}/revoke/")
    assert ApiClient(text).get("/campaigns").status_code == 401


def test_nobody_revokes_another_users_token(client, manager, make_user):
    row, text = create_token(manager, "mine")
    client.force_login(make_user("mallory", MANAGERS))
    client.post(f"/account/tokens/{row.pk}/revoke/")
    assert ApiClient(text).get("/campaigns").status_code == 200


def test_a_deactivated_users_token_is_refused(manager):
    _, text = create_token(manager, "t")
    manager.is_active = False
    manager.save()
    assert ApiClient(text).get("/campaigns").status_code == 401
