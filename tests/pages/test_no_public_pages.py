"""No page of the app is public: every route of crm and campaigns sends an anonymous visitor to log in."""
import pytest
from django.urls import URLPattern, URLResolver

import campaigns.urls
import crm.urls

pytestmark = pytest.mark.django_db

ARGUMENTS = {"slug": "spring", "pk": "1", "action": "confirm", "number": "1"}


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield pattern.name, prefix + str(pattern.pattern)


ROUTES = sorted(set(_routes(crm.urls.urlpatterns)) | set(_routes(campaigns.urls.urlpatterns)))


def _url(route: str) -> str:
    for name, value in ARGUMENTS.items():
        for converter in ("slug", "int", "str"):
            route = route.replace(f"<{converter}:{name}>", value)
    return "/" + route


@pytest.mark.parametrize("name,route", ROUTES, ids=[name for name, _ in ROUTES])
def test_an_anonymous_visitor_is_sent_to_log_in(client, name, route):
    response = client.post(_url(route))
    assert response.status_code == 302, name
    assert response["Location"].startswith("/accounts/login/")


def test_the_routes_of_both_apps_and_the_import_pages_are_collected():
    names = {name for name, _ in ROUTES}
    assert {"campaign_detail", "campaign_control", "meeting_detail", "call_recording", "script_playground"} <= names
    assert "lead_import_upload" in names
