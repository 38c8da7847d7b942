"""Per-request membership (which organisation the user is working in) and MFA enforcement."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

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
