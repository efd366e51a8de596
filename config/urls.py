from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from api.main import api
from crm import views as crm_views

urlpatterns = [
    path("", crm_views.home, name="home"),
    path("favicon.ico", RedirectView.as_view(url=f"/{settings.STATIC_URL.strip('/')}/favicon.svg", permanent=True)),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("telephony/", include("dialer.urls")),
    path("telephony/", include("inbound.urls")),
    path("", include("inbound.page_urls")),
    path("api/v1/", api.urls),
    path("settings/webhooks/", include("webhooks.urls")),
    path("", include("crm.urls")),
    path("", include("campaigns.urls")),
]


# 403 and 404 render templates/403.html and 404.html inside the site's layout (Django's default handlers, which
# pass the request, so the navigation shows); 500 renders templates/500.html, which needs no context.
