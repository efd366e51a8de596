"""A rep downloads a meeting as an .ics invite any calendar imports."""
import pytest
from icalendar import Calendar

pytestmark = pytest.mark.django_db


def test_the_invite_holds_the_meeting_time_lead_and_summary(client, rep, booked):
    client.force_login(rep.user)
    response = client.get(f"/meetings/{booked.pk}/invite.ics")
    assert response["Content-Type"].startswith("text/calendar")
    assert f'filename="meeting-{booked.pk}.ics"' in response["Content-Disposition"]
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == booked.start
    assert event.decoded("dtend") == booked.end
    assert str(event["summary"]) == "Call with Pat Lee (Globex)"
    assert "Pat leads a 12-person team" in str(event["description"])
    assert str(event["status"]) == "TENTATIVE"
    assert str(event["url"]).endswith(f"/meetings/{booked.pk}/")


def test_a_canceled_meeting_is_a_cancelled_event(client, rep, booked):
    booked.__class__.objects.filter(pk=booked.pk).update(status="canceled")
    client.force_login(rep.user)
    event = Calendar.from_ical(client.get(f"/meetings/{booked.pk}/invite.ics").content).walk("VEVENT")[0]
    assert str(event["status"]) == "CANCELLED"
