"""Routes of the lead CSV import pages, included from campaigns/urls.py."""
from django.urls import path

from . import import_views

urlpatterns = [
    path("campaigns/<slug:slug>/imports/", import_views.import_list, name="lead_import_list"),
    path("campaigns/<slug:slug>/imports/new/", import_views.import_upload, name="lead_import_upload"),
    path("campaigns/<slug:slug>/imports/<int:pk>/", import_views.import_detail, name="lead_import_detail"),
    path("campaigns/<slug:slug>/imports/<int:pk>/mapping/", import_views.import_mapping, name="lead_import_mapping"),
    path(
        "campaigns/<slug:slug>/imports/<int:pk>/progress.json",
        import_views.import_progress,
        name="lead_import_progress",
    ),
    path("campaigns/<slug:slug>/imports/<int:pk>/errors.csv", import_views.import_errors, name="lead_import_errors"),
]
