import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from campaigns.models import CampaignLead
from crm.models import Lead, Meeting
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_lead_cannot_be_in_one_campaign_twice():
    campaign = factories.campaign()
    lead = factories.lead()
    CampaignLead.objects.create(campaign=campaign, lead=lead)
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignLead.objects.create(campaign=campaign, lead=lead)
    assert CampaignLead.objects.filter(lead=lead).count() == 1


def test_the_same_lead_may_be_in_two_campaigns():
    lead = factories.lead()
    CampaignLead.objects.create(campaign=factories.campaign(), lead=lead)
    CampaignLead.objects.create(campaign=factories.campaign(), lead=lead)
    assert CampaignLead.objects.filter(lead=lead).count() == 2


def test_a_phone_number_is_one_lead():
    factories.lead("+12015550123")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.lead("+12015550123")


def test_a_rep_cannot_be_double_booked():
    rep = factories.rep()
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    end = start + dt.timedelta(minutes=30)
    Meeting.objects.create(lead=factories.lead(), rep=rep, start=start, end=end)
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(lead=factories.lead(), rep=rep, start=start, end=end)
    assert Meeting.objects.filter(rep=rep).count() == 1


def test_a_canceled_meeting_frees_its_slot():
    rep = factories.rep()
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    end = start + dt.timedelta(minutes=30)
    Meeting.objects.create(lead=factories.lead(), rep=rep, start=start, end=end, status=Meeting.Status.CANCELED)
    Meeting.objects.create(lead=factories.lead(), rep=rep, start=start, end=end)
    assert Meeting.objects.filter(rep=rep).count() == 2


def test_two_reps_may_meet_at_the_same_time():
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    end = start + dt.timedelta(minutes=30)
    for rep in (factories.rep(), factories.rep()):
        Meeting.objects.create(lead=factories.lead(), rep=rep, start=start, end=end)
    assert Meeting.objects.count() == 2


def test_script_versions_are_immutable():
    version = factories.script().latest_version
    version.instructions = "changed"
    with pytest.raises(ValidationError):
        version.save()


def test_a_calling_window_must_open_before_it_closes():
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.campaign(window_start=dt.time(20), window_end=dt.time(9))


def test_lead_columns_carry_no_prefix_search_index(on_postgres):
    """Each imported lead writes every index of crm_lead: no varchar_pattern_ops copy that no query uses."""
    if not on_postgres:
        pytest.skip("only PostgreSQL adds varchar_pattern_ops indexes")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'crm_lead'")
        indexes = dict(cursor.fetchall())
    assert not [name for name, definition in indexes.items() if "pattern_ops" in definition]
    assert {"lead_phone_unique", "lead_timezone", "lead_jurisdiction"} <= set(indexes)


@pytest.mark.parametrize("model", [CampaignLead, Lead], ids=["hopper", "lead"])
def test_no_index_is_a_leading_copy_of_another(model):
    """Every imported row writes one entry per index of the lead and hopper tables: an index whose columns lead
    another index (or a unique constraint) serves no query the longer one does not, so it must not exist."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    indexed = {name: c["columns"] for name, c in constraints.items() if c["index"] or c["unique"]}
    redundant = [
        (name, other)
        for name, columns in indexed.items()
        if not constraints[name]["unique"]
        for other, longer in indexed.items()
        if other != name and len(longer) > len(columns) and longer[: len(columns)] == columns
    ]
    assert not redundant


def test_a_campaigns_hopper_rows_are_found_through_an_index(on_postgres):
    """The dialer and the campaign pages filter the hopper by campaign: with the foreign key's own index gone, the
    unique (campaign, lead) index still finds them without reading the table."""
    if not on_postgres:
        pytest.skip("EXPLAIN's plan shapes are PostgreSQL's")
    campaign = factories.campaign()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan TO off")
        plan = CampaignLead.objects.filter(campaign=campaign).only("id").explain()
    assert "Seq Scan" not in plan and "Index" in plan, plan
