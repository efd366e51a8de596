"""The campaign page charts voice-to-voice latency per day, p50 and p95, against the 600 ms budget."""
import datetime as dt

import pytest
from django.utils import timezone

from campaigns import stats
from crm.models import Turn
from tests import factories

pytestmark = pytest.mark.django_db


def _turns(call, values, days_ago=0, start_index=0):
    for i, value in enumerate(values):
        turn = Turn.objects.create(call=call, index=start_index + i, speaker="agent", text="Hello.", v2v_ms=value)
        Turn.objects.filter(pk=turn.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))


@pytest.fixture
def call():
    return factories.finished_call(factories.hopper_entry(factories.campaign("spring")), "conversation")


def test_percentiles_interpolate_like_sql_percentile_cont():
    values = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]
    assert stats.percentile(values, 0.5) == 550
    assert stats.percentile(values, 0.95) == pytest.approx(955)
    assert stats.percentile([420], 0.95) == 420


def test_latency_is_grouped_by_day_with_p50_and_p95(call):
    _turns(call, [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000], days_ago=1)
    _turns(call, [400, 410, 420], days_ago=0, start_index=20)
    Turn.objects.create(call=call, index=50, speaker="caller", text="Hi")  # caller turns carry no latency
    days = stats.latency_by_day(call.campaign)
    assert [(d.turns, d.p50, d.p95) for d in days] == [(10, 550.0, 955.0), (3, 410.0, 419.0)]
    assert [d.over_budget for d in days] == [True, False]


def test_other_campaigns_and_old_turns_are_left_out(call):
    _turns(call, [500], days_ago=30)
    other = factories.finished_call(factories.hopper_entry(factories.campaign("autumn")), "conversation")
    _turns(other, [900])
    assert stats.latency_by_day(call.campaign) == []


def test_the_campaign_page_draws_both_lines_and_the_budget(client, manager, call):
    _turns(call, [450, 480, 700], days_ago=1)
    _turns(call, [350, 380], start_index=10)
    client.force_login(manager)
    page = client.get("/campaigns/spring/").content.decode()
    assert 'class="p50" points="' in page and 'class="p95" points="' in page
    assert "budget 600 ms" in page
    assert page.count('class="dot95"') == 2
    assert "over budget" in page and "within budget" in page


def test_a_campaign_without_timed_turns_says_so(client, manager, call):
    client.force_login(manager)
    page = client.get("/campaigns/spring/").content.decode()
    assert "No timed agent turns in the last 14 days." in page
