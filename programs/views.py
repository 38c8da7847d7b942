"""Coordinators' pages for programs, closure dates and volunteers, and the program page.

Every page is for coordinators of the object's organisation (the program page also for
its evaluators): the other roles get 403 (audited), anyone else 404. Views fetch through
``programs.access``, call a service and render; service refusals come back as form errors.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peersupport.forms import add_errors
from peersupport.permissions import COORDINATOR, REPORT_ROLES, current_membership

from . import selectors, services, volunteers
from .access import (
    get_closure_date_for_user,
    get_cohort_for_user,
    get_program_for_user,
    get_supervision_for_user,
    get_training_for_user,
    get_volunteer_for_user,
)
from .filters import ProgramFilter, VolunteerFilter
from .forms import (
    ClosureDateForm,
    ContactAccessForm,
    ProgramEditor,
    ProgramFromTemplateForm,
    SupervisionForm,
    TrainingForm,
    VolunteerForm,
    VolunteerStageForm,
)
from .models import ClosureDate, Program
from .pages import render_program_panels

COORDINATORS = (COORDINATOR,)
PAGE_SIZE = 25


# --- programs ---------------------------------------------------------------------------


@login_required
def program_list(request):
    membership = current_membership(request, roles=COORDINATORS)
    queryset = selectors.programs_for(organisation=membership.organisation).order_by(
        "-start_date", "name"
    )
    filterset = ProgramFilter(request.GET or None, queryset=queryset)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "programs/program_list.html", {"filter": filterset, "page": page})


def _program_form_page(request, editor, program=None):
    return render(
        request,
        "programs/program_form.html",
        {"editor": editor, "program": program},
    )


def _after_program_save(request, program):
    if "continue" in request.POST:
        return redirect("programs:program_edit", pk=program.pk)
    return redirect("programs:program_detail", pk=program.pk)


@login_required
def program_create(request):
    membership = current_membership(request, roles=COORDINATORS)
    organisation = membership.organisation
    editor = ProgramEditor(request.POST or None, organisation=organisation)
    if request.method == "POST" and editor.is_valid():
        try:
            program = services.program_create(
                organisation=organisation,
                fields=editor.form.cleaned_data,
                modules=editor.module_specs(),
                topics=editor.topic_specs(),
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_errors(editor.form, error)
        else:
            messages.success(request, _("Program “%(name)s” created.") % {"name": program.name})
            return _after_program_save(request, program)
    return _program_form_page(request, editor)


@login_required
def program_detail(request, pk):
    """The program's modules and curriculum, then the panels of the apps built on programs
    (cohorts, referrals: ``programs.pages``), each shown as suits the user's role."""
    program, role = get_program_for_user(request, pk, roles=REPORT_ROLES)
    modules = list(program.modules.order_by("order"))
    context = {
        "program": program,
        "can_manage": role == COORDINATOR,
        "modules": modules,
        "total_weeks": sum(m.weeks for m in modules),
        "topics": program.topics.order_by("week"),
        "panels": render_program_panels(request, program=program, role=role),
    }
    return render(request, "programs/program_detail.html", context)


@login_required
def program_edit(request, pk):
    program, _role = get_program_for_user(request, pk, roles=COORDINATORS)
    editor = ProgramEditor(
        request.POST or None, organisation=program.organisation, instance=program
    )
    if request.method == "POST" and editor.is_valid():
        try:
            program = services.program_update(
                program=program,
                fields=editor.form.cleaned_data,
                modules=editor.module_specs(),
                topics=editor.topic_specs(),
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_errors(editor.form, error)
        else:
            messages.success(request, _("Program “%(name)s” saved.") % {"name": program.name})
            return _after_program_save(request, program)
    return _program_form_page(request, editor, program)


@login_required
def program_from_template(request):
    membership = current_membership(request, roles=COORDINATORS)
    organisation = membership.organisation
    form = ProgramFromTemplateForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            program = services.program_create_from_template(
                organisation=organisation,
                template_key=data["template"],
                code=data["code"],
                name=data["name"],
                start_date=data["start_date"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("Program “%(name)s” created from the template; review it below.")
                % {"name": program.name},
            )
            return redirect("programs:program_edit", pk=program.pk)
    return render(
        request,
        "programs/program_from_template.html",
        {"form": form, "catalog": form.catalog()},
    )


# --- closure dates ----------------------------------------------------------------------


@login_required
def closure_list(request):
    """The organisation's closure dates, newest first, and a form to add one."""
    membership = current_membership(request, roles=COORDINATORS)
    organisation = membership.organisation
    form = ClosureDateForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            closure = services.closure_date_create(
                organisation=organisation,
                on=form.cleaned_data["date"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Closure on %(date)s added.") % {"date": closure.date})
            for note in closure.notes:
                messages.info(request, note)
            return redirect("programs:closure_list")
    today = timezone.localdate()
    closures = ClosureDate.objects.filter(organisation=organisation).order_by("-date")
    page = Paginator(closures, 50).get_page(request.GET.get("page"))
    return render(
        request, "programs/closure_list.html", {"form": form, "page": page, "today": today}
    )


@login_required
def closure_delete(request, pk):
    closure, _role = get_closure_date_for_user(request, pk)
    if request.method == "POST":
        services.closure_date_delete(closure=closure, by=request.user, request=request)
        messages.success(request, _("Closure on %(date)s removed.") % {"date": closure.date})
        return redirect("programs:closure_list")
    return render(
        request,
        "programs/confirm_delete.html",
        {
            "title": _("Remove this closure date?"),
            "object": closure,
            "note": _("Sessions already scheduled are not moved back."),
            "cancel_url": reverse("programs:closure_list"),
        },
    )


# --- volunteers -------------------------------------------------------------------------


@login_required
def volunteer_list(request):
    membership = current_membership(request, roles=COORDINATORS)
    today = timezone.localdate()
    queryset = selectors.volunteers_for(organisation=membership.organisation, today=today)
    filterset = VolunteerFilter(request.GET or None, queryset=queryset)
    page = Paginator(filterset.qs.order_by("name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for volunteer in page:
        volunteer.supervision_due_on = selectors.supervision_due_on(volunteer)
    return render(
        request,
        "programs/volunteer_list.html",
        {"filter": filterset, "page": page, "today": today},
    )


@login_required
def volunteer_create(request):
    membership = current_membership(request, roles=COORDINATORS)
    organisation = membership.organisation
    form = VolunteerForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            volunteer = volunteers.volunteer_create(
                organisation=organisation,
                fields=form.cleaned_data,
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Volunteer %(name)s added.") % {"name": volunteer.name})
            return redirect("programs:volunteer_detail", pk=volunteer.pk)
    return render(request, "programs/volunteer_form.html", {"form": form})


@login_required
def volunteer_edit(request, pk):
    volunteer, _role = get_volunteer_for_user(request, pk)
    form = VolunteerForm(
        request.POST or None, instance=volunteer, organisation=volunteer.organisation
    )
    if request.method == "POST" and form.is_valid():
        try:
            volunteers.volunteer_update(
                volunteer=volunteer,
                fields=form.cleaned_data,
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Volunteer saved."))
            return redirect("programs:volunteer_detail", pk=volunteer.pk)
    return render(request, "programs/volunteer_form.html", {"form": form, "volunteer": volunteer})


def _volunteer_page(request, volunteer, *, status=200, **forms):
    """The volunteer's page; ``forms`` replaces blank forms with bound ones that failed."""
    programs = list(
        Program.objects.filter(organisation_id=volunteer.organisation_id).order_by(
            "-start_date", "name"
        )
    )
    chosen = request.GET.get("program")
    program = next((p for p in programs if str(p.pk) == chosen), None)
    if program is None and programs:
        active = [p for p in programs if p.status == Program.Status.ACTIVE]
        program = (active or programs)[0]
    hours = (
        selectors.volunteer_hours_by_year(volunteer=volunteer, program=program) if program else []
    )
    context = {
        "volunteer": volunteer,
        "trainings": list(volunteer.trainings.all()),
        "supervisions": list(volunteer.supervisions.all()),
        "cohorts": list(volunteer.cohorts.select_related("program").order_by("-start_date")),
        "programs": programs,
        "program": program,
        "hours": hours,
        "stage_form": forms.get("stage_form") or VolunteerStageForm(),
        "training_form": forms.get("training_form") or TrainingForm(prefix="training"),
        "supervision_form": forms.get("supervision_form") or SupervisionForm(prefix="supervision"),
    }
    return render(request, "programs/volunteer_detail.html", context, status=status)


@login_required
def volunteer_detail(request, pk):
    volunteer, _role = get_volunteer_for_user(request, pk)
    return _volunteer_page(request, volunteer)


@login_required
@require_POST
def volunteer_stage(request, pk):
    volunteer, _role = get_volunteer_for_user(request, pk)
    form = VolunteerStageForm(request.POST)
    if form.is_valid():
        try:
            volunteers.volunteer_set_stage(
                volunteer=volunteer,
                stage=form.cleaned_data["stage"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            volunteer.refresh_from_db()
            messages.success(
                request,
                _("%(name)s is now at stage “%(stage)s”.")
                % {"name": volunteer.name, "stage": volunteer.get_stage_display()},
            )
            return redirect("programs:volunteer_detail", pk=volunteer.pk)
    return _volunteer_page(request, volunteer, stage_form=form)


@login_required
@require_POST
def training_add(request, pk):
    volunteer, _role = get_volunteer_for_user(request, pk)
    form = TrainingForm(request.POST, prefix="training")
    if form.is_valid():
        volunteers.training_add(
            volunteer=volunteer,
            course=form.cleaned_data["course"],
            hours=form.cleaned_data["hours"],
            on=form.cleaned_data["date"],
            by=request.user,
            request=request,
        )
        messages.success(request, _("Training record added."))
        return redirect("programs:volunteer_detail", pk=volunteer.pk)
    return _volunteer_page(request, volunteer, training_form=form)


@login_required
@require_POST
def supervision_add(request, pk):
    volunteer, _role = get_volunteer_for_user(request, pk)
    form = SupervisionForm(request.POST, prefix="supervision")
    if form.is_valid():
        volunteers.supervision_add(
            volunteer=volunteer,
            on=form.cleaned_data["date"],
            supervisor=form.cleaned_data["supervisor"],
            hours=form.cleaned_data["hours"],
            notes=form.cleaned_data["notes"],
            by=request.user,
            request=request,
        )
        messages.success(request, _("Supervision recorded."))
        return redirect("programs:volunteer_detail", pk=volunteer.pk)
    return _volunteer_page(request, volunteer, supervision_form=form)


@login_required
def training_delete(request, pk):
    training, _role = get_training_for_user(request, pk)
    back = reverse("programs:volunteer_detail", args=[training.volunteer_id])
    error = None
    if request.method == "POST":
        try:
            volunteers.training_delete(training=training, by=request.user, request=request)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Training record removed."))
            return redirect(back)
    return render(
        request,
        "programs/confirm_delete.html",
        {
            "title": _("Remove this training record?"),
            "object": training,
            "error": error,
            "cancel_url": back,
        },
    )


@login_required
def supervision_delete(request, pk):
    entry, _role = get_supervision_for_user(request, pk)
    back = reverse("programs:volunteer_detail", args=[entry.volunteer_id])
    if request.method == "POST":
        volunteers.supervision_delete(entry=entry, by=request.user, request=request)
        messages.success(request, _("Supervision entry removed."))
        return redirect(back)
    return render(
        request,
        "programs/confirm_delete.html",
        {"title": _("Remove this supervision entry?"), "object": entry, "cancel_url": back},
    )


@login_required
@require_POST
def contact_access_set(request, pk):
    """A coordinator gives or ends one facilitator's contact access to a cohort (the
    buttons beside each facilitator on the cohort page)."""
    cohort, _role = get_cohort_for_user(request, pk, roles=[COORDINATOR])
    form = ContactAccessForm(request.POST, cohort=cohort)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = reverse("programs:program_detail", args=[cohort.program_id])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    volunteer = form.cleaned_data["volunteer"]
    values = {"name": volunteer.name, "cohort": cohort.code}
    if form.cleaned_data["action"] == ContactAccessForm.GRANT:
        try:
            services.contact_access_grant(
                cohort=cohort, volunteer=volunteer, by=request.user, request=request
            )
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
            return redirect(back)
        messages.success(
            request,
            _(
                "%(name)s now sees the legal names, contact details and safe-contact notes "
                "of cohort %(cohort)s."
            )
            % values,
        )
    else:
        services.contact_access_revoke(
            cohort=cohort, volunteer=volunteer, by=request.user, request=request
        )
        messages.success(
            request,
            _("%(name)s no longer sees the contact details of cohort %(cohort)s.") % values,
        )
    return redirect(back)
