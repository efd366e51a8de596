"""Password change inside the site's layout, a "New script" button, error pages with the navigation, a favicon."""
import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from campaigns.models import Script
from tests.pages.test_script_editor import _fields

pytestmark = pytest.mark.django_db


def test_a_user_changes_their_password_from_the_account_page(client, manager):
    client.force_login(manager)
    form = client.get("/accounts/password_change/").content.decode()
    assert 'class="topbar"' in form and "Change password" in form and "Django administration" not in form
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "pw-for-tests", "new_password1": "a-longer-Secret-42", "new_password2": "a-longer-Secret-42"},
        follow=True,
    )
    assert "Password changed" in response.content.decode()
    assert User.objects.get(pk=manager.pk).check_password("a-longer-Secret-42")


def test_an_admin_creates_a_new_script(client, admin_user):
    client.force_login(admin_user)
    assert 'href="/scripts/new/"' in client.get("/scripts/").content.decode()
    response = client.post("/scripts/new/", {"name": "Dental outreach", **_fields()}, follow=True)
    script = Script.objects.get(name="Dental outreach")
    assert script.slug == "dental-outreach" and script.latest_version.number == 1
    assert script.published_version is None
    assert "Dental outreach created" in response.content.decode()


def test_a_new_script_needs_a_name_and_an_ai_disclosure(client, admin_user):
    client.force_login(admin_user)
    page = client.post("/scripts/new/", {"name": "", **_fields(opening_line="Hi there!")}).content.decode()
    assert "Give the script a name." in page and "must tell the person they are talking to an AI" in page
    assert not Script.objects.exists()


def test_two_scripts_with_the_same_name_get_different_addresses(client, admin_user):
    client.force_login(admin_user)
    client.post("/scripts/new/", {"name": "Sales", **_fields()})
    client.post("/scripts/new/", {"name": "Sales", **_fields()})
    assert sorted(Script.objects.values_list("slug", flat=True)) == ["sales", "sales-2"]


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    return settings


def test_a_missing_page_keeps_the_sites_layout(production, client, manager):
    client.force_login(manager)
    response = client.get("/campaigns/no-such-campaign/")
    page = response.content.decode()
    assert response.status_code == 404
    assert 'class="topbar"' in page and "Page not found" in page and 'href="/campaigns/"' in page


def test_a_forbidden_page_keeps_the_sites_layout_and_says_why(production, client, rep):
    client.force_login(rep.user)
    response = client.get("/campaigns/")
    page = response.content.decode()
    assert response.status_code == 403
    assert 'class="topbar"' in page and "not allowed" in page and 'href="/meetings/"' in page


@override_settings(ROOT_URLCONF="tests.pages.failing_urls")
def test_a_server_error_page_keeps_the_sites_look(production, manager):
    client = Client(raise_request_exception=False)
    client.force_login(manager)
    response = client.get("/boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in page and "parley.css" in page and "favicon.svg" in page


def test_every_page_links_a_favicon_that_exists(client, manager):
    client.force_login(manager)
    page = client.get("/calls/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    login = Client().get("/accounts/login/").content.decode()
    assert "favicon.svg" in login
    assert Client().get("/favicon.ico").status_code in (200, 301, 302)
