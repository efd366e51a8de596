"""The call page follows a live call: status and turns as they are saved, and stops asking once it is over."""
import pytest
from django.utils import timezone

from crm.models import Call, Turn
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_call():
    entry = factories.hopper_entry(factories.campaign(), factories.lead(first_name="Pat", last_name="Lee"))
    return Call.objects.create(
        campaign=entry.campaign, campaign_lead=entry, lead=entry.lead, status="in_progress",
        placed_at=timezone.now(), answered_at=timezone.now(), media_started_at=timezone.now(),
    )


def test_a_live_call_page_polls_its_live_part(client, manager, live_call):
    client.force_login(manager)
    page = client.get(f"/calls/{live_call.pk}/").content.decode()
    assert f'hx-get="/calls/{live_call.pk}/live/"' in page and 'hx-trigger="every 2s"' in page


def test_the_live_part_shows_turns_as_they_are_saved(client, manager, live_call):
    client.force_login(manager)
    assert "Hello from the agent" not in client.get(f"/calls/{live_call.pk}/live/").content.decode()
    said = "Hello from the agent"
    Turn.objects.create(call=live_call, index=0, speaker="agent", text=said, heard_text=said)
    part = client.get(f"/calls/{live_call.pk}/live/").content.decode()
    assert "Hello from the agent" in part and "In progress" in part and 'hx-trigger="every 2s"' in part


def test_polling_stops_when_the_call_is_over_and_its_turns_are_saved(client, manager, live_call):
    Call.objects.filter(pk=live_call.pk).update(status="completed", outcome="conversation")
    client.force_login(manager)
    part = client.get(f"/calls/{live_call.pk}/live/").content.decode()
    assert "Completed" in part and 'hx-trigger="every 2s"' in part  # the voice session has not saved its turns yet
    Call.objects.filter(pk=live_call.pk).update(media_ended_at=timezone.now())
    part = client.get(f"/calls/{live_call.pk}/live/").content.decode()
    assert "Completed" in part and "hx-trigger" not in part
    assert "hx-trigger" not in client.get(f"/calls/{live_call.pk}/").content.decode().split('id="call-live"')[1]


def test_a_rep_cannot_poll_a_call_they_may_not_see(client, rep, live_call):
    client.force_login(rep.user)
    assert client.get(f"/calls/{live_call.pk}/live/").status_code == 404
