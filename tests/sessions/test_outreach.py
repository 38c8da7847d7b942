"""The outreach list: participants whose latest offered sessions in a row were missed."""

from datetime import timedelta

import pytest

from sessions.selectors import outreach_list
from tests.factories import AttendanceFactory, CohortFactory, EnrollmentFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(cohort, today):
    """Three enrollments and three held sessions a week apart (attendance not yet taken)."""
    start = cohort.start_date
    sessions = [
        SessionFactory(cohort=cohort, number=k, date=start + timedelta(days=7 * (k - 1)))
        for k in (1, 2, 3)
    ]
    people = [EnrollmentFactory(cohort=cohort, enrolled_on=start) for _ in range(3)]
    return sessions, people


def _mark(session, enrollment, status):
    AttendanceFactory(session=session, enrollment=enrollment, status=status)


def _on_list(org, threshold=2):
    return {e.pk: e.missed for e in outreach_list(organisation=org, threshold=threshold)}


def test_two_consecutive_absences_put_a_participant_on_the_list(group, org):
    (s1, s2, s3), (ana, bea, cai) = group
    for s in (s1, s2, s3):
        _mark(s, bea, "present")
        _mark(s, cai, "late" if s is s3 else "present")
    _mark(s1, ana, "present")
    _mark(s2, ana, "absent")
    _mark(s3, ana, "excused")
    assert _on_list(org) == {ana.pk: 2}


def test_no_row_in_a_session_whose_attendance_was_taken_counts_as_missed(group, org):
    (s1, s2, s3), (ana, bea, _cai) = group
    for s in (s1, s2, s3):
        _mark(s, bea, "present")
    _mark(s1, ana, "present")
    assert _on_list(org)[ana.pk] == 2


def test_attending_again_takes_a_participant_off_the_list(group, cohort, org):
    (s1, s2, s3), (ana, bea, cai) = group
    for s in (s1, s2, s3):
        _mark(s, bea, "present")
        _mark(s, cai, "present")
        _mark(s, ana, "absent")
    assert _on_list(org) == {ana.pk: 3}
    s4 = SessionFactory(cohort=cohort, number=4, date=s3.date + timedelta(days=7))
    _mark(s4, ana, "present")
    _mark(s4, bea, "present")
    _mark(s4, cai, "present")
    assert _on_list(org) == {}


def test_sessions_without_any_attendance_recorded_do_not_count(group, org):
    (s1, _s2, _s3), (ana, bea, cai) = group
    _mark(s1, ana, "absent")
    _mark(s1, bea, "present")
    _mark(s1, cai, "present")
    # s2 and s3 are held but nobody's attendance was taken: they are on the
    # "attendance not recorded" list, not counted against the whole group.
    assert _on_list(org) == {}


def test_sessions_before_someone_enrolled_are_not_counted(group, cohort, org):
    (s1, s2, s3), (ana, bea, cai) = group
    late = EnrollmentFactory(cohort=cohort, enrolled_on=s3.date)
    for s in (s1, s2, s3):
        _mark(s, ana, "present")
    _mark(s3, late, "absent")
    assert _on_list(org, threshold=1) == {
        bea.pk: 3,
        cai.pk: 3,
        late.pk: 1,
    }
    assert late.pk not in _on_list(org, threshold=2)


def test_scheduled_and_cancelled_sessions_do_not_count(group, cohort, org, today):
    (s1, s2, s3), (ana, bea, cai) = group
    for s in (s1, s2, s3):
        for e in (ana, bea, cai):
            _mark(s, e, "present")
    for number, status in ((4, "cancelled"), (5, "scheduled")):
        later = SessionFactory(cohort=cohort, number=number, date=today, status=status)
        _mark(later, bea, "present")  # stray rows must not matter either
    assert _on_list(org, threshold=1) == {}


def test_the_threshold_is_configurable(group, org):
    (s1, s2, s3), (ana, bea, cai) = group
    for s in (s1, s2, s3):
        _mark(s, bea, "present")
        _mark(s, cai, "present")
    _mark(s1, ana, "present")
    _mark(s2, ana, "absent")
    _mark(s3, ana, "absent")
    assert ana.pk in _on_list(org, threshold=2)
    assert ana.pk not in _on_list(org, threshold=3)


def test_withdrawn_people_and_other_organisations_are_not_listed(group, org, other_org):
    (s1, s2, _s3), (ana, bea, cai) = group
    for s in (s1, s2):
        _mark(s, ana, "absent")
        _mark(s, bea, "absent")
        _mark(s, cai, "present")
    bea.status = "withdrawn"
    bea.save()
    elsewhere = CohortFactory(program__organisation=other_org)
    stranger = EnrollmentFactory(cohort=elsewhere)
    for k in (1, 2):
        far = SessionFactory(cohort=elsewhere, number=k)
        _mark(far, stranger, "absent")
    assert set(_on_list(org)) == {ana.pk}


def test_each_cohort_is_judged_on_its_own_latest_sessions(group, cohort, org):
    (s1, s2, s3), (ana, bea, cai) = group
    for s in (s1, s2, s3):
        for person in (ana, bea, cai):
            _mark(s, person, "present")
    # A second cohort meeting on other days: Dee missed its last two sessions, Eve missed
    # an earlier one only; a closed cohort's absentee is not listed.
    other = CohortFactory(program=cohort.program, start_date=cohort.start_date + timedelta(3))
    dee, eve = (EnrollmentFactory(cohort=other, enrolled_on=other.start_date) for _ in "de")
    for k in (1, 2, 3, 4):
        held = SessionFactory(cohort=other, number=k, date=other.start_date + timedelta(7 * k))
        _mark(held, dee, "present" if k < 3 else "absent")
        _mark(held, eve, "absent" if k == 2 else "present")
    closed = CohortFactory(program=cohort.program, status="completed")
    gone = EnrollmentFactory(cohort=closed)
    for k in (1, 2):
        _mark(SessionFactory(cohort=closed, number=k), gone, "absent")
    assert _on_list(org) == {dee.pk: 2}


def test_the_list_is_one_query_however_many_groups_are_running(
    group, cohort, org, django_assert_num_queries
):
    (s1, s2, s3), (ana, bea, cai) = group
    for s in (s1, s2, s3):
        _mark(s, ana, "absent")
        _mark(s, bea, "present")
    for _ in range(3):  # more groups running, each with someone to reach out to
        other = CohortFactory(program=cohort.program)
        dee = EnrollmentFactory(cohort=other, enrolled_on=other.start_date)
        for k in (1, 2):
            held = SessionFactory(cohort=other, number=k, date=other.start_date + timedelta(7 * k))
            _mark(held, dee, "absent")
    with django_assert_num_queries(1):
        rows = list(outreach_list(organisation=org, threshold=2))
    # Cai has no row at all: she missed all three too.
    assert [e.missed for e in rows] == [3, 3, 2, 2, 2]
    assert {rows[0].pk, rows[1].pk} == {ana.pk, cai.pk}
    assert all(e.last_attended is None for e in rows)


def test_same_day_sessions_count_by_day(group, cohort, org):
    # A make-up session on the day of another: attending either one is attending that day.
    (s1, s2, s3), (ana, bea, cai) = group
    for s in (s1, s2, s3):
        for person in (bea, cai):
            _mark(s, person, "present")
    _mark(s1, ana, "absent")
    makeup = SessionFactory(cohort=cohort, number=4, date=s1.date)
    _mark(makeup, ana, "present")
    _mark(s2, ana, "absent")
    _mark(s3, ana, "absent")
    assert _on_list(org) == {ana.pk: 2}
