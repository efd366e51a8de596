"""Test calls: talk to a script version from the browser (WebRTC), and read a finished test call back.

Signalling is one authenticated, CSRF-checked POST of the browser's SDP offer (non-trickle ICE: the offer and the
answer carry their candidates); the call itself runs in this process's event loop (`voice.browser_calls`).
"""
from __future__ import annotations

import json

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from crm.roles import ADMINS, has_role, role_required

from .models import Script, ScriptVersion, TestCall

MAX_SDP_BYTES = 64 * 1024


def _version(script: Script, number: object) -> ScriptVersion | None:
    versions = script.versions.all()
    chosen = versions.filter(number=number).first() if str(number).isdigit() else None
    return chosen or script.published_version or script.latest_version


def _providers() -> str:
    from voice.providers import factory

    return " / ".join(factory.chosen(kind) for kind in ("stt", "llm", "tts"))


@role_required(ADMINS)
def test_call_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The test-call page: microphone, live captions of both sides, per-turn latency."""
    from voice.providers import factory

    script = get_object_or_404(Script, slug=slug)
    version = _version(script, request.GET.get("version"))
    if version is None:
        raise Http404("This script has no versions yet")
    recent = TestCall.objects.filter(script_version__script=script).select_related("script_version")[:5]
    context = {
        "script": script,
        "version": version,
        "versions": script.versions.order_by("-number"),
        "rehearsal_stt": factory.chosen("stt") == "rehearsal",
        "providers": _providers(),
        "recent": recent,
    }
    return render(request, "campaigns/test_call.html", context)


def _start(user, slug: str, number: object) -> int:
    """Create the TestCall row for the version asked for; returns its id. Http404/PermissionError as views do."""
    if not has_role(user):
        raise PermissionError
    script = get_object_or_404(Script, slug=slug)
    version = _version(script, number)
    if version is None:
        raise Http404("This script has no versions yet")
    return TestCall.objects.create(script_version=version, started_by=user, providers=_providers()).pk


@require_POST
async def test_call_offer(request: HttpRequest, slug: str) -> HttpResponse:
    """POST {"sdp": offer, "version": n} (JSON, X-CSRFToken) -> {"sdp": answer, "test_call": id}.

    400 for a body that is not such JSON or an offer that cannot be answered, 403 for anyone but an Admin (an
    anonymous visitor is sent to log in), 503 while this process drains (SIGTERM)."""
    from asgiref.sync import sync_to_async

    from voice import browser_calls, drain

    user = await request.auser()
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())  # as every other page (tests/pages/test_no_public_pages)
    if len(request.body) > MAX_SDP_BYTES:
        return JsonResponse({"error": "The offer is too large."}, status=400)
    try:
        body = json.loads(request.body)
        offer = body["sdp"]
        if not isinstance(offer, str) or not offer.startswith("v=0"):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": 'Send JSON {"sdp": "<the SDP offer>", "version": <number>}.'}, status=400)
    if not drain.accepting():
        return JsonResponse({"error": "This server is restarting; try again in a moment."}, status=503)
    try:
        test_call_id = await sync_to_async(_start)(user, slug, body.get("version"))
    except PermissionError:
        return JsonResponse({"error": "Only Admins make test calls."}, status=403)
    try:
        answer = await browser_calls.answer(test_call_id, offer)
    except ValueError as exc:
        await sync_to_async(_mark_refused)(test_call_id, str(exc))
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"sdp": answer, "type": "answer", "test_call": test_call_id})


def _mark_refused(test_call_id: int, error: str) -> None:
    from django.utils import timezone

    TestCall.objects.filter(pk=test_call_id).update(error=error[:500], outcome="failed", ended_at=timezone.now())


@role_required(ADMINS)
def test_call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A finished (or running) test call: turns with what was heard, latency per agent turn, the recording."""
    call = get_object_or_404(TestCall.objects.select_related("script_version__script", "started_by"), pk=pk)
    partial = request.headers.get("HX-Request")
    template = "campaigns/_test_call_result.html" if partial else "campaigns/test_call_detail.html"
    return render(request, template, {"call": call, "script": call.script_version.script})


@role_required(ADMINS)
def test_call_recording(request: HttpRequest, pk: int) -> HttpResponse:
    from crm.recordings import recording_response

    call = get_object_or_404(TestCall, pk=pk)
    if not call.recording:
        raise Http404("This test call has no recording")
    return recording_response(request, call.recording)
