import pytest

from campaigns import imports
from campaigns.models import LeadImport
from tests import factories


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def campaign(db):
    return factories.campaign(slug="spring")


@pytest.fixture
def import_csv(campaign):
    """Run a file through the whole engine, as the worker does; returns the finished LeadImport."""

    def run(content: str | bytes, chunk_rows: int = imports.CHUNK_ROWS, target=None) -> LeadImport:
        data = content.encode("utf-8") if isinstance(content, str) else content
        started = imports.start_import(target or campaign, data, "leads.csv")
        return imports.run_import(started.pk, chunk_rows=chunk_rows)

    return run
