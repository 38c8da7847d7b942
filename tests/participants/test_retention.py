"""Retention and purge on the organisation's schedule: identifying details and free text
go, the pseudonymous records and every figure stay."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from evaluation import figures
from exports import privacy
from exports import services as export_services
from exports.base import ExportOptions
from participants import services
from participants.models import Enrollment, Participant
from participants.selectors import retention_due
from participants.tasks import purge_due_records
from peersupport.models import AuditEntry
from tests.evaluation.figures_data import administer
from tests.factories import (
    AttendanceFactory,
    CohortFactory,
    EnrollmentFactory,
    OrganisationFactory,
    ParticipantFactory,
    ProgramFactory,
    ProgramInstrumentFactory,
    ReferralFactory,
    SessionFactory,
    make_instrument,
)

pytestmark = pytest.mark.django_db

PER_COHORT = 6
#: Five program years (2019-04-01 .. 2024-03-31), computed as of this day.
REPORT_DAY = date(2024, 3, 1)
#: With 24 months kept, a purge on this day reaches enrollments ended by 2021-07-01:
#: those of years 1 and 2 (they end 2019-07-30 and 2020-07-30), not year 3 (2021-07-30).
PURGE_DAY = date(2023, 7, 1)


def _five_years(org):
    """One cohort a year for five years, six people each, every one completed 90 days after
    the cohort started, with attendance, a scored GSE pre and post, exit notes and a
    referral. ``P-Y1-0`` came back in year 4 (so her details are still needed)."""
    program = ProgramFactory(organisation=org, code="FIVE", start_date=date(2019, 4, 1))
    gse = make_instrument(organisation=org, code="GSE", target_score=10)
    ProgramInstrumentFactory(program=program, instrument_code="GSE", target_pct=50.0)
    people = {}
    for year in range(1, 6):
        start = date(2018 + year, 5, 1)
        cohort = CohortFactory(program=program, code=f"Y{year}", start_date=start)
        sessions = [
            SessionFactory(cohort=cohort, number=n, date=start + timedelta(weeks=n - 1))
            for n in (1, 2, 3)
        ]
        for i in range(PER_COHORT):
            code = f"P-Y{year}-{i}"
            person = people.get(code) or ParticipantFactory(
                organisation=org,
                code=code,
                preferred_name=f"Name {code}",
                legal_name=f"Legal {code}",
                phone="555-0100",
                safe_contact="Text only after 6 pm",
                referral_source="Her cousin",
                gender_identity="woman",
                birth_year=1980 + i,
            )
            people[code] = person
            enrollment = EnrollmentFactory(
                cohort=cohort,
                participant=person,
                status=Enrollment.Status.COMPLETED,
                exit_date=start + timedelta(days=90),
                exit_reason="Finished",
                exit_notes="Moved in with her sister",
            )
            for session in sessions[: 1 + (i % 3)]:
                AttendanceFactory(session=session, enrollment=enrollment)
            administer(enrollment, gse, "pre", [1, 2, 1 + i % 4, 2], start)
            administer(enrollment, gse, "post", [3, 3, 4 - i % 3, 2 + year % 3], start)
            ReferralFactory(participant=person, reason="Housing search", date=start)
    # She came back in year 4: her last enrollment ended in 2022.
    year4 = program.cohorts.get(code="Y4")
    EnrollmentFactory(
        cohort=year4,
        participant=people["P-Y1-0"],
        status=Enrollment.Status.COMPLETED,
        exit_date=year4.start_date + timedelta(days=90),
    )
    return program, people


def _dataset(program):
    options = ExportOptions(min_cell=5, pseudonym_key=privacy.pseudonym_key("five-years"))
    return list(export_services.make_exporter(program, "dataset", options).rows())


def test_a_purge_reaching_years_one_and_two_leaves_the_five_year_report_unchanged(org):
    program, people = _five_years(org)
    org.retention_months = 24
    org.save()
    before = figures.report_all_years(program, today=REPORT_DAY)
    assert [y["year"] for y in before["years"]] == [1, 2, 3, 4, 5]
    assert before["total"]["participants"] == 5 * PER_COHORT
    dataset_before = _dataset(program)

    counts = services.retention_purge(organisation=org, on=PURGE_DAY)

    assert counts["participants"] == 2 * PER_COHORT - 1  # P-Y1-0 came back in year 4
    assert figures.report_all_years(program, today=REPORT_DAY) == before
    assert _dataset(program) == dataset_before
    purged = Participant.objects.filter(identifiers_purged_at__isnull=False)
    assert sorted(purged.values_list("code", flat=True)) == sorted(
        code for code in people if code[3] in "12" and code != "P-Y1-0"
    )
    for person in purged:
        for field in Participant.ERASED_FIELDS:
            assert getattr(person, field) == "", (person.code, field)
        assert person.birth_year is not None  # the pseudonymous record stays
        assert person.enrollments.get().exit_notes == ""
        assert person.referrals.get().reason == ""
    kept = Participant.objects.get(code="P-Y3-0")
    assert kept.legal_name == "Legal P-Y3-0" and kept.identifiers_purged_at is None
    assert Participant.objects.get(code="P-Y1-0").legal_name == "Legal P-Y1-0"


def test_every_purge_is_audited_with_counts_never_content(org):
    _five_years(org)
    org.retention_months = 24
    org.save()
    services.retention_purge(organisation=org, on=PURGE_DAY)
    entry = AuditEntry.objects.get(action="retention.purge")
    assert entry.organisation == org
    assert entry.detail["participants"] == 11
    assert entry.detail["fields_cleared"] == 11 * 5  # names, phone, safe contact, source
    assert entry.detail["exit_notes_cleared"] == 11
    assert entry.detail["referral_reasons_cleared"] == 11
    text = str(entry.detail) + str(entry.changes)
    for secret in ("P-Y1-1", "Name", "Legal", "555-0100", "sister", "Housing"):
        assert secret not in text
    # Nothing more is due: a second run clears nothing and writes no entry.
    assert services.retention_purge(organisation=org, on=PURGE_DAY)["participants"] == 0
    assert AuditEntry.objects.filter(action="retention.purge").count() == 1


def test_no_retention_period_means_nothing_is_ever_due(org):
    _five_years(org)
    assert org.retention_months is None
    assert not retention_due(organisation=org, on=date(2040, 1, 1)).exists()
    assert services.retention_purge(organisation=org, on=date(2040, 1, 1))["participants"] == 0


def test_an_open_enrollment_or_an_erased_record_is_never_due(org, coordinator):
    org.retention_months = 1
    org.save()
    cohort = CohortFactory(program=ProgramFactory(organisation=org), start_date=date(2020, 1, 6))
    open_one = EnrollmentFactory(cohort=cohort, exit_date=None).participant
    ended = EnrollmentFactory(
        cohort=cohort, status="withdrawn", exit_date=date(2020, 2, 1)
    ).participant
    erased = EnrollmentFactory(
        cohort=cohort, status="completed", exit_date=date(2020, 2, 1)
    ).participant
    services.participant_erase(participant=erased, by=coordinator)
    due = list(retention_due(organisation=org, on=date(2024, 1, 1)))
    assert due == [ended]
    assert open_one not in due


def test_the_nightly_job_purges_each_organisation_on_its_own_schedule(org):
    other = OrganisationFactory()
    org.retention_months = 12
    org.save()
    cohort = CohortFactory(program=ProgramFactory(organisation=org), start_date=date(2020, 1, 6))
    mine = EnrollmentFactory(
        cohort=cohort, status="completed", exit_date=date(2020, 3, 1)
    ).participant
    theirs_cohort = CohortFactory(
        program=ProgramFactory(organisation=other), start_date=date(2020, 1, 6)
    )
    theirs = EnrollmentFactory(
        cohort=theirs_cohort, status="completed", exit_date=date(2020, 3, 1)
    ).participant
    assert purge_due_records.apply().get() == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.preferred_name == "" and mine.identifiers_purged_at is not None
    assert theirs.preferred_name != "" and theirs.identifiers_purged_at is None
    schedule = settings.CELERY_BEAT_SCHEDULE["participants-retention-purge"]
    assert schedule["task"] == "participants.tasks.purge_due_records"


# --- the preview page -----------------------------------------------------------------------


def _ended_long_ago(org, n):
    cohort = CohortFactory(program=ProgramFactory(organisation=org), start_date=date(2020, 1, 6))
    return [
        EnrollmentFactory(
            cohort=cohort,
            status="completed",
            exit_date=date(2020, 3, 1),
            participant=ParticipantFactory(organisation=org, preferred_name=f"Hidden {i}"),
        ).participant
        for i in range(n)
    ]


def test_the_preview_lists_codes_and_counts_never_names(client_for, coordinator, org):
    org.retention_months = 24
    org.save()
    people = _ended_long_ago(org, 3)
    page = client_for(coordinator).get(reverse("participants:retention")).content.decode()
    for person in people:
        assert person.code in page
    assert "Hidden" not in page
    assert "3 participants whose last enrollment ended" in page
    # The preview changes nothing.
    assert not Participant.objects.filter(identifiers_purged_at__isnull=False).exists()


def test_the_retention_period_is_set_on_the_page_and_audited(client_for, coordinator, org):
    c = client_for(coordinator)
    response = c.post(reverse("participants:retention"), {"retention_months": "0"})
    assert response.status_code == 200
    assert "from 1 to 1200" in " ".join(response.context["form"].errors["retention_months"])
    response = c.post(
        reverse("participants:retention"),
        {"retention_months": "36", "erasure_keeps_scores": "on"},
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.retention_months, org.erasure_keeps_scores) == (36, True)
    entry = AuditEntry.objects.get(action="retention.policy_update")
    assert entry.changes["retention_months"] == [None, 36]


def test_the_preview_query_count_does_not_grow(
    client_for, coordinator, org, django_assert_max_num_queries
):
    org.retention_months = 24
    org.save()
    c = client_for(coordinator)
    for size in (2, 20):
        _ended_long_ago(org, size)
        # 1-3 session, user, memberships; 4 the organisation's policy; 5 the due codes;
        # 6-7 the audit entry (chain head, insert); 8-10 savepoint, session refresh,
        # release.
        with django_assert_max_num_queries(10):
            response = c.get(reverse("participants:retention"))
        assert response.context["due_count"] in (2, 22)


@pytest.mark.parametrize(
    "day, months, cutoff",
    [
        (date(2023, 7, 1), 24, date(2021, 7, 1)),
        (date(2024, 5, 31), 3, date(2024, 2, 29)),  # February is shorter: its last day
        (date(2024, 1, 15), 1, date(2023, 12, 15)),  # across the year
    ],
)
def test_the_retention_period_counts_calendar_months(org, day, months, cutoff):
    from participants.selectors import retention_cutoff

    org.retention_months = months
    assert retention_cutoff(organisation=org, on=day) == cutoff


def test_the_command_purges_what_is_due_and_a_dry_run_changes_nothing(org):
    import io

    from django.core.management import call_command

    org.retention_months = 12
    org.save()
    people = _ended_long_ago(org, 2)
    out = io.StringIO()
    call_command("purge_retention", "--dry-run", stdout=out)
    assert out.getvalue() == f"{org.slug}: 2 due\n"
    assert Participant.objects.get(pk=people[0].pk).preferred_name == "Hidden 0"
    out = io.StringIO()
    call_command("purge_retention", stdout=out)
    assert out.getvalue() == f"{org.slug}: 2 purged\n"
    assert Participant.objects.get(pk=people[0].pk).preferred_name == ""
    assert "Hidden" not in out.getvalue()


def test_a_cleared_field_of_any_kind_gets_its_empty_value():
    assert services._empty_value("phone") == ""
    assert services._empty_value("birth_year") is None  # a number: its null
