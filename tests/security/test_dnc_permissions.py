"""A number on the do-not-call list stays there: Managers cannot delete it (nor edit its number) in the admin."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from crm.models import DoNotCall
from crm.roles import ADMINS, MANAGERS

pytestmark = pytest.mark.django_db
PHONE = "+14155550123"


@pytest.fixture
def entry():
    return DoNotCall.objects.create(phone=PHONE, source=DoNotCall.Source.OPT_OUT, reason="asked on a call")


@pytest.fixture
def manager(make_user):
    return make_user("morgan", MANAGERS, is_staff=True)


def test_the_manager_role_holds_no_permission_to_delete_dnc_rows():
    codenames = set(Group.objects.get(name=MANAGERS).permissions.values_list("codename", flat=True))
    assert "delete_donotcall" not in codenames
    assert {"view_donotcall", "add_donotcall", "delete_lead"} <= codenames


def test_a_manager_cannot_delete_a_dnc_row_in_the_admin(client, manager, entry):
    client.force_login(manager)
    url = f"/admin/crm/donotcall/{entry.pk}/delete/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    client.post("/admin/crm/donotcall/", {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert DoNotCall.objects.filter(pk=entry.pk).exists()
    changelist = client.get("/admin/crm/donotcall/").content.decode()
    assert "delete_selected" not in changelist


def test_a_manager_even_granted_the_permission_cannot_delete(client, manager, entry):
    from django.contrib.auth.models import Permission

    manager.user_permissions.add(Permission.objects.get(codename="delete_donotcall"))
    client.force_login(manager)
    assert client.post(f"/admin/crm/donotcall/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert DoNotCall.objects.filter(pk=entry.pk).exists()


def test_a_manager_cannot_take_a_number_off_by_editing_it(client, manager, entry):
    client.force_login(manager)
    client.post(
        f"/admin/crm/donotcall/{entry.pk}/change/",
        {"phone": "+14155550199", "source": "manual", "reason": "typo?"},
    )
    entry.refresh_from_db()
    assert str(entry.phone) == PHONE


def test_a_manager_can_still_add_a_number(client, manager):
    client.force_login(manager)
    client.post("/admin/crm/donotcall/add/", {"phone": "+14155550177", "source": "manual", "reason": "asked by email"})
    assert DoNotCall.objects.filter(phone="+14155550177").exists()


def test_an_admin_can_delete_a_dnc_row(client, make_user, entry):
    client.force_login(make_user("adm", ADMINS, is_staff=True))
    response = client.post(f"/admin/crm/donotcall/{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not DoNotCall.objects.filter(pk=entry.pk).exists()
