"""A small hand-built program whose every figure is worked out by hand in the tests.

Program EVAL starts 2020-04-01: Year 1 is 2020-04-01..2021-03-31, Year 2 the next.
Instrument GSE: 4 items scored 1..4, item 4 reverse-scored, one missing item allowed
(pro-rated), target score 12; the program's target is 75% meeting it at post-test.

Year 1
  Cohort C1 (starts 2020-05-04): s1 05-04 held (module M1), s2 05-11 held (M1),
    s3 05-18 cancelled, s4 05-25 held (M2), s5 06-01 still scheduled.
  Cohort C2 (starts 2021-03-15, its last session falls in Year 2): t1 03-15, t2 03-22,
    t3 04-05, all held (M2).
  e1 P1  C1 completed  from 05-04: s1 present, s2 late, s3 present (cancelled),
         s4 absent, s5 present (scheduled)              offered 3, attended 2
  e2 P2  C1 enrolled   from 05-11 (mid-cohort): s1 present (before enrolling),
         s2 present, s4 excused                         offered 2, attended 1
  e3 P3  C1 withdrawn  from 05-04: s1 present            offered 3, attended 1
  e4 P1  C2 completed  (P1's second enrollment this year): t1, t2, t3 present
                                                        offered 3, attended 3
  e5 P4  C2 completed, no evaluation consent: t1 absent, t2 late
                                                        offered 3, attended 1
  e6 P5  C2 enrolled: nothing attended                  offered 3, attended 0
  e7 P6  C1 waitlisted: never took part, not counted.
  Totals: 5 participants, 6 enrollments, 17 offered, 8 attended, 3 completed.

  GSE (keyed sums; item 4 counts as 5 - answer):
    e1 pre 2,2,2,3 -> 8        post 4,3,4,1 -> 15
    e2 pre 1,2,3,- -> 2*4 = 8  post 3,3,3,2 -> 12
    e3 pre 3,3,-,- -> no score (incomplete)   post 4,4,4,1 -> 16 (unmatched)
    e4 pre 2,3,2,2 -> 10       post 3,3,3,4 -> 10 (dated in Year 2)
    e5 (no consent) pre 1,1,1,4 -> 4, post 4,4,4,1 -> 16: left out
    e6 pre 1,1,2,4 -> 5        post 2,3,2,- -> 7/3*4 = 28/3

Year 2
  Cohort C3 (starts 2021-05-03): u1 05-03, u2 05-10 held.
  e8 P2 completed: u1, u2 present; e9 P7 enrolled: u1 present.
  2 participants, 2 enrollments, 4 offered, 3 attended, 1 completed.

Program OTHER (same organisation, same dates) has its own cohort, with P1 enrolled,
attendance and GSE scores: none of it may appear in EVAL's figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from participants.models import Enrollment
from programs.models import Cohort, Program
from sessions.models import Attendance, Session
from surveys.models import Administration, Instrument
from surveys.scoring import ItemSpec, score
from tests.factories import (
    AttendanceFactory,
    CohortFactory,
    EnrollmentFactory,
    ModuleFactory,
    ParticipantFactory,
    ProgramFactory,
    ProgramInstrumentFactory,
    SessionFactory,
    make_instrument,
)

HELD, CANCELLED, SCHEDULED = (
    Session.Status.HELD,
    Session.Status.CANCELLED,
    Session.Status.SCHEDULED,
)
PRESENT, LATE, ABSENT, EXCUSED = (
    Attendance.Status.PRESENT,
    Attendance.Status.LATE,
    Attendance.Status.ABSENT,
    Attendance.Status.EXCUSED,
)


def administer(enrollment, instrument: Instrument, timepoint: str, answers, on: date):
    """An administration whose stored score is what ``surveys.scoring`` gives."""
    items = [
        ItemSpec(i.number, i.min_value, i.max_value, i.reverse)
        for i in instrument.items.order_by("number")
    ]
    result = score(items, dict(enumerate(answers, start=1)), max_missing=instrument.max_missing)
    return Administration.objects.create(
        enrollment=enrollment,
        instrument=instrument,
        timepoint=timepoint,
        date=on,
        score=result.value,
        answered_n=result.answered_n,
        missing_n=result.missing_n,
        is_complete=result.is_complete,
    )


@dataclass
class EvalWorld:
    program: Program
    other: Program
    gse: Instrument
    c1: Cohort
    c2: Cohort
    c3: Cohort
    enrollments: dict[str, Enrollment]


def _sessions(cohort, specs):
    return [
        SessionFactory(cohort=cohort, number=n, date=d, status=status, module=module)
        for n, (d, status, module) in enumerate(specs, start=1)
    ]


def build(org) -> EvalWorld:
    program = ProgramFactory(organisation=org, code="EVAL", start_date=date(2020, 4, 1))
    m1 = ModuleFactory(program=program, order=1, name="Self-esteem")
    m2 = ModuleFactory(program=program, order=2, name="Circle")
    gse = make_instrument(
        organisation=org,
        code="GSE",
        name="Self-efficacy",
        n_items=4,
        reverse=(4,),
        max_missing=1,
        target_score=12,
    )
    ProgramInstrumentFactory(program=program, instrument_code="GSE", target_pct=75.0)

    c1 = CohortFactory(program=program, code="C1", start_date=date(2020, 5, 4))
    s1, s2, s3, s4, s5 = _sessions(
        c1,
        [
            (date(2020, 5, 4), HELD, m1),
            (date(2020, 5, 11), HELD, m1),
            (date(2020, 5, 18), CANCELLED, m1),
            (date(2020, 5, 25), HELD, m2),
            (date(2020, 6, 1), SCHEDULED, m2),
        ],
    )
    c2 = CohortFactory(program=program, code="C2", start_date=date(2021, 3, 15))
    t1, t2, t3 = _sessions(
        c2,
        [
            (date(2021, 3, 15), HELD, m2),
            (date(2021, 3, 22), HELD, m2),
            (date(2021, 4, 5), HELD, m2),
        ],
    )
    c3 = CohortFactory(program=program, code="C3", start_date=date(2021, 5, 3))
    u1, u2 = _sessions(c3, [(date(2021, 5, 3), HELD, None), (date(2021, 5, 10), HELD, None)])

    def person(code, gender="woman", consent="yes"):
        return ParticipantFactory(
            organisation=org, code=code, gender_identity=gender, evaluation_consent=consent
        )

    p1, p2, p3 = person("P1"), person("P2"), person("P3", "non_binary")
    p4, p5, p6, p7 = person("P4", consent="no"), person("P5", ""), person("P6"), person("P7")
    S = Enrollment.Status

    def enroll(participant, cohort, status, on=None):
        return EnrollmentFactory(
            participant=participant,
            cohort=cohort,
            status=status,
            enrolled_on=on or cohort.start_date,
        )

    e = {
        "e1": enroll(p1, c1, S.COMPLETED),
        "e2": enroll(p2, c1, S.ENROLLED, date(2020, 5, 11)),
        "e3": enroll(p3, c1, S.WITHDRAWN),
        "e4": enroll(p1, c2, S.COMPLETED),
        "e5": enroll(p4, c2, S.COMPLETED),
        "e6": enroll(p5, c2, S.ENROLLED),
        "e7": enroll(p6, c1, S.WAITLISTED),
        "e8": enroll(p2, c3, S.COMPLETED),
        "e9": enroll(p7, c3, S.ENROLLED),
    }
    marks = {
        "e1": [(s1, PRESENT), (s2, LATE), (s3, PRESENT), (s4, ABSENT), (s5, PRESENT)],
        "e2": [(s1, PRESENT), (s2, PRESENT), (s4, EXCUSED)],
        "e3": [(s1, PRESENT)],
        "e4": [(t1, PRESENT), (t2, PRESENT), (t3, PRESENT)],
        "e5": [(t1, ABSENT), (t2, LATE)],
        "e7": [(s1, PRESENT)],
        "e8": [(u1, PRESENT), (u2, PRESENT)],
        "e9": [(u1, PRESENT)],
    }
    for key, rows in marks.items():
        for session, status in rows:
            AttendanceFactory(session=session, enrollment=e[key], status=status)

    answers = {
        "e1": ([2, 2, 2, 3], [4, 3, 4, 1]),
        "e2": ([1, 2, 3, None], [3, 3, 3, 2]),
        "e3": ([3, 3, None, None], [4, 4, 4, 1]),
        "e4": ([2, 3, 2, 2], [3, 3, 3, 4]),
        "e5": ([1, 1, 1, 4], [4, 4, 4, 1]),
        "e6": ([1, 1, 2, 4], [2, 3, 2, None]),
    }
    for key, (pre, post) in answers.items():
        cohort = e[key].cohort
        administer(e[key], gse, "pre", pre, cohort.start_date)
        post_day = date(2021, 4, 20) if key == "e4" else date(2020, 6, 30)
        administer(e[key], gse, "post", post, post_day)

    # Another program of the same organisation, in the same dates: must not leak in.
    other = ProgramFactory(organisation=org, code="OTHER", start_date=date(2020, 4, 1))
    oc = CohortFactory(program=other, code="O1", start_date=date(2020, 5, 4))
    (os1,) = _sessions(oc, [(date(2020, 5, 4), HELD, None)])
    oe = enroll(p1, oc, S.COMPLETED)
    AttendanceFactory(session=os1, enrollment=oe, status=PRESENT)
    administer(oe, gse, "pre", [1, 1, 1, 4], date(2020, 5, 4))
    administer(oe, gse, "post", [4, 4, 4, 1], date(2020, 6, 30))

    return EvalWorld(program, other, gse, c1, c2, c3, e)
