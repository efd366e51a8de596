import datetime as dt

import pytest
from django.utils import timezone

from crm.models import Meeting
from crm.roles import ADMINS, MANAGERS
from tests import factories

pytestmark = pytest.mark.django_db


def _meeting(rep, first_name="Pat"):
    start = timezone.now() + dt.timedelta(days=1)
    return Meeting.objects.create(
        lead=factories.lead(first_name=first_name), rep=rep, start=start, end=start + dt.timedelta(minutes=30)
    )


@pytest.mark.parametrize("url", ["/", "/campaigns/", "/meetings/", "/calls/", "/scripts/"])
def test_it_sends_anonymous_visitors_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_rep_sees_their_own_meeting(client):
    rep = factories.rep()
    meeting = _meeting(rep)
    client.force_login(rep.user)
    response = client.get(f"/meetings/{meeting.pk}/")
    assert response.status_code == 200
    assert meeting.lead.first_name in response.content.decode()


def test_a_rep_cannot_open_another_reps_meeting(client):
    mine, theirs = factories.rep(), factories.rep()
    _meeting(mine, first_name="Mina")
    meeting = _meeting(theirs, first_name="Quentin")
    client.force_login(mine.user)
    assert client.get(f"/meetings/{meeting.pk}/").status_code == 404
    listing = client.get("/meetings/").content.decode()
    assert "Mina" in listing and "Quentin" not in listing


def test_a_rep_cannot_open_the_script_editor(client):
    rep = factories.rep()
    script = factories.script()
    client.force_login(rep.user)
    assert client.get("/scripts/").status_code == 403
    assert client.get(f"/scripts/{script.slug}/").status_code == 403
    assert client.post(f"/scripts/{script.slug}/", {"instructions": "x"}).status_code == 403
    assert script.versions.count() == 1


def test_a_rep_cannot_open_campaigns(client):
    client.force_login(factories.rep().user)
    assert client.get("/campaigns/").status_code == 403


def test_an_admin_can_edit_a_script_and_open_any_meeting(client, make_user):
    admin = make_user("boss", ADMINS)
    script = factories.script()
    meeting = _meeting(factories.rep())
    client.force_login(admin)
    assert client.get(f"/meetings/{meeting.pk}/").status_code == 200
    assert client.get(f"/scripts/{script.slug}/").status_code == 200
    response = client.post(f"/scripts/{script.slug}/", {"instructions": "New", "opening_line": "Hi, I am an AI."})
    assert response.status_code == 302
    assert script.versions.count() == 2
    assert script.latest_version.instructions == "New"


def test_a_manager_sees_campaigns_but_not_the_script_editor(client, make_user):
    manager = make_user("mgr", MANAGERS)
    script = factories.script()
    client.force_login(manager)
    assert client.get("/campaigns/").status_code == 200
    assert client.get(f"/scripts/{script.slug}/").status_code == 403


def test_navigation_shows_each_role_its_pages(client, make_user):
    client.force_login(factories.rep().user)
    page = client.get("/meetings/").content.decode()
    assert "My meetings" in page and "Scripts" not in page and "Campaigns" not in page
    client.force_login(make_user("adm", ADMINS))
    page = client.get("/meetings/").content.decode()
    assert "Scripts" in page and "Campaigns" in page
