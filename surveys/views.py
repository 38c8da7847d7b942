"""Survey pages: to-do per cohort, staff data entry, self-completion links and kiosk.

The public pages (``survey_respond``, ``survey_done``) and the kiosk's participant screens
show only questions: no name, no code, no organisation, no navigation.
"""

import contextlib

import segno
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from participants.access import get_enrollment_for_user
from participants.models import Enrollment
from peersupport.audit import log_action, log_names_shown, names_shown
from peersupport.forms import add_errors
from peersupport.permissions import COORDINATOR, STAFF_ROLES, current_membership
from programs.access import cohorts_for, get_cohort_for_user

from .access import get_administration_for_user
from .forms import (
    AdministrationEditForm,
    KioskPinForm,
    KioskStartForm,
    SelfCompletionForm,
    StaffEntryForm,
    SurveyLinkForm,
)
from .instruments import program_instrument_links
from .kiosk import (
    Unlock,
    kiosk_answered,
    kiosk_close,
    kiosk_hand_over,
    kiosk_open,
    kiosk_state,
    kiosk_unlock,
)
from .links import (
    link_valid_hours,
    survey_link_create,
    survey_link_refused,
    survey_link_spend,
    survey_link_submit,
    survey_link_usable,
)
from .models import Administration
from .services import (
    SURVEY_STATUSES,
    administration_create,
    administration_update,
    check_can_answer,
    check_self_completion,
    used_in_evaluation,
)
from .todo import cohort_survey_todo, instrument_for_entry, next_without_survey, survey_overview

# --- to-do --------------------------------------------------------------------------


@login_required
def survey_overview_view(request):
    membership = current_membership(request, roles=STAFF_ROLES)
    rows = survey_overview(cohorts=cohorts_for(membership), on=timezone.localdate())
    return render(request, "surveys/overview.html", {"rows": rows})


@login_required
def survey_todo(request, cohort_pk):
    cohort, role = get_cohort_for_user(request, cohort_pk, roles=STAFF_ROLES)
    todo = cohort_survey_todo(cohort=cohort, on=timezone.localdate())
    log_names_shown(
        request=request,
        action="survey.todo_view",
        obj=cohort,
        count=names_shown(row.enrollment.participant for row in todo.rows),
    )
    context = {"cohort": cohort, "todo": todo, "can_manage": role == COORDINATOR}
    return render(request, "surveys/todo.html", context)


# --- staff entry --------------------------------------------------------------------


def _instrument_or_404(cohort, code):
    instrument = instrument_for_entry(cohort=cohort, code=code)
    if instrument is None:
        raise Http404
    return instrument


@login_required
def administration_enter(request, cohort_pk, code, timepoint):
    cohort, _role = get_cohort_for_user(request, cohort_pk, roles=STAFF_ROLES)
    if timepoint not in Administration.Timepoint.values:
        raise Http404
    instrument = _instrument_or_404(cohort, code)
    initial: dict = {}
    if request.GET.get("enrollment", "").isdigit():
        initial["enrollment"] = int(request.GET["enrollment"])
    if request.GET.get("date"):
        # "Save and enter the next one" keeps the date of the survey just saved.
        with contextlib.suppress(ValueError):
            initial["date"] = parse_date(request.GET["date"])
    form = StaffEntryForm(
        request.POST or None, cohort=cohort, instrument=instrument, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            administration = administration_create(
                enrollment=form.cleaned_data["enrollment"],
                instrument=instrument,
                timepoint=timepoint,
                date=form.cleaned_data["date"],
                mode=Administration.Mode.STAFF,
                answers=form.answers(),
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Saved for %(code)s.") % {"code": administration.enrollment.participant.code},
            )
            if "another" in request.POST:
                following = next_without_survey(
                    cohort=cohort,
                    code=code,
                    timepoint=timepoint,
                    after=administration.enrollment,
                )
                if following is None:
                    messages.info(request, _("Everyone enrolled has this survey now."))
                    return redirect("surveys:survey_todo", cohort_pk=cohort.pk)
                url = reverse(
                    "surveys:administration_enter",
                    kwargs={"cohort_pk": cohort.pk, "code": code, "timepoint": timepoint},
                )
                query = urlencode(
                    {"enrollment": following.pk, "date": administration.date.isoformat()}
                )
                return redirect(f"{url}?{query}")
            return redirect("surveys:survey_todo", cohort_pk=cohort.pk)
    status = 400 if request.method == "POST" else 200
    # The participant choice lists the cohort by name.
    log_names_shown(
        request=request,
        action="survey.entry_view",
        obj=cohort,
        count=names_shown(e.participant for e in form.fields["enrollment"].queryset),
    )
    return render(
        request,
        "surveys/enter.html",
        {
            "cohort": cohort,
            "instrument": instrument,
            "timepoint": Administration.Timepoint(timepoint),
            "form": form,
        },
        status=status,
    )


@login_required
def administration_detail(request, pk):
    administration, _role = get_administration_for_user(request, pk)
    answers = {a.item_id: a.value for a in administration.answers.all()}
    items = [(item, answers.get(item.pk)) for item in administration.instrument.items.all()]
    log_action(
        actor=request.user, action="administration.view", obj=administration, request=request
    )
    return render(
        request,
        "surveys/detail.html",
        {
            "administration": administration,
            "items": items,
            "used_in_evaluation": used_in_evaluation(administration.enrollment.participant),
        },
    )


@login_required
def administration_edit(request, pk):
    administration, _role = get_administration_for_user(request, pk)
    form = AdministrationEditForm(request.POST or None, administration=administration)
    if request.method == "POST" and form.is_valid():
        try:
            administration_update(
                administration=administration,
                answers=form.answers(),
                date=form.cleaned_data["date"],
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Answers saved and the score recomputed."))
            return redirect("surveys:administration_detail", pk=administration.pk)
    return render(
        request,
        "surveys/edit.html",
        {"administration": administration, "form": form},
        status=400 if request.method == "POST" else 200,
    )


# --- self-completion links ----------------------------------------------------------


def _program_codes(cohort) -> list[str]:
    return list(
        program_instrument_links(program=cohort.program).values_list("instrument_code", flat=True)
    )


@login_required
@never_cache
def survey_link_new(request, enrollment_pk):
    enrollment, _role = get_enrollment_for_user(request, enrollment_pk)
    cohort = enrollment.cohort
    form = SurveyLinkForm(
        request.POST or None,
        codes=_program_codes(cohort),
        initial={"language": request.LANGUAGE_CODE, "timepoint": request.GET.get("timepoint")},
    )
    if request.method == "POST" and form.is_valid():
        instrument = instrument_for_entry(cohort=cohort, code=form.cleaned_data["instrument_code"])
        try:
            if instrument is None:
                raise ValidationError({"instrument_code": [_("This instrument has no items.")]})
            link, token = survey_link_create(
                enrollment=enrollment,
                instrument=instrument,
                timepoint=form.cleaned_data["timepoint"],
                language=form.cleaned_data["language"],
                channel=form.cleaned_data["channel"],
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            url = request.build_absolute_uri(reverse("surveys:survey_respond", args=[token]))
            qr = mark_safe(  # noqa: S308 - SVG generated by segno from our own URL
                segno.make(url, error="m").svg_inline(scale=5, title=_("QR code of the link"))
            )
            return render(
                request,
                "surveys/link_issued.html",
                {
                    "enrollment": enrollment,
                    "link": link,
                    "url": url,
                    "qr": qr,
                    "channel": form.cleaned_data["channel"],
                },
            )
    return render(
        request,
        "surveys/link_new.html",
        {"enrollment": enrollment, "form": form, "hours": link_valid_hours()},
    )


def _refuse(request, reason: str, link=None):
    survey_link_refused(request=request, reason=reason, link=link)
    return render(request, "surveys/public_unavailable.html", status=404)


@never_cache
def survey_respond(request, token):
    link, reason = survey_link_usable(token)
    if reason is not None:
        return _refuse(request, reason, link)
    # Her agency's quick-exit site and discreet mode on the page she answers on.
    request.safety_organisation = link.enrollment.cohort.organisation
    with translation.override(link.language):
        form = SelfCompletionForm(
            request.POST or None, instrument=link.instrument, language=link.language
        )
        if request.method == "POST" and form.is_valid():
            try:
                survey_link_submit(link=link, answers=form.answers(), request=request)
            except ValidationError as exc:
                if "timepoint" in exc.message_dict:
                    # Already recorded (by staff, or a second tab): nothing to add.
                    survey_link_spend(link=link)
                    return redirect("surveys:survey_done")
                add_errors(form, exc)
            else:
                return redirect(f"{reverse('surveys:survey_done')}?lang={link.language}")
        return render(
            request,
            "surveys/public_form.html",
            {"form": form, "instrument": link.instrument, "kiosk": False},
            status=400 if request.method == "POST" else 200,
        )


@never_cache
def survey_done(request):
    language = request.GET.get("lang")
    if language not in ("en", "fr"):
        language = translation.get_language()
    with translation.override(language):
        return render(request, "surveys/public_done.html")


# --- kiosk --------------------------------------------------------------------------


@login_required
def kiosk_start(request, cohort_pk):
    cohort, _role = get_cohort_for_user(request, cohort_pk, roles=STAFF_ROLES)
    form = KioskStartForm(
        request.POST or None,
        codes=_program_codes(cohort),
        initial={"language": request.LANGUAGE_CODE},
    )
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["instrument_code"]
        instrument = instrument_for_entry(cohort=cohort, code=code)
        try:
            if instrument is None:
                raise ValidationError({"instrument_code": [_("This instrument has no items.")]})
            check_self_completion(
                cohort=cohort, instrument=instrument, timepoint=form.cleaned_data["timepoint"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            kiosk_open(
                request.session,
                cohort=cohort,
                code=code,
                timepoint=form.cleaned_data["timepoint"],
                language=form.cleaned_data["language"],
                pin=form.cleaned_data["pin"],
                by=request.user,
                request=request,
            )
            return redirect("surveys:kiosk_next", cohort_pk=cohort.pk)
    return render(request, "surveys/kiosk_start.html", {"cohort": cohort, "form": form})


@login_required
def kiosk_next(request, cohort_pk):
    """The staff-only screen: unlock with the PIN, then choose who answers next."""
    cohort, _role = get_cohort_for_user(request, cohort_pk, roles=STAFF_ROLES)
    state = kiosk_state(request.session, cohort=cohort)
    if state is None:
        return redirect("surveys:kiosk_start", cohort_pk=cohort.pk)
    if state["locked"]:
        form = KioskPinForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            outcome = kiosk_unlock(
                request.session,
                cohort=cohort,
                pin=form.cleaned_data["pin"],
                by=request.user,
                request=request,
            )
            if outcome is Unlock.UNLOCKED:
                return redirect("surveys:kiosk_next", cohort_pk=cohort.pk)
            if outcome is Unlock.LOCKED_OUT:
                logout(request)
                return redirect("account_login")
            form.add_error("pin", _("That PIN is not right."))
        return render(request, "surveys/kiosk_handback.html", {"cohort": cohort, "form": form})
    instrument = instrument_for_entry(cohort=cohort, code=state["code"])
    if instrument is None:
        kiosk_close(request.session)
        return redirect("surveys:kiosk_start", cohort_pk=cohort.pk)
    if request.method == "POST":
        if "end" in request.POST:
            kiosk_close(request.session)
            messages.info(request, _("Kiosk closed."))
            return redirect("surveys:survey_todo", cohort_pk=cohort.pk)
        enrollment = Enrollment.objects.filter(
            cohort=cohort, pk=request.POST.get("enrollment") or 0
        ).first()
        if enrollment is None:
            messages.error(request, _("Choose a participant from the list."))
        else:
            try:
                check_can_answer(
                    enrollment=enrollment, instrument=instrument, timepoint=state["timepoint"]
                )
            except ValidationError as exc:
                for errs in exc.message_dict.values():
                    for message in errs:
                        messages.error(request, message)
            else:
                kiosk_hand_over(request.session, enrollment_id=enrollment.pk)
                return redirect("surveys:kiosk_answer", cohort_pk=cohort.pk)
    done = set(
        Administration.objects.filter(
            enrollment__cohort=cohort, instrument_code=state["code"], timepoint=state["timepoint"]
        ).values_list("enrollment_id", flat=True)
    )
    waiting = [
        e
        for e in Enrollment.objects.filter(cohort=cohort, status__in=SURVEY_STATUSES)
        .select_related("participant")
        .order_by("participant__code")
        if e.pk not in done
    ]
    log_names_shown(
        request=request,
        action="kiosk.list_view",
        obj=cohort,
        count=names_shown(e.participant for e in waiting),
    )
    return render(
        request,
        "surveys/kiosk_next.html",
        {
            "cohort": cohort,
            "instrument": instrument,
            "timepoint": Administration.Timepoint(state["timepoint"]),
            "waiting": waiting,
            "done_n": len(done),
        },
    )


@login_required
@never_cache
def kiosk_answer(request, cohort_pk):
    """The participant's screen: the questions only."""
    cohort, _role = get_cohort_for_user(request, cohort_pk, roles=STAFF_ROLES)
    state = kiosk_state(request.session, cohort=cohort)
    if state is None:
        return redirect("surveys:kiosk_start", cohort_pk=cohort.pk)
    if not state.get("current"):
        return redirect("surveys:kiosk_handback", cohort_pk=cohort.pk)
    instrument = instrument_for_entry(cohort=cohort, code=state["code"])
    enrollment = Enrollment.objects.select_related("cohort__program", "cohort__organisation").get(
        pk=state["current"], cohort=cohort
    )
    language = state.get("language", "en")
    with translation.override(language):
        form = SelfCompletionForm(request.POST or None, instrument=instrument, language=language)
        if request.method == "POST" and form.is_valid():
            try:
                administration_create(
                    enrollment=enrollment,
                    instrument=instrument,
                    timepoint=state["timepoint"],
                    date=timezone.localdate(),
                    mode=Administration.Mode.SELF,
                    answers=form.answers(),
                    by=request.user,
                    request=request,
                )
            except ValidationError as exc:
                if "timepoint" not in exc.message_dict:
                    add_errors(form, exc)
                else:
                    kiosk_answered(request.session)
                    return redirect("surveys:kiosk_handback", cohort_pk=cohort.pk)
            else:
                kiosk_answered(request.session)
                return redirect("surveys:kiosk_handback", cohort_pk=cohort.pk)
        return render(
            request,
            "surveys/public_form.html",
            {"form": form, "instrument": instrument, "kiosk": True},
            status=400 if request.method == "POST" else 200,
        )


@login_required
@never_cache
def kiosk_handback(request, cohort_pk):
    """Neutral screen after each person: hand the tablet back; staff unlock with the PIN."""
    cohort, _role = get_cohort_for_user(request, cohort_pk, roles=STAFF_ROLES)
    state = kiosk_state(request.session, cohort=cohort)
    language = (state or {}).get("language") or translation.get_language()
    with translation.override(language):
        return render(
            request,
            "surveys/kiosk_handback.html",
            {"cohort": cohort, "form": KioskPinForm()},
        )
