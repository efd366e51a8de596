from django.contrib import admin
from django.urls import include, path

from crm import views as crm_views

urlpatterns = [
    path("", crm_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("telephony/", include("dialer.urls")),
    path("", include("crm.urls")),
    path("", include("campaigns.urls")),
]

