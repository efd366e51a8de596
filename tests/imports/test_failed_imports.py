"""An import that cannot go on says so, instead of showing 'Importing' for ever."""
import pytest
from django.db import DataError, connection
from django.urls import reverse

from campaigns import imports
from campaigns.models import CampaignLead, LeadImport
from campaigns.tasks import run_import
from crm.roles import MANAGERS


def test_an_unexpected_database_error_fails_the_import_with_a_message_the_manager_sees(campaign, client, make_user):
    started = imports.start_import(campaign, b"Phone\n2015550190\n2015550191\n", "leads.csv")

    def reject_hopper_rows(execute, sql, params, many, context):
        if f"INSERT INTO {CampaignLead._meta.db_table}" in sql:
            raise DataError("value too long for type character varying(20)")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(reject_hopper_rows), pytest.raises(DataError):
        run_import.apply(args=[started.pk])

    failed = LeadImport.objects.get(pk=started.pk)
    assert failed.status == LeadImport.Status.FAILED
    assert failed.failure.startswith("The import stopped after 0 of 2 rows (value too long")
    assert not CampaignLead.objects.exists()
    client.force_login(make_user("morgan", MANAGERS))
    page = client.get(reverse("lead_import_detail", kwargs={"slug": campaign.slug, "pk": started.pk})).content.decode()
    assert 'id="import-failure"' in page and "value too long" in page


def test_a_file_whose_upload_has_gone_missing_fails_cleanly(campaign):
    started = imports.start_import(campaign, b"Phone\n2015550192\n", "leads.csv")
    started.file.delete(save=False)

    finished = imports.run_import(started.pk)

    assert finished.status == LeadImport.Status.FAILED
    assert finished.failure
