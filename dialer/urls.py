from django.urls import path

from . import webhooks

app_name = "dialer"

urlpatterns = [
    path("twilio/status/<int:call_id>/", webhooks.twilio_status, name="twilio_status"),
    path("twilio/amd/<int:call_id>/", webhooks.twilio_amd, name="twilio_amd"),
]
