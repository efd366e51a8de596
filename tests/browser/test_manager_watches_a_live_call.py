"""A manager watches a call as it happens: turns appear as they are saved; the page stops polling at the end."""
import pytest
from django.utils import timezone

from crm.models import Call, Turn
from crm.roles import MANAGERS
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser]


def test_the_call_page_follows_a_live_call_until_it_ends(page, make_user):
    make_user("morgan", MANAGERS)
    entry = factories.hopper_entry(factories.campaign(), factories.lead(first_name="Pat", last_name="Lee"))
    now = timezone.now()
    call = Call.objects.create(
        campaign=entry.campaign, campaign_lead=entry, lead=entry.lead, status="in_progress",
        placed_at=now, answered_at=now, media_started_at=now,
    )
    log_in(page, "morgan")
    page.goto(f"/calls/{call.pk}/")
    assert page.locator("#call-status").inner_text() == "In progress"

    Turn.objects.create(call=call, index=0, speaker="agent", text="Hi Pat, this is an AI assistant.",
                        heard_text="Hi Pat, this is an AI assistant.")
    page.locator("#transcript", has_text="Hi Pat, this is an AI assistant.").wait_for()

    Call.objects.filter(pk=call.pk).update(status="completed", outcome="conversation", media_ended_at=timezone.now())
    page.locator("#call-status", has_text="Completed").wait_for()
    assert page.locator("#call-live").get_attribute("hx-trigger") is None
