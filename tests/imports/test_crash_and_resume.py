"""A crash half-way never leaves a list that a re-run would duplicate: re-running the import id resumes it."""
import pytest
from django.db import OperationalError, connection

from campaigns import imports
from campaigns.models import CampaignLead, LeadImport
from crm.models import DoNotCall, Lead
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FILE = (
    "Name,Phone,Notes\n"
    "Row One,2015550101,\n"  # line 2
    "Row Two,2015550102,\n"  # line 3
    "Bad,12,too short\n"  # line 4
    "Row Four,2015550104,\n"  # line 5
    "Row Five,2015550105,\n"  # line 6
    "Row Six,2015550106,\n"  # line 7
    "Row Seven,2015550107,on the DNC list\n"  # line 8
    "Again Two,(201) 555-0102,duplicate across the crash\n"  # line 9
    "Row Nine,2015550109,\n"  # line 10
    "Row Ten,2015550110,\n"  # line 11
)


def crash_on_hopper_insert(number: int):
    """Make the database fail on the n-th hopper INSERT, as a dropped connection or killed server would."""
    seen = 0

    def wrapper(execute, sql, params, many, context):
        nonlocal seen
        if f"INSERT INTO {CampaignLead._meta.db_table}" in sql:
            seen += 1
            if seen == number:
                raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    return connection.execute_wrapper(wrapper)


def report_without_id(lead_import: LeadImport) -> dict:
    return imports.report(lead_import)


def test_a_crash_mid_chunk_rolls_that_chunk_back_and_a_rerun_finishes_exactly_once(campaign):
    DoNotCall.objects.create(phone="+12015550107")
    started = imports.start_import(campaign, FILE.encode(), "leads.csv")

    with crash_on_hopper_insert(3), pytest.raises(OperationalError):
        imports.run_import(started.pk, chunk_rows=3)

    halfway = LeadImport.objects.get(pk=started.pk)
    assert (halfway.status, halfway.processed_rows, halfway.total_rows) == (LeadImport.Status.RUNNING, 6, 10)
    assert (halfway.imported, halfway.invalid) == (5, 1)
    # The third chunk had already inserted its leads when the hopper insert failed: they were rolled back too.
    assert sorted(Lead.objects.values_list("last_name", flat=True)) == ["Five", "Four", "One", "Six", "Two"]

    resumed = imports.run_import(started.pk, chunk_rows=3)

    clean = imports.run_import(
        imports.start_import(factories.campaign(), FILE.encode(), "leads.csv").pk, chunk_rows=3
    )
    assert resumed.status == LeadImport.Status.DONE
    assert report_without_id(resumed) == report_without_id(clean)
    assert (resumed.total_rows, resumed.imported, resumed.duplicates, resumed.invalid, resumed.dnc) == (10, 8, 1, 1, 1)
    assert [(e["line"], e["reason"]) for e in resumed.errors] == [
        (4, "invalid phone number: too short"),
        (9, "duplicate of line 3 in this file"),
    ]
    assert CampaignLead.objects.filter(campaign=campaign).count() == 8
    assert CampaignLead.objects.filter(campaign=campaign, lead_import=resumed).count() == 8


def test_running_a_finished_import_again_changes_nothing(campaign):
    started = imports.start_import(campaign, FILE.encode(), "leads.csv")
    done = imports.run_import(started.pk, chunk_rows=4)

    again = imports.run_import(started.pk, chunk_rows=4)

    assert report_without_id(again) == report_without_id(done)
    assert CampaignLead.objects.filter(campaign=campaign).count() == done.imported == 8


def test_the_celery_task_resumes_an_interrupted_import(campaign, settings):
    from campaigns.tasks import run_import

    started = imports.start_import(campaign, FILE.encode(), "leads.csv")
    with crash_on_hopper_insert(2), pytest.raises(OperationalError):
        imports.run_import(started.pk, chunk_rows=3)

    run_import.apply(args=[started.pk]).get()

    finished = LeadImport.objects.get(pk=started.pk)
    assert (finished.status, finished.imported, finished.duplicates) == (LeadImport.Status.DONE, 8, 1)
    assert CampaignLead.objects.filter(campaign=campaign).count() == 8


def test_a_second_worker_on_the_same_import_never_writes_a_chunk_twice(campaign, on_postgres):
    """A redelivered task runs while the first is still going: whichever commits a chunk first owns it."""
    if not on_postgres:
        pytest.skip("SQLite serialises writers at BEGIN, so the two runs cannot interleave there")
    import threading

    started = imports.start_import(campaign, FILE.encode(), "leads.csv")
    locks = 0

    def run_in_own_connection():
        try:
            imports.run_import(started.pk, chunk_rows=3)
        finally:
            connection.close()

    def second_worker_runs_first(execute, sql, params, many, context):
        nonlocal locks
        if "FOR UPDATE" in sql:
            locks += 1
            if locks == 2:  # the first worker committed chunk 1 and is about to lock for chunk 2
                other = threading.Thread(target=run_in_own_connection)
                other.start()
                other.join()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(second_worker_runs_first):
        imports.run_import(started.pk, chunk_rows=3)

    assert locks == 2  # the first worker found chunk 2 taken and stopped there
    finished = LeadImport.objects.get(pk=started.pk)
    assert (finished.status, finished.processed_rows, finished.imported, finished.duplicates) == (
        LeadImport.Status.DONE, 10, 8, 1,
    )
    assert len(finished.errors) == 2
    assert CampaignLead.objects.filter(campaign=campaign).count() == 8
