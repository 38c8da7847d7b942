from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from peersupport.models import AuditEntry
from programs import services, volunteers
from programs.models import Program, Volunteer
from programs.services import ModuleSpec, TopicSpec
from programs.templates_catalog import TEMPLATES
from tests.factories import (
    CohortFactory,
    MembershipFactory,
    ModuleFactory,
    ProgramFactory,
    SessionFactory,
    VolunteerFactory,
)

TODAY = date(2024, 6, 1)


def _fields(**extra):
    return {"code": "bw", "name": "Be Well", "start_date": date(2024, 4, 1), **extra}


# --- templates --------------------------------------------------------------------------


@pytest.mark.django_db
def test_twenty_week_template_has_six_week_voices_module_then_fourteen_week_circle(
    org, coordinator
):
    program = services.program_create_from_template(
        organisation=org,
        template_key="peer-support-20",
        code="ps",
        name="",
        start_date=date(2024, 4, 1),
        by=coordinator,
    )
    modules = list(program.modules.values_list("order", "name", "weeks"))
    assert modules == [(1, "Finding our Voices", 6), (2, "Growth circle", 14)]
    assert program.total_weeks == 20
    assert list(program.topics.values_list("week", flat=True)) == list(range(1, 21))
    assert program.status == Program.Status.PLANNED
    assert program.name == "20-week peer support program"


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(TEMPLATES))
def test_every_template_has_one_topic_for_each_week(key, org, coordinator):
    template = TEMPLATES[key]
    assert len(template.topics) == template.total_weeks
    program = services.program_create_from_template(
        organisation=org, template_key=key, code=key, name="X", start_date=TODAY, by=coordinator
    )
    assert program.topics.count() == program.total_weeks == template.total_weeks


def test_counsellor_training_template_lasts_ten_weeks():
    assert TEMPLATES["peer-counsellor-10"].total_weeks == 10


@pytest.mark.django_db
def test_template_creation_is_audited_with_the_template_key(org, coordinator):
    program = services.program_create_from_template(
        organisation=org,
        template_key="peer-counsellor-10",
        code="pc",
        name="Counsellors",
        start_date=TODAY,
        by=coordinator,
    )
    entry = AuditEntry.objects.get(object_type="programs.Program", object_id=str(program.pk))
    assert entry.action == "program.create"
    assert entry.detail == {"template": "peer-counsellor-10"}
    assert entry.changes["code"] == [None, "pc"]
    # One entry per module and per topic as well.
    assert AuditEntry.objects.filter(object_type="programs.Module").count() == 2
    assert AuditEntry.objects.filter(object_type="programs.CurriculumTopic").count() == 10


@pytest.mark.django_db
def test_template_with_a_code_already_used_creates_nothing(org, coordinator):
    ProgramFactory(organisation=org, code="ps")
    with pytest.raises(ValidationError) as error:
        services.program_create_from_template(
            organisation=org,
            template_key="peer-support-20",
            code="ps",
            name="",
            start_date=TODAY,
            by=coordinator,
        )
    assert "code" in error.value.message_dict
    assert Program.objects.count() == 1


@pytest.mark.django_db
def test_unknown_template_is_refused(org, coordinator):
    with pytest.raises(ValidationError):
        services.program_create_from_template(
            organisation=org,
            template_key="nope",
            code="x",
            name="",
            start_date=TODAY,
            by=coordinator,
        )


@pytest.mark.django_db
def test_same_code_in_another_organisation_is_fine(org, other_org, coordinator):
    ProgramFactory(organisation=other_org, code="ps")
    program = services.program_create_from_template(
        organisation=org,
        template_key="health-educator-8",
        code="ps",
        name="",
        start_date=TODAY,
        by=coordinator,
    )
    assert program.organisation == org


# --- structure rules --------------------------------------------------------------------


def test_a_program_needs_at_least_one_module():
    assert "modules" in services.structure_errors(modules=[], topics=[])


def test_topic_after_the_last_week_is_an_error_naming_the_week():
    errors = services.structure_errors(
        modules=[ModuleSpec("A", 2)], topics=[TopicSpec(1, "a"), TopicSpec(3, "c")]
    )
    assert errors == {"topics": ["Week 3 is outside the program, which has 2 weeks."]}


def test_two_topics_in_one_week_is_an_error():
    errors = services.structure_errors(
        modules=[ModuleSpec("A", 2)], topics=[TopicSpec(2, "a"), TopicSpec(2, "b")]
    )
    assert errors == {"topics": ["Week 2 has more than one topic."]}


def test_program_ending_before_one_full_cohort_could_finish_is_an_error():
    modules = [ModuleSpec("A", 6), ModuleSpec("B", 14)]
    # 20 weeks from Monday 2024-04-01 end on Sunday 2024-08-18.
    ok = services.structure_errors(
        modules=modules, topics=[], start_date=date(2024, 4, 1), end_date=date(2024, 8, 18)
    )
    short = services.structure_errors(
        modules=modules, topics=[], start_date=date(2024, 4, 1), end_date=date(2024, 8, 17)
    )
    assert ok == {}
    assert list(short) == ["end_date"]
    assert "2024-08-18" in short["end_date"][0]


@pytest.mark.django_db
def test_invalid_structure_saves_nothing(org, coordinator):
    with pytest.raises(ValidationError):
        services.program_create(
            organisation=org,
            fields=_fields(),
            modules=[ModuleSpec("A", 2)],
            topics=[TopicSpec(5, "late")],
            by=coordinator,
        )
    assert not Program.objects.exists()
    assert not AuditEntry.objects.filter(object_type__startswith="programs.").exists()


@pytest.mark.django_db
def test_reordering_modules_keeps_their_identity(org, coordinator):
    program = services.program_create(
        organisation=org,
        fields=_fields(),
        modules=[ModuleSpec("A", 2), ModuleSpec("B", 3)],
        topics=[TopicSpec(1, "one"), TopicSpec(2, "two")],
        by=coordinator,
    )
    a, b = program.modules.all()
    t1, t2 = program.topics.all()
    services.program_update(
        program=program,
        fields=_fields(name="Renamed"),
        modules=[ModuleSpec("B", 3, id=b.pk), ModuleSpec("A", 2, id=a.pk)],
        topics=[TopicSpec(2, "one", id=t1.pk), TopicSpec(1, "two", id=t2.pk)],
        by=coordinator,
    )
    assert list(program.modules.values_list("pk", "order")) == [(b.pk, 1), (a.pk, 2)]
    assert list(program.topics.values_list("pk", "week")) == [(t2.pk, 1), (t1.pk, 2)]
    program.refresh_from_db()
    assert program.name == "Renamed"
    update = AuditEntry.objects.filter(
        object_type="programs.Program", action="program.update"
    ).get()
    assert update.changes == {"name": ["Be Well", "Renamed"]}


@pytest.mark.django_db
def test_module_with_sessions_cannot_be_removed(org, coordinator):
    program = ProgramFactory(organisation=org, start_date=date(2024, 4, 1))
    kept = ModuleFactory(program=program, order=1, weeks=2)
    used = ModuleFactory(program=program, order=2, weeks=2, name="Used")
    SessionFactory(cohort=CohortFactory(program=program), module=used)
    with pytest.raises(ValidationError) as error:
        services.program_update(
            program=program,
            fields=_fields(code=program.code),
            modules=[ModuleSpec(kept.name, 2, id=kept.pk)],
            topics=[],
            by=coordinator,
        )
    assert "Used" in error.value.message_dict["modules"][0]
    assert program.modules.count() == 2


# --- volunteers -------------------------------------------------------------------------


@pytest.mark.django_db
def test_volunteer_cannot_be_screened_without_interview_and_police_check(org, coordinator):
    volunteer = VolunteerFactory(organisation=org, stage=Volunteer.Stage.APPLIED)
    with pytest.raises(ValidationError) as error:
        volunteers.volunteer_set_stage(volunteer=volunteer, stage="screened", by=coordinator)
    assert error.value.message_dict["stage"] == [
        "Record the interview date first.",
        "Record the police check date first.",
    ]
    volunteer.refresh_from_db()
    assert volunteer.stage == Volunteer.Stage.APPLIED


@pytest.mark.django_db
def test_police_check_dated_in_the_future_does_not_count(org, coordinator):
    volunteer = VolunteerFactory(
        organisation=org,
        stage="applied",
        interview_date=date(2024, 5, 1),
        police_check_date=date(2024, 7, 1),
    )
    with pytest.raises(ValidationError):
        volunteers.volunteer_set_stage(
            volunteer=volunteer, stage="screened", by=coordinator, today=TODAY
        )


@pytest.mark.django_db
def test_volunteer_moves_through_the_pipeline_when_each_step_is_done(org, coordinator):
    volunteer = VolunteerFactory(
        organisation=org,
        stage="applied",
        interview_date=date(2024, 5, 1),
        police_check_date=date(2024, 5, 10),
    )
    volunteers.volunteer_set_stage(
        volunteer=volunteer, stage="screened", by=coordinator, today=TODAY
    )
    with pytest.raises(ValidationError) as error:
        volunteers.volunteer_set_stage(
            volunteer=volunteer, stage="trained", by=coordinator, today=TODAY
        )
    assert error.value.message_dict["stage"] == ["Add a training record first."]
    volunteers.training_add(
        volunteer=volunteer, course="Core", hours=Decimal("20"), on=TODAY, by=coordinator
    )
    volunteers.volunteer_set_stage(
        volunteer=volunteer, stage="trained", by=coordinator, today=TODAY
    )
    volunteers.volunteer_set_stage(volunteer=volunteer, stage="active", by=coordinator, today=TODAY)
    volunteers.volunteer_set_stage(volunteer=volunteer, stage="inactive", by=coordinator)
    volunteer.refresh_from_db()
    assert volunteer.stage == "inactive"
    stages = [
        e.changes["stage"]
        for e in AuditEntry.objects.filter(object_type="programs.Volunteer").order_by("pk")
    ]
    assert stages == [
        ["applied", "screened"],
        ["screened", "trained"],
        ["trained", "active"],
        ["active", "inactive"],
    ]


@pytest.mark.django_db
def test_applicant_cannot_jump_to_active_without_training(org, coordinator):
    volunteer = VolunteerFactory(
        organisation=org,
        stage="applied",
        interview_date=date(2024, 5, 1),
        police_check_date=date(2024, 5, 10),
    )
    with pytest.raises(ValidationError):
        volunteers.volunteer_set_stage(
            volunteer=volunteer, stage="active", by=coordinator, today=TODAY
        )


@pytest.mark.django_db
def test_any_volunteer_can_become_inactive(org, coordinator):
    volunteer = VolunteerFactory(organisation=org, stage="applied")
    volunteers.volunteer_set_stage(volunteer=volunteer, stage="inactive", by=coordinator)
    volunteer.refresh_from_db()
    assert volunteer.stage == "inactive"


@pytest.mark.django_db
def test_screening_dates_of_a_screened_volunteer_cannot_be_cleared(org, coordinator):
    volunteer = VolunteerFactory(
        organisation=org,
        stage="screened",
        interview_date=date(2024, 5, 1),
        police_check_date=date(2024, 5, 10),
    )
    with pytest.raises(ValidationError):
        volunteers.volunteer_update(
            volunteer=volunteer, fields={"police_check_date": None}, by=coordinator, today=TODAY
        )
    volunteer.refresh_from_db()
    assert volunteer.police_check_date == date(2024, 5, 10)


@pytest.mark.django_db
def test_last_training_record_of_a_trained_volunteer_stays(org, coordinator):
    volunteer = VolunteerFactory(organisation=org, stage="active")
    training = volunteers.training_add(
        volunteer=volunteer, course="Core", hours=Decimal(10), on=TODAY, by=coordinator
    )
    with pytest.raises(ValidationError):
        volunteers.training_delete(training=training, by=coordinator)
    assert volunteer.trainings.count() == 1


@pytest.mark.django_db
def test_volunteer_can_be_linked_only_to_a_facilitator_of_the_same_organisation(
    org, other_org, coordinator, facilitator, evaluator
):
    foreign_facilitator = MembershipFactory(organisation=other_org, role="facilitator").user
    for user in (coordinator, evaluator, foreign_facilitator):
        with pytest.raises(ValidationError) as error:
            volunteers.volunteer_create(
                organisation=org, fields={"name": "V", "user": user}, by=coordinator
            )
        assert "user" in error.value.message_dict
    volunteer = volunteers.volunteer_create(
        organisation=org, fields={"name": "V", "user": facilitator}, by=coordinator
    )
    assert volunteer.user == facilitator
    assert volunteer.stage == Volunteer.Stage.APPLIED


@pytest.mark.django_db
def test_supervision_notes_are_masked_in_the_audit_log(org, coordinator):
    volunteer = VolunteerFactory(organisation=org)
    volunteers.supervision_add(
        volunteer=volunteer,
        on=TODAY,
        supervisor="Sam",
        hours=Decimal(1),
        notes="Talked about a hard night",
        by=coordinator,
    )
    entry = AuditEntry.objects.get(object_type="programs.SupervisionEntry")
    assert entry.changes["notes"] == ["", "•••"]
    assert entry.organisation == org


@pytest.mark.django_db
def test_closure_date_listed_twice_is_refused(org, coordinator):
    services.closure_date_create(organisation=org, on=TODAY, reason="Holiday", by=coordinator)
    with pytest.raises(ValidationError) as error:
        services.closure_date_create(organisation=org, on=TODAY, reason="Again", by=coordinator)
    assert "date" in error.value.message_dict
