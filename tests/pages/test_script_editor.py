"""Admins edit scripts: every save is a new immutable version; versions can be compared and published."""
import pytest

from campaigns.models import ScriptVersion
from tests import factories

pytestmark = pytest.mark.django_db


def _fields(**overrides):
    data = {
        "instructions": "Book a meeting.\nBe brief.",
        "opening_line": "Hi {first_name}, this is an AI assistant calling for Test Co.",
        "qualification_questions": "team_size: How big is your team?\nbudget: Do you have a budget?",
        "objection_notes": "too busy: I'll be quick, thirty seconds.",
        "knowledge_base": "price pricing: It costs 99 dollars.",
        "voicemail_message": "Sorry we missed you.",
        "voice": "calm",
    }
    data.update(overrides)
    return data


def test_saving_creates_version_2_and_leaves_version_1_untouched(client, admin_user):
    script = factories.script("sales")
    v1 = script.latest_version
    client.force_login(admin_user)
    response = client.post("/scripts/sales/", _fields(), follow=True)
    page = response.content.decode()
    assert "Version 2 saved (not published)." in page and "version 2" in page
    v2 = script.versions.get(number=2)
    assert v2.qualification_questions == [
        {"field": "team_size", "question": "How big is your team?"},
        {"field": "budget", "question": "Do you have a budget?"},
    ]
    assert v2.objection_notes == {"too busy": "I'll be quick, thirty seconds."}
    assert v2.knowledge_base == [{"question": "price pricing", "answer": "It costs 99 dollars."}]
    assert v2.created_by == admin_user
    assert ScriptVersion.objects.get(pk=v1.pk).instructions == "Book a meeting."
    script.refresh_from_db()
    assert script.published_version == v1


def test_saving_with_publish_makes_the_new_version_the_one_calls_use(client, admin_user):
    script = factories.script("sales")
    client.force_login(admin_user)
    client.post("/scripts/sales/", _fields(publish="on"))
    script.refresh_from_db()
    assert script.published_version.number == 2


def test_an_opening_line_without_ai_disclosure_is_refused_and_nothing_is_saved(client, admin_user):
    script = factories.script("sales")
    client.force_login(admin_user)
    response = client.post("/scripts/sales/", _fields(opening_line="Hi, it's Sam from Test Co."))
    assert "The opening line must tell the person they are talking to an AI." in response.content.decode()
    assert script.versions.count() == 1


def test_a_malformed_question_line_names_the_line(client, admin_user):
    script = factories.script("sales")
    client.force_login(admin_user)
    response = client.post("/scripts/sales/", _fields(qualification_questions="team_size: How big?\njust a question"))
    assert "Line 2: write each question as" in response.content.decode()
    assert script.versions.count() == 1


def test_the_diff_shows_removed_and_added_lines(client, admin_user):
    script = factories.script("sales")
    client.force_login(admin_user)
    client.post("/scripts/sales/", _fields(instructions="Book a meeting.\nBe warm."))
    page = client.get("/scripts/sales/diff/?a=1&b=2").content.decode()
    assert '<div class="same">Book a meeting.</div>' in page
    assert '<div class="added">Be warm.</div>' in page
    assert '<div class="removed">Sorry we missed you.</div>' not in page  # unchanged fields are folded
    assert "Changes from v1 to v2" in page
    assert script.versions.count() == 2


def test_the_diff_of_a_missing_version_is_not_found(client, admin_user):
    factories.script("sales")
    client.force_login(admin_user)
    assert client.get("/scripts/sales/diff/?a=1&b=7").status_code == 404
    assert client.get("/scripts/sales/diff/?a=x").status_code == 404


def test_publishing_an_older_version_rolls_back(client, admin_user):
    script = factories.script("sales")
    client.force_login(admin_user)
    client.post("/scripts/sales/", _fields(publish="on"))
    page = client.post("/scripts/sales/versions/1/publish/", follow=True).content.decode()
    script.refresh_from_db()
    assert script.published_version.number == 1
    assert "Version 1 is now published" in page
