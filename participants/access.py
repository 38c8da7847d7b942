"""Fetching participants and their records for a user (404 to outsiders, 403 to the wrong role).

Each ``get_<thing>_for_user`` answers ``(obj, role)``, the role being the user's in the
object's organisation. Coordinators see every participant of their organisation.
Facilitators see only the participants enrolled (at any stage) in a cohort they
facilitate (``programs.access.facilitated``). Evaluators never see a participant record:
names and contact details are not theirs to read.

Within what a facilitator sees, legal name, contact details and safe-contact notes
follow the contact-access rule (``sees_contact_details``, built on
``programs.access.reaches_contacts``).
"""

from django.db.models import Exists, OuterRef, QuerySet

from peersupport.permissions import COORDINATOR, FACILITATOR, STAFF_ROLES, Access, get_for_user
from programs.access import facilitated, reaches, reaches_cohort, reaches_contacts

from .models import Consent, Enrollment, ErasureRequest, Participant, Partner, Referral


def _participant_rule(participant_id: int, membership) -> bool:
    enrollments = Enrollment.objects.filter(participant_id=participant_id)
    return reaches(membership, enrollments, cohort="cohort")


def participants_for(membership, queryset: QuerySet | None = None) -> QuerySet:
    """The participants a member may see (none for evaluators)."""
    qs = queryset if queryset is not None else Participant.objects.all()
    qs = qs.filter(organisation=membership.organisation)
    if membership.role == COORDINATOR:
        return qs
    if membership.role == FACILITATOR:
        enrollments = Enrollment.objects.filter(participant=OuterRef("pk"))
        return qs.filter(Exists(enrollments.filter(facilitated(membership, cohort="cohort"))))
    return qs.none()


def sees_contact_details(membership, participant: Participant) -> bool:
    """May ``membership`` see the participant's legal name, phone, email and safe-contact
    notes? Coordinators yes; facilitators only through a current cohort of hers they have
    contact access to; evaluators never. One query for facilitators (plus the grants)."""
    enrollments = Enrollment.objects.filter(participant_id=participant.pk)
    return reaches_contacts(membership, enrollments, cohort="cohort")


def get_participant_for_user(request, pk, roles=STAFF_ROLES, queryset=None) -> Access[Participant]:
    return get_for_user(
        request,
        queryset if queryset is not None else Participant.objects.all(),
        roles=roles,
        organisation_of=lambda p: p.organisation_id,
        check=lambda p, m: _participant_rule(p.pk, m),
        pk=pk,
    )


def get_consent_for_user(request, pk, roles=STAFF_ROLES) -> Access[Consent]:
    return get_for_user(
        request,
        Consent.objects.select_related("participant"),
        roles=roles,
        organisation_of=lambda c: c.participant.organisation_id,
        check=lambda c, m: _participant_rule(c.participant_id, m),
        pk=pk,
    )


def get_enrollment_for_user(request, pk, roles=STAFF_ROLES) -> Access[Enrollment]:
    return get_for_user(
        request,
        Enrollment.objects.select_related("participant", "cohort__program"),
        roles=roles,
        organisation_of=lambda e: e.cohort.organisation_id,
        check=lambda e, m: reaches_cohort(m, e.cohort_id),
        pk=pk,
    )


def get_referral_for_user(request, pk, roles=STAFF_ROLES) -> Access[Referral]:
    return get_for_user(
        request,
        Referral.objects.select_related("participant", "partner", "program"),
        roles=roles,
        organisation_of=lambda r: r.participant.organisation_id,
        check=lambda r, m: _participant_rule(r.participant_id, m),
        pk=pk,
    )


def get_partner_for_user(request, pk, roles=(COORDINATOR,)) -> Access[Partner]:
    return get_for_user(
        request,
        Partner.objects.all(),
        roles=roles,
        organisation_of=lambda p: p.organisation_id,
        pk=pk,
    )


def get_erasure_request_for_user(request, pk, roles=(COORDINATOR,)) -> Access[ErasureRequest]:
    return get_for_user(
        request,
        ErasureRequest.objects.select_related("participant", "requested_by", "decided_by"),
        roles=roles,
        organisation_of=lambda e: e.participant.organisation_id,
        pk=pk,
    )
