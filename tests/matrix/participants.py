from datetime import date, timedelta

from participants.models import ErasureRequest
from programs.models import Volunteer
from tests.factories import (
    AttendanceFactory,
    CohortFactory,
    ConsentFactory,
    EnrollmentFactory,
    MembershipFactory,
    ParticipantFactory,
    PartnerFactory,
    ProgramFactory,
    ReferralFactory,
    SessionFactory,
)
from tests.matrix.base import LOGIN, ROLES, Entry, coordinator_only, staff_only


def build(world):
    """A cohort the world's facilitator runs with one participant in it
    (``world.participant``, ``world.enrollment``), who has a consent, a referral and one
    attendance record (so deleting them is refused), and a waitlisted second person."""
    volunteer, _created = Volunteer.objects.get_or_create(
        user=world.facilitator,
        defaults={"organisation": world.org, "name": "Matrix facilitator"},
    )
    program = ProgramFactory(organisation=world.org, code="matrix-participants")
    world.enrollment_cohort = CohortFactory(
        program=program,
        code="matrix-participants",
        start_date=date.today() - timedelta(days=14),
        facilitators=[volunteer],
    )
    world.participant = ParticipantFactory(organisation=world.org)
    world.enrollment = EnrollmentFactory(
        cohort=world.enrollment_cohort, participant=world.participant
    )
    world.waitlisted = EnrollmentFactory(
        cohort=world.enrollment_cohort, status="waitlisted", enrolled_on=None
    )
    session = SessionFactory(cohort=world.enrollment_cohort, number=1)
    AttendanceFactory(session=session, enrollment=world.enrollment)
    world.consent = ConsentFactory(participant=world.participant)
    world.partner = PartnerFactory(organisation=world.org)
    world.referral = ReferralFactory(participant=world.participant, partner=world.partner)
    # An erasure of the waitlisted person asked for by another coordinator of the world's
    # organisation: the world's coordinator may decide it.
    world.erasure = ErasureRequest.objects.create(
        participant=world.waitlisted.participant,
        reason="Her written request",
        requested_by=MembershipFactory(organisation=world.org, role="coordinator").user,
    )


def _participant(w):
    return {"pk": w.participant.pk}


def _enrollment(w):
    return {"pk": w.enrollment.pk}


def _today(w):
    return {"on": date.today().isoformat()}


def members_list(ok: int = 200) -> dict[str, int]:
    """A list of the member's own organisation: outsiders see their own (empty) list."""
    return {**staff_only(ok), "outsider": ok}


ENTRIES = [
    Entry("participants:list", members_list()),
    Entry("participants:create", coordinator_only(outsider=200)),
    Entry("participants:detail", staff_only(), kwargs=_participant),
    Entry("participants:edit", coordinator_only(), kwargs=_participant),
    Entry("participants:delete", coordinator_only(), kwargs=_participant),
    # Refused (the participant has attendance): back to the participant page.
    Entry(
        "participants:delete",
        coordinator_only(302),
        kwargs=_participant,
        method="post",
        data=lambda w: {"confirm": "on"},
    ),
    Entry("participants:erase", coordinator_only(), kwargs=_participant),
    # Asking for an erasure: a request, then the page where a second coordinator decides.
    Entry(
        "participants:erase",
        coordinator_only(302),
        kwargs=_participant,
        method="post",
        data=lambda w: {"reason": "Her written request", "confirm": "on"},
    ),
    Entry("participants:erasure_list", coordinator_only(outsider=200)),
    Entry("participants:erasure_decide", coordinator_only(), kwargs=lambda w: {"pk": w.erasure.pk}),
    Entry(
        "participants:erasure_decide",
        coordinator_only(302),
        kwargs=lambda w: {"pk": w.erasure.pk},
        method="post",
        data=lambda w: {"decision": "reject"},
    ),
    Entry("participants:retention", coordinator_only(outsider=200)),
    Entry(
        "participants:retention",
        coordinator_only(302, outsider=302),
        method="post",
        data=lambda w: {"retention_months": "24"},
    ),
    Entry("participants:consent_add", staff_only(), kwargs=_participant),
    Entry("participants:consent_withdraw", staff_only(), kwargs=lambda w: {"pk": w.consent.pk}),
    Entry("participants:enroll", coordinator_only(), kwargs=_participant),
    Entry("participants:referral_add", staff_only(), kwargs=_participant),
    Entry("participants:referral_edit", staff_only(), kwargs=lambda w: {"pk": w.referral.pk}),
    Entry(
        "participants:cohort_enrollments",
        staff_only(),
        kwargs=lambda w: {"pk": w.enrollment_cohort.pk},
    ),
    Entry("participants:enrollment_withdraw", coordinator_only(), kwargs=_enrollment),
    Entry("participants:enrollment_redate", coordinator_only(), kwargs=_enrollment),
    Entry(
        "participants:enrollment_redate",
        coordinator_only(302),
        kwargs=_enrollment,
        method="post",
        data=lambda w: {"on": w.enrollment_cohort.start_date.isoformat()},
    ),
    Entry(
        "participants:enrollment_complete",
        coordinator_only(302),
        kwargs=_enrollment,
        method="post",
        data=_today,
    ),
    Entry(
        "participants:enrollment_promote",
        coordinator_only(302),
        kwargs=lambda w: {"pk": w.waitlisted.pk},
        method="post",
        data=_today,
    ),
    # Stage changes answer only POST.
    Entry(
        "participants:enrollment_complete",
        {**dict.fromkeys(ROLES, 405), "anonymous": LOGIN},
        kwargs=_enrollment,
    ),
    Entry("participants:partner_list", coordinator_only(outsider=200)),
    Entry("participants:partner_create", coordinator_only(outsider=200)),
    Entry(
        "participants:partner_edit",
        coordinator_only(),
        kwargs=lambda w: {"pk": w.partner.pk},
    ),
]


#: Contact access (programs.access.reaches_contacts): who sees a participant's legal name,
#: phone, email and safe-contact notes on her page. Every facilitator row runs the
#: cohort she is in; ``tests/participants/test_contact_access.py`` builds each situation.
#: Preferred name and code are shown in all of them.
CONTACT_ACCESS = {
    "coordinator": True,
    "facilitator, cohort running, no grant": False,
    "facilitator, cohort running, granted": True,
    "facilitator, cohort running, grant revoked": False,
    "facilitator, granted, cohort ended within the grace period": True,
    "facilitator, granted, cohort ended beyond the grace period": False,
    "facilitator, granted, then taken off the cohort": False,
    "facilitator, granted for another cohort she is not in": False,
}
