"""Import bundles: exact records and scores, idempotence, and every kind of bad input."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from importer import bundle as bundle_module
from importer.management.commands.import_bundle import Command as ImportBundleCommand
from importer.run import import_bundle
from participants.models import Consent, Enrollment, Participant, ParticipantNameTerm
from participants.name_index import name_digests
from participants.services import consent_add
from peersupport.models import AuditEntry
from programs.models import Cohort, Module, Program
from sessions.models import Attendance, Session
from surveys.models import Administration, Answer, Instrument, InstrumentItem, ProgramInstrument
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    OrganisationFactory,
    ParticipantFactory,
    ProgramFactory,
    SessionFactory,
)
from tests.importer.import_bundles import SECRET_NAME, VALID, changed, write_folder, write_zip

pytestmark = pytest.mark.django_db

MODELS = [
    Program,
    Module,
    Instrument,
    InstrumentItem,
    ProgramInstrument,
    Cohort,
    Session,
    Participant,
    Consent,
    Enrollment,
    Attendance,
    Administration,
    Answer,
]


def record_counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def run(org, tmp_path, files, **kwargs):
    return import_bundle(path=write_folder(tmp_path / "bundle", files), organisation=org, **kwargs)


def problems_of(org, tmp_path, files) -> list[str]:
    before = record_counts()
    report = run(org, tmp_path, files)
    assert not report.saved
    assert record_counts() == before, "a bundle with a problem must save nothing"
    lines = report.problem_lines()
    assert all(SECRET_NAME not in line for line in lines)
    return lines


# --- a valid bundle ---------------------------------------------------------------------


def test_valid_bundle_creates_every_record_with_exact_counts(org, tmp_path):
    report = run(org, tmp_path, VALID)

    assert report.ok and report.saved
    assert record_counts() == {
        "Program": 1,
        "Module": 2,
        "Instrument": 1,
        "InstrumentItem": 4,
        "ProgramInstrument": 1,
        "Cohort": 1,
        "Session": 3,
        "Participant": 2,
        "Consent": 2,
        "Enrollment": 2,
        "Attendance": 3,
        "Administration": 3,
        "Answer": 12,
    }
    assert {c.file: (c.rows, c.created, c.updated, c.unchanged) for c in report.files.values()} == {
        "programs.csv": (1, 1, 0, 0),
        "modules.csv": (2, 2, 0, 0),
        "instruments.csv": (1, 1, 0, 0),
        "instrument_items.csv": (4, 4, 0, 0),
        "program_targets.csv": (1, 1, 0, 0),
        "cohorts.csv": (1, 1, 0, 0),
        "sessions.csv": (3, 3, 0, 0),
        "participants.csv": (2, 2, 0, 0),
        "enrollments.csv": (2, 2, 0, 0),
        "attendance.csv": (3, 3, 0, 0),
        "survey_responses.csv": (10, 3, 0, 0),
    }


def test_valid_bundle_stores_the_values_it_holds(org, tmp_path):
    run(org, tmp_path, VALID)

    program = Program.objects.get(organisation=org, code="BIY")
    assert program.start_date == date(2020, 4, 1)
    cohort = Cohort.objects.get(code="C1")
    assert (cohort.organisation_id, cohort.program_id) == (org.pk, program.pk)
    assert cohort.weekday == 0  # 2020-05-04 is a Monday
    instrument = Instrument.objects.get(organisation=org, code="GSE")
    assert (instrument.version, instrument.is_current, instrument.max_missing) == (1, True, 1)
    assert instrument.target_score == 12
    assert list(instrument.items.filter(reverse=True).values_list("number", flat=True)) == [4]
    assert ProgramInstrument.objects.get(program=program).target_pct == 75
    first = Session.objects.get(cohort=cohort, number=1)
    assert (first.status, first.module.order, first.topic) == ("held", 1, "Welcome")
    assert Session.objects.get(cohort=cohort, number=3).status == "cancelled"
    alice = Participant.objects.get(organisation=org, code="P-001")
    assert (alice.preferred_name, alice.birth_year, alice.evaluation_consent) == (
        SECRET_NAME,
        1985,
        "yes",
    )
    assert Participant.objects.get(code="P-002").evaluation_consent == "no"
    withdrawn = Enrollment.objects.get(participant__code="P-002")
    assert (withdrawn.status, withdrawn.exit_date) == ("withdrawn", date(2020, 6, 1))
    assert sorted(
        Attendance.objects.values_list("enrollment__participant__code", "session__number", "status")
    ) == [("P-001", 1, "present"), ("P-001", 2, "late"), ("P-002", 1, "absent")]


def test_fields_a_bundle_does_not_hold_take_their_defaults(org, tmp_path):
    run(org, tmp_path, VALID)
    participant = Participant.objects.get(code="P-001")
    fresh = Participant()
    for field in ("legal_name", "phone", "contact_never", "allow_phone", "allow_text"):
        assert getattr(participant, field) == getattr(fresh, field), field
    assert participant.created_at is not None and participant.updated_at is not None
    session = Session.objects.get(number=1)
    assert (session.notes, session.incident_flagged, session.start_time) == ("", False, None)
    enrollment = Enrollment.objects.get(participant=participant)
    assert (enrollment.exit_reason, enrollment.applied_on) == ("", None)
    consent = Consent.objects.get(participant=participant)
    assert (consent.partner_id, consent.withdrawn_on, consent.recorded_by_id) == (None, None, None)


def test_survey_scores_follow_the_spec_reverse_items_and_pro_rating(org, tmp_path):
    run(org, tmp_path, VALID)

    def administration(code, timepoint):
        return Administration.objects.get(
            enrollment__participant__code=code, instrument_code="GSE", timepoint=timepoint
        )

    pre = administration("P-001", "pre")
    # 2 + 3 + 4 + reversed 1 (1 + 4 - 1 = 4)
    assert (pre.score, pre.answered_n, pre.missing_n, pre.is_complete) == (13.0, 4, 0, True)
    assert pre.date == date(2020, 5, 4)
    post = administration("P-001", "post")
    # one item missing, max_missing 1: mean of 4, 4, 3 times four items
    assert post.score == (4 + 4 + 3) / 3 * 4
    assert (post.answered_n, post.missing_n, post.is_complete) == (3, 1, True)
    assert post.answers.get(item__number=4).value is None
    unscored = administration("P-002", "pre")
    assert (unscored.score, unscored.answered_n, unscored.missing_n) == (None, 2, 2)
    assert unscored.is_complete is False


def test_import_is_audited_with_counts_and_file_names_only(org, tmp_path):
    run(org, tmp_path, VALID)

    entry = AuditEntry.objects.get(action="import.confirm")
    assert entry.organisation == org
    assert entry.detail["counts"]["attendance.csv"]["created"] == 3
    assert "participants.csv" in entry.detail["files"]
    assert SECRET_NAME not in str(entry.detail)


def test_importing_the_same_bundle_twice_leaves_the_same_records(org, tmp_path):
    run(org, tmp_path, VALID)
    first = record_counts()
    ids = sorted(Attendance.objects.values_list("id", flat=True))
    scores = sorted(Administration.objects.values_list("id", "score"), key=lambda r: r[0])

    report = run(org, tmp_path, VALID)

    assert report.saved
    assert record_counts() == first
    assert sorted(Attendance.objects.values_list("id", flat=True)) == ids
    assert sorted(Administration.objects.values_list("id", "score"), key=lambda r: r[0]) == scores
    assert all(c.created == 0 and c.updated == 0 for c in report.files.values())
    assert report.files["attendance.csv"].unchanged == 3
    assert report.files["survey_responses.csv"].unchanged == 3


def test_changed_rows_are_updated_in_place(org, tmp_path):
    run(org, tmp_path, VALID)
    alice = Participant.objects.get(code="P-001")
    attendance = VALID["attendance.csv"].replace("P-001,C1,2,late", "P-001,C1,2,absent")
    surveys = VALID["survey_responses.csv"].replace(
        "P-001,C1,GSE,pre,2020-05-04,1,2", "P-001,C1,GSE,pre,2020-05-04,1,4"
    )

    report = run(org, tmp_path, changed(attendance_csv=attendance, survey_responses_csv=surveys))

    counts = report.files["attendance.csv"]
    assert (counts.created, counts.updated, counts.unchanged) == (0, 1, 2)
    assert Attendance.objects.get(session__number=2).status == "absent"
    assert Participant.objects.get(code="P-001").pk == alice.pk
    pre = Administration.objects.get(enrollment__participant=alice, timepoint="pre")
    assert pre.score == 15.0
    assert report.files["survey_responses.csv"].updated == 1


def test_consent_set_by_an_import_is_recorded_and_survives_later_consents(
    org, tmp_path, coordinator
):
    user = coordinator
    run(org, tmp_path, VALID, actor=user)

    recorded = {
        c.participant.code: (c.kind, c.given, c.text_version, c.recorded_by_id)
        for c in Consent.objects.select_related("participant")
    }
    assert recorded == {
        "P-001": ("evaluation", True, "import", user.pk),
        "P-002": ("evaluation", False, "import", user.pk),
    }
    # The same bundle again records nothing new; a changed consent records the change.
    run(org, tmp_path, VALID)
    assert Consent.objects.count() == 2
    participants = VALID["participants.csv"].replace("P-002,no,", "P-002,yes,")
    run(org, tmp_path, changed(participants_csv=participants))
    latest = Consent.objects.filter(participant__code="P-002").latest("id")
    assert (latest.given, Consent.objects.count()) == (True, 3)
    # A consent to take part added later keeps the imported consent to evaluation use.
    alice = Participant.objects.get(code="P-001")
    consent_add(
        participant=alice, kind="participation", given=True, on=date(2030, 1, 1),
        text_version="v2", by=user,
    )  # fmt: skip
    alice.refresh_from_db()
    assert alice.evaluation_consent == "yes"


def test_dry_run_counts_but_saves_nothing(org, tmp_path):
    report = run(org, tmp_path, VALID, dry_run=True)

    assert report.ok and not report.saved
    assert report.files["attendance.csv"].created == 3
    assert all(n == 0 for n in record_counts().values())
    assert not AuditEntry.objects.filter(action="import.confirm").exists()


def test_codes_may_refer_to_records_already_in_the_database(org, tmp_path):
    program = ProgramFactory(organisation=org, code="OLD")
    cohort = CohortFactory(program=program, code="old-1")
    session = SessionFactory(cohort=cohort, number=1)
    enrollment = EnrollmentFactory(cohort=cohort, participant__code="P-900")
    ParticipantFactory(organisation=org, code="P-901")
    files = {
        "sessions.csv": "cohort_code,session_number,date,status\nold-1,2,2020-05-11,held\n",
        "enrollments.csv": (
            "participant_code,cohort_code,enrolled_on,status\nP-901,old-1,2020-05-04,enrolled\n"
        ),
        "attendance.csv": (
            "participant_code,cohort_code,session_number,status\n"
            "P-900,old-1,1,present\nP-900,old-1,2,late\nP-901,old-1,2,present\n"
        ),
    }

    report = run(org, tmp_path, files)

    assert report.saved, report.problem_lines()
    assert Attendance.objects.get(session=session, enrollment=enrollment).status == "present"
    assert Attendance.objects.filter(session__cohort=cohort).count() == 3
    assert Enrollment.objects.filter(cohort=cohort).count() == 2


def test_another_organisations_codes_are_unknown(org, other_org, tmp_path):
    CohortFactory(program=ProgramFactory(organisation=other_org), code="theirs")
    lines = problems_of(
        org,
        tmp_path,
        {"sessions.csv": "cohort_code,session_number,date,status\ntheirs,1,2020-05-04,held\n"},
    )
    assert lines == ["sessions.csv:2: unknown cohort_code 'theirs'."]


def test_bom_and_csvs_in_one_folder_of_a_zip_are_accepted(org, tmp_path):
    files = {name: "\ufeff" + content for name, content in VALID.items()}
    path = write_zip(tmp_path / "bundle.zip", files, sub="records-2020")

    report = import_bundle(path=path, organisation=org)

    assert report.saved, report.problem_lines()
    assert Attendance.objects.count() == 3


def test_column_order_is_free(org, tmp_path):
    participants = (
        "preferred_name,birth_year,consent_evaluation,participant_code\n"
        f"{SECRET_NAME},1985,yes,P-001\nAnother Person,,no,P-002\n"
    )
    report = run(org, tmp_path, changed(participants_csv=participants))
    assert report.saved
    assert Participant.objects.get(code="P-001").birth_year == 1985


# --- bad input: each one a clear report, nothing saved ------------------------------------


def test_bad_date_is_reported(org, tmp_path):
    sessions = VALID["sessions.csv"].replace("C1,2,2020-05-11", "C1,2,2020-13-11")
    assert problems_of(org, tmp_path, changed(sessions_csv=sessions)) == [
        "sessions.csv:3: date must be a date written YYYY-MM-DD, not '2020-13-11'."
    ]


def test_non_iso_date_is_reported(org, tmp_path):
    cohorts = VALID["cohorts.csv"].replace("2020-05-04", "04/05/2020")
    assert problems_of(org, tmp_path, changed(cohorts_csv=cohorts)) == [
        "cohorts.csv:2: start_date must be a date written YYYY-MM-DD, not '04/05/2020'."
    ]


def test_unknown_code_is_reported_with_the_participant_code(org, tmp_path):
    enrollments = VALID["enrollments.csv"].replace("P-002,C1,", "P-002,C9,")
    lines = problems_of(org, tmp_path, changed(enrollments_csv=enrollments))
    assert lines[0] == "enrollments.csv:3: participant P-002: unknown cohort_code 'C9'."
    # P-002's attendance and survey rows now name an enrollment that does not exist
    assert "attendance.csv:4: participant P-002: is not enrolled in cohort 'C1'" in lines[1]


def test_out_of_range_answer_is_reported_and_never_stored(org, tmp_path):
    surveys = VALID["survey_responses.csv"].replace(
        "P-001,C1,GSE,post,2020-08-01,2,4", "P-001,C1,GSE,post,2020-08-01,2,7"
    )
    assert problems_of(org, tmp_path, changed(survey_responses_csv=surveys)) == [
        "survey_responses.csv:7: participant P-001: the answer to item 2 of GSE must be "
        "from 1 to 4."
    ]


def test_attendance_for_someone_not_enrolled_in_that_cohort_is_reported(org, tmp_path):
    cohorts = VALID["cohorts.csv"] + "BIY,C2,2020-09-07,Autumn\n"
    sessions = VALID["sessions.csv"] + "C2,1,2020-09-07,held,,,\n"
    attendance = VALID["attendance.csv"] + "P-002,C2,1,present\n"
    lines = problems_of(
        org,
        tmp_path,
        changed(cohorts_csv=cohorts, sessions_csv=sessions, attendance_csv=attendance),
    )
    assert lines == [
        "attendance.csv:5: participant P-002: is not enrolled in cohort 'C2' "
        "(add the enrollment to enrollments.csv)."
    ]


def test_attendance_at_a_session_that_does_not_exist_is_reported(org, tmp_path):
    attendance = VALID["attendance.csv"] + "P-001,C1,9,present\n"
    assert problems_of(org, tmp_path, changed(attendance_csv=attendance)) == [
        "attendance.csv:5: participant P-001: cohort 'C1' has no session 9."
    ]


def test_attendance_rows_that_repeat_accepted_values_are_checked_like_any_other(org, tmp_path):
    # Rows 2-4 are accepted first; later rows reuse their codes, numbers and statuses in
    # combinations that are wrong (a session C2 does not have, a duplicate) or add a bad
    # value, and each is still reported at its own line.
    cohorts = VALID["cohorts.csv"] + "BIY,C2,2020-09-07,Autumn\n"
    sessions = VALID["sessions.csv"] + "C2,1,2020-09-07,held,,,\n"
    enrollments = VALID["enrollments.csv"] + "P-001,C2,2020-09-07,completed,\n"
    attendance = VALID["attendance.csv"] + (
        "P-001,C2,1,present\n"  # 5: accepted
        "P-001,C2,2,present\n"  # 6: C2 has no session 2, though each value was accepted
        "P-002,C1,2,maybe\n"  # 7: a status never seen
        "P-002,C1, 2 ,absent\n"  # 8: accepted (spaces are trimmed)
        "P-001,C1,1,absent\n"  # 9: the same session as line 2
    )
    lines = problems_of(
        org,
        tmp_path,
        changed(
            cohorts_csv=cohorts,
            sessions_csv=sessions,
            enrollments_csv=enrollments,
            attendance_csv=attendance,
        ),
    )
    assert lines == [
        "attendance.csv:6: participant P-001: cohort 'C2' has no session 2.",
        "attendance.csv:7: participant P-002: status must be one of present, late, absent, "
        "excused, not 'maybe'.",
        "attendance.csv:9: participant P-001: duplicate attendance at session 1 of cohort 'C1' "
        "(first on line 2).",
    ]


def test_attendance_rows_that_repeat_accepted_values_are_saved_with_their_own_status(org, tmp_path):
    attendance = VALID["attendance.csv"] + "P-002,C1,2,late\nP-002,C1,3, Excused\n"
    run(org, tmp_path, changed(attendance_csv=attendance))
    assert sorted(
        Attendance.objects.values_list("enrollment__participant__code", "session__number", "status")
    ) == [
        ("P-001", 1, "present"),
        ("P-001", 2, "late"),
        ("P-002", 1, "absent"),
        ("P-002", 2, "late"),
        ("P-002", 3, "excused"),
    ]


def test_attendance_written_in_several_slices_is_all_saved(org, tmp_path, monkeypatch):
    from importer import attendance

    monkeypatch.setattr(attendance, "COPY_ROWS", 2)  # 3 rows: two slices on PostgreSQL
    run(org, tmp_path, VALID)
    assert sorted(
        Attendance.objects.values_list("enrollment__participant__code", "session__number", "status")
    ) == [("P-001", 1, "present"), ("P-001", 2, "late"), ("P-002", 1, "absent")]


def test_imported_names_are_found_by_name_and_follow_a_rename(org, tmp_path):
    def entries(code):
        return set(
            ParticipantNameTerm.objects.filter(participant__code=code).values_list(
                "digest", flat=True
            )
        )

    run(org, tmp_path, VALID)
    assert entries("P-001") == name_digests(org.pk, SECRET_NAME)
    assert entries("P-002") == name_digests(org.pk, "Another Person")
    renamed = VALID["participants.csv"].replace(SECRET_NAME, "Wren Quietwater")
    report = import_bundle(
        path=write_folder(tmp_path / "again", changed(participants_csv=renamed)), organisation=org
    )
    assert report.saved
    assert entries("P-001") == name_digests(org.pk, "Wren Quietwater")
    assert entries("P-002") == name_digests(org.pk, "Another Person")


def test_duplicate_keys_within_a_file_are_reported(org, tmp_path):
    participants = VALID["participants.csv"] + "P-001,no,Someone Else,\n"
    attendance = VALID["attendance.csv"] + "P-001,C1,1,absent\n"
    surveys = VALID["survey_responses.csv"] + "P-002,C1,GSE,pre,2020-05-04,2,3\n"
    lines = problems_of(
        org,
        tmp_path,
        changed(
            participants_csv=participants, attendance_csv=attendance, survey_responses_csv=surveys
        ),
    )
    assert lines == [
        "participants.csv:4: participant P-001: duplicate participant code (first on line 2).",
        "attendance.csv:5: participant P-001: duplicate attendance at session 1 of cohort 'C1' "
        "(first on line 2).",
        "survey_responses.csv:12: participant P-002: duplicate answer to item 2 of the GSE pre "
        "survey.",
    ]


def test_two_dates_for_one_survey_are_reported(org, tmp_path):
    surveys = VALID["survey_responses.csv"].replace(
        "P-001,C1,GSE,pre,2020-05-04,3,4", "P-001,C1,GSE,pre,2020-05-05,3,4"
    )
    assert problems_of(org, tmp_path, changed(survey_responses_csv=surveys)) == [
        "survey_responses.csv:4: participant P-001: date 2020-05-05 differs from the date on "
        "line 2 for the same GSE pre survey."
    ]


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "sessions.csv",
            "C1,1,2020-05-04,held",
            "C1,1,2020-05-04,done",
            "sessions.csv:2: status must be one of scheduled, held, cancelled, not 'done'.",
        ),
        (
            "attendance.csv",
            "P-001,C1,2,late",
            "P-001,C1,2,here",
            "attendance.csv:3: participant P-001: status must be one of present, late, absent, "
            "excused, not 'here'.",
        ),
        (
            "enrollments.csv",
            "P-001,C1,2020-05-04,completed",
            "P-001,C1,2020-05-04,finished",
            "enrollments.csv:2: participant P-001: status must be one of enrolled, completed, "
            "withdrawn, not 'finished'.",
        ),
        (
            "survey_responses.csv",
            "P-002,C1,GSE,pre,2020-05-04,1,2",
            "P-002,C1,GSE,middle,2020-05-04,1,2",
            "survey_responses.csv:10: participant P-002: timepoint must be one of pre, post, "
            "followup, not 'middle'.",
        ),
    ],
)
def test_bad_status_values_are_reported(org, tmp_path, file, old, new, expected):
    files = dict(VALID)
    files[file] = files[file].replace(old, new)
    lines = problems_of(org, tmp_path, files)
    assert lines[0] == expected


def test_bad_consent_never_echoes_the_preferred_name(org, tmp_path):
    participants = VALID["participants.csv"].replace(
        f"P-001,yes,{SECRET_NAME},1985", f"P-001,maybe,{SECRET_NAME},19x5"
    )
    lines = problems_of(org, tmp_path, changed(participants_csv=participants))
    assert lines == [
        "participants.csv:2: participant P-001: consent_evaluation must be one of yes, no, "
        "not 'maybe'.",
        "participants.csv:2: participant P-001: birth_year must be a whole number from 1900 "
        f"to {date.today().year}.",
    ]


def test_missing_required_column_is_reported(org, tmp_path):
    attendance = "participant_code,cohort_code,session_number\nP-001,C1,1\n"
    assert problems_of(org, tmp_path, changed(attendance_csv=attendance)) == [
        "attendance.csv:1: missing required column 'status'."
    ]


def test_unknown_column_is_reported_by_name(org, tmp_path):
    participants = VALID["participants.csv"].replace("birth_year\n", "birth_year,nickname\n", 1)
    participants = participants.replace(",1985\n", ",1985,x\n").replace("Person,\n", "Person,,\n")
    lines = problems_of(org, tmp_path, changed(participants_csv=participants))
    assert lines[0].startswith("participants.csv:1: unknown column 'nickname'; this file has")


def test_non_utf8_file_is_reported_at_its_line(org, tmp_path):
    participants = (
        "participant_code,consent_evaluation,preferred_name\nP-001,yes,Ann\nP-002,no,Zoé\n"
    ).encode("latin-1")
    lines = problems_of(org, tmp_path, changed(participants_csv=participants))
    assert lines[0] == "participants.csv:3: the file is not UTF-8 text; save it as “CSV UTF-8”."
    # the rest of the file is unread, so P-002's rows elsewhere name an unknown code
    assert lines[1] == "enrollments.csv:3: participant P-002: unknown participant_code 'P-002'."


def test_empty_file_is_reported(org, tmp_path):
    lines = problems_of(org, tmp_path, changed(cohorts_csv=""))
    assert lines[0] == "cohorts.csv:1: the file is empty; it needs a header row."


def test_row_with_too_many_values_is_reported(org, tmp_path):
    cohorts = VALID["cohorts.csv"].replace("Spring circle", "Spring, circle")
    assert problems_of(org, tmp_path, changed(cohorts_csv=cohorts))[0] == (
        "cohorts.csv:2: expected 4 values as in the header, found 5."
    )


def test_unknown_file_name_is_reported(org, tmp_path):
    files = changed()
    files["attendence.csv"] = files.pop("attendance.csv")
    lines = problems_of(org, tmp_path, files)
    assert lines[0].startswith("attendence.csv: unknown file; a bundle holds only")


def test_organisation_column_must_match(org, tmp_path):
    programs = VALID["programs.csv"].replace("safe-harbour", "elsewhere")
    assert problems_of(org, tmp_path, changed(programs_csv=programs))[0] == (
        "programs.csv:2: organisation 'elsewhere' is not the organisation being imported "
        "into (safe-harbour)."
    )


def test_a_problem_in_the_last_file_saves_nothing_from_earlier_files(org, tmp_path):
    surveys = VALID["survey_responses.csv"] + "P-001,C1,GSE,followup,2020-12-01,1,0\n"
    problems_of(org, tmp_path, changed(survey_responses_csv=surveys))
    assert not Program.objects.exists()


def test_every_problem_is_listed_not_only_the_first(org, tmp_path):
    attendance = VALID["attendance.csv"].replace("present", "yes").replace("late", "no")
    lines = problems_of(org, tmp_path, changed(attendance_csv=attendance))
    assert [line.split(":")[1] for line in lines] == ["2", "3"]


# --- zip archives -------------------------------------------------------------------------


def _zip(path, entries):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return path


def _zip_problems(org, path):
    report = import_bundle(path=path, organisation=org)
    assert not report.saved
    assert not Program.objects.exists()
    return report.problem_lines()


def test_zip_entry_that_climbs_out_of_the_folder_is_refused(org, tmp_path):
    path = _zip(tmp_path / "bundle.zip", {**VALID, "../programs.csv": VALID["programs.csv"]})
    assert _zip_problems(org, path) == [
        "bundle.zip: entry '../programs.csv' points outside the bundle folder; refused."
    ]


def test_zip_entry_with_an_absolute_path_is_refused(org, tmp_path):
    path = _zip(tmp_path / "bundle.zip", {"/etc/programs.csv": VALID["programs.csv"]})
    assert _zip_problems(org, path) == [
        "bundle.zip: entry '/etc/programs.csv' points outside the bundle folder; refused."
    ]


def test_zip_bomb_by_compression_ratio_is_refused(org, tmp_path):
    header = "participant_code,cohort_code,session_number,status\n"
    path = _zip(tmp_path / "bundle.zip", {"attendance.csv": header + " " * (50 * 1024 * 1024)})
    lines = _zip_problems(org, path)
    assert lines == [
        "bundle.zip: entry 'attendance.csv' expands more than 200 times; refused as a "
        "possible zip bomb."
    ]


def test_zip_bomb_by_total_size_is_refused(org, tmp_path, monkeypatch):
    monkeypatch.setattr(bundle_module, "MAX_UNCOMPRESSED", 1024)
    path = _zip(tmp_path / "bundle.zip", VALID)
    assert _zip_problems(org, path)[0].startswith("bundle.zip: the archive expands to 0 MB")


def test_zip_with_too_many_entries_is_refused(org, tmp_path, monkeypatch):
    monkeypatch.setattr(bundle_module, "MAX_ENTRIES", 5)
    path = _zip(tmp_path / "bundle.zip", VALID)
    assert _zip_problems(org, path) == [
        "bundle.zip: the archive has 11 entries; at most 5 are accepted."
    ]


def test_a_file_that_is_not_a_zip_is_refused(org, tmp_path):
    path = tmp_path / "bundle.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert _zip_problems(org, path) == ["bundle.zip: this is not a readable .zip file."]


def test_csvs_in_several_folders_are_refused(org, tmp_path):
    path = _zip(
        tmp_path / "bundle.zip",
        {"a/programs.csv": VALID["programs.csv"], "b/modules.csv": VALID["modules.csv"]},
    )
    assert _zip_problems(org, path)[0].startswith("bundle.zip: CSV files are in more than one")


# --- the command --------------------------------------------------------------------------


def test_command_imports_and_reports_counts(org, tmp_path):
    out = io.StringIO()
    call_command(
        "import_bundle", str(write_folder(tmp_path / "b", VALID)), stdout=out, stderr=io.StringIO()
    )
    assert "attendance.csv: 3 rows; records created 3, updated 0, unchanged 0" in out.getvalue()
    assert Attendance.objects.count() == 3


def test_command_does_not_run_the_system_checks(org, tmp_path, monkeypatch):
    # They would load every view of the project: memory the import needs for its rows.
    from django.core import checks

    def refuse(*args, **kwargs):
        raise AssertionError("system checks were run")

    monkeypatch.setattr(checks, "run_checks", refuse)
    out = io.StringIO()
    command = ImportBundleCommand(stdout=out, stderr=io.StringIO())
    # As from the shell (call_command always skips the checks).
    command.run_from_argv(["manage.py", "import_bundle", str(write_folder(tmp_path / "b", VALID))])
    assert "Imported into" in out.getvalue()


def test_command_dry_run_saves_nothing(org, tmp_path):
    out = io.StringIO()
    path = str(write_folder(tmp_path / "b", VALID))
    call_command("import_bundle", path, "--dry-run", stdout=out, stderr=io.StringIO())
    assert "Dry run: nothing was saved." in out.getvalue()
    assert not Program.objects.exists()


def test_command_lists_every_problem_and_fails(org, tmp_path):
    err = io.StringIO()
    attendance = VALID["attendance.csv"].replace("late", "here")
    path = str(write_folder(tmp_path / "b", changed(attendance_csv=attendance)))
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_bundle", path, stdout=io.StringIO(), stderr=err)
    assert "attendance.csv:3: participant P-001: status must be one of" in err.getvalue()
    assert SECRET_NAME not in err.getvalue()
    assert not Program.objects.exists()


def test_command_needs_the_organisation_when_there_are_several(org, other_org, tmp_path):
    path = str(write_folder(tmp_path / "b", VALID))
    with pytest.raises(CommandError, match="--organisation"):
        call_command("import_bundle", path, stdout=io.StringIO(), stderr=io.StringIO())
    call_command(
        "import_bundle",
        path,
        "--organisation",
        "safe-harbour",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert Program.objects.get().organisation == org


def test_command_prints_progress_to_stderr(org, tmp_path):
    err = io.StringIO()
    path = str(write_folder(tmp_path / "b", VALID))
    call_command("import_bundle", path, stdout=io.StringIO(), stderr=err)
    # progress lines go to the process's stderr; the problems stream stays empty
    assert err.getvalue() == ""


def test_other_organisation_is_untouched(org, tmp_path):
    elsewhere = OrganisationFactory(slug="third")
    ParticipantFactory(organisation=elsewhere, code="P-001", preferred_name="Keep Me")
    run(org, tmp_path, VALID)
    assert Participant.objects.get(organisation=elsewhere).preferred_name == "Keep Me"


# --- ready-made instruments named by code -------------------------------------------------


def _library_bundle() -> dict[str, str]:
    files = {
        k: v
        for k, v in VALID.items()
        if k not in ("instruments.csv", "instrument_items.csv", "survey_responses.csv")
    }
    files["program_targets.csv"] = (
        "program_code,instrument_code,target_pct\nBIY,SWEMWBS,50\nBIY,EXIT,60\n"
    )
    # Raw 4+4+4+3+3+3+3 = 24 -> metric 21.54 (Stewart-Brown et al. 2009, HQLO 7:15).
    answers = (4, 4, 4, 3, 3, 3, 3)
    files["survey_responses.csv"] = (
        "participant_code,cohort_code,instrument_code,timepoint,date,item_number,value\n"
        + "".join(f"P-001,C1,SWEMWBS,pre,2020-05-04,{n},{v}\n" for n, v in enumerate(answers, 1))
        + "P-001,C1,EXIT,post,2020-08-01,1,1\n"
    )
    return files


def test_a_bundle_may_name_a_ready_made_instrument_without_defining_it(org, tmp_path):
    report = run(org, tmp_path, _library_bundle())
    assert report.saved, report.problem_lines()
    swemwbs = Instrument.objects.get(organisation=org, code="SWEMWBS")
    assert swemwbs.library_code == "SWEMWBS" and swemwbs.items.count() == 7
    pre = Administration.objects.get(instrument_code="SWEMWBS", timepoint="pre")
    assert pre.score == 21.54
    links = dict(
        ProgramInstrument.objects.filter(program__code="BIY").values_list(
            "instrument_code", "at_pre"
        )
    )
    assert links == {"SWEMWBS": True, "EXIT": False}  # the exit item is asked at post only
    # Importing again adds nothing.
    before = record_counts()
    assert run(org, tmp_path, _library_bundle()).saved
    assert record_counts() == before
    assert Instrument.objects.filter(organisation=org, code="SWEMWBS").count() == 1


def test_items_of_a_ready_made_instrument_the_bundle_does_not_define_are_refused(org, tmp_path):
    files = _library_bundle()
    files["instrument_items.csv"] = (
        "instrument_code,item_number,min_value,max_value,reverse\nSWEMWBS,1,0,4,0\n"
    )
    lines = problems_of(org, tmp_path, files)
    assert any("ready-made instrument whose items come with it" in line for line in lines)
    assert not Instrument.objects.filter(code="SWEMWBS").exists()


def test_optional_columns_are_updated_when_a_bundle_is_imported_again(org, tmp_path):
    run(org, tmp_path, VALID)
    sessions = VALID["sessions.csv"].replace("180,1,Welcome", "120,1,Hello")

    report = run(org, tmp_path, changed(sessions_csv=sessions))

    assert report.saved
    first = Session.objects.get(number=1)
    assert (first.duration_minutes, first.topic) == (120, "Hello")


def test_an_import_counts_the_runs_of_missed_sessions_the_outreach_list_reads(org, tmp_path):
    from sessions import outreach
    from sessions.models import MissedRun

    # P-002 still enrolled: absent at session 1, nothing at session 2 (taken for P-001).
    enrolled = VALID["enrollments.csv"].replace("withdrawn,2020-06-01", "enrolled,")
    assert run(org, tmp_path, {**VALID, "enrollments.csv": enrolled}).saved
    runs = dict(MissedRun.objects.values_list("enrollment__participant__code", "missed"))
    assert runs == {"P-002": 2}
    MissedRun.objects.all().delete()
    outreach.recount(org.cohorts.values_list("pk", flat=True))
    assert dict(MissedRun.objects.values_list("enrollment__participant__code", "missed")) == runs
