"""Placing a call through the Twilio adapter, against the local Twilio REST emulator."""
import time_machine
from twilio.request_validator import RequestValidator

from campaigns.models import Campaign, CampaignLead
from crm.models import Call, DoNotCall
from dialer import placing
from dialer.claims import claim_due_leads
from dialer.tasks import place_call as place_call_task
from tests import factories
from voice.tokens import read_media_token

from .conftest import at

NOON_NY = at("America/New_York", 2026, 6, 10, 12, 0)


def claimed_call(campaign, lead=None) -> Call:
    factories.hopper_entry(campaign, lead or factories.lead(phone="+12025550143"))
    with time_machine.travel(NOON_NY, tick=False):
        [call_id] = claim_due_leads(campaign.pk, NOON_NY, dispatch=None)
    return Call.objects.get(pk=call_id)


def place(call_id, now=NOON_NY):
    with time_machine.travel(now, tick=False):
        return placing.place_call(call_id)


def test_the_adapter_sends_twilio_the_dial_with_amd_callbacks_and_a_media_stream(running_campaign, twilio):
    campaign = running_campaign(caller_id="+14155550100", ring_timeout_seconds=22)
    call = claimed_call(campaign)

    assert place(call.pk) == placing.Placed.DIALED

    [sent] = twilio.creates()
    assert sent.auth == (twilio.account_sid, twilio.auth_token)
    assert sent.field("To") == "+12025550143" and sent.field("From") == "+14155550100"
    assert sent.field("Timeout") == "22"
    assert sent.field("MachineDetection") == "DetectMessageEnd"
    assert sent.field("AsyncAmd") == "true"
    assert sent.field("AsyncAmdStatusCallback") == f"https://parley.example.com/telephony/twilio/amd/{call.pk}/"
    assert sent.field("StatusCallback") == f"https://parley.example.com/telephony/twilio/status/{call.pk}/"
    assert sent.field("StatusCallbackMethod") == "POST"
    assert sent.fields("StatusCallbackEvent") == ["initiated", "ringing", "answered", "completed"]
    twiml = sent.field("Twiml")
    assert twiml.startswith("<?xml") and "<Connect><Stream url=\"wss://parley.example.com/media/" in twiml
    token = twiml.split("/media/", 1)[1].split('"', 1)[0]
    with time_machine.travel(NOON_NY, tick=False):
        assert read_media_token(token) == call.pk
    assert f'<Parameter name="call_id" value="{call.pk}" />' in twiml
    call.refresh_from_db()
    assert call.provider_sid in twilio.calls and call.status == Call.Status.DIALING


def test_a_call_is_dialed_once_however_often_place_call_runs(running_campaign, twilio, eager):
    call = claimed_call(running_campaign())

    with time_machine.travel(NOON_NY, tick=False):
        results = [place_call_task.delay(call.pk).get() for _ in range(3)]

    assert results == ["dialed", "skipped", "skipped"]
    assert len(twilio.creates()) == 1


def test_a_lead_put_on_do_not_call_after_the_claim_is_not_dialed(running_campaign, twilio):
    call = claimed_call(running_campaign())
    DoNotCall.objects.create(phone=call.lead.phone, source=DoNotCall.Source.MANUAL)

    assert place(call.pk) == placing.Placed.BLOCKED

    call.refresh_from_db()
    assert twilio.creates() == []
    assert (call.status, call.outcome) == (Call.Status.CANCELED, Call.Outcome.BLOCKED)
    assert call.campaign_lead.state == CampaignLead.State.DO_NOT_CALL


def test_a_call_whose_window_closed_before_dialing_goes_back_to_the_hopper(running_campaign, twilio):
    call = claimed_call(running_campaign())

    assert place(call.pk, at("America/New_York", 2026, 6, 10, 21, 0)) == placing.Placed.RELEASED

    call.refresh_from_db()
    entry = call.campaign_lead
    assert twilio.creates() == []
    assert call.outcome == Call.Outcome.BLOCKED and "window" in call.error
    assert (entry.state, entry.attempts) == (CampaignLead.State.RETRY, 0)


def test_a_campaign_paused_before_dialing_dials_nothing(running_campaign, twilio):
    campaign = running_campaign()
    call = claimed_call(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.PAUSED)

    assert place(call.pk) == placing.Placed.RELEASED
    assert twilio.creates() == []


def test_a_rate_limited_dial_is_retried_and_then_placed(running_campaign, twilio, eager):
    call = claimed_call(running_campaign())
    twilio.fail_next(429, 20429, "Too Many Requests", times=2)

    with time_machine.travel(NOON_NY, tick=False):
        place_call_task.delay(call.pk)

    call.refresh_from_db()
    assert len(twilio.creates()) == 3
    assert call.provider_sid and call.status == Call.Status.DIALING


def test_an_invalid_number_ends_the_call_with_the_reason_and_the_lead_is_done(running_campaign, twilio):
    call = claimed_call(running_campaign())
    twilio.fail_next(400, 21211, "The 'To' number +12025550143 is not a valid phone number.")

    assert place(call.pk) == placing.Placed.FAILED

    call.refresh_from_db()
    assert (call.status, call.outcome) == (Call.Status.FAILED, Call.Outcome.INVALID_NUMBER)
    assert "21211" in call.error and "not a valid phone number" in call.error
    assert call.finalized_at is not None
    assert call.campaign_lead.state == CampaignLead.State.DONE


def test_an_unverified_caller_id_ends_the_call_and_pauses_the_campaign_without_costing_the_lead(
    running_campaign, twilio
):
    campaign = running_campaign()
    call = claimed_call(campaign)
    twilio.fail_next(400, 21210, "The source phone number provided is not yet verified for your account.")

    assert place(call.pk) == placing.Placed.FAILED

    call.refresh_from_db()
    campaign.refresh_from_db()
    assert call.outcome == Call.Outcome.FAILED and "21210" in call.error and "not yet verified" in call.error
    assert (call.campaign_lead.state, call.campaign_lead.attempts) == (CampaignLead.State.RETRY, 0)
    assert campaign.status == Campaign.Status.PAUSED


def test_transient_errors_that_outlast_every_retry_end_the_call_as_failed(running_campaign, twilio, eager):
    call = claimed_call(running_campaign())
    twilio.fail_next(429, 20429, "Too Many Requests", times=10)

    with time_machine.travel(NOON_NY, tick=False):
        place_call_task.delay(call.pk)

    call.refresh_from_db()
    assert len(twilio.creates()) == 6
    assert (call.status, call.outcome) == (Call.Status.FAILED, Call.Outcome.FAILED)
    assert "Gave up" in call.error and "20429" in call.error
    assert call.campaign_lead.state == CampaignLead.State.RETRY


def test_the_emulator_signs_callbacks_like_twilio(twilio):
    url, params, signature = "https://parley.example.com/telephony/twilio/status/1/", {"CallStatus": "ringing"}, ""
    signature = twilio.sign(url, params)
    assert RequestValidator(twilio.auth_token).validate(url, params, signature)
