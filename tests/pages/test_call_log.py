"""The call log: every call, filterable by campaign, outcome and date, paginated; reps see only their calls."""
import datetime as dt

import pytest
from django.utils import timezone

from crm.models import Call
from tests import factories

pytestmark = pytest.mark.django_db


def _call(campaign, outcome, first_name, days_ago=0):
    call = factories.finished_call(factories.hopper_entry(campaign, factories.lead(first_name=first_name)), outcome)
    Call.objects.filter(pk=call.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))
    return call


@pytest.fixture
def calls():
    spring, autumn = factories.campaign("spring", name="Spring"), factories.campaign("autumn", name="Autumn")
    return {
        "ada": _call(spring, "booked", "Ada"),
        "ben": _call(spring, "no_answer", "Ben", days_ago=3),
        "cyd": _call(autumn, "booked", "Cyd", days_ago=10),
    }


def _names(client, query=""):
    page = client.get(f"/calls/{query}").content.decode()
    return {name for name in ("Ada", "Ben", "Cyd") if f"<td>{name}</td>" in page}


def test_filters_narrow_the_log(client, manager, calls):
    client.force_login(manager)
    assert _names(client) == {"Ada", "Ben", "Cyd"}
    assert _names(client, "?campaign=spring") == {"Ada", "Ben"}
    assert _names(client, "?outcome=booked") == {"Ada", "Cyd"}
    assert _names(client, "?campaign=spring&outcome=booked") == {"Ada"}
    ada_made = Call.objects.get(pk=calls["ada"].pk).created_at  # the days count from it, even across midnight
    since = timezone.localtime(ada_made - dt.timedelta(days=5)).date().isoformat()
    until = timezone.localtime(ada_made - dt.timedelta(days=1)).date().isoformat()
    assert _names(client, f"?since={since}") == {"Ada", "Ben"}
    assert _names(client, f"?since={since}&until={until}") == {"Ben"}


def test_an_inverted_date_range_is_explained(client, manager, calls):
    client.force_login(manager)
    page = client.get("/calls/?since=2026-02-01&until=2026-01-01").content.decode()
    assert "“To” must be on or after “From”." in page


def test_the_log_is_paginated_newest_first_and_keeps_filters(client, manager):
    campaign = factories.campaign("spring")
    made = [factories.finished_call(factories.hopper_entry(campaign), "busy") for _ in range(55)]
    client.force_login(manager)
    first = client.get("/calls/?outcome=busy").content.decode()
    assert "Page 1 of 2" in first and 'href="?outcome=busy&page=2"' in first
    assert first.index(f'href="/calls/{made[-1].pk}/"') < first.index(f'href="/calls/{made[-2].pk}/"')
    second = client.get("/calls/?outcome=busy&page=2").content.decode()
    assert second.count('<tr><td><a href="/calls/') == 5


def test_a_rep_sees_only_the_calls_behind_their_meetings(client, rep, calls):
    factories.meeting(rep, call=calls["ada"])
    client.force_login(rep.user)
    assert _names(client) == {"Ada"}
