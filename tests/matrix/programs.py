from datetime import date

from programs.models import SupervisionEntry, VolunteerTraining
from tests.factories import ClosureDateFactory, ProgramFactory, VolunteerFactory
from tests.matrix.base import Entry, coordinator_only, reports


def build(world):
    world.program = ProgramFactory(organisation=world.org, code="matrix-programs")
    world.closure = ClosureDateFactory(organisation=world.org, date=date(2030, 12, 25))
    world.volunteer = VolunteerFactory(organisation=world.org, name="Matrix volunteer")
    world.training = VolunteerTraining.objects.create(
        volunteer=world.volunteer, course="Orientation", hours=3, date=date(2024, 1, 10)
    )
    world.supervision = SupervisionEntry.objects.create(
        volunteer=world.volunteer, date=date(2024, 2, 1), supervisor="Sam", hours=1
    )


def _volunteer(w):
    return {"pk": w.volunteer.pk}


#: Pages of "the organisation I work in": the outsider sees their own organisation's (200).
OWN_ORG = coordinator_only(outsider=200)

ENTRIES = [
    Entry("programs:program_list", OWN_ORG),
    Entry("programs:program_create", OWN_ORG),
    Entry("programs:program_from_template", OWN_ORG),
    # The program page, on the program with a cohort (tests/matrix/sessions.py): its panels.
    Entry("programs:program_detail", reports(), kwargs=lambda w: {"pk": w.session_program.pk}),
    Entry("programs:program_edit", coordinator_only(), kwargs=lambda w: {"pk": w.program.pk}),
    Entry("programs:closure_list", OWN_ORG),
    # Delete pages ask first (GET); the POST that deletes is tested in tests/programs.
    Entry("programs:closure_delete", coordinator_only(), kwargs=lambda w: {"pk": w.closure.pk}),
    Entry("programs:volunteer_list", OWN_ORG),
    Entry("programs:volunteer_create", OWN_ORG),
    Entry("programs:volunteer_detail", coordinator_only(), kwargs=_volunteer),
    Entry("programs:volunteer_edit", coordinator_only(), kwargs=_volunteer),
    Entry(
        "programs:volunteer_stage",
        coordinator_only(302),
        kwargs=_volunteer,
        method="post",
        data=lambda w: {"stage": "inactive"},
    ),
    Entry(
        "programs:training_add",
        coordinator_only(302),
        kwargs=_volunteer,
        method="post",
        data=lambda w: {
            "training-course": "Boundaries",
            "training-date": "2024-03-01",
            "training-hours": "2",
        },
    ),
    Entry(
        "programs:supervision_add",
        coordinator_only(302),
        kwargs=_volunteer,
        method="post",
        data=lambda w: {
            "supervision-date": "2024-03-01",
            "supervision-supervisor": "Sam",
            "supervision-hours": "1",
        },
    ),
    Entry("programs:training_delete", coordinator_only(), kwargs=lambda w: {"pk": w.training.pk}),
    # Giving a facilitator contact access to a cohort (tests/matrix/sessions.py's cohort):
    # coordinators only; the facilitator cannot give it to themselves.
    Entry(
        "programs:contact_access",
        coordinator_only(302),
        kwargs=lambda w: {"pk": w.session_cohort.pk},
        method="post",
        data=lambda w: {
            "volunteer": w.session_cohort.facilitators.get().pk,
            "action": "grant",
        },
    ),
    Entry(
        "programs:supervision_delete",
        coordinator_only(),
        kwargs=lambda w: {"pk": w.supervision.pk},
    ),
]
