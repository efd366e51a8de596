from django.urls import path

from api import account_views as api_account_views

from . import account_views, lead_views, views

urlpatterns = [
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/invite.ics", views.meeting_invite, name="meeting_invite"),
    path("meetings/<int:pk>/reschedule/", views.meeting_reschedule, name="meeting_reschedule"),
    path("meetings/<int:pk>/<str:action>/", views.meeting_action, name="meeting_action"),
    path("availability/", views.availability_edit, name="availability_edit"),
    path("calls/", views.call_list, name="call_list"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("calls/<int:pk>/live/", views.call_live, name="call_live"),
    path("calls/<int:pk>/recording/", views.call_recording, name="call_recording"),
    path("account/", account_views.account, name="account"),
    path("account/tokens/", api_account_views.token_create, name="api_token_create"),
    path("account/tokens/<int:pk>/revoke/", api_account_views.token_revoke, name="api_token_revoke"),
    path("leads/", lead_views.lead_list, name="lead_list"),
    path("leads/<int:pk>/", lead_views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/dnc/add/", lead_views.lead_dnc_add, name="lead_dnc_add"),
    path("leads/<int:pk>/dnc/remove/", lead_views.lead_dnc_remove, name="lead_dnc_remove"),
    path("exports/meetings.csv", views.export_meetings, name="export_meetings"),
    path("exports/calls.csv", views.export_calls, name="export_calls"),
]
