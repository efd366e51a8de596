"""The set-based write path, chunk by chunk: every kind of row in one file split over several chunks gives the same
counts, states, alternates and line-numbered errors as the rows would one by one."""
import threading

import pytest
from django.db import OperationalError, connection

from campaigns import imports
from campaigns.csv_reading import read_table
from campaigns.models import CampaignLead
from crm.models import DoNotCall, Lead
from tests import factories

FILE = (
    "Company report\n"  # a title row above the header
    "\n"
    "Name,Mobile,Work Phone,Do Not Call,Notes\n"  # line 3
    "Ada,2015550101,,,\n"  # 4: plain
    "Ben,2015550102,(201) 555-0103,,\"two\nlines\"\n"  # 5-6: an alternate, a quoted newline
    "Cy,2015550104,,TRUE,\n"  # 7: marked do-not-call in the file
    "Di,2015550105,,,\n"  # 8: on the DNC list
    "Ed,201.555.0101,,,\n"  # 9: duplicate of line 4, in the next chunk
    "Flo,2015550106,,,\n"  # 10: already in the campaign
    "Gus,555-01,,,\n"  # 11: invalid
    "Hal,2015550107 x12,,,\n"  # 12: an extension
    "Ivy,2015550108,,,\n"  # 13: already in the campaign and on the DNC list: a duplicate, not counted as DNC
    ",,,,\n"  # 14: blank, skipped
    "Jo,+1 201 555 0109,,yes,\n"  # 15: marked, and known from another campaign
)


def test_every_kind_of_row_over_several_chunks(import_csv, campaign):
    DoNotCall.objects.create(phone="+12015550105", source=DoNotCall.Source.OPT_OUT)
    DoNotCall.objects.create(phone="+12015550108", source=DoNotCall.Source.OPT_OUT)
    factories.hopper_entry(campaign, factories.lead("+12015550106", first_name="Old Flo"))
    factories.hopper_entry(campaign, factories.lead("+12015550108", first_name="Old Ivy"))
    factories.hopper_entry(factories.campaign(), factories.lead("+12015550109", first_name="Jo elsewhere"))

    result = import_csv(FILE, chunk_rows=3)

    assert (result.status, result.total_rows, result.processed_rows) == ("done", 10, 10)
    assert (result.imported, result.duplicates, result.invalid, result.dnc) == (6, 3, 1, 3)
    assert result.errors == [
        {"line": 9, "column": "Mobile", "value": "201.555.0101", "reason": "duplicate of line 4 in this file"},
        {"line": 10, "column": "Mobile", "value": "2015550106", "reason": "already in this campaign"},
        {"line": 11, "column": "Mobile", "value": "555-01", "reason": "invalid phone number: too short"},
        {"line": 13, "column": "Mobile", "value": "2015550108", "reason": "already in this campaign"},
    ]
    entries = CampaignLead.objects.filter(campaign=campaign, lead_import=result).order_by("id")
    assert [(str(e.lead.phone), e.state) for e in entries] == [  # in the file's order
        ("+12015550101", CampaignLead.State.PENDING),
        ("+12015550102", CampaignLead.State.PENDING),
        ("+12015550104", CampaignLead.State.DO_NOT_CALL),
        ("+12015550105", CampaignLead.State.DO_NOT_CALL),
        ("+12015550107", CampaignLead.State.PENDING),
        ("+12015550109", CampaignLead.State.DO_NOT_CALL),
    ]
    ben = Lead.objects.get(phone="+12015550102")
    assert ben.attributes == {"Notes": "two\nlines", "alternate_phones": "+12015550103"}
    assert Lead.objects.get(phone="+12015550107").attributes == {"phone_extension": "12"}
    assert Lead.objects.get(phone="+12015550106").first_name == "Old Flo"  # a known lead is not overwritten
    assert Lead.objects.get(phone="+12015550109").first_name == "Jo elsewhere"
    old = CampaignLead.objects.get(campaign=campaign, lead__phone="+12015550108")
    assert (old.lead_import, old.state) == (None, CampaignLead.State.PENDING)  # an existing entry is left alone


def test_the_counting_pass_counts_the_rows_the_import_reads():
    for text in (FILE, "sep=;\nPhone;Name\n2015550101;A\n\n\n2015550102;\"B\nB\"\n", "Phone\n"):
        table = read_table(text.encode(), sample_rows=5)
        assert table.count_rows() == len(list(table.rows())), text


def import_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("import-")]


def test_no_read_ahead_thread_outlives_an_import_that_finished_or_crashed(import_csv, campaign):
    import_csv(FILE, chunk_rows=2)
    assert import_threads() == []

    started = imports.start_import(campaign, b"Phone\n" + b"".join(b"20155502%02d\n" % i for i in range(30)), "x.csv")

    def crash(execute, sql, params, many, context):
        if f"INSERT INTO {CampaignLead._meta.db_table}" in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(crash), pytest.raises(OperationalError):
        imports.run_import(started.pk, chunk_rows=2)
    assert import_threads() == []
