from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from crm.roles import ADMINS, MANAGERS, role_required

from .models import Campaign, Script
from .scripts import save_new_version


@role_required(MANAGERS)
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(request, "campaigns/campaign_list.html", {"campaigns": Campaign.objects.all()})


@role_required(MANAGERS)
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    return render(request, "campaigns/campaign_detail.html", {"campaign": campaign})


@role_required(ADMINS)
def script_list(request: HttpRequest) -> HttpResponse:
    return render(request, "campaigns/script_list.html", {"scripts": Script.objects.all()})


@role_required(ADMINS)
def script_edit(request: HttpRequest, slug: str) -> HttpResponse:
    script = get_object_or_404(Script, slug=slug)
    current = script.latest_version
    if request.method == "POST":
        save_new_version(
            script,
            user=request.user,
            publish=bool(request.POST.get("publish")),
            instructions=request.POST.get("instructions", ""),
            opening_line=request.POST.get("opening_line", ""),
            voicemail_message=request.POST.get("voicemail_message", ""),
        )
        return redirect("script_edit", slug=script.slug)
    return render(request, "campaigns/script_edit.html", {"script": script, "version": current})
