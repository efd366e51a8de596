from django.urls import path

from . import webhooks

app_name = "inbound"

urlpatterns = [
    path("twilio/incoming/", webhooks.incoming, name="twilio_incoming"),
    path("twilio/incoming/status/", webhooks.incoming_status, name="twilio_incoming_status"),
    path("twilio/transfer/<int:transfer_id>/status/", webhooks.transfer_status, name="twilio_transfer_status"),
]
