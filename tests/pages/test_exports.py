"""Meetings and calls export as CSV a spreadsheet opens safely: formula-looking cells are neutralised."""
import csv
import io

import pytest

from crm.models import Lead
from tests import factories

pytestmark = pytest.mark.django_db


def _rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_meetings_export_neutralises_formulas(client, rep, booked):
    Lead.objects.filter(pk=booked.lead_id).update(company="=HYPERLINK(\"http://evil\")", last_name="@SUM(A1)")
    client.force_login(rep.user)
    response = client.get("/exports/meetings.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    [row] = _rows(response)
    assert row["company"] == "'=HYPERLINK(\"http://evil\")"
    assert row["lead_last_name"] == "'@SUM(A1)"
    assert row["phone"] == str(booked.lead.phone)  # E.164 is kept: digits only, never a formula
    assert row["status"] == "Booked" and row["summary"].startswith("Pat leads")


def test_a_rep_exports_only_their_own_meetings(client, rep, other_rep, booked):
    factories.meeting(other_rep, lead_=factories.lead(first_name="Quentin"))
    client.force_login(rep.user)
    assert [r["lead_first_name"] for r in _rows(client.get("/exports/meetings.csv"))] == ["Pat"]


def test_calls_export_follows_the_log_filters(client, manager, booked):
    factories.finished_call(factories.hopper_entry(booked.campaign, factories.lead(first_name="Ben")), "no_answer")
    client.force_login(manager)
    rows = _rows(client.get("/exports/calls.csv?outcome=booked"))
    assert [(r["lead_first_name"], r["outcome"]) for r in rows] == [("Pat", "Meeting booked")]
    assert rows[0]["extracted"] == "team_size=12"
    assert len(_rows(client.get("/exports/calls.csv"))) == 2
