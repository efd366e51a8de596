"""The meeting page: lead facts, the call's summary and answers, the transcript with interruptions, the recording."""
import pytest

pytestmark = pytest.mark.django_db


def test_the_rep_reads_lead_facts_summary_and_qualification_answers(client, rep, booked):
    client.force_login(rep.user)
    page = client.get(f"/meetings/{booked.pk}/").content.decode()
    assert "Meeting with Pat Lee" in page and "Globex" in page and str(booked.lead.phone) in page
    assert "Pat leads a 12-person team on spreadsheets." in page
    assert "<dt>Team size</dt><dd>12</dd>" in page


def test_the_transcript_marks_what_the_caller_heard_and_what_was_cut_off(client, rep, booked):
    client.force_login(rep.user)
    page = client.get(f"/meetings/{booked.pk}/").content.decode()
    assert '<span class="heard">We help sales teams book more meetings.</span>' in page
    assert '<span class="cut" title="Generated but never heard">I&#x27;d love to set up a short call' in page
    assert page.count('class="agent interrupted"') == 1
    assert "Tuesday at 10 works." in page


def test_qualification_answers_follow_the_scripts_question_wording(client, rep, booked):
    version = booked.call.script_version
    version.__class__.objects.filter(pk=version.pk).update(
        qualification_questions=[{"field": "team_size", "question": "How many people sell?"}]
    )
    client.force_login(rep.user)
    page = client.get(f"/meetings/{booked.pk}/").content.decode()
    assert "<dt>How many people sell?</dt><dd>12</dd>" in page


def test_the_recording_plays_from_a_permission_checked_url(client, rep, booked):
    client.force_login(rep.user)
    page = client.get(f"/meetings/{booked.pk}/").content.decode()
    assert f'<audio controls preload="metadata" src="/calls/{booked.call.pk}/recording/">' in page
    assert "/media-files/" not in page


def test_a_meeting_without_a_call_says_there_is_no_transcript(client, rep):
    from tests import factories

    meeting = factories.meeting(rep)
    client.force_login(rep.user)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "not booked on a call" in page


def test_the_meeting_page_hides_the_rehearsal_persona_and_names_the_answering_machine_result(client, rep, booked):
    from crm.models import Call, Lead

    Lead.objects.filter(pk=booked.lead_id).update(attributes={"persona": "interrupter", "team_size": "12"})
    Call.objects.filter(pk=booked.call_id).update(answered_by="machine_end_beep")
    client.force_login(rep.user)
    page = client.get(f"/meetings/{booked.pk}/").content.decode()
    assert "interrupter" not in page and "Persona" not in page and "Team_size" in page
    call_page = client.get(f"/calls/{booked.call_id}/").content.decode()
    assert "Machine (after the beep)" in call_page and "machine_end_beep" not in call_page
