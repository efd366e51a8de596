from django.urls import include, path

from . import views

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
    path("scripts/<slug:slug>/versions/<int:number>/publish/", views.script_publish, name="script_publish"),
    path("", include("campaigns.import_urls")),
]
