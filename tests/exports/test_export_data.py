"""A small hand-built program for the export tests; every value is worked out by hand.

Program EXP starts 2020-04-01 (Year 1 to 2021-03-31). Modules: 1 "Self-esteem", 2
"=2+3" (a name a spreadsheet would run as a formula). Instrument GSE: 4 items 1..4,
item 4 reverse-scored, target 12. MIN_CELL is 5.

Cohort C1 (starts 2020-05-04): s1 05-04 held (module 1), s2 05-11 held (module 1),
s3 05-18 cancelled, s4 05-25 held (module 2). Cohort C2 (starts 2020-09-07): t1 held.

  person  born  gender      indig.  racial.     consent  enrollment
  A       1990  woman       no      no          yes      C1 completed, from 05-04
  B       1990  woman       no      no          yes      C1 enrolled, from 05-11
  C       1990  woman       no      no          yes      C1 withdrawn, from 05-04
  D       1990  woman       no      no          yes      C1 enrolled, from 05-04
  E       1990  woman       no      no          yes      C2 enrolled, from 09-07
  A                                                      C2 completed (second enrollment)
  R       1950  non_binary  yes     prefer_not  yes      C1 enrolled, from 05-04  (rare)
  N       1990  woman       no      no          no       C1 enrolled (no consent: left out)

Age bands at the cohort start: 2020 - 1990 = 30 -> 25–34 (code 3); 2020 - 1950 = 70 ->
65 and over (code 7). The combination (3, woman, no, no) has 6 rows; R's is alone.

Attendance: A s1 present, s2 late, s4 absent -> offered 3, attended 2 (module 1: 2);
B s1 present (before enrolling), s2 present -> offered 2, attended 1 (module 1: 1);
C s1 present; D s1 present, s4 late -> attended 2 (m1 1, m2 1); R s1 present; N s1
present. Session s1: 5 present (A, B, C, D, R) + N = 6 present; s2: 1 present, 1 late.

GSE (item 4 counts as 5 - answer): A pre 2,2,2,3 -> 8; A post 4,3,4,1 -> 15;
D pre 1,1,1,1 -> 7; N pre 4,4,4,4 (no consent, never exported).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from participants.models import Enrollment, Participant
from sessions.models import Attendance, Session
from surveys.services import administration_create
from tests.factories import (
    AttendanceFactory,
    CohortFactory,
    EnrollmentFactory,
    ModuleFactory,
    ParticipantFactory,
    ProgramFactory,
    ProgramInstrumentFactory,
    SessionFactory,
    SessionFeedbackFactory,
    make_instrument,
)

#: Identifying values that must never appear in any export.
SECRETS = {
    "A": ("Zoë Marchand-Secret", "Amélie Legalname", "+1 613 555 0101", "zoe@hidden.example"),
    "B": ("Brigitte Hiddenname", "Bea Legalname", "+1 613 555 0102", "bea@hidden.example"),
    "C": ("Chantal Hiddenname", "", "", ""),
    "D": ("Delphine Hiddenname", "", "", ""),
    "E": ("Élodie Hiddenname", "", "", ""),
    "R": ("Rowan Rarename", "", "+1 613 555 0199", "rowan@hidden.example"),
    "N": ("Noconsent Hiddenname", "", "", ""),
}


@dataclass
class ExportWorld:
    program: object
    instrument: object
    c1: object
    c2: object
    people: dict = field(default_factory=dict)
    enrollments: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)


def build(org, coordinator) -> ExportWorld:
    program = ProgramFactory(
        organisation=org,
        code="EXP",
        name="Circle of Strength EXP",
        start_date=date(2020, 4, 1),
        session_feedback_questions=["I felt safe.", "=1+1 useful"],
    )
    m1 = ModuleFactory(program=program, order=1, name="Self-esteem")
    m2 = ModuleFactory(program=program, order=2, name="=2+3")
    instrument = make_instrument(organisation=org, code="GSE", reverse=(4,), target_score=12)
    ProgramInstrumentFactory(program=program, instrument_code="GSE")
    c1 = CohortFactory(program=program, code="c1", start_date=date(2020, 5, 4))
    c2 = CohortFactory(program=program, code="c2", start_date=date(2020, 9, 7))
    w = ExportWorld(program, instrument, c1, c2)
    held, cancelled = Session.Status.HELD, Session.Status.CANCELLED
    for name, cohort, number, day, status, module in [
        ("s1", c1, 1, date(2020, 5, 4), held, m1),
        ("s2", c1, 2, date(2020, 5, 11), held, m1),
        ("s3", c1, 3, date(2020, 5, 18), cancelled, m1),
        ("s4", c1, 4, date(2020, 5, 25), held, m2),
        ("t1", c2, 1, date(2020, 9, 7), held, m1),
    ]:
        w.sessions[name] = SessionFactory(
            cohort=cohort, number=number, date=day, status=status, module=module
        )
    demographics = {
        "R": (1950, "non_binary", "yes", "prefer_not"),
    }
    for key, (preferred, legal, phone, email) in SECRETS.items():
        born, gender, indigenous, racialised = demographics.get(key, (1990, "woman", "no", "no"))
        w.people[key] = ParticipantFactory(
            organisation=org,
            code=f"P-{key}",
            preferred_name=preferred,
            legal_name=legal,
            phone=phone,
            email=email,
            safe_contact="text only, never call",
            birth_year=born,
            gender_identity=gender,
            indigenous_identity=indigenous,
            racialised=racialised,
            evaluation_consent=Participant.Consent.NO if key == "N" else Participant.Consent.YES,
        )
    S = Enrollment.Status
    for key, person, cohort, status, enrolled_on in [
        ("A1", "A", c1, S.COMPLETED, date(2020, 5, 4)),
        ("B", "B", c1, S.ENROLLED, date(2020, 5, 11)),
        ("C", "C", c1, S.WITHDRAWN, date(2020, 5, 4)),
        ("D", "D", c1, S.ENROLLED, date(2020, 5, 4)),
        ("R", "R", c1, S.ENROLLED, date(2020, 5, 4)),
        ("N", "N", c1, S.ENROLLED, date(2020, 5, 4)),
        ("E", "E", c2, S.ENROLLED, date(2020, 9, 7)),
        ("A2", "A", c2, S.COMPLETED, date(2020, 9, 7)),
    ]:
        w.enrollments[key] = EnrollmentFactory(
            participant=w.people[person],
            cohort=cohort,
            status=status,
            enrolled_on=enrolled_on,
            exit_notes="Left because of her ex, Zoë said" if key == "C" else "",
        )
    A = Attendance.Status
    for enrollment, session, status in [
        ("A1", "s1", A.PRESENT), ("A1", "s2", A.LATE), ("A1", "s4", A.ABSENT),
        ("B", "s1", A.PRESENT), ("B", "s2", A.PRESENT),
        ("C", "s1", A.PRESENT),
        ("D", "s1", A.PRESENT), ("D", "s4", A.LATE),
        ("R", "s1", A.PRESENT),
        ("N", "s1", A.PRESENT),
    ]:  # fmt: skip
        AttendanceFactory(
            enrollment=w.enrollments[enrollment], session=w.sessions[session], status=status
        )
    for enrollment, timepoint, day, answers in [
        ("A1", "pre", date(2020, 5, 4), {1: 2, 2: 2, 3: 2, 4: 3}),
        ("A1", "post", date(2020, 5, 25), {1: 4, 2: 3, 3: 4, 4: 1}),
        ("D", "pre", date(2020, 5, 11), {1: 1, 2: 1, 3: 1, 4: 1}),
        ("N", "pre", date(2020, 5, 4), {1: 4, 2: 4, 3: 4, 4: 4}),
    ]:
        administration_create(
            enrollment=w.enrollments[enrollment],
            instrument=instrument,
            timepoint=timepoint,
            date=day,
            mode="staff",
            answers=answers,
            by=coordinator,
        )
    # Feedback: s1 has 5 forms (question 1 answered by all, question 2 by 2); s2 has 2.
    for ratings in [{"1": 5, "2": 4}, {"1": 4, "2": 2}, {"1": 3}, {"1": 5}, {"1": 4}]:
        SessionFeedbackFactory(session=w.sessions["s1"], ratings=ratings, comment="Zoë was there")
    for ratings in [{"1": 2}, {"1": 3}]:
        SessionFeedbackFactory(session=w.sessions["s2"], ratings=ratings)
    return w


def all_secrets() -> list[str]:
    values = [v for row in SECRETS.values() for v in row if v]
    return values + ["text only, never call", "Left because of her ex", "Zoë was there"]
