import pytest

from tests.factories import AttendanceFactory, make_instrument


@pytest.mark.django_db
def test_attendance_factory_builds_one_organisation_chain():
    attendance = AttendanceFactory()
    cohort = attendance.session.cohort
    assert attendance.enrollment.cohort == cohort
    assert attendance.enrollment.participant.organisation == cohort.organisation
    assert cohort.organisation == cohort.program.organisation


@pytest.mark.django_db
def test_make_instrument_numbers_items_and_marks_reversed(org):
    instrument = make_instrument(organisation=org, n_items=3, reverse=(2,))
    assert [(i.number, i.reverse) for i in instrument.items.all()] == [
        (1, False),
        (2, True),
        (3, False),
    ]
