"""The call page shows the callback the lead asked for, in the lead's local time."""
import datetime as dt

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_the_call_page_shows_the_scheduled_callback(client, manager):
    entry = factories.hopper_entry(factories.campaign(), factories.lead(timezone="America/Chicago"))
    call = factories.finished_call(
        entry, "callback", callback_at=dt.datetime(2026, 6, 11, 20, 0, tzinfo=dt.UTC)
    )
    client.force_login(manager)

    page = client.get(f"/calls/{call.pk}/").content.decode()

    assert 'id="callback"' in page
    assert "Callback scheduled for Thu 11 Jun 2026, 15:00 CDT (the lead's time" in page
