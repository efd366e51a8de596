"""Every page, for every role: who gets in, who is refused, and who is sent to log in."""
import pytest
from django.core.files.base import ContentFile

from crm.models import Meeting
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(rep, other_rep, media_root):
    script = factories.script("sales-script")
    campaign = factories.campaign("spring", script=script)
    mine = factories.finished_call(factories.hopper_entry(campaign), "booked")
    mine.recording.save("mine.wav", ContentFile(factories.wav_bytes(0.2)))
    theirs = factories.finished_call(factories.hopper_entry(campaign), "booked")
    theirs.recording.save("theirs.wav", ContentFile(factories.wav_bytes(0.2)))
    unbooked = factories.finished_call(factories.hopper_entry(campaign), "not_interested")
    return {
        "campaign": campaign,
        "script": script,
        "my_meeting": factories.meeting(rep, call=mine),
        "their_meeting": factories.meeting(other_rep, call=theirs),
        "my_call": mine,
        "their_call": theirs,
        "unbooked_call": unbooked,
    }


MANAGER_PAGES = [
    "/campaigns/",
    "/campaigns/new/",
    "/campaigns/spring/",
    "/campaigns/spring/edit/",
    "/campaigns/spring/live/",
]
ADMIN_PAGES = [
    "/scripts/",
    "/scripts/sales-script/",
    "/scripts/sales-script/diff/?a=1&b=1",
    "/scripts/sales-script/playground/",
]
ANY_ROLE_PAGES = ["/meetings/", "/calls/", "/exports/meetings.csv", "/exports/calls.csv"]
REP_PAGES = ["/availability/"]


@pytest.mark.parametrize(
    "url",
    MANAGER_PAGES + ADMIN_PAGES + ANY_ROLE_PAGES + REP_PAGES + ["/meetings/1/", "/calls/1/", "/calls/1/recording/"],
)
def test_anonymous_visitors_are_sent_to_log_in(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "url,method",
    [(u, "get") for u in MANAGER_PAGES + ADMIN_PAGES]
    + [
        ("/campaigns/spring/control/start/", "post"),
        ("/scripts/sales-script/versions/1/publish/", "post"),
        ("/scripts/sales-script/playground/", "post"),
    ],
)
def test_a_rep_is_refused_manager_and_admin_pages(client, world, rep, url, method):
    client.force_login(rep.user)
    assert getattr(client, method)(url).status_code == 403
    world["campaign"].refresh_from_db()
    assert world["campaign"].status == "draft"


@pytest.mark.parametrize("url", ADMIN_PAGES + ["/scripts/sales-script/versions/1/publish/"])
def test_a_manager_is_refused_the_script_pages(client, world, manager, url):
    client.force_login(manager)
    method = client.post if url.endswith("/publish/") else client.get
    assert method(url).status_code == 403


@pytest.mark.parametrize("url", MANAGER_PAGES + ANY_ROLE_PAGES)
def test_a_manager_opens_every_manager_page(client, world, manager, url):
    client.force_login(manager)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", MANAGER_PAGES + ADMIN_PAGES + ANY_ROLE_PAGES)
def test_an_admin_opens_every_page(client, world, admin_user, url):
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", ANY_ROLE_PAGES + REP_PAGES)
def test_a_rep_opens_their_own_pages(client, world, rep, url):
    client.force_login(rep.user)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/meetings/{their_meeting}/",
        "/meetings/{their_meeting}/invite.ics",
        "/calls/{their_call}/",
        "/calls/{their_call}/recording/",
        "/calls/{unbooked_call}/",
        "/calls/{unbooked_call}/recording/",
    ],
)
def test_a_rep_cannot_see_another_reps_meeting_call_or_recording(client, world, rep, path):
    client.force_login(rep.user)
    url = path.format(**{k: v.pk for k, v in world.items() if hasattr(v, "pk")})
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("action", ["confirm", "cancel"])
def test_a_rep_cannot_change_another_reps_meeting(client, world, rep, action):
    client.force_login(rep.user)
    meeting = world["their_meeting"]
    assert client.post(f"/meetings/{meeting.pk}/{action}/").status_code == 404
    assert client.post(f"/meetings/{meeting.pk}/reschedule/", {"start": "2030-01-07T10:00"}).status_code == 404
    assert Meeting.objects.get(pk=meeting.pk).status == "booked"


@pytest.mark.parametrize("path", ["/meetings/{my_meeting}/", "/calls/{my_call}/", "/calls/{my_call}/recording/"])
def test_a_rep_opens_their_meeting_the_call_behind_it_and_its_recording(client, world, rep, path):
    client.force_login(rep.user)
    url = path.format(**{k: v.pk for k, v in world.items() if hasattr(v, "pk")})
    assert client.get(url).status_code == 200


def test_a_manager_without_a_rep_profile_is_refused_the_hours_page(client, manager):
    client.force_login(manager)
    assert client.get("/availability/").status_code == 403


def test_actions_that_change_things_refuse_get(client, world, manager, admin_user):
    client.force_login(admin_user)
    assert client.get("/campaigns/spring/control/start/").status_code == 405
    assert client.get(f"/meetings/{world['my_meeting'].pk}/confirm/").status_code == 405


def test_a_get_of_a_confirmed_action_only_shows_the_confirmation(client, world, admin_user):
    """Cancel, stop and publish answer GET with a page that asks first; nothing changes until the POST."""
    from campaigns.models import Campaign, Script, ScriptVersion
    from campaigns.scripts import save_new_version

    script = Script.objects.get(slug="sales-script")
    save_new_version(script, instructions="Changed.")
    Campaign.objects.filter(slug="spring").update(status="running")
    client.force_login(admin_user)
    for url in (
        "/campaigns/spring/control/stop/",
        "/scripts/sales-script/versions/2/publish/",
        f"/meetings/{world['my_meeting'].pk}/cancel/",
    ):
        assert client.get(url).status_code == 200
    assert Campaign.objects.get(slug="spring").status == "running"
    assert Script.objects.get(pk=script.pk).published_version == ScriptVersion.objects.get(script=script, number=1)
    assert Meeting.objects.get(pk=world["my_meeting"].pk).status == "booked"
