"""Inbound on the pages: the call log filters by direction, Managers see the numbers (Reps do not), the managers'
home shows today's inbound panel, and Managers may view numbers in the admin but not change them."""
from django.contrib.auth.models import Group, User

from crm.models import Call
from crm.roles import MANAGERS, REPS
from inbound.models import Ticket
from tests import factories

from .conftest import NUMBER


def user(username, role, **extra):
    u = User.objects.create_user(username=username, password="pw-for-tests", **extra)
    u.groups.add(Group.objects.get(name=role))
    return u


def inbound_call(number, outcome, phone="+12025550143"):
    lead = factories.lead(phone=phone, first_name="Ada")
    return Call.objects.create(direction="inbound", phone_number=number, lead=lead, status="completed",
                               outcome=outcome)


def test_the_call_log_filters_by_direction(client, number):
    campaign_call = factories.finished_call(factories.hopper_entry(factories.campaign()), "booked")
    call = inbound_call(number, Call.Outcome.ANSWERED)
    client.force_login(user("morgan", MANAGERS))

    inbound = client.get("/calls/?direction=inbound").content.decode()
    outbound = client.get("/calls/?direction=outbound").content.decode()

    assert f'href="/calls/{call.pk}/"' in inbound and f'href="/calls/{campaign_call.pk}/"' not in inbound
    assert f'href="/calls/{campaign_call.pk}/"' in outbound and f'href="/calls/{call.pk}/"' not in outbound
    assert "Inbound: Front desk" in inbound
    page = client.get(f"/calls/{call.pk}/").content.decode()
    assert f"Call #{call.pk} from Ada" in page and f"Inbound call to {NUMBER}" in page


def test_managers_see_the_numbers_and_todays_inbound_panel_and_reps_do_not(client, number):
    inbound_call(number, Call.Outcome.BOOKED, "+12025550141")
    transferred = inbound_call(number, Call.Outcome.TRANSFERRED, "+12025550142")
    Ticket.objects.create(call=transferred, lead=transferred.lead, phone_number=number, summary="Reset password")
    client.force_login(user("morgan", MANAGERS, is_staff=True))

    numbers = client.get("/numbers/").content.decode()
    detail = client.get(f"/numbers/{number.pk}/").content.decode()
    home = client.get("/campaigns/").content.decode()

    assert NUMBER in numbers and "Front desk" in numbers
    assert "Reset password" in detail
    assert 'id="inbound-panel"' in home
    assert '<dt>Booked</dt><dd class="num">1</dd>' in home and '<dt>Transferred</dt><dd class="num">1</dd>' in home
    assert client.get(f"/admin/inbound/phonenumber/{number.pk}/change/").status_code == 200  # view only
    assert client.post(f"/admin/inbound/phonenumber/{number.pk}/change/", {"label": "x"}).status_code == 403
    client.force_login(user("riley", REPS))
    assert client.get("/numbers/").status_code == 403
