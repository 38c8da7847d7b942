"""The demo data: repeatable, idempotent, and shaped like the published evaluation.

The demo is generated from tendencies; these tests check that what comes out, counted
straight from the rows and through the evaluation engine, has the published shape.
"""

from collections import Counter
from datetime import date

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction

from demo.data import CURRENT_CODE, DEMO_PASSWORD, DEMO_SLUG, DEMO_USERS, PROGRAM_CODE, load_demo
from evaluation import figures, periods
from participants.models import Enrollment, Participant
from peersupport.models import Membership, User
from programs.models import Cohort, Program, Volunteer
from sessions.models import Attendance, Session
from surveys.models import Administration
from surveys.scoring import ItemSpec, score

TODAY = date(2026, 11, 23)  # a Monday in Year 6: the five years are all in the past

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    load_demo(today=TODAY)
    return Program.objects.get(organisation__slug=DEMO_SLUG, code=PROGRAM_CODE)


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in ("peersupport", "programs", "participants", "groupsessions", "evaluation")
        for model in apps.get_app_config(app).get_models()
    }


def test_a_second_load_changes_nothing_and_keeps_the_logins(demo):
    before = _row_counts()
    result = load_demo(today=TODAY)
    assert not result.created
    assert _row_counts() == before
    for email, name, role in DEMO_USERS:
        user = User.objects.get(email=email)
        assert user.check_password(DEMO_PASSWORD)
        assert user.name == name
        assert Membership.objects.get(user=user, organisation__slug=DEMO_SLUG).role == role
    assert "synthetic" in demo.organisation.name
    assert "synthetic" in demo.name


def test_the_command_loads_once_then_says_nothing_changed(db, capsys):
    call_command("load_demo")
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "Demo data created (synthetic)." in out
    assert "already present; nothing changed" in out


class _Rollback(Exception):
    pass


def _fingerprint() -> tuple:
    """The demo's records without database ids (sequences do not roll back)."""
    return (
        list(
            Participant.objects.order_by("code").values_list(
                "code", "birth_year", "evaluation_consent", "indigenous_identity"
            )
        ),
        [p.preferred_name for p in Participant.objects.order_by("code")],
        list(
            Enrollment.objects.order_by("participant__code", "cohort__code").values_list(
                "participant__code", "cohort__code", "status", "enrolled_on", "exit_date"
            )
        ),
        sorted(
            Attendance.objects.values_list(
                "session__cohort__code",
                "session__number",
                "enrollment__participant__code",
                "status",
            )
        ),
        sorted(
            Administration.objects.values_list(
                "enrollment__participant__code", "instrument_code", "timepoint", "score"
            ),
            key=repr,
        ),
    )


def test_the_same_seed_gives_the_same_records(db):
    try:
        with transaction.atomic():
            load_demo(today=TODAY, seed=7)
            first = _fingerprint()
            raise _Rollback
    except _Rollback:
        pass
    assert not Participant.objects.exists()
    load_demo(today=TODAY, seed=7)
    assert _fingerprint() == first


def test_five_years_of_three_groups_of_about_20_women_and_their_helpers(demo):
    assert demo.start_date == date(2021, 4, 1)
    assert [(m.name, m.weeks) for m in demo.modules.all()] == [
        ("Finding our Voices", 6),
        ("Growth circle", 14),
    ]
    assert demo.topics.count() == 20
    years = Counter(demo.year_of(c.start_date) for c in demo.cohorts.all())
    assert years == {1: 3, 2: 3, 3: 3, 4: 3, 5: 3}
    assert Session.objects.filter(cohort__program=demo).count() == 15 * 20

    people = Participant.objects.filter(enrollments__cohort__program=demo).distinct()
    assert 280 <= people.count() <= 320
    assert set(people.values_list("gender_identity", flat=True)) == {"woman"}
    consents = Counter(people.values_list("evaluation_consent", flat=True))
    assert consents["yes"] > 0.85 * people.count()
    assert consents["no"] >= 1

    facilitator = User.objects.get(email="facilitator@demo.example")
    volunteer = Volunteer.objects.get(user=facilitator)
    assert volunteer.cohorts.filter(program=demo).count() >= 3
    current = Cohort.objects.get(program__code=CURRENT_CODE, organisation=demo.organisation)
    assert volunteer in current.facilitators.all()
    assert current.sessions.filter(date=TODAY, status=Session.Status.SCHEDULED).exists()

    org = demo.organisation
    assert org.partners.count() >= 8
    assert demo.referrals.count() > 30
    assert org.volunteers.count() >= 6


def test_attendance_rate_counted_from_the_rows_is_about_80_percent(demo):
    """attended / offered, by the spec: held sessions on or after enrolled_on."""
    held = {}
    for cohort_id, day in Session.objects.filter(
        cohort__program=demo, status=Session.Status.HELD
    ).values_list("cohort_id", "date"):
        held.setdefault(cohort_id, []).append(day)
    offered = attended = 0
    attended_by = Counter(
        Attendance.objects.filter(
            enrollment__cohort__program=demo, status__in=Attendance.ATTENDED
        ).values_list("enrollment_id", flat=True)
    )
    for enrollment in Enrollment.objects.filter(cohort__program=demo):
        offered += sum(1 for day in held[enrollment.cohort_id] if day >= enrollment.enrolled_on)
        attended += attended_by[enrollment.pk]
    assert 0.7 < attended / offered < 0.9


def test_engine_shows_the_published_shape(demo):
    report = figures.report_all_years(demo, today=TODAY)
    years = report["years"]
    assert [y["year"] for y in years] == [1, 2, 3, 4, 5]
    assert 280 <= report["total"]["participants"] <= 320
    assert 0.75 <= report["total"]["attendance_rate"] <= 0.88

    gse = [y["instruments"]["GSE"] for y in years]
    pcts = [g["post_meeting_target_pct"] for g in gse]
    assert all(later > earlier for earlier, later in zip(pcts, pcts[1:], strict=False)), pcts
    assert pcts[-1] > gse[-1]["target_pct"] == 75.0

    for year in years:
        # SWEMWBS on the published metric (Stewart-Brown et al. 2009): up several points.
        wellbeing = year["instruments"]["SWEMWBS"]
        assert wellbeing["post_mean"] > wellbeing["pre_mean"] + 3
        # The exit item is asked at post only.
        assert year["instruments"]["EXIT"]["pre_n"] == 0 and year["instruments"]["EXIT"]["post_n"]


def test_demo_uses_the_library_and_labels_its_scores_and_targets(demo):
    from surveys.instruments import score_note
    from surveys.models import Instrument, ProgramInstrument

    swemwbs = Instrument.objects.get(organisation=demo.organisation, code="SWEMWBS")
    assert swemwbs.conversion_table["24"] == 21.54  # Stewart-Brown et al. 2009
    assert score_note(swemwbs) == "Score: metric score."
    gse = Instrument.objects.get(organisation=demo.organisation, code="GSE")
    assert score_note(gse) == (
        "Score: total. Target: at or above 29 (set by your organisation; "
        "the scale has no published cut-off)."
    )
    exit_link = ProgramInstrument.objects.get(program=demo, instrument_code="EXIT")
    assert exit_link.timepoints == ("post",)
    scores = Administration.objects.filter(
        enrollment__cohort__program=demo, instrument_code="SWEMWBS", is_complete=True
    ).values_list("score", flat=True)
    published = {float(v) for v in swemwbs.conversion_table.values()}
    assert set(scores) <= published and len(set(scores)) > 10


def test_the_demo_to_do_list_asks_nobody_for_an_exit_pre(demo):
    from surveys.todo import survey_overview

    rows = survey_overview(cohorts=Cohort.objects.filter(program=demo), on=TODAY)
    # Completed cohorts: at most the few pre surveys the demo skips, never 4 per person.
    enrolled = sum(r["enrolled"] for r in rows)
    assert sum(r["pre_missing"] for r in rows) < 0.1 * enrolled


def test_stored_scores_are_the_scoring_function_of_the_stored_answers(demo):
    administrations = Administration.objects.filter(
        enrollment__cohort__program=demo
    ).select_related("instrument")[:200]
    for administration in administrations:
        instrument = administration.instrument
        items = [
            ItemSpec(i.number, i.min_value, i.max_value, i.reverse)
            for i in instrument.items.order_by("number")
        ]
        answers = {a.item.number: a.value for a in administration.answers.select_related("item")}
        expected = score(
            items,
            answers,
            max_missing=instrument.max_missing,
            conversion_table=instrument.conversion_table or None,
        )
        assert administration.score == expected.value
        assert administration.is_complete == expected.is_complete


def test_the_all_years_total_equals_one_report_over_the_whole_period(demo):
    """The total is added up from the years' tallies; it must be exactly what one report
    over every year's cohorts computes, statistics included."""
    report = figures.report_all_years(demo, today=TODAY)
    years = [y["year"] for y in report["years"]]
    whole = figures.report(demo, periods.all_years_period(demo, years))
    assert report["total"] == {**whole, "year": None}
    assert report["total"]["instruments"]["GSE"]["matched_n"] > 100
