"""``{% offline_client %}``: the offline script and the words it shows, for base.html."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sessions.models import Attendance
from sessions.offline import owner_token

register = template.Library()


def _counted(phrase) -> dict[str, str]:
    """``phrase(n)`` for 0, 1 and more (enough for English and French plural rules)."""
    return {"zero": phrase(0), "one": phrase(1), "other": phrase(2)}


def client_strings() -> dict:
    return {
        "statuses": [[value, str(label)] for value, label in Attendance.Status.choices],
        "queued": _("saved on this phone, not sent yet"),
        "waiting": _counted(
            lambda n: ngettext("%(count)s tap not sent yet", "%(count)s taps not sent yet", n)
        ),
        "logs_waiting": _counted(
            lambda n: ngettext(
                "%(count)s session log not sent yet", "%(count)s session logs not sent yet", n
            )
        ),
        "expired": _counted(
            lambda n: ngettext(
                "%(count)s change made more than 72 hours ago was deleted from this phone "
                "without being sent.",
                "%(count)s changes made more than 72 hours ago were deleted from this phone "
                "without being sent.",
                n,
            )
        ),
        "offline": _("No connection. Taps are saved on this phone and sent when it returns."),
        "sending": _("Sending…"),
        "sign_in_again": _("Sign in again to send them."),
        "other_person": _(
            "Changes saved on this phone by someone else wait for them to sign in again."
        ),
        "overridden": _(
            "%(who)s: your tap “%(mine)s” (%(time)s) was not kept: %(by)s changed it to "
            "“%(kept)s” later (%(at)s)."
        ),
        "refused": _("%(who)s: not recorded. %(reason)s"),
        "log_refused": _("Session log of %(date)s not recorded. %(reason)s"),
        "dismiss": _("Dismiss"),
        "results_title": _("What happened to the changes sent"),
        "signout_warning": _(
            "If you sign out now they are deleted from this phone and never sent. Stay "
            "signed in to send them when the connection returns."
        ),
        "signout_confirm": _("Sign out and delete them"),
        "stay": _("Stay signed in"),
        "my_sessions": _("My sessions"),
        "no_sessions": _(
            "Nothing is saved on this phone. Open My sessions while you have a connection."
        ),
        "not_offline": _(
            "This page is not available without a connection. Your sessions are below."
        ),
        "session": _("Session %(number)s"),
        "open": _("Open"),
        "not_yet": _("Attendance can be recorded from the session's day."),
        "log_title": _("Save the sheet"),
        "duration": _("How long did the session last (minutes)?"),
        "topics": _("Topics covered"),
        "notes": _("Notes"),
        "notes_help": _("Do not write anything that identifies a participant."),
        "incident": _("Something happened that a supervisor should follow up"),
        "incident_notes": _("What happened"),
        "log_save": _("Save the sheet"),
        "log_queued": _("The session log is saved on this phone and will be sent."),
        "duration_error": _("Give the duration in minutes, between 1 and 1440."),
        "incident_error": _("Describe the incident for the supervisor."),
        "saved_at": _("Saved on this phone at %(time)s; shown without a connection."),
    }


@register.inclusion_tag("sessions/offline/_client.html", takes_context=True)
def offline_client(context, shell=False):
    """In the offline page shell (kept on the phone for anyone), nothing about the person."""
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = bool(not shell and user is not None and user.is_authenticated)
    owner = owner_token(user) if signed_in else ""
    return {
        "strings": client_strings(),
        "owner": owner,
        "signed_in": signed_in,
        "shell": shell,
        "facilitator": bool(not shell and context.get("is_facilitator")),
        "sync_url": reverse("groupsessions:offline_sync"),
        "sw_url": reverse("service_worker"),
        "manifest_url": reverse("web_manifest"),
        "shell_url": reverse("groupsessions:offline_shell"),
        "home_url": reverse("groupsessions:facilitator_home"),
        "sheet_url": reverse("groupsessions:attendance_sheet", args=[0]),
        "logout_url": reverse("account_logout"),
        "login_url": reverse("account_login"),
    }
