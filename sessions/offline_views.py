"""Offline attendance: the service worker, the web app manifest, the offline page shell
and the sync endpoint the phone sends its queued changes to (``sessions/offline.py``)."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from peersupport.permissions import FACILITATOR

from .offline import (
    offline_apply,
    offline_session_ids,
    offline_snapshot,
    owner_token,
    parse_changes,
)

#: Static files the service worker keeps so the offline pages draw without a network.
SHELL_ASSETS = (
    "vendor/bootstrap/bootstrap.min.css",
    "css/app.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "js/app.js",
    "js/offline.js",
    "img/icon-192.png",
)


def _worker_source() -> str:
    path = finders.find("sw.js")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    with staticfiles_storage.open("sw.js") as handle:
        return handle.read().decode("utf-8")


@require_GET
def service_worker(request):
    """The service worker, served from the site's root so it may control every page."""
    source = _worker_source()
    config = {
        "shell": reverse("groupsessions:offline_shell"),
        "assets": [static(name) for name in SHELL_ASSETS],
        "static": settings.STATIC_URL,
        "manifest": reverse("web_manifest"),
    }
    version = hashlib.sha256((json.dumps(config) + source).encode()).hexdigest()[:12]
    config["version"] = version
    body = f"const CONFIG = {json.dumps(config)};\n{source}"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def web_manifest(request):
    manifest = {
        "name": "peersupport",
        "short_name": "peersupport",
        "description": _("Attendance and session logs for peer-support groups"),
        "start_url": reverse("groupsessions:facilitator_home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#212529",
        "icons": [
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    return JsonResponse(manifest, content_type="application/manifest+json")


@require_GET
def offline_shell(request):
    """The page the service worker shows offline: no data of its own; the phone's script
    draws My sessions, a roster or a session log from what the phone keeps."""
    return render(request, "sessions/offline/shell.html")


@require_http_methods(["GET", "POST"])
def offline_sync(request):
    """GET: which sessions the phone may keep (and their rosters with ``?rosters=1``).
    POST (JSON, CSRF token in ``X-CSRFToken``): apply the queued changes, answer each."""
    if not request.user.is_authenticated:
        return JsonResponse(
            {"signed_in": False, "error": _("Sign in again to send what is saved on this phone.")},
            status=401,
        )
    membership = getattr(request, "membership", None)
    owner = owner_token(request.user)
    today = timezone.localdate()
    rosters = request.GET.get("rosters") == "1"
    answers: list = []
    if request.method == "POST":
        try:
            try:
                payload = json.loads(request.body or b"{}")
            except json.JSONDecodeError:
                raise ValueError(_("The request is not valid JSON.")) from None
            if not isinstance(payload, dict):
                raise ValueError(_("The request is not a JSON object."))
            if payload.get("owner") != owner:
                return JsonResponse(
                    {
                        "signed_in": True,
                        "owner": owner,
                        "error": _("These changes were made by someone else on this phone."),
                    },
                    status=409,
                )
            changes, answers = parse_changes(payload, now=timezone.now())
        except RequestDataTooBig:
            return JsonResponse({"error": _("Too much at once; send fewer changes.")}, status=413)
        except (ValueError, UnicodeDecodeError) as error:
            message = str(error) if isinstance(error, ValueError) and str(error) else ""
            return JsonResponse(
                {"error": message or _("The request is not valid JSON.")}, status=400
            )
        rosters = rosters or bool(payload.get("rosters"))
        answers += offline_apply(changes=changes, by=request.user, request=request, today=today)
    is_facilitator = membership is not None and membership.role == FACILITATOR
    body = {
        "signed_in": True,
        "owner": owner,
        "offline": is_facilitator,
        "keep": offline_session_ids(membership=membership, today=today),
        "answers": answers,
    }
    if rosters and is_facilitator:
        body["sessions"] = offline_snapshot(membership=membership, today=today, request=request)
    return JsonResponse(body)
