"""The site's URLs plus one view that raises, to see the 500 page."""
from django.urls import path

from config.urls import urlpatterns as site_urls


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), *site_urls]
