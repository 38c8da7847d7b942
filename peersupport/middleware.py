"""Per-request membership (which organisation the user is working in), MFA enforcement,
the session's absolute lifetime and no caching of pages."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from .permissions import memberships_of

SESSION_KEY = "organisation_id"


class MembershipMiddleware:
    """Sets ``request.membership`` (or None) and ``request.memberships``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.memberships = {}
        if request.user.is_authenticated:
            memberships = memberships_of(request.user)
            request.memberships = memberships
            chosen = request.session.get(SESSION_KEY)
            membership = memberships.get(chosen)
            if membership is None and memberships:
                membership = sorted(memberships.values(), key=lambda m: m.organisation.name)[0]
            request.membership = membership
        return self.get_response(request)


class RequireMFAMiddleware:
    """Every member of an organisation that requires MFA sets it up first: coordinators and
    facilitators read names and contact details, evaluators the figures."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/invite/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not request.path.startswith(self.ALLOWED_PREFIXES):
            needs_mfa = any(m.organisation.require_mfa for m in request.memberships.values())
            if needs_mfa and not _has_mfa(request.user):
                return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


def _has_mfa(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class UserLanguageMiddleware:
    """A signed-in person sees the app in their chosen language unless they just picked
    another with the switcher (the language cookie)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages are never kept by the browser or a proxy: they show participants' records, and
    people share computers at drop-in centres (the back button must not bring a roster back
    after signing out). Static files, served before this runs or under ``STATIC_URL``, stay
    cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path_info.startswith(self.static_prefix):
            add_never_cache_headers(response)
        return response


#: Session key: when the person signed in (seconds since the epoch).
SIGNED_IN_AT = "signed_in_at"


def mark_signed_in(sender, request, user, **kwargs):
    """``user_logged_in`` receiver: the session's absolute lifetime starts now."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = int(time.time())


class AbsoluteSessionLifetimeMiddleware:
    """A session ends ``SESSION_ABSOLUTE_HOURS`` after signing in, however active it is
    (the idle timeout, ``SESSION_IDLE_MINUTES``, ends it sooner when left alone)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            signed_in_at = request.session.get(SIGNED_IN_AT)
            if signed_in_at is None:
                request.session[SIGNED_IN_AT] = now
            elif now - signed_in_at >= settings.SESSION_ABSOLUTE_HOURS * 3600:
                logout(request)
                messages.info(request, _("Your session has ended. Please sign in again."))
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)
