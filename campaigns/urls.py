from django.urls import include, path

from . import test_call_views, views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<slug:slug>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<slug:slug>/live/", views.campaign_live, name="campaign_live"),
    path("campaigns/<slug:slug>/control/<str:action>/", views.campaign_control, name="campaign_control"),
    path("scripts/", views.script_list, name="script_list"),
    path("scripts/new/", views.script_create, name="script_create"),
    path("scripts/<slug:slug>/", views.script_edit, name="script_edit"),
    path("scripts/<slug:slug>/diff/", views.script_diff, name="script_diff"),
    path("scripts/<slug:slug>/playground/", views.script_playground, name="script_playground"),
    path("scripts/<slug:slug>/test-call/", test_call_views.test_call_page, name="test_call"),
    path("scripts/<slug:slug>/test-call/offer/", test_call_views.test_call_offer, name="test_call_offer"),
    path("test-calls/<int:pk>/", test_call_views.test_call_detail, name="test_call_detail"),
    path("test-calls/<int:pk>/recording/", test_call_views.test_call_recording, name="test_call_recording"),
    path("scripts/<slug:slug>/versions/<int:number>/publish/", views.script_publish, name="script_publish"),
    path("", include("campaigns.import_urls")),
]
