from django.conf import settings
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

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
