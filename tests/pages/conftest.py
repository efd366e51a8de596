import pytest
from django.core.files.base import ContentFile

from crm.roles import ADMINS, MANAGERS
from tests import factories


@pytest.fixture
def manager(make_user):
    return make_user("morgan", MANAGERS, first_name="Morgan")


@pytest.fixture
def admin_user(make_user):
    return make_user("alex", ADMINS, first_name="Alex")


@pytest.fixture
def rep(db):
    return factories.rep("riley")


@pytest.fixture
def other_rep(db):
    return factories.rep("sasha")


@pytest.fixture
def booked(rep, media_root):
    """A meeting the agent booked for `rep` on a recorded call with a transcript."""
    campaign = factories.campaign()
    entry = factories.hopper_entry(campaign, factories.lead(first_name="Pat", last_name="Lee", company="Globex"))
    call = factories.finished_call(
        entry, "booked", summary="Pat leads a 12-person team on spreadsheets.", extracted={"team_size": "12"}
    )
    call.recording.save("call.wav", ContentFile(factories.wav_bytes(0.5)))
    factories.conversation(call)
    return factories.meeting(rep, call=call)
