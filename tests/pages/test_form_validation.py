"""Every rule a page's input must obey is told in words before the database sees it; inputs carry the same limits."""
import re

import pytest
from django.apps import apps

from campaigns.models import Campaign
from crm.models import Availability, Rep
from tests import factories
from tests.pages.test_campaign_form import _form

pytestmark = pytest.mark.django_db


def _project_constraints():
    for model in apps.get_models():
        if model._meta.app_label in ("crm", "campaigns"):
            for constraint in model._meta.constraints:
                yield model, constraint


def test_every_database_constraint_has_a_message_a_person_understands():
    for model, constraint in _project_constraints():
        message = constraint.get_violation_error_message()
        assert constraint.name not in message, f"{model.__name__}.{constraint.name} would show its raw name"
        assert message.endswith("."), message


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"max_concurrency": "0"}, "max_concurrency", "at least 1 call at a time"),
        ({"calls_per_second": "0"}, "calls_per_second", "more than 0 calls per second"),
        ({"max_attempts": "0"}, "max_attempts", "at least 1 attempt"),
        ({"ring_timeout_seconds": "2"}, "ring_timeout_seconds", "at least 5 seconds"),
        ({"max_call_seconds": "10"}, "max_call_seconds", "at least 30 seconds"),
        ({"window_start": "10:00", "window_end": "10:00"}, "window_end", "must end after it starts"),
        ({"window_start": "22:00", "window_end": "23:00"}, "window_start", "08:00–21:00"),
        ({"window_start": "05:00", "window_end": "07:30"}, "window_start", "08:00–21:00"),
    ],
)
def test_a_campaign_value_the_database_would_refuse_gets_a_sentence(client, manager, rep, overrides, field, message):
    script = factories.script()
    client.force_login(manager)
    response = client.post("/campaigns/new/", _form(script, rep, **overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in e for e in form.errors[field]), form.errors
    page = response.content.decode()
    for _model, constraint in _project_constraints():
        assert constraint.name not in page
    assert not Campaign.objects.exists()


def _limits(page: str, name: str) -> tuple[str | None, str | None]:
    """The min and max attributes of the input called `name`."""
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    found = [re.search(rf'{attr}="([^"]*)"', tag) for attr in ("min", "max")]
    return tuple(m.group(1) if m else None for m in found)


def test_the_inputs_carry_the_same_limits_as_the_messages(client, manager):
    client.force_login(manager)
    page = client.get("/campaigns/new/").content.decode()
    assert _limits(page, "max_concurrency") == ("1", "500")
    assert _limits(page, "calls_per_second") == ("0.1", "50")
    assert _limits(page, "max_attempts") == ("1", "20")
    assert _limits(page, "ring_timeout_seconds") == ("5", "120")
    assert _limits(page, "max_call_seconds") == ("30", "7200")
    assert _limits(page, "window_start") == ("08:00", "21:00") == _limits(page, "window_end")
    assert _limits(page, "retry_busy")[0] == "1"


def test_a_new_campaign_form_starts_from_the_defaults(client, manager):
    client.force_login(manager)
    page = client.get("/campaigns/new/").content.decode()
    for name, value in (("max_concurrency", "5"), ("calls_per_second", "1.0"), ("max_attempts", "3"),
                        ("ring_timeout_seconds", "25"), ("max_call_seconds", "600")):
        assert re.search(rf'<input[^>]*name="{name}"[^>]*value="{value}"', page), name


def test_a_window_partly_outside_the_legal_hours_is_saved_with_a_warning(client, manager, rep):
    script = factories.script()
    client.force_login(manager)
    response = client.post("/campaigns/new/", _form(script, rep, window_start="07:00", window_end="22:00"), follow=True)
    page = response.content.decode()
    assert Campaign.objects.filter(slug="dental-q1").exists()
    assert "Calls will only be placed 08:00–21:00" in page


def test_a_booking_script_with_no_reps_is_saved_with_a_warning(client, manager, rep):
    script = factories.script()
    client.force_login(manager)
    data = _form(script, rep)
    data.pop("reps")
    page = client.post("/campaigns/new/", data, follow=True).content.decode()
    assert Campaign.objects.filter(slug="dental-q1").exists()
    assert "No reps are assigned" in page and "cannot book meetings" in page


def test_starting_a_campaign_with_no_dialable_leads_warns_why(client, manager):
    campaign = factories.campaign("empty", name="Empty")
    client.force_login(manager)
    page = client.post("/campaigns/empty/control/start/", follow=True).content.decode()
    assert "nothing to dial" in page and "has no leads" in page and "Upload leads" in page

    factories.hopper_entry(factories.campaign("other"), factories.lead())
    factories.hopper_entry(campaign, factories.lead(), state="do_not_call")
    factories.hopper_entry(campaign, factories.lead(), state="exhausted", attempts=3)
    Campaign.objects.filter(pk=campaign.pk).update(status="stopped")
    page = client.post("/campaigns/empty/control/start/", follow=True).content.decode()
    assert "nothing to dial" in page and "1 on the do-not-call list" in page and "1 out of attempts" in page


def test_starting_a_campaign_whose_leads_all_wait_says_when_the_first_is_due(client, manager):
    import datetime as dt

    from django.utils import timezone

    campaign = factories.campaign("later", name="Later")
    due = timezone.now().replace(microsecond=0) + dt.timedelta(hours=2)
    for later in (due, due + dt.timedelta(hours=1)):
        factories.hopper_entry(campaign, factories.lead(), state="retry", attempts=1, next_attempt_at=later)
    client.force_login(manager)
    client.cookies["tz"] = "UTC"
    page = client.post("/campaigns/later/control/start/", follow=True).content.decode()
    when = f"{due:%a} {due.day} {due:%b %Y}, {due:%H:%M} UTC"
    assert f"Later has nothing due yet: 2 leads wait to retry, the first at {when}." in page


def test_starting_a_campaign_with_leads_has_no_warning(client, manager):
    campaign = factories.campaign("full")
    factories.hopper_entry(campaign, factories.lead())
    client.force_login(manager)
    page = client.post("/campaigns/full/control/start/", follow=True).content.decode()
    assert "nothing to dial" not in page and "is now running" in page


def test_the_reschedule_input_starts_at_now_on_the_reps_clock(client, rep):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    meeting = factories.meeting(rep)
    client.force_login(rep.user)
    earliest = _limits(client.get(f"/meetings/{meeting.pk}/").content.decode(), "start")[0]
    now = timezone.now().astimezone(ZoneInfo(rep.timezone)).replace(tzinfo=None)
    assert abs(dt.datetime.fromisoformat(earliest) - now) < dt.timedelta(minutes=2)


def _hours(rep: Rep, **block) -> dict:
    data = {
        "rep-timezone": rep.timezone,
        "rep-meeting_minutes": "30",
        "hours-TOTAL_FORMS": "1",
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
        "hours-0-weekday": "0",
        "hours-0-start": "09:00",
        "hours-0-end": "17:00",
    }
    data.update({k if k.startswith("rep-") else f"hours-0-{k}": v for k, v in block.items()})
    return data


def test_availability_that_ends_before_it_starts_gets_one_sentence_and_no_constraint_name(client):
    rep = factories.rep("robin", weekdays=())
    client.force_login(rep.user)
    page = client.post("/availability/", _hours(rep, start="17:00", end="09:00")).content.decode()
    assert "Each block must end after it starts." in page
    assert "availability_start_before_end" not in page and "Constraint" not in page
    assert not Availability.objects.filter(rep=rep).exists()


def test_a_meeting_length_of_zero_minutes_is_refused(client):
    rep = factories.rep("robin", weekdays=())
    client.force_login(rep.user)
    response = client.post("/availability/", _hours(rep, **{"rep-meeting_minutes": "0"}))
    assert "A meeting lasts at least 5 minutes." in response.content.decode()
    assert Rep.objects.get(pk=rep.pk).meeting_minutes == 30
    assert _limits(client.get("/availability/").content.decode(), "rep-meeting_minutes") == ("5", "480")
