"""A call's page: its timeline of statuses, the turns with latency per turn, and the recording."""
import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_the_timeline_lists_provider_statuses_in_order(client, manager, booked):
    call = booked.call
    call.status_events = [
        {"status": "completed", "at": "2026-03-02T15:03:10+00:00", "seq": "3"},
        {"status": "initiated", "at": "2026-03-02T15:00:01+00:00", "seq": "0"},
        {"status": "ringing", "at": "2026-03-02T15:00:03+00:00", "seq": "1"},
        {"status": "in-progress", "at": "2026-03-02T15:00:09+00:00", "seq": "2"},
    ]
    call.save()
    client.force_login(manager)
    page = client.get(f"/calls/{call.pk}/").content.decode()
    positions = [page.index(label) for label in ("15:00:01 UTC</span> Dialing", "15:00:03 UTC</span> Ringing",
                                                  "15:00:09 UTC</span> Answered", "15:03:10 UTC</span> Hung up")]
    assert positions == sorted(positions)


def test_each_agent_turn_shows_its_latency_breakdown(client, manager, booked):
    client.force_login(manager)
    page = client.get(f"/calls/{booked.call.pk}/").content.decode()
    assert "<b >512</b>" in page or "<b>512</b>" in page
    assert '<b class="error">650</b>' in page  # over the 600 ms budget
    assert f'src="/calls/{booked.call.pk}/recording/"' in page


def test_a_call_with_unusual_status_events_still_renders(client, manager):
    call = factories.finished_call(factories.hopper_entry(factories.campaign()), "failed")
    call.status_events = [{"status": "failed", "ErrorCode": "21211"}, "garbage"]
    call.save()
    client.force_login(manager)
    page = client.get(f"/calls/{call.pk}/").content.decode()
    assert "Failed" in page and "ErrorCode 21211" in page
