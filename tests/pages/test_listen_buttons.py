"""Listen is offered on live calls only: in the campaign page's calls in flight and on a live call's page."""
import pytest
from django.utils import timezone

from crm.models import Call
from crm.roles import MANAGERS
from tests import factories

pytestmark = pytest.mark.django_db


def _call(status: str) -> Call:
    entry = factories.hopper_entry(factories.campaign(slug="spring"), factories.lead())
    now = timezone.now()
    return Call.objects.create(campaign=entry.campaign, campaign_lead=entry, lead=entry.lead, status=status,
                               placed_at=now, answered_at=now, media_started_at=now)  # fmt: skip


def test_a_call_in_flight_can_be_listened_to_from_the_campaign_and_call_pages(client, make_user):
    call = _call("in_progress")
    client.force_login(make_user("morgan", MANAGERS))
    assert f'data-listen="{call.pk}"' in client.get("/campaigns/spring/").content.decode()
    page = client.get(f"/calls/{call.pk}/").content.decode()
    assert f'data-listen="{call.pk}"' in page and "js/listen.js" in page


def test_a_finished_call_offers_its_recording_not_listening(client, make_user):
    call = _call("completed")
    Call.objects.filter(pk=call.pk).update(media_ended_at=timezone.now())
    client.force_login(make_user("morgan", MANAGERS))
    assert "data-listen" not in client.get(f"/calls/{call.pk}/").content.decode()
