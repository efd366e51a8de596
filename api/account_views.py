"""API tokens on the account page: create one (its text shown once) and revoke one."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from . import tokens

NEW_TOKEN_SESSION_KEY = "parley_new_api_token"  # server-side session; popped by the account page that shows it


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        error_messages={"required": "Name the token after what will use it (e.g. “HubSpot sync”)."},
        widget=forms.TextInput(attrs={"placeholder": "What uses it, e.g. HubSpot sync"}),
    )


@require_POST
@login_required
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST, prefix="token")
    if not form.is_valid():
        messages.error(request, form.errors["name"][0])
        return redirect("/account/#api-tokens")
    row, text = tokens.create_token(request.user, form.cleaned_data["name"])
    request.session[NEW_TOKEN_SESSION_KEY] = {"id": row.pk, "text": text}
    return redirect("/account/#api-tokens")


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if tokens.revoke(request.user, pk):
        messages.success(request, "Token revoked: requests made with it are refused from now on.")
    return redirect("/account/#api-tokens")


def account_context(request: HttpRequest) -> dict:
    """What the account page shows about API tokens: the user's active tokens and, once, a token just made."""
    from .models import ApiToken

    return {
        "api_tokens": ApiToken.objects.filter(user=request.user, revoked_at__isnull=True),
        "new_api_token": request.session.pop(NEW_TOKEN_SESSION_KEY, None),
        "token_form": TokenForm(prefix="token"),
    }
