"""Synthetic demo data: one organisation, a login per role, and five years of a program.

Everything here is invented; the organisation is named as synthetic so nobody mistakes it
for real records. ``load_demo`` is seeded and repeatable, and a second call changes
nothing.

The five-year program ("BIY", from 2021-04-01, so Year 5 ends 2026-03-31) is modelled on
a published peer-support evaluation: a 6-week self-esteem module ("Finding our Voices")
then a 14-week growth circle, three groups of about 20 women a year, pre and post
surveys. The records are *generated* from tendencies (``Tendencies``: how likely people
are to come, to leave early, to meet the self-efficacy target at post, how much
wellbeing rises); the evaluation engine computes the figures from those records like
any other. No figure is written down anywhere.

Structure (program, cohorts and their schedules, instruments) is made through the
apps' own services, so it follows their rules; the many small records (participants,
attendance, answers) are bulk-created, and every survey score comes from
``surveys.scoring.score``. A small second program ("CIRCLE") has one group running
now, so the facilitator login has today's session to take attendance of.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from statistics import NormalDist

from django.db import transaction
from django.utils import timezone

from participants.models import Consent, Enrollment, Participant, Partner, Referral
from participants.name_index import name_index_rebuild
from peersupport.models import Membership, Organisation, Role, User
from programs.models import (
    ClosureDate,
    Cohort,
    Program,
    SupervisionEntry,
    Volunteer,
    VolunteerTraining,
)
from programs.services import program_create_from_template
from sessions import outreach
from sessions.models import Attendance, Session, SessionFeedback
from sessions.services import cohort_create
from surveys.catalog import CATALOG, catalog_add_to_program
from surveys.models import Administration, Answer, Instrument
from surveys.scoring import ItemSpec, score

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published demo login, local only
DEMO_USERS = [
    ("coordinator@demo.example", "Demo Coordinator", Role.COORDINATOR),
    ("facilitator@demo.example", "Demo Facilitator", Role.FACILITATOR),
    ("evaluator@demo.example", "Demo Evaluator", Role.EVALUATOR),
]
PROGRAM_CODE = "BIY"
PROGRAM_START = date(2021, 4, 1)
CURRENT_CODE = "CIRCLE"
TEMPLATE = "peer-support-20"
#: Instruments of the program (``surveys.catalog``): catalog key, target % meeting target
#: at post, timepoints the program asks it at. GSE's target score (29) is the catalog's
#: default, the organisation's own choice: the scale has no published cut-off. SWEMWBS is
#: scored on the published metric; the exit item is asked at post only.
INSTRUMENTS = [
    ("gse", 75.0, ("pre", "post")),
    ("swemwbs", None, ("pre", "post")),
    ("rses", None, ("pre", "post")),
    ("exit", None, ("post",)),
]

# fmt: off
FIRST_NAMES = (
    "Amina", "Aroha", "Beatriz", "Chantal", "Chloé", "Dana", "Deepa", "Elif", "Esi", "Fatima",
    "Gabrielle", "Grace", "Hana", "Ife", "Inès", "Jasmine", "Joy", "Kateri", "Keisha", "Lan",
    "Leila", "Linh", "Lucía", "Maëlle", "Mariam", "Maya", "Mei", "Nadia", "Naledi", "Nour",
    "Oksana", "Paloma", "Priya", "Rosa", "Ruth", "Sabine", "Salma", "Sara", "Shanice", "Sofia",
    "Tala", "Tamar", "Thandi", "Valérie", "Wanda", "Winona", "Yara", "Yasmin", "Zainab", "Zoé",
)
# fmt: on
REFERRAL_SOURCES = ("Self", "Friend", "Shelter", "Health centre", "Family services", "Poster")
EXIT_REASONS = ("Moved away", "Work schedule", "Health", "Childcare", "No reason given")
PARTNERS = [
    ("Riverside Family Services", Partner.Type.FAMILY),
    ("Harbour Counselling Centre", Partner.Type.COUNSELLING),
    ("Pathways Addiction Services", Partner.Type.ADDICTION),
    ("Northgate Mental Health", Partner.Type.MENTAL_HEALTH),
    ("Community Health Clinic", Partner.Type.HEALTH_CARE),
    ("Women's Legal Clinic", Partner.Type.LEGAL),
    ("Safe Homes Housing Help", Partner.Type.HOUSING),
    ("Victim Services Unit", Partner.Type.LAW_ENFORCEMENT),
]
VOLUNTEERS = ("Adaeze", "Bernadette", "Carmen", "Delphine", "Eun-ji", "Farah", "Gwen")
NORMAL = NormalDist()
COMMENTS = (
    "",
    "",
    "",
    "Thank you, I felt heard today.",
    "Good topic.",
    "I liked the breathing exercise.",
    "Could we have more time for sharing?",
)


@dataclass(frozen=True)
class Tendencies:
    """What the synthetic people tend to do. Chances are per person or per session;
    ``*_rise`` is added for each program year after the first."""

    years: int = 5
    #: Weeks after the start of a program year when its groups start (groups overlap,
    #: on different weekdays, so all of a year's groups end within the year).
    cohort_offsets_weeks: tuple[int, ...] = (1, 10, 22)
    cohort_weekdays: tuple[int, ...] = (1, 2, 3)
    group_size: tuple[int, int] = (18, 22)
    late_joiners: float = 0.05  # join at the second or third session
    withdraw: float = 0.10
    #: A participant who stays comes to a session with this chance (spread per person).
    attend: float = 0.835
    attend_rise: float = 0.01
    attend_spread: float = 0.09
    withdrawn_attend: float = 0.55  # before leaving
    late_share: float = 0.1  # of attended sessions
    excused_share: float = 0.3  # of missed sessions
    consent_no: float = 0.05
    consent_unknown: float = 0.02
    pre_skipped: float = 0.02
    post_skipped: float = 0.05
    item_skipped: float = 0.03  # a pre survey with one item left blank
    two_items_skipped: float = 0.01  # a pre survey with two blank (too many for some scales)
    #: Chance that a post self-efficacy score is at or above the instrument's target.
    gse_post_meets_target: float = 0.755
    gse_post_meets_target_rise: float = 0.022
    gse_post_sd: float = 4.0
    gse_gain: float = 6.0
    gse_gain_sd: float = 3.0
    #: SWEMWBS raw totals (7–35); the stored score is the published metric score.
    wellbeing_pre: float = 24.0
    wellbeing_pre_sd: float = 4.0
    wellbeing_gain: float = 5.0
    wellbeing_gain_rise: float = 0.4
    wellbeing_gain_sd: float = 3.0
    #: Rosenberg totals on the 0–30 scoring.
    self_esteem_pre: float = 15.0
    self_esteem_pre_sd: float = 4.5
    self_esteem_gain: float = 3.0
    self_esteem_gain_sd: float = 3.0
    exit_yes: float = 0.62
    exit_yes_rise: float = 0.04
    referred: float = 0.3
    feedback_forms: tuple[int, int] = (4, 10)  # per held session
    current_group_size: int = 12


@dataclass
class DemoResult:
    created: bool
    logins: list[tuple[str, str, str]]
    counts: dict[str, int] = field(default_factory=dict)


@transaction.atomic
def load_demo(
    *, seed: int = 2026, today: date | None = None, tendencies: Tendencies | None = None
) -> DemoResult:
    """Create whatever of the demo is missing; a second call changes nothing."""
    logins = [(email, DEMO_PASSWORD, role.label) for email, _name, role in DEMO_USERS]
    org, users, created = _organisation_and_logins()
    if Program.objects.filter(organisation=org, code=PROGRAM_CODE).exists():
        return DemoResult(created=created, logins=logins)
    builder = _Builder(
        org=org,
        users=users,
        rng=random.Random(seed),
        today=today or timezone.localdate(),
        t=tendencies or Tendencies(),
    )
    builder.build()
    return DemoResult(created=True, logins=logins, counts=builder.counts)


def _organisation_and_logins() -> tuple[Organisation, dict[str, User], bool]:
    org, created = Organisation.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={"name": "Demo Agency (synthetic data)", "participant_code_prefix": "BIY"},
    )
    users = {}
    for email, name, role in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name)
            created = True
        _membership, made = Membership.objects.get_or_create(
            user=user, organisation=org, defaults={"role": role}
        )
        created = created or made
        users[role] = user
    return org, users, created


def _answers_for_total(rng: random.Random, items: list[ItemSpec], total: int) -> dict[int, int]:
    """Item answers whose keyed sum is ``total``, spread unevenly like real answers."""
    lo = sum(i.min_value for i in items)
    hi = sum(i.max_value for i in items)
    total = min(max(total, lo), hi)
    keyed = [i.min_value for i in items]
    for _ in range(total - lo):
        free = [k for k, item in enumerate(items) if keyed[k] < item.max_value]
        keyed[rng.choice(free)] += 1
    for _ in range(len(items)):  # move a point between two items, keeping the sum
        a, b = rng.sample(range(len(items)), 2) if len(items) > 1 else (0, 0)
        if a != b and keyed[a] < items[a].max_value and keyed[b] > items[b].min_value:
            keyed[a] += 1
            keyed[b] -= 1
    return {
        item.number: (item.min_value + item.max_value - value if item.reverse else value)
        for item, value in zip(items, keyed, strict=True)
    }


@dataclass
class _Person:
    participant: Participant
    enrollment: Enrollment
    year: int
    sessions: list[Session]
    attended: list[bool] = field(default_factory=list)
    surveys: dict[str, bool] = field(default_factory=dict)


class _Builder:
    def __init__(self, *, org, users, rng: random.Random, today: date, t: Tendencies):
        self.org = org
        self.coordinator = users[Role.COORDINATOR]
        self.facilitator = users[Role.FACILITATOR]
        self.rng = rng
        self.today = today
        self.t = t
        self.counts: dict[str, int] = {}
        self.next_code = self._first_code_number()

    # --- structure, through the apps' services ----------------------------------------

    def build(self) -> None:
        self._closures()
        volunteers = self._volunteers()
        partners = self._partners()
        program = self._program(
            PROGRAM_CODE,
            "Finding our Voices peer support (synthetic)",
            PROGRAM_START,
            end=date(PROGRAM_START.year + self.t.years, 3, 31),
        )
        instruments = self._instruments(program)
        self.gse_target = instruments["gse"][0].target_score or 0
        people: list[_Person] = []
        for year in range(1, self.t.years + 1):
            year_start = date(PROGRAM_START.year + year - 1, 4, 1)
            for n, (offset, weekday) in enumerate(
                zip(self.t.cohort_offsets_weeks, self.t.cohort_weekdays, strict=True), 1
            ):
                start = year_start + timedelta(weeks=offset)
                start += timedelta(days=(weekday - start.weekday()) % 7)
                facilitators = self._facilitators_for(volunteers, year, n)
                cohort = self._cohort(program, f"biy-y{year}-{n}", start, weekday, facilitators)
                size = self.rng.randint(*self.t.group_size)
                people += self._group(cohort, year, size)
        self._attendance(people)
        self._surveys(people, instruments)
        self._referrals(people, partners, program)
        self._current_group(volunteers, instruments)
        # Attendance came in bulk: count the runs the outreach list reads.
        outreach.recount(Cohort.objects.filter(organisation=self.org).values_list("pk", flat=True))
        self.counts["participants"] = Participant.objects.filter(organisation=self.org).count()

    def _program(self, code: str, name: str, start: date, end: date | None) -> Program:
        program = program_create_from_template(
            organisation=self.org,
            template_key=TEMPLATE,
            code=code,
            name=name,
            start_date=start,
            by=self.coordinator,
        )
        program.target_population = "Women (synthetic demo data)"
        program.status = Program.Status.ACTIVE if end is None else Program.Status.COMPLETED
        program.end_date = end
        program.save(update_fields=["target_population", "status", "end_date"])
        return program

    def _instruments(self, program: Program) -> dict[str, tuple[Instrument, list[ItemSpec]]]:
        found = {}
        for key, target_pct, timepoints in INSTRUMENTS:
            catalog_add_to_program(
                program=program,
                key=key,
                target_pct=target_pct,
                timepoints=timepoints,
                by=self.coordinator,
            )
            instrument = Instrument.objects.get(
                organisation=self.org, code=CATALOG[key].code, is_current=True
            )
            items = [
                ItemSpec(i.number, i.min_value, i.max_value, i.reverse)
                for i in instrument.items.order_by("number")
            ]
            found[key] = (instrument, items)
        return found

    def _link_instruments(self, program: Program, keys: tuple[str, ...]) -> None:
        for key, target_pct, timepoints in INSTRUMENTS:
            if key in keys:
                catalog_add_to_program(
                    program=program,
                    key=key,
                    target_pct=target_pct,
                    timepoints=timepoints,
                    by=self.coordinator,
                )

    def _cohort(self, program, code, start, weekday, facilitators) -> Cohort:
        cohort = cohort_create(
            program=program,
            by=self.coordinator,
            facilitators=facilitators,
            code=code,
            name=f"{program.code} {code.rsplit('-', 2)[-2].upper()} group {code[-1]}",
            start_date=start,
            weekday=weekday,
            start_time=time(18 if weekday != 2 else 10, 0),
            session_minutes=180,
            location=self.rng.choice(("Community hall", "Library room B", "Women's centre")),
            capacity=22,
            status=Cohort.Status.COMPLETED,
        )
        sessions = list(cohort.sessions.order_by("number"))
        held = [s for s in sessions if s.date < self.today]
        for session in held:
            session.status = Session.Status.HELD
            session.duration_minutes = cohort.session_minutes
            session.topics_covered = session.topic
            session.logged_by = self.facilitator
        Session.objects.bulk_update(
            held, ["status", "duration_minutes", "topics_covered", "logged_by"]
        )
        through = Session.facilitators.through
        through.objects.bulk_create(
            through(session_id=s.pk, volunteer_id=v.pk) for s in held for v in facilitators
        )
        if len(held) < len(sessions):
            cohort.status = Cohort.Status.RUNNING if held else Cohort.Status.OPEN
            cohort.save(update_fields=["status"])
        self._feedback(program, held)
        return cohort

    def _closures(self) -> None:
        days = [
            (date(y, m, d), reason)
            for y in range(PROGRAM_START.year, PROGRAM_START.year + self.t.years + 2)
            for m, d, reason in ((12, 25, "Christmas Day"), (12, 26, "Boxing Day"))
        ] + [
            (date(y, 1, 1), "New Year's Day")
            for y in range(PROGRAM_START.year + 1, PROGRAM_START.year + self.t.years + 2)
        ]
        ClosureDate.objects.bulk_create(
            [ClosureDate(organisation=self.org, date=d, reason=r) for d, r in days],
            ignore_conflicts=True,
        )

    def _volunteers(self) -> list[Volunteer]:
        linked = Volunteer.objects.filter(user=self.facilitator).first()
        volunteers = [] if linked is None else [linked]
        if linked is None:
            volunteers.append(
                Volunteer(
                    organisation=self.org,
                    user=self.facilitator,
                    name=self.facilitator.name or "Demo Facilitator",
                )
            )
        volunteers += [Volunteer(organisation=self.org, name=name) for name in VOLUNTEERS]
        for n, v in enumerate(volunteers):
            v.stage = Volunteer.Stage.ACTIVE if n < 6 else Volunteer.Stage.TRAINED
            v.interview_date = date(2020, 11, 2) + timedelta(days=9 * n)
            v.references_checked_on = v.interview_date + timedelta(days=10)
            v.police_check_date = v.interview_date + timedelta(days=20)
        if linked is not None:
            linked.save()
        made = Volunteer.objects.bulk_create([v for v in volunteers if v.pk is None])
        volunteers = ([linked] if linked is not None else []) + made
        VolunteerTraining.objects.bulk_create(
            VolunteerTraining(
                volunteer=v,
                course="Peer-counsellor training (10 weeks)",
                hours=Decimal(30),
                date=date(2021, 2, 26),
            )
            for v in volunteers
        )
        last = self.today.replace(day=1)
        SupervisionEntry.objects.bulk_create(
            SupervisionEntry(
                volunteer=v,
                date=last - timedelta(days=30 * k + 7 * n),
                supervisor="Program coordinator",
                hours=Decimal("1.5"),
            )
            for n, v in enumerate(volunteers[:5])
            for k in range(6)
        )
        return volunteers

    def _facilitators_for(self, volunteers, year: int, n: int) -> list[Volunteer]:
        active = volunteers[:6]
        if year == self.t.years:  # the demo facilitator runs every group of the last year
            return [active[0], active[1 + (n % 5)]]
        first = active[1 + (year + n) % 5]
        second = active[1 + (year + n + 2) % 5]
        return [first, second]

    def _partners(self) -> list[Partner]:
        Partner.objects.bulk_create(
            [
                Partner(organisation=self.org, name=name, type=kind, contact_person="Intake desk")
                for name, kind in PARTNERS
            ],
            ignore_conflicts=True,
        )
        return list(Partner.objects.filter(organisation=self.org).order_by("name"))

    # --- people -----------------------------------------------------------------------

    def _first_code_number(self) -> int:
        prefix = self.org.participant_code_prefix
        pattern = re.compile(rf"^{re.escape(prefix)}-([0-9]+)$")
        numbers = [
            int(m.group(1))
            for code in Participant.objects.filter(organisation=self.org).values_list(
                "code", flat=True
            )
            if (m := pattern.match(code))
        ]
        return max(numbers, default=0) + 1

    def _new_participants(self, n: int, joined: date) -> list[Participant]:
        rng, t = self.rng, self.t
        prefix = self.org.participant_code_prefix
        made = []
        for _ in range(n):
            roll = rng.random()
            consent = (
                Participant.Consent.NO
                if roll < t.consent_no
                else Participant.Consent.UNKNOWN
                if roll < t.consent_no + t.consent_unknown
                else Participant.Consent.YES
            )
            made.append(
                Participant(
                    organisation=self.org,
                    code=f"{prefix}-{self.next_code:05d}",
                    preferred_name=rng.choice(FIRST_NAMES),
                    birth_year=rng.randint(joined.year - 62, joined.year - 19),
                    gender_identity=Participant.Gender.WOMAN,
                    indigenous_identity=rng.choices(
                        ["yes", "no", "prefer_not"], weights=[25, 70, 5]
                    )[0],
                    racialised=rng.choices(["yes", "no", "prefer_not"], weights=[35, 60, 5])[0],
                    referral_source=rng.choice(REFERRAL_SOURCES),
                    evaluation_consent=consent,
                    # Safe-contact rules, by code number so the random draws stay the same.
                    contact_never=self.next_code % 11 == 0,
                    allow_text=self.next_code % 5 != 0,
                    allow_voicemail=self.next_code % 3 != 0,
                    no_messages=self.next_code % 4 == 0,
                )
            )
            self.next_code += 1
        made = Participant.objects.bulk_create(made)
        name_index_rebuild(Participant.objects.filter(pk__in=[p.pk for p in made]))
        consents = []
        for p in made:
            consents.append(
                Consent(
                    participant=p,
                    kind=Consent.Kind.PARTICIPATION,
                    given=True,
                    date=joined,
                    text_version="2021-1",
                    recorded_by=self.coordinator,
                )
            )
            if p.evaluation_consent != Participant.Consent.UNKNOWN:
                consents.append(
                    Consent(
                        participant=p,
                        kind=Consent.Kind.EVALUATION,
                        given=p.evaluation_consent == Participant.Consent.YES,
                        date=joined,
                        text_version="2021-1",
                        recorded_by=self.coordinator,
                    )
                )
        Consent.objects.bulk_create(consents)
        return made

    def _group(self, cohort: Cohort, year: int, size: int) -> list[_Person]:
        rng, t = self.rng, self.t
        sessions = list(cohort.sessions.order_by("number"))
        participants = self._new_participants(size, cohort.start_date - timedelta(days=7))
        running = cohort.status != Cohort.Status.COMPLETED
        enrollments, people = [], []
        for p in participants:
            first = 0
            if rng.random() < t.late_joiners:
                first = rng.choice((1, 2))
            enrolled_on = sessions[first].date
            status, exit_date, reason = Enrollment.Status.COMPLETED, sessions[-1].date, ""
            if running:
                status, exit_date = Enrollment.Status.ENROLLED, None
            elif rng.random() < t.withdraw:
                last = rng.randint(first + 1, len(sessions) - 4)
                status = Enrollment.Status.WITHDRAWN
                exit_date, reason = sessions[last].date, rng.choice(EXIT_REASONS)
            else:
                reason = "Completed the program"
            enrollment = Enrollment(
                participant=p,
                cohort=cohort,
                status=status,
                applied_on=cohort.start_date - timedelta(days=rng.randint(10, 40)),
                enrolled_on=enrolled_on,
                exit_date=exit_date,
                exit_reason=reason,
            )
            enrollments.append(enrollment)
            people.append(_Person(p, enrollment, year, sessions))
        Enrollment.objects.bulk_create(enrollments)
        return people

    def _attendance(self, people: list[_Person]) -> None:
        rng, t = self.rng, self.t
        rows = []
        for person in people:
            e = person.enrollment
            withdrawn = e.status == Enrollment.Status.WITHDRAWN
            chance = (
                t.withdrawn_attend if withdrawn else t.attend + t.attend_rise * (person.year - 1)
            )
            chance = min(0.99, max(0.3, rng.gauss(chance, t.attend_spread)))
            for session in person.sessions:
                if session.status != Session.Status.HELD or session.date < e.enrolled_on:
                    continue
                if e.exit_date and withdrawn and session.date > e.exit_date:
                    break  # not on the roster after leaving
                came = rng.random() < chance
                person.attended.append(came)
                if came:
                    status = "late" if rng.random() < t.late_share else "present"
                else:
                    status = "excused" if rng.random() < t.excused_share else "absent"
                rows.append(
                    Attendance(
                        session=session,
                        enrollment=e,
                        status=status,
                        recorded_by=self.facilitator,
                    )
                )
        Attendance.objects.bulk_create(rows, batch_size=2000)
        self.counts["attendance"] = self.counts.get("attendance", 0) + len(rows)

    # --- surveys ------------------------------------------------------------------------

    def _surveys(self, people: list[_Person], instruments) -> None:
        """Pre surveys at the first session, post surveys at the last (completers only).

        Self-efficacy at post is drawn by stratified sampling within each year (people in
        random order take evenly spaced quantiles), so a year's share meeting the target
        follows ``gse_post_meets_target`` closely even in groups of sixty; pre is post
        minus a gain.
        """
        rng, t = self.rng, self.t
        planned: list[tuple[_Person, str, str, int | None]] = []  # person, key, timepoint, total
        by_year = defaultdict(list)
        for person in people:
            e = person.enrollment
            has_pre = rng.random() >= t.pre_skipped
            has_post = e.status == Enrollment.Status.COMPLETED and rng.random() >= t.post_skipped
            person.surveys = {"pre": has_pre, "post": has_post}
            if has_post and e.participant.evaluation_consent == Participant.Consent.YES:
                by_year[person.year].append(person)
        quantile = {}
        for group in by_year.values():
            order = group[:]
            rng.shuffle(order)
            for k, person in enumerate(order):
                quantile[person.enrollment.pk] = (k + 0.5) / len(order)

        for person in people:
            y = person.year - 1
            u = quantile.get(person.enrollment.pk, rng.random())
            gse_post = round(self._gse_post_mean(person.year) + t.gse_post_sd * NORMAL.inv_cdf(u))
            gse_pre = round(gse_post - rng.gauss(t.gse_gain, t.gse_gain_sd))
            wb_pre = round(rng.gauss(t.wellbeing_pre, t.wellbeing_pre_sd))
            wb_post = round(
                wb_pre
                + rng.gauss(t.wellbeing_gain + t.wellbeing_gain_rise * y, t.wellbeing_gain_sd)
            )
            se_pre = round(rng.gauss(t.self_esteem_pre, t.self_esteem_pre_sd))
            se_post = round(se_pre + rng.gauss(t.self_esteem_gain, t.self_esteem_gain_sd))
            exit_yes = int(rng.random() < t.exit_yes + t.exit_yes_rise * y)
            totals = {
                ("gse", "pre"): gse_pre,
                ("gse", "post"): gse_post,
                ("swemwbs", "pre"): wb_pre,
                ("swemwbs", "post"): wb_post,
                ("rses", "pre"): se_pre,
                ("rses", "post"): se_post,
                ("exit", "post"): exit_yes,
            }
            for key, _target_pct, timepoints in INSTRUMENTS:
                for timepoint in timepoints:
                    if person.surveys[timepoint]:
                        planned.append((person, key, timepoint, totals[(key, timepoint)]))
        self._store_surveys(planned, instruments)

    def _gse_post_mean(self, year: int) -> float:
        """The mean that puts the year's share ``gse_post_meets_target`` of (rounded)
        self-efficacy post scores at or above the instrument's target score."""
        t = self.t
        meets = t.gse_post_meets_target + t.gse_post_meets_target_rise * (year - 1)
        return self.gse_target - 0.5 + t.gse_post_sd * NORMAL.inv_cdf(meets)

    def _store_surveys(self, planned, instruments) -> None:
        rng, t = self.rng, self.t
        administrations, answer_sets = [], []
        for person, key, timepoint, total in planned:
            instrument, items = instruments[key]
            answers: dict[int, int | None] = _answers_for_total(rng, items, total)
            if timepoint == "pre" and len(items) > 2:
                roll = rng.random()
                blanks = 2 if roll < t.two_items_skipped else 1 if roll < t.item_skipped else 0
                for number in rng.sample(sorted(answers), blanks):
                    answers[number] = None
            result = score(
                items,
                answers,
                max_missing=instrument.max_missing,
                conversion_table=instrument.conversion_table or None,
            )
            sessions = person.sessions
            when = person.enrollment.enrolled_on if timepoint == "pre" else sessions[-1].date
            administrations.append(
                Administration(
                    enrollment=person.enrollment,
                    instrument=instrument,
                    instrument_code=instrument.code,
                    timepoint=timepoint,
                    date=when,
                    mode=Administration.Mode.STAFF,
                    entered_by=self.facilitator,
                    score=result.value,
                    answered_n=result.answered_n,
                    missing_n=result.missing_n,
                    is_complete=result.is_complete,
                )
            )
            answer_sets.append(answers)
        administrations = Administration.objects.bulk_create(administrations, batch_size=1000)
        item_ids = {
            key: dict(instrument.items.values_list("number", "pk"))
            for key, (instrument, _items) in instruments.items()
        }
        code_to_key = {instruments[key][0].code: key for key in instruments}
        Answer.objects.bulk_create(
            (
                Answer(
                    administration=a,
                    item_id=item_ids[code_to_key[a.instrument_code]][number],
                    value=value,
                )
                for a, answers in zip(administrations, answer_sets, strict=True)
                for number, value in answers.items()
            ),
            batch_size=2000,
        )
        self.counts["administrations"] = self.counts.get("administrations", 0) + len(
            administrations
        )

    # --- the rest -----------------------------------------------------------------------

    def _feedback(self, program: Program, held: list[Session]) -> None:
        questions = len(program.session_feedback_questions or []) or 3
        forms = []
        for session in held:
            for _ in range(self.rng.randint(*self.t.feedback_forms)):
                forms.append(
                    SessionFeedback(
                        session=session,
                        ratings={
                            str(q): self.rng.choices([2, 3, 4, 5], weights=[1, 3, 10, 14])[0]
                            for q in range(1, questions + 1)
                        },
                        comment=self.rng.choice(COMMENTS),
                    )
                )
        SessionFeedback.objects.bulk_create(forms, batch_size=1000)

    def _referrals(self, people: list[_Person], partners: list[Partner], program) -> None:
        rng = self.rng
        rows = []
        for person in people:
            if rng.random() >= self.t.referred:
                continue
            session = rng.choice(person.sessions[:12])
            rows.append(
                Referral(
                    participant=person.participant,
                    partner=rng.choice(partners),
                    program=program,
                    date=session.date,
                    reason="Discussed in group; participant asked for a referral",
                    status=rng.choices(
                        [s for s, _label in Referral.Status.choices], weights=[2, 3, 6, 1]
                    )[0],
                    created_by=self.coordinator,
                )
            )
        Referral.objects.bulk_create(rows)

    def _current_group(self, volunteers, instruments) -> None:
        """One group of the follow-on program meeting this week, on today's weekday."""
        start_of_program = date(PROGRAM_START.year + self.t.years, 4, 1)
        program = self._program(
            CURRENT_CODE, "Peer circles — current groups (synthetic)", start_of_program, None
        )
        self._link_instruments(program, ("gse", "swemwbs"))
        start = max(self.today - timedelta(weeks=5), start_of_program)
        cohort = self._cohort(
            program,
            "circle-now-1",
            start,
            start.weekday(),
            [volunteers[0], volunteers[2]],
        )
        people = self._group(cohort, 1, self.t.current_group_size)
        self._attendance(people)
        t = self.t
        pre = [
            (person, key, "pre", round(self.rng.gauss(mean, sd)))
            for person in people
            for key, mean, sd in (
                ("gse", self._gse_post_mean(1) - t.gse_gain, t.gse_post_sd),
                ("swemwbs", t.wellbeing_pre, t.wellbeing_pre_sd),
            )
            if person.enrollment.enrolled_on < self.today
        ]
        self._store_surveys(pre, instruments)
