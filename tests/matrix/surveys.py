from datetime import date, timedelta

from programs.models import Volunteer
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    ProgramFactory,
    ProgramInstrumentFactory,
    make_instrument,
)
from tests.matrix.base import ROLES, Entry, coordinator_only, reports, staff_only


def build(world):
    """A program using GSE, a cohort the world's facilitator runs, one enrollment with a
    recorded pre (``world.survey_*``)."""
    from surveys.services import administration_create

    volunteer, _created = Volunteer.objects.get_or_create(
        user=world.facilitator,
        defaults={"organisation": world.org, "name": "Matrix facilitator"},
    )
    world.survey_program = ProgramFactory(organisation=world.org, code="matrix-surveys")
    world.survey_instrument = make_instrument(organisation=world.org, code="GSE")
    world.survey_program_instrument = ProgramInstrumentFactory(
        program=world.survey_program, instrument_code="GSE"
    )
    world.survey_cohort = CohortFactory(
        program=world.survey_program,
        code="matrix-surveys",
        start_date=date.today() - timedelta(days=7),
        facilitators=[volunteer],
    )
    world.survey_enrollment = EnrollmentFactory(cohort=world.survey_cohort)
    world.survey_administration = administration_create(
        enrollment=world.survey_enrollment,
        instrument=world.survey_instrument,
        timepoint="pre",
        date=date.today(),
        mode="staff",
        answers={1: 1, 2: 2, 3: 3, 4: 4},
        by=world.coordinator,
    )


def _survey(w, name):
    return {"pk": getattr(w, f"survey_{name}").pk}


def _survey_program(w):
    return {"program_pk": w.survey_program.pk}


def _survey_cohort(w):
    return {"cohort_pk": w.survey_cohort.pk}


ENTRIES = [
    # Instruments and surveys. Pages of "my organisation": the outsider sees
    # their own (200).
    Entry("surveys:instrument_list", reports(outsider=200)),
    # Evaluators read instruments but never create or change them.
    Entry("surveys:instrument_create", coordinator_only(outsider=200)),
    Entry("surveys:instrument_detail", reports(), kwargs=lambda w: _survey(w, "instrument")),
    Entry("surveys:instrument_edit", coordinator_only(), kwargs=lambda w: _survey(w, "instrument")),
    Entry("surveys:program_instruments", coordinator_only(), kwargs=lambda w: _survey_program(w)),
    Entry(
        "surveys:program_instrument_catalog_add",
        coordinator_only(302),
        method="post",
        kwargs=lambda w: {**_survey_program(w), "key": "rses"},
        data=lambda w: {"rses-target_pct": "70"},
    ),
    Entry(
        "surveys:program_instrument_remove",
        coordinator_only(302),
        method="post",
        kwargs=lambda w: {**_survey_program(w), "pk": w.survey_program_instrument.pk},
    ),
    Entry("surveys:survey_overview", {**staff_only(), "outsider": 200}),
    Entry("surveys:survey_todo", staff_only(), kwargs=lambda w: _survey_cohort(w)),
    Entry(
        "surveys:administration_enter",
        staff_only(),
        kwargs=lambda w: {**_survey_cohort(w), "code": "GSE", "timepoint": "post"},
    ),
    Entry(
        "surveys:administration_detail",
        staff_only(),
        kwargs=lambda w: _survey(w, "administration"),
    ),
    Entry(
        "surveys:administration_edit",
        staff_only(),
        kwargs=lambda w: _survey(w, "administration"),
    ),
    Entry(
        "surveys:survey_link_new",
        staff_only(),
        kwargs=lambda w: {"enrollment_pk": w.survey_enrollment.pk},
    ),
    Entry("surveys:kiosk_start", staff_only(), kwargs=lambda w: _survey_cohort(w)),
    # Without a kiosk started in this browser session, staff are sent to start one.
    Entry("surveys:kiosk_next", staff_only(302), kwargs=lambda w: _survey_cohort(w)),
    Entry("surveys:kiosk_answer", staff_only(302), kwargs=lambda w: _survey_cohort(w)),
    Entry("surveys:kiosk_handback", staff_only(), kwargs=lambda w: _survey_cohort(w)),
    # Public pages: no sign-in; a bad token is a 404 whoever asks.
    Entry("surveys:survey_done", dict.fromkeys(ROLES, 200)),
    Entry(
        "surveys:survey_respond",
        dict.fromkeys(ROLES, 404),
        kwargs=lambda w: {"token": "not-a-real-token"},
    ),
]
