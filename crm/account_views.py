"""The account page: the zone a user reads times in, and the way to change their password."""
from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from api.account_views import account_context as api_account_context

from .models import Profile
from .profiles import BROWSER_ZONE_COOKIE, zone_or_none


def _zone_choices() -> list[tuple[str, str]]:
    names = sorted(n for n in zoneinfo.available_timezones() if "/" in n and not n.startswith(("Etc/", "SystemV/")))
    return [("", "My browser's zone"), ("UTC", "UTC"), *((n, n.replace("_", " ")) for n in names)]


class ProfileForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=_zone_choices,
        required=False,
        label="Show times in",
        error_messages={"invalid_choice": "Pick a time zone from the list (like America/Chicago)."},
    )

    class Meta:
        model = Profile
        fields = ["timezone"]


@login_required
def account(request: HttpRequest) -> HttpResponse:
    profile, _ = Profile.objects.get_or_create(user=request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        profile = form.save()
        shown = profile.timezone or "your browser's zone"
        messages.success(request, f"Times are now shown in {shown}.")
        return redirect("account")
    browser = zone_or_none(request.COOKIES.get(BROWSER_ZONE_COOKIE, ""))
    context = {"form": form, "browser_zone": browser.key if browser else "", "current": request.user.parley_zone.key}
    context.update(api_account_context(request))
    return render(request, "crm/account.html", context)
