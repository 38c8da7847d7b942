"""While a survey kiosk is open in the session, the tablet hands over nothing else.

The kiosk runs in the staff member's signed-in session, so everything that session may
open (rosters, names, exports, the admin) is one address away from the participant
holding the tablet. While the session holds a kiosk, only the kiosk's own pages for its
cohort answer (and static files, the language switch and signing out); every other
address is sent to the kiosk, which shows the PIN screen while it is locked. Starting
another kiosk is refused too: it would replace the PIN. Staff who forgot the PIN sign out
(the kiosk goes with the session) and sign in again with their password.
"""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from .kiosk import KIOSK_KEY

#: URL names (namespaced) the kiosk itself answers on, for its own cohort.
KIOSK_URLS = frozenset({"surveys:kiosk_next", "surveys:kiosk_answer", "surveys:kiosk_handback"})
#: URL names that answer whatever the kiosk's state.
ALWAYS_ALLOWED = frozenset({"set_language", "account_logout"})


class KioskLockMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        state = session.get(KIOSK_KEY) if session is not None else None
        if state and not self._allowed(request, state):
            return redirect(reverse("surveys:kiosk_next", kwargs={"cohort_pk": state["cohort"]}))
        return self.get_response(request)

    @staticmethod
    def _allowed(request, state) -> bool:
        static = "/" + settings.STATIC_URL.lstrip("/")
        if request.path_info.startswith(static):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        if match.view_name in ALWAYS_ALLOWED:
            return True
        return match.view_name in KIOSK_URLS and match.kwargs.get("cohort_pk") == state["cohort"]
