from django.urls import path

from . import views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign_detail"),
    path("scripts/", views.script_list, name="script_list"),
    path("scripts/<slug:slug>/", views.script_edit, name="script_edit"),
]
