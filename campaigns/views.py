from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from crm.roles import ADMINS, MANAGERS, role_required
from dialer import controls
from dialer.controls import CampaignControlError

from . import confirmations, kinds, playground, readiness, stats
from .charts import funnel_chart, latency_chart
from .diffs import diff_versions
from .forms import CampaignForm, NewScriptForm, ScriptVersionForm
from .models import Campaign, Script, ScriptVersion
from .scripts import create_script, publish_version, save_new_version

CONTROLS = {
    "start": controls.start_campaign,
    "pause": controls.pause_campaign,
    "resume": controls.resume_campaign,
    "stop": controls.stop_campaign,
}
# Which buttons a campaign in each status offers.
CONTROLS_BY_STATUS = {
    Campaign.Status.DRAFT: ("start",),
    Campaign.Status.RUNNING: ("pause", "stop"),
    Campaign.Status.PAUSED: ("resume", "stop"),
    Campaign.Status.STOPPED: ("start",),
    Campaign.Status.COMPLETED: ("start",),
}


@role_required(MANAGERS)
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = stats.with_progress(Campaign.objects.select_related("script"))
    rows = [(c, stats.progress_stages(c)) for c in campaigns]
    return render(request, "campaigns/campaign_list.html", {"rows": rows})


@role_required(MANAGERS)
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("script"), slug=slug)
    latency = stats.latency_by_day(campaign)
    context = {
        "campaign": campaign,
        "controls": CONTROLS_BY_STATUS.get(campaign.status, ()),
        "latency": latency,
        "latency_chart": latency_chart(latency) if latency else None,
        "budget_ms": stats.LATENCY_BUDGET_MS,
        "imports": campaign.imports.all()[:5],
        "enrollments": kinds.enrollment_rows(campaign) if kinds.calls_about_meetings(campaign) else None,
        **_live_context(campaign),
    }
    return render(request, "campaigns/campaign_detail.html", context)


def _live_context(campaign: Campaign) -> dict:
    stages = stats.funnel(campaign)
    return {
        "campaign": campaign,
        "stages": stages,
        "total_leads": stages[0].total,
        "funnel": funnel_chart(stages),
        "outcomes": stats.outcomes(campaign),
        "in_flight": stats.calls_in_flight(campaign)[:50],
    }


@role_required(MANAGERS)
def campaign_live(request: HttpRequest, slug: str) -> HttpResponse:
    """The part of the campaign page htmx polls: funnel, outcomes and calls in flight."""
    campaign = get_object_or_404(Campaign, slug=slug)
    return render(request, "campaigns/_campaign_live.html", {**_live_context(campaign), "oob": True})


@require_http_methods(["GET", "POST"])
@role_required(MANAGERS)
def campaign_control(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    """POST changes the campaign's state; GET of "stop" is the confirmation page (stop versus pause)."""
    campaign = get_object_or_404(Campaign, slug=slug)
    if action not in CONTROLS:
        raise Http404("No such campaign action")
    if request.method == "GET":
        if action != "stop":
            return HttpResponseNotAllowed(["POST"])
        return render(request, "campaigns/campaign_stop.html", {"campaign": campaign})
    try:
        CONTROLS[action](campaign, request.user)
    except CampaignControlError as exc:
        messages.error(request, str(exc))
    else:
        campaign.refresh_from_db(fields=["status"])
        messages.success(request, f"{campaign.name} is now {campaign.get_status_display().lower()}.")
        waiting = action in ("start", "resume") and readiness.nothing_to_dial(campaign, request.user.parley_zone)
        if waiting:
            messages.warning(request, waiting)
    return redirect("campaign_detail", slug=slug)


@role_required(MANAGERS)
def campaign_create(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None, initial={"calling_days": [0, 1, 2, 3, 4]})
    if request.method == "POST" and form.is_valid():
        campaign = form.save(commit=False)
        campaign.created_by = request.user
        campaign.save()
        form.save_m2m()
        messages.success(request, f"Campaign {campaign.name} created. Add leads, then start it.")
        _warn(request, form)
        return redirect("campaign_detail", slug=campaign.slug)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": None})


@role_required(MANAGERS)
def campaign_edit(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        campaign = form.save()
        messages.success(request, "Campaign settings saved.")
        _warn(request, form)
        return redirect("campaign_detail", slug=campaign.slug)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": campaign})


def _warn(request: HttpRequest, form: CampaignForm) -> None:
    for warning in form.warnings:
        messages.warning(request, warning)


@role_required(ADMINS)
def script_list(request: HttpRequest) -> HttpResponse:
    scripts = Script.objects.select_related("published_version").prefetch_related("versions")
    return render(request, "campaigns/script_list.html", {"scripts": scripts})


@role_required(ADMINS)
def script_create(request: HttpRequest) -> HttpResponse:
    form = NewScriptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        publish = form.cleaned_data["publish"]
        script = create_script(form.cleaned_data["name"], user=request.user, publish=publish, **form.version_fields())
        state = "version 1 published" if publish else "version 1 saved, not published yet"
        messages.success(request, f"{script.name} created: {state}.")
        return redirect("script_edit", slug=script.slug)
    return render(request, "campaigns/script_new.html", {"form": form})


@role_required(ADMINS)
def script_edit(request: HttpRequest, slug: str) -> HttpResponse:
    script = get_object_or_404(Script, slug=slug)
    current = script.latest_version
    form = ScriptVersionForm(request.POST or None, initial=ScriptVersionForm.initial_from(current))
    switching = confirmations.publish_effects(current).switching if current else []
    if switching:
        names = ", ".join(c.name for c in switching)
        form.fields["publish"].help_text = f"Live campaigns switch to it at once: {names}."
    if request.method == "POST" and form.is_valid():
        publish = form.cleaned_data["publish"]
        version = save_new_version(script, user=request.user, publish=publish, **form.version_fields())
        state = "saved and published" if publish else "saved (not published)"
        messages.success(request, f"Version {version.number} {state}.")
        return redirect("script_edit", slug=script.slug)
    versions = script.versions.select_related("created_by").order_by("-number")
    return render(
        request,
        "campaigns/script_edit.html",
        {"script": script, "version": current, "form": form, "versions": versions},
    )


@role_required(ADMINS)
def script_diff(request: HttpRequest, slug: str) -> HttpResponse:
    script = get_object_or_404(Script, slug=slug)
    latest = script.latest_version
    if latest is None:
        raise Http404("This script has no versions yet")
    try:
        new_number = int(request.GET.get("b", latest.number))
        old_number = int(request.GET.get("a", new_number - 1))
    except ValueError as exc:
        raise Http404("Versions are numbers") from exc
    new = get_object_or_404(ScriptVersion, script=script, number=new_number)
    old = get_object_or_404(ScriptVersion, script=script, number=old_number)
    context = {
        "script": script,
        "old": old,
        "new": new,
        "fields": diff_versions(old, new),
        "numbers": list(script.versions.order_by("number").values_list("number", flat=True)),
    }
    return render(request, "campaigns/script_diff.html", context)


@require_http_methods(["GET", "POST"])
@role_required(ADMINS)
def script_publish(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """GET: what publishing will switch (named campaigns); POST: publish."""
    version = get_object_or_404(ScriptVersion.objects.select_related("script"), script__slug=slug, number=number)
    if request.method == "GET":
        script = version.script
        context = {
            "script": script,
            "version": version,
            "current": script.published_version,
            "effects": confirmations.publish_effects(version),
        }
        return render(request, "campaigns/script_publish.html", context)
    publish_version(version)
    messages.success(request, f"Version {number} is now published; new calls use it.")
    return redirect("script_edit", slug=slug)


@role_required(ADMINS)
def script_playground(request: HttpRequest, slug: str) -> HttpResponse:
    """Chat with a script version in text: the scripted agent offline, the configured LLM when keys are set."""
    script = get_object_or_404(Script, slug=slug)
    versions = script.versions.order_by("-number")
    chosen = request.POST.get("version") or request.GET.get("version")
    version = versions.filter(number=chosen).first() if str(chosen).isdigit() else None
    version = version or script.published_version or script.latest_version
    if version is None:
        raise Http404("This script has no versions yet")
    try:
        history = playground.clean_history(json.loads(request.POST.get("history", "[]")))
    except ValueError:
        history = []
    error, ended = None, False
    text = request.POST.get("message", "").strip()
    if not history or request.POST.get("reset"):
        history = [playground.opening(version)]
    elif request.method == "POST" and text:
        try:
            reply = playground.chat_reply(version, [*history, {"role": "user", "content": text}])
        except playground.PlaygroundUnavailable as exc:
            error = str(exc)
        else:
            history += [{"role": "user", "content": text}, *reply.messages]
            ended = reply.ended
    template = "campaigns/_playground_chat.html" if request.headers.get("HX-Request") else "campaigns/playground.html"
    context = {
        "script": script,
        "version": version,
        "versions": versions,
        "bubbles": playground.transcript(history),
        "history_json": json.dumps(history),
        "ended": ended,
        "error": error,
    }
    return render(request, template, context)
