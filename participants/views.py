"""Participant, consent, enrollment, partner and referral pages.

Every page that shows a participant's record writes a VIEW entry to the audit log.
Evaluators get 403 on all of them: names and contact details are never theirs.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peersupport.audit import log_action
from peersupport.forms import add_errors
from peersupport.models import Organisation
from peersupport.permissions import COORDINATOR, STAFF_ROLES, current_membership, require_role
from programs.access import cohorts_for, get_cohort_for_user

from . import services
from .access import (
    get_consent_for_user,
    get_enrollment_for_user,
    get_erasure_request_for_user,
    get_participant_for_user,
    get_partner_for_user,
    get_referral_for_user,
    participants_for,
    sees_contact_details,
)
from .filters import ParticipantFilter, PartnerFilter
from .forms import (
    CohortEnrollForm,
    ConfirmForm,
    ConsentForm,
    ConsentWithdrawForm,
    EnrollForm,
    EnrollmentDateForm,
    EnrollmentRedateForm,
    ErasureDecisionForm,
    ErasureRequestForm,
    ParticipantForm,
    PartnerForm,
    ReferralForm,
    RetentionPolicyForm,
    WithdrawForm,
)
from .models import Enrollment, ErasureRequest, Participant, Partner, Referral
from .name_index import search_by_name
from .selectors import retention_cutoff, retention_due

PAGE_SIZE = 50
#: People listed at most when finding someone to enrol by name.
FOUND_MAX = 20
COORDINATORS = (COORDINATOR,)
LIST_FIELDS = ("id", "organisation_id", "code", "preferred_name", "evaluation_consent", "erased_at")


def _next_or(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


def _membership_in(request, organisation_id: int):
    """The user's membership in the organisation of the record being shown (already
    checked by the access helper; it may differ from the one the user is working in)."""
    return request.memberships[organisation_id]


def _log_view(request, *, action, obj=None, organisation=None, **detail) -> None:
    if organisation is None:
        organisation = _membership_in(request, obj.organisation_id).organisation
    log_action(
        actor=request.user,
        action=action,
        obj=obj,
        organisation=organisation,
        object_type="" if obj is not None else "participants.Participant",
        detail={"path": request.path, **detail},
        request=request,
    )


# --- participants -------------------------------------------------------------------------


def _required_fields(form) -> list[str]:
    """Labels of the fields the organisation requires besides the preferred name."""
    return [
        str(field.label)
        for name, field in form.fields.items()
        if field.required and name != "preferred_name"
    ]


@login_required
def participant_list(request):
    membership = current_membership(request, roles=STAFF_ROLES)
    cohorts = cohorts_for(membership)
    enrollments = Enrollment.objects.select_related("cohort").only(
        "id", "participant_id", "status", "cohort__id", "cohort__code"
    )
    queryset = (
        participants_for(membership)
        .only(*LIST_FIELDS)
        .prefetch_related(Prefetch("enrollments", queryset=enrollments))
    )
    name_error = None
    if request.GET.get("name", "").strip():
        try:
            queryset = search_by_name(
                participants=queryset,
                organisation=membership.organisation,
                query=request.GET["name"],
                user=request.user,
                request=request,
            )
        except ValidationError as exc:
            name_error, queryset = exc, queryset.none()
    filterset = ParticipantFilter(request.GET or None, queryset=queryset, cohorts=cohorts)
    if name_error is not None:
        filterset.form.is_valid()
        add_errors(filterset.form, name_error)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _log_view(
        request,
        action="participant.list",
        organisation=membership.organisation,
        codes=[p.code for p in page],
        # Which filters were used, never what was typed: a name may be typed by mistake.
        filters=sorted(k for k, v in request.GET.items() if v and k != "page"),
    )
    return render(request, "participants/list.html", {"filter": filterset, "page": page})


@login_required
def participant_create(request):
    membership = current_membership(request, roles=COORDINATORS)
    form = ParticipantForm(request.POST or None, organisation=membership.organisation)
    if request.method == "POST" and form.is_valid():
        participant = services.participant_create(
            organisation=membership.organisation,
            by=request.user,
            request=request,
            **form.cleaned_data,
        )
        messages.success(request, _("Participant %(code)s is saved.") % {"code": participant.code})
        return redirect("participants:detail", pk=participant.pk)
    context = {"form": form, "participant": None, "required": _required_fields(form)}
    return render(request, "participants/form.html", context)


@login_required
def participant_detail(request, pk):
    participant, role = get_participant_for_user(request, pk)
    membership = _membership_in(request, participant.organisation_id)
    enrollments = participant.enrollments.select_related("cohort__program").order_by(
        "-applied_on", "-id"
    )
    context = {
        "participant": participant,
        "can_manage": role == COORDINATOR,
        "sees_contacts": sees_contact_details(membership, participant),
        "hidden_fields": membership.organisation.hidden_fields(),
        "consents": participant.consents.select_related("recorded_by", "partner"),
        "enrollments": enrollments,
        "referrals": participant.referrals.select_related("partner", "program"),
        "enroll_form": (
            EnrollForm(cohorts=cohorts_for(membership))
            if role == COORDINATOR and participant.erased_at is None
            else None
        ),
    }
    _log_view(request, action="participant.view", obj=participant)
    return render(request, "participants/detail.html", context)


@login_required
def participant_edit(request, pk):
    participant, _role = get_participant_for_user(request, pk, roles=COORDINATORS)
    if participant.erased_at is not None:
        messages.error(request, _("This participant was erased; the record cannot be changed."))
        return redirect("participants:detail", pk=participant.pk)
    form = ParticipantForm(
        request.POST or None,
        instance=participant,
        organisation=_membership_in(request, participant.organisation_id).organisation,
    )
    if request.method == "POST" and form.is_valid():
        services.participant_update(
            # A fresh copy: the form has already written the new values onto ``participant``
            # and the service records the change from what is stored.
            participant=Participant.objects.get(pk=participant.pk),
            by=request.user,
            request=request,
            **form.cleaned_data,
        )
        messages.success(request, _("Changes saved."))
        return redirect("participants:detail", pk=participant.pk)
    if request.method == "GET":
        _log_view(request, action="participant.view", obj=participant)
    context = {"form": form, "participant": participant, "required": _required_fields(form)}
    return render(request, "participants/form.html", context)


@login_required
def participant_delete(request, pk):
    participant, _role = get_participant_for_user(request, pk, roles=COORDINATORS)
    has_records = services.participant_has_records(participant)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_delete(participant=participant, by=request.user, request=request)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return redirect("participants:detail", pk=participant.pk)
        messages.success(request, _("Participant %(code)s deleted.") % {"code": participant.code})
        return redirect("participants:list")
    context = {"participant": participant, "form": form, "has_records": has_records}
    return render(request, "participants/delete.html", context)


@login_required
def participant_erase(request, pk):
    """Ask for the participant's erasure; a second coordinator decides
    (``erasure_decide``)."""
    participant, _role = get_participant_for_user(request, pk, roles=COORDINATORS)
    if participant.erased_at is not None:
        messages.info(request, _("This participant was already erased."))
        return redirect("participants:detail", pk=participant.pk)
    pending = participant.erasure_requests.filter(status=ErasureRequest.Status.PENDING).first()
    form = ErasureRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            erasure = services.erasure_request_create(
                participant=participant,
                reason=form.cleaned_data["reason"],
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Erasure of %(code)s requested. Nothing is erased until another "
                    "coordinator approves it."
                )
                % {"code": participant.code},
            )
            return redirect("participants:erasure_decide", pk=erasure.pk)
    context = {"participant": participant, "form": form, "pending": pending}
    return render(request, "participants/erase.html", context)


@login_required
def erasure_list(request):
    membership = current_membership(request, roles=COORDINATORS)
    requests = list(
        ErasureRequest.objects.filter(participant__organisation=membership.organisation)
        .select_related("participant", "requested_by", "decided_by")
        .defer("reason", "participant__preferred_name", "participant__legal_name")
        .defer("participant__phone", "participant__email", "participant__safe_contact")
        .defer("participant__referral_source")
        .order_by("-requested_at", "-id")[:PAGE_SIZE]
    )
    pending = [e for e in requests if e.status == ErasureRequest.Status.PENDING]
    decided = [e for e in requests if e.status != ErasureRequest.Status.PENDING]
    _log_view(
        request,
        action="erasure.list",
        organisation=membership.organisation,
        codes=[e.participant.code for e in requests],
    )
    context = {"pending": pending, "decided": decided}
    return render(request, "participants/erasure_list.html", context)


@login_required
def erasure_decide(request, pk):
    erasure, _role = get_erasure_request_for_user(request, pk)
    form = ErasureDecisionForm(request.POST or None)
    own = erasure.requested_by_id == request.user.pk
    is_pending = erasure.status == ErasureRequest.Status.PENDING
    if request.method == "POST" and form.is_valid():
        decide = (
            services.erasure_request_approve
            if form.cleaned_data["decision"] == "approve"
            else services.erasure_request_reject
        )
        try:
            decide(erasure=erasure, by=request.user, request=request)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            if form.cleaned_data["decision"] == "approve":
                messages.success(
                    request,
                    _("The identifying details of %(code)s are erased; the records are kept.")
                    % {"code": erasure.participant.code},
                )
            else:
                messages.success(
                    request,
                    _("Erasure of %(code)s rejected; nothing was erased.")
                    % {"code": erasure.participant.code},
                )
            return redirect("participants:erasure_list")
    context = {
        "erasure": erasure,
        "participant": erasure.participant,
        "form": form,
        "own": own,
        "is_pending": is_pending,
        "keeps_scores": erasure.participant.organisation.erasure_keeps_scores,
    }
    if request.method == "GET":
        # The reason is free text about her: who read it is in the log.
        _log_view(
            request,
            action="erasure.view",
            obj=erasure,
            organisation=erasure.participant.organisation,
        )
    return render(request, "participants/erasure_decide.html", context)


# --- retention schedule -----------------------------------------------------------------------

RETENTION_PREVIEW_ROWS = 200


@login_required
def retention(request):
    """The retention schedule and erasure policy, and what the next nightly purge clears
    (codes and counts, never names)."""
    membership = current_membership(request, roles=COORDINATORS)
    organisation = membership.organisation
    form = RetentionPolicyForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        services.retention_policy_update(
            organisation=Organisation.objects.get(pk=organisation.pk),
            by=request.user,
            request=request,
            **form.cleaned_data,
        )
        messages.success(request, _("Changes saved."))
        return redirect("participants:retention")
    today = timezone.localdate()
    policy = Organisation.objects.get(pk=organisation.pk)
    due = retention_due(organisation=policy, on=today).values_list("code", "last_ended")
    rows = list(due[: RETENTION_PREVIEW_ROWS + 1])
    context = {
        "form": form,
        "policy": policy,
        "cutoff": retention_cutoff(organisation=policy, on=today),
        "due": rows[:RETENTION_PREVIEW_ROWS],
        "due_count": due.count() if len(rows) > RETENTION_PREVIEW_ROWS else len(rows),
        "rows": RETENTION_PREVIEW_ROWS,
    }
    _log_view(
        request, action="retention.preview", organisation=organisation, due=context["due_count"]
    )
    return render(request, "participants/retention.html", context)


# --- consent ------------------------------------------------------------------------------


@login_required
def consent_add(request, pk):
    participant, _role = get_participant_for_user(request, pk)
    form = ConsentForm(request.POST or None, organisation=participant.organisation_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.consent_add(
                participant=participant,
                kind=data["kind"],
                given=data["given"],
                on=data["date"],
                text_version=data["text_version"],
                expires_on=data["expires_on"],
                partner=data["partner"],
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("participants:detail", pk=participant.pk)
    return render(
        request, "participants/consent_form.html", {"form": form, "participant": participant}
    )


@login_required
def consent_withdraw(request, pk):
    consent, _role = get_consent_for_user(request, pk)
    form = ConsentWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(
                consent=consent,
                on=form.cleaned_data["withdrawn_on"],
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Consent withdrawn."))
            return redirect("participants:detail", pk=consent.participant_id)
    context = {"form": form, "consent": consent, "participant": consent.participant}
    return render(request, "participants/consent_withdraw.html", context)


# --- enrollment ---------------------------------------------------------------------------


def _enrolled_message(request, enrollment) -> None:
    values = {"code": enrollment.participant.code, "cohort": enrollment.cohort.code}
    if enrollment.status == Enrollment.Status.WAITLISTED:
        messages.warning(
            request,
            _("Cohort %(cohort)s is full: %(code)s is on its waitlist.") % values,
        )
    elif enrollment.status == Enrollment.Status.APPLIED:
        messages.success(request, _("%(code)s has applied to cohort %(cohort)s.") % values)
    else:
        messages.success(request, _("%(code)s is enrolled in cohort %(cohort)s.") % values)


@login_required
def participant_enroll(request, pk):
    participant, _role = get_participant_for_user(request, pk, roles=COORDINATORS)
    membership = _membership_in(request, participant.organisation_id)
    form = EnrollForm(request.POST or None, cohorts=cohorts_for(membership))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            enrollment = services.enrollment_create(
                participant=participant,
                cohort=data["cohort"],
                on=data["on"] or data["cohort"].start_date,
                status=(
                    Enrollment.Status.APPLIED
                    if data["applied_only"]
                    else Enrollment.Status.ENROLLED
                ),
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            _enrolled_message(request, enrollment)
            return redirect("participants:detail", pk=participant.pk)
    return render(request, "participants/enroll.html", {"form": form, "participant": participant})


@login_required
def cohort_enrollments(request, pk):
    cohort, role = get_cohort_for_user(request, pk, roles=STAFF_ROLES)
    is_coordinator = role == COORDINATOR
    form = None
    found, find_error = None, None
    if is_coordinator:
        people = Participant.objects.filter(organisation_id=cohort.organisation_id)
        picked = request.GET.get("pick", "").strip()
        form = CohortEnrollForm(
            request.POST or None,
            participants=people,
            cohort=cohort,
            initial={"code": picked} if picked else None,
        )
        if request.method == "GET" and request.GET.get("find", "").strip():
            # Finding the person to enrol by name: through the blind index, audited.
            try:
                found = list(
                    search_by_name(
                        participants=people.filter(erased_at__isnull=True).only(
                            "id", "organisation_id", "code", "preferred_name"
                        ),
                        organisation=cohort.organisation,
                        query=request.GET["find"],
                        user=request.user,
                        request=request,
                    )[:FOUND_MAX]
                )
            except ValidationError as exc:
                find_error = " ".join(exc.messages)
    if request.method == "POST":
        # Facilitators may look at the list but not change it (403, audited).
        require_role(request, cohort.organisation_id, COORDINATORS)
        if form.is_valid():
            data = form.cleaned_data
            try:
                enrollment = services.enrollment_create(
                    participant=data["participant"],
                    cohort=cohort,
                    on=data["on"],
                    status=(
                        Enrollment.Status.APPLIED
                        if data["applied_only"]
                        else Enrollment.Status.ENROLLED
                    ),
                    by=request.user,
                    request=request,
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                _enrolled_message(request, enrollment)
                return redirect("participants:cohort_enrollments", pk=cohort.pk)
    enrollments = list(
        cohort.enrollments.select_related("participant")
        # Of the identifying fields, only the one the page shows is loaded and decrypted.
        .only(
            "id",
            "cohort_id",
            "status",
            "enrolled_on",
            "exit_date",
            "exit_reason",
            "participant__id",
            "participant__code",
            "participant__preferred_name",
            "participant__erased_at",
            "participant__contact_never",
        )
        .order_by("participant__code")
    )
    counts = dict.fromkeys(Enrollment.Status.values, 0)
    for enrollment in enrollments:
        counts[enrollment.status] += 1
    context = {
        "cohort": cohort,
        "can_manage": is_coordinator,
        "enrollments": enrollments,
        "form": form,
        "found": found,
        "find_error": find_error,
        "find": request.GET.get("find", ""),
        "places_taken": counts[Enrollment.Status.ENROLLED] + counts[Enrollment.Status.COMPLETED],
        "waitlist_length": counts[Enrollment.Status.WAITLISTED],
    }
    _log_view(
        request,
        action="enrollment.list",
        obj=cohort,
        page="cohort_enrollments",
        codes=[e.participant.code for e in enrollments],
    )
    return render(request, "participants/cohort_enrollments.html", context)


def _back_to_cohort(request, enrollment) -> str:
    return _next_or(
        request, reverse("participants:cohort_enrollments", kwargs={"pk": enrollment.cohort_id})
    )


@login_required
def enrollment_withdraw(request, pk):
    enrollment, _role = get_enrollment_for_user(request, pk, roles=COORDINATORS)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.enrollment_withdraw(
                enrollment=enrollment,
                on=data["exit_date"],
                reason=data["exit_reason"],
                notes=data["exit_notes"],
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(code)s is withdrawn from cohort %(cohort)s.")
                % {"code": enrollment.participant.code, "cohort": enrollment.cohort.code},
            )
            return HttpResponseRedirect(_back_to_cohort(request, enrollment))
    context = {"form": form, "enrollment": enrollment, "next": _next_or(request, "")}
    return render(request, "participants/enrollment_withdraw.html", context)


@login_required
def enrollment_redate(request, pk):
    """Correct the date a person joined a cohort."""
    enrollment, _role = get_enrollment_for_user(request, pk, roles=COORDINATORS)
    form = EnrollmentRedateForm(request.POST or None, initial={"on": enrollment.enrolled_on})
    if request.method == "POST" and form.is_valid():
        try:
            services.enrollment_set_date(
                enrollment=enrollment, on=form.cleaned_data["on"], by=request.user, request=request
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(code)s is enrolled in cohort %(cohort)s from %(date)s.")
                % {
                    "code": enrollment.participant.code,
                    "cohort": enrollment.cohort.code,
                    "date": formats.date_format(enrollment.enrolled_on),
                },
            )
            return HttpResponseRedirect(_back_to_cohort(request, enrollment))
    context = {"form": form, "enrollment": enrollment, "next": _next_or(request, "")}
    return render(request, "participants/enrollment_redate.html", context)


def _date_action(request, pk, service, done_message):
    enrollment, _role = get_enrollment_for_user(request, pk, roles=COORDINATORS)
    form = EnrollmentDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a valid date."))
    else:
        try:
            service(
                enrollment=enrollment,
                on=form.cleaned_data["on"],
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                done_message
                % {"code": enrollment.participant.code, "cohort": enrollment.cohort.code},
            )
    return HttpResponseRedirect(_back_to_cohort(request, enrollment))


@login_required
@require_POST
def enrollment_complete(request, pk):
    return _date_action(
        request,
        pk,
        services.enrollment_complete,
        _("%(code)s completed the program with cohort %(cohort)s."),
    )


@login_required
@require_POST
def enrollment_promote(request, pk):
    return _date_action(
        request,
        pk,
        services.enrollment_promote_from_waitlist,
        _("%(code)s is enrolled in cohort %(cohort)s."),
    )


# --- referrals ----------------------------------------------------------------------------


@login_required
def referral_add(request, pk):
    participant, _role = get_participant_for_user(request, pk)
    form = ReferralForm(request.POST or None, organisation=participant.organisation_id)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.referral_create(
                participant=participant,
                partner=data.pop("partner"),
                by=request.user,
                request=request,
                **data,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Referral recorded."))
            return redirect("participants:detail", pk=participant.pk)
    context = {"form": form, "participant": participant, "referral": None}
    return render(request, "participants/referral_form.html", context)


@login_required
def referral_edit(request, pk):
    referral, _role = get_referral_for_user(request, pk)
    participant = referral.participant
    form = ReferralForm(
        request.POST or None, instance=referral, organisation=participant.organisation_id
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_update(
                referral=Referral.objects.get(pk=referral.pk),
                by=request.user,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Referral updated."))
            return redirect("participants:detail", pk=participant.pk)
    context = {"form": form, "participant": participant, "referral": referral}
    return render(request, "participants/referral_form.html", context)


# --- partners -----------------------------------------------------------------------------


@login_required
def partner_list(request):
    membership = current_membership(request, roles=COORDINATORS)
    queryset = Partner.objects.filter(organisation=membership.organisation)
    filterset = PartnerFilter(request.GET or None, queryset=queryset)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "participants/partner_list.html", {"filter": filterset, "page": page})


@login_required
def partner_create(request):
    membership = current_membership(request, roles=COORDINATORS)
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_create(
                organisation=membership.organisation,
                by=request.user,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Partner agency saved."))
            return redirect("participants:partner_list")
    return render(request, "participants/partner_form.html", {"form": form, "partner": None})


@login_required
def partner_edit(request, pk):
    partner, _role = get_partner_for_user(request, pk)
    form = PartnerForm(request.POST or None, instance=partner)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_update(
                partner=Partner.objects.get(pk=partner.pk),
                by=request.user,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Partner agency saved."))
            return redirect("participants:partner_list")
    return render(request, "participants/partner_form.html", {"form": form, "partner": partner})
