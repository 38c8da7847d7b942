from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.http import require_POST

from . import audit_display, services, tasks
from .forms import (
    AcceptInvitationForm,
    AuditFilterForm,
    InvitationForm,
    OrganisationSettingsForm,
    ProfileForm,
    add_errors,
)
from .middleware import SESSION_KEY
from .models import AuditEntry, Invitation, Membership, Organisation, Role, User
from .permissions import COORDINATOR, current_membership, memberships_of
from .tasking import enqueue

#: Where each role lands after signing in; apps register their dashboards here by URL name.
ROLE_HOME = getattr(settings, "ROLE_HOME", {})


@login_required
def home(request):
    """Send each person to their role's dashboard; without a membership, say so."""
    membership = request.membership
    if membership is None:
        return render(request, "peersupport/no_membership.html", status=403)
    target = ROLE_HOME.get(membership.role)
    if target:
        try:
            return redirect(reverse(target))
        except NoReverseMatch:
            pass
    return render(request, "peersupport/home.html")


@login_required
@require_POST
def switch_organisation(request):
    org_id = request.POST.get("organisation")
    if org_id and org_id.isdigit() and int(org_id) in memberships_of(request.user):
        request.session[SESSION_KEY] = int(org_id)
    else:
        messages.error(request, _("You are not a member of that organisation."))
    next_url = request.POST.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = reverse("home")
    return HttpResponseRedirect(next_url)


def set_language(request):
    """Django's language switcher, also remembered as the signed-in person's preference."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
    ):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your preferences are saved."))
        response = redirect("profile")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, request.user.language)
        return response
    return render(request, "peersupport/profile.html", {"form": form})


@login_required
def audit_log(request):
    membership = current_membership(request, roles=[COORDINATOR])
    form = AuditFilterForm(request.GET or None, organisation=membership.organisation)
    entries = AuditEntry.objects.filter(organisation=membership.organisation).select_related(
        "actor"
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["user"]:
            entries = entries.filter(actor=data["user"])
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["object_type"]:
            entries = entries.filter(object_type=data["object_type"])
        if data["record"]:
            entries = entries.filter(object_repr__iexact=data["record"].strip())
        if data["date_from"]:
            entries = entries.filter(created_at__date__gte=data["date_from"])
        if data["date_to"]:
            entries = entries.filter(created_at__date__lte=data["date_to"])
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    audit_display.describe(page)
    return render(request, "peersupport/audit_log.html", {"form": form, "page": page})


@login_required
def members(request):
    membership = current_membership(request, roles=[COORDINATOR])
    org = membership.organisation
    form = InvitationForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        invitation, token = services.invitation_create(
            organisation=org,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            by=request.user,
            request=request,
        )
        link = request.build_absolute_uri(reverse("invitation_accept", args=[token]))
        queued = enqueue(
            tasks.send_invitation_email, invitation.pk, link, actor=request.user, organisation=org
        )
        if queued:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
        else:
            messages.warning(
                request,
                _(
                    "The invitation is saved, but the email could not be sent right now. "
                    "Give %(email)s this one-time link yourself: %(link)s"
                )
                % {"email": invitation.email, "link": link},
            )
        return redirect("members")
    context = {
        "form": form,
        "memberships": Membership.objects.filter(organisation=org).select_related("user"),
        "invitations": Invitation.objects.filter(organisation=org, accepted_at__isnull=True),
        "roles": Role.choices,
    }
    return render(request, "peersupport/members.html", context)


@login_required
def organisation_settings(request):
    """Coordinators set quick exit, discreet mode, contact access and which identifying
    fields the organisation collects."""
    membership = current_membership(request, roles=[COORDINATOR])
    organisation = Organisation.objects.get(pk=membership.organisation_id)
    form = OrganisationSettingsForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_settings_update(
                organisation=Organisation.objects.get(pk=organisation.pk),
                data=form.cleaned_data,
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("organisation_settings")
    return render(request, "peersupport/organisation_settings.html", {"form": form})


@login_required
@require_POST
def membership_update(request, pk):
    membership = current_membership(request, roles=[COORDINATOR])
    target = get_object_or_404(Membership, pk=pk, organisation=membership.organisation)
    role = request.POST.get("role", target.role)
    if role not in Role.values:
        messages.error(request, _("Unknown role."))
        return redirect("members")
    if target.user_id == request.user.pk and (role != COORDINATOR or "deactivate" in request.POST):
        messages.error(request, _("You cannot remove your own coordinator role."))
        return redirect("members")
    services.membership_set_role(
        membership=target,
        role=role,
        is_active="deactivate" not in request.POST,
        by=request.user,
        request=request,
    )
    messages.success(request, _("Membership updated."))
    return redirect("members")


def invitation_accept(request, token):
    invitation = services.invitation_by_token(token)
    if invitation is None or not invitation.is_usable:
        return render(request, "peersupport/invitation_invalid.html", status=410)
    existing = User.objects.filter(email=invitation.email).first()
    if existing is not None:
        # Someone who already has an account joins by signing in as that account.
        if request.user != existing:
            return render(
                request, "peersupport/invitation_sign_in.html", {"invitation": invitation}
            )
        if request.method == "POST":
            services.invitation_accept(invitation=invitation, name="", password="", request=request)
            request.session[SESSION_KEY] = invitation.organisation_id
            messages.success(
                request, _("You have joined %(org)s.") % {"org": invitation.organisation}
            )
            return redirect("home")
        return render(request, "peersupport/invitation_join.html", {"invitation": invitation})
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        user = services.invitation_accept(
            invitation=invitation,
            name=form.cleaned_data["name"],
            password=form.cleaned_data["password1"],
            request=request,
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_KEY] = invitation.organisation_id
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect("home")
    return render(
        request, "peersupport/invitation_accept.html", {"form": form, "invitation": invitation}
    )


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_500(request):
    return render(request, "500.html", status=500)
