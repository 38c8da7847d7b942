from datetime import date

import pytest
from django.urls import reverse

from peersupport.models import AuditEntry
from programs.models import ClosureDate, Program, SupervisionEntry, Volunteer, VolunteerTraining
from tests.factories import (
    ClosureDateFactory,
    CohortFactory,
    CurriculumTopicFactory,
    ModuleFactory,
    ProgramFactory,
    SessionFactory,
    VolunteerFactory,
)


def program_data(*, modules=(), topics=(), **fields):
    """POST data of the program form: ``modules`` as (id, name, weeks[, delete]) and
    ``topics`` as (id, week, title[, delete])."""
    data = {
        "code": "bw",
        "name": "Be Well",
        "status": "planned",
        "start_date": "2024-04-01",
        "end_date": "",
        "target_population": "",
        "description": "",
        "modules-TOTAL_FORMS": len(modules),
        "modules-INITIAL_FORMS": sum(1 for m in modules if m[0]),
        "modules-MIN_NUM_FORMS": 0,
        "modules-MAX_NUM_FORMS": 1000,
        "topics-TOTAL_FORMS": len(topics),
        "topics-INITIAL_FORMS": sum(1 for t in topics if t[0]),
        "topics-MIN_NUM_FORMS": 0,
        "topics-MAX_NUM_FORMS": 1000,
        **fields,
    }
    for i, (pk, name, weeks, *delete) in enumerate(modules):
        data.update({f"modules-{i}-id": pk or "", f"modules-{i}-name": name})
        data[f"modules-{i}-weeks"] = weeks
        if delete:
            data[f"modules-{i}-DELETE"] = "on"
    for i, (pk, week, title, *delete) in enumerate(topics):
        data.update({f"topics-{i}-id": pk or "", f"topics-{i}-week": week})
        data[f"topics-{i}-title"] = title
        if delete:
            data[f"topics-{i}-DELETE"] = "on"
    return data


# --- programs ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_coordinator_creates_a_program_with_ordered_modules_and_topics(
    client_for, coordinator, org
):
    data = program_data(
        modules=[(None, "Finding our Voices", 6), (None, "Growth circle", 14)],
        topics=[(None, 1, "Welcome"), (None, 7, "Opening the circle")],
    )
    response = client_for(coordinator).post(reverse("programs:program_create"), data)
    assert response.status_code == 302
    program = Program.objects.get(organisation=org, code="bw")
    assert list(program.modules.values_list("order", "name", "weeks")) == [
        (1, "Finding our Voices", 6),
        (2, "Growth circle", 14),
    ]
    assert list(program.topics.values_list("week", "title")) == [
        (1, "Welcome"),
        (7, "Opening the circle"),
    ]
    assert AuditEntry.objects.filter(
        actor=coordinator, object_type="programs.Program", action="program.create"
    ).exists()


@pytest.mark.django_db
def test_topic_after_the_last_week_is_a_form_error_and_nothing_is_saved(client_for, coordinator):
    data = program_data(modules=[(None, "Only", 2)], topics=[(None, 3, "Too late")])
    response = client_for(coordinator).post(reverse("programs:program_create"), data)
    assert response.status_code == 200
    assert "Week 3 is outside the program, which has 2 weeks." in response.text
    assert not Program.objects.exists()


@pytest.mark.django_db
def test_program_without_modules_is_a_form_error(client_for, coordinator):
    response = client_for(coordinator).post(reverse("programs:program_create"), program_data())
    assert response.status_code == 200
    assert "Add at least one module." in response.text
    assert not Program.objects.exists()


@pytest.mark.django_db
def test_end_date_before_start_date_is_an_error_on_the_end_date(client_for, coordinator):
    data = program_data(modules=[(None, "A", 2)], end_date="2024-03-01")
    response = client_for(coordinator).post(reverse("programs:program_create"), data)
    assert response.status_code == 200
    assert response.context["editor"].form.errors["end_date"] == [
        "The end date must be on or after the start date."
    ]
    assert not Program.objects.exists()


@pytest.mark.django_db
def test_end_date_too_early_for_one_cohort_is_an_error(client_for, coordinator):
    data = program_data(modules=[(None, "A", 20)], end_date="2024-06-01")
    response = client_for(coordinator).post(reverse("programs:program_create"), data)
    assert "before a cohort starting on its first day" in response.text
    assert not Program.objects.exists()


@pytest.mark.django_db
def test_code_used_by_another_program_is_a_form_error(client_for, coordinator, org):
    ProgramFactory(organisation=org, code="bw")
    data = program_data(modules=[(None, "A", 2)])
    response = client_for(coordinator).post(reverse("programs:program_create"), data)
    assert response.context["editor"].form.errors["code"] == [
        "Another program of your organisation already uses this code."
    ]
    assert Program.objects.count() == 1


@pytest.mark.django_db
def test_non_numeric_weeks_is_a_form_error(client_for, coordinator):
    data = program_data(modules=[(None, "A", "six")])
    response = client_for(coordinator).post(reverse("programs:program_create"), data)
    assert response.status_code == 200
    assert response.context["editor"].modules.errors[0]["weeks"]
    assert not Program.objects.exists()


@pytest.mark.django_db
def test_editing_removes_a_module_and_renumbers_the_rest(client_for, coordinator, org):
    program = ProgramFactory(organisation=org, code="bw", start_date=date(2024, 4, 1))
    first = ModuleFactory(program=program, order=1, name="First", weeks=2)
    second = ModuleFactory(program=program, order=2, name="Second", weeks=3)
    topic = CurriculumTopicFactory(program=program, week=5, title="Last")
    data = program_data(
        modules=[(first.pk, "First", 2, "delete"), (second.pk, "Second", 3)],
        topics=[(topic.pk, 3, "Last")],
        status="active",
    )
    response = client_for(coordinator).post(
        reverse("programs:program_edit", args=[program.pk]), data
    )
    assert response.status_code == 302, response.context["editor"].form.errors
    assert list(program.modules.values_list("pk", "order")) == [(second.pk, 1)]
    assert list(program.topics.values_list("week", flat=True)) == [3]
    assert AuditEntry.objects.filter(
        object_type="programs.Module", object_id=str(first.pk), action="module.delete"
    ).exists()


@pytest.mark.django_db
def test_removing_a_module_that_has_sessions_is_a_form_error(client_for, coordinator, org):
    program = ProgramFactory(organisation=org, code="bw", start_date=date(2024, 4, 1))
    module = ModuleFactory(program=program, order=1, name="Used", weeks=2)
    keep = ModuleFactory(program=program, order=2, name="Keep", weeks=2)
    SessionFactory(cohort=CohortFactory(program=program), module=module)
    data = program_data(modules=[(module.pk, "Used", 2, "delete"), (keep.pk, "Keep", 2)])
    response = client_for(coordinator).post(
        reverse("programs:program_edit", args=[program.pk]), data
    )
    assert response.status_code == 200
    assert "has sessions scheduled" in response.text
    assert program.modules.count() == 2


@pytest.mark.django_db
def test_program_of_another_organisation_is_not_found(client_for, outsider, org):
    program = ProgramFactory(organisation=org)
    response = client_for(outsider).post(
        reverse("programs:program_edit", args=[program.pk]), program_data()
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_creating_from_a_template_opens_the_new_program_for_review(client_for, coordinator, org):
    response = client_for(coordinator).post(
        reverse("programs:program_from_template"),
        {"template": "peer-support-20", "code": "ps", "name": "", "start_date": "2024-04-01"},
    )
    program = Program.objects.get(organisation=org, code="ps")
    assert response.status_code == 302
    assert response.url == reverse("programs:program_edit", args=[program.pk])
    assert program.total_weeks == 20


@pytest.mark.django_db
def test_template_form_with_missing_start_date_saves_nothing(client_for, coordinator):
    response = client_for(coordinator).post(
        reverse("programs:program_from_template"),
        {"template": "peer-support-20", "code": "ps", "start_date": ""},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["start_date"]
    assert not Program.objects.exists()


# --- closure dates ----------------------------------------------------------------------


@pytest.mark.django_db
def test_closure_dates_are_added_once_and_removed_after_confirming(client_for, coordinator, org):
    c = client_for(coordinator)
    url = reverse("programs:closure_list")
    assert c.post(url, {"date": "2024-12-25", "reason": "Holiday"}).status_code == 302
    again = c.post(url, {"date": "2024-12-25", "reason": "Again"})
    assert again.status_code == 200
    assert again.context["form"].errors["date"] == ["This date is already listed as a closure."]
    closure = ClosureDate.objects.get(organisation=org)
    delete_url = reverse("programs:closure_delete", args=[closure.pk])
    assert c.get(delete_url).status_code == 200
    assert ClosureDate.objects.exists()
    assert c.post(delete_url).status_code == 302
    assert not ClosureDate.objects.exists()
    assert AuditEntry.objects.filter(
        object_type="programs.ClosureDate", action="closure.delete"
    ).exists()


@pytest.mark.django_db
def test_closure_with_a_bad_date_is_a_form_error(client_for, coordinator):
    response = client_for(coordinator).post(
        reverse("programs:closure_list"), {"date": "2024-13-45"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["date"]
    assert not ClosureDate.objects.exists()


# --- volunteers -------------------------------------------------------------------------


@pytest.mark.django_db
def test_coordinator_adds_a_volunteer_linked_to_a_facilitator_account(
    client_for, coordinator, facilitator, org
):
    response = client_for(coordinator).post(
        reverse("programs:volunteer_create"),
        {"name": "Rosa", "user": facilitator.pk, "supervision_every_days": 30},
    )
    volunteer = Volunteer.objects.get(name="Rosa")
    assert response.status_code == 302
    assert (volunteer.organisation, volunteer.user, volunteer.stage) == (
        org,
        facilitator,
        "applied",
    )


@pytest.mark.django_db
def test_volunteer_cannot_be_linked_to_an_evaluator_account(client_for, coordinator, evaluator):
    response = client_for(coordinator).post(
        reverse("programs:volunteer_create"),
        {"name": "Rosa", "user": evaluator.pk, "supervision_every_days": 30},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["user"]
    assert not Volunteer.objects.exists()


@pytest.mark.django_db
def test_screening_a_volunteer_without_a_police_check_shows_what_is_missing(
    client_for, coordinator, org
):
    volunteer = VolunteerFactory(organisation=org, stage="applied", interview_date=date(2024, 1, 5))
    response = client_for(coordinator).post(
        reverse("programs:volunteer_stage", args=[volunteer.pk]), {"stage": "screened"}
    )
    assert response.status_code == 200
    assert "Record the police check date first." in response.text
    volunteer.refresh_from_db()
    assert volunteer.stage == "applied"


@pytest.mark.django_db
def test_training_with_negative_hours_is_a_form_error(client_for, coordinator, org):
    volunteer = VolunteerFactory(organisation=org)
    response = client_for(coordinator).post(
        reverse("programs:training_add", args=[volunteer.pk]),
        {"training-course": "Core", "training-date": "2024-01-01", "training-hours": "-2"},
    )
    assert response.status_code == 200
    assert response.context["training_form"].errors["hours"]
    assert not VolunteerTraining.objects.exists()


@pytest.mark.django_db
def test_supervision_is_recorded_and_removed_after_confirming(client_for, coordinator, org):
    volunteer = VolunteerFactory(organisation=org)
    c = client_for(coordinator)
    c.post(
        reverse("programs:supervision_add", args=[volunteer.pk]),
        {
            "supervision-date": "2024-01-01",
            "supervision-supervisor": "Sam",
            "supervision-hours": "1.5",
        },
    )
    entry = SupervisionEntry.objects.get(volunteer=volunteer)
    assert c.post(reverse("programs:supervision_delete", args=[entry.pk])).status_code == 302
    assert not SupervisionEntry.objects.exists()


@pytest.mark.django_db
def test_volunteer_page_shows_hours_of_the_chosen_program(client_for, coordinator, org):
    program = ProgramFactory(organisation=org, start_date=date(2020, 4, 1))
    volunteer = VolunteerFactory(organisation=org)
    session = SessionFactory(
        cohort=CohortFactory(program=program), date=date(2020, 5, 4), duration_minutes=180
    )
    session.facilitators.add(volunteer)
    response = client_for(coordinator).get(
        reverse("programs:volunteer_detail", args=[volunteer.pk]), {"program": program.pk}
    )
    assert [(r.year, str(r.facilitation)) for r in response.context["hours"]] == [(1, "3.00")]


@pytest.mark.django_db
def test_volunteer_list_filters_by_stage_and_name(client_for, coordinator, org):
    VolunteerFactory(organisation=org, name="Ana", stage="active")
    VolunteerFactory(organisation=org, name="Bea", stage="applied")
    VolunteerFactory(organisation=org, name="Anouk", stage="applied")
    response = client_for(coordinator).get(
        reverse("programs:volunteer_list"), {"q": "an", "stage": "applied"}
    )
    assert [v.name for v in response.context["page"]] == ["Anouk"]


@pytest.mark.django_db
def test_program_list_searches_code_and_name(client_for, coordinator, org, other_org):
    ProgramFactory(organisation=org, code="voices", name="Finding our Voices")
    ProgramFactory(organisation=org, code="pc", name="Peer counsellors")
    ProgramFactory(organisation=other_org, code="voices2", name="Voices elsewhere")
    response = client_for(coordinator).get(reverse("programs:program_list"), {"q": "voice"})
    assert [p.code for p in response.context["page"]] == ["voices"]


# --- query counts -----------------------------------------------------------------------

#: Every signed-in page: 1 session, 2 user, 3 memberships; and at the end the session is
#: saved again (4 savepoint, 5 update, 6 release).
BASE = 6


def _programs(org, n):
    for i in range(n):
        program = ProgramFactory(organisation=org)
        ModuleFactory(program=program, order=1)
        ModuleFactory(program=program, order=2)
        CohortFactory(program=program, code=f"q{org.pk}-{n}-{i}")


def _volunteers(org, n):
    for _i in range(n):
        volunteer = VolunteerFactory(organisation=org)
        SupervisionEntry.objects.create(
            volunteer=volunteer, date=date(2024, 1, 1), supervisor="S", hours=1
        )


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 20])
def test_program_list_query_count_is_constant(
    n, client_for, coordinator, org, django_assert_max_num_queries
):
    _programs(org, n)
    c = client_for(coordinator)
    # BASE + 1 count for the paginator + 1 programs with weeks/modules/cohorts annotated.
    with django_assert_max_num_queries(BASE + 2):
        response = c.get(reverse("programs:program_list"))
    assert response.status_code == 200
    assert len(response.context["page"]) == n


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 20])
def test_program_edit_query_count_is_constant(
    n, client_for, coordinator, org, django_assert_max_num_queries
):
    program = ProgramFactory(organisation=org)
    for i in range(n):
        ModuleFactory(program=program, order=i + 1, weeks=1)
        CurriculumTopicFactory(program=program, week=i + 1)
    c = client_for(coordinator)
    # BASE + 1 program + 1 modules + 1 topics.
    with django_assert_max_num_queries(BASE + 3):
        response = c.get(reverse("programs:program_edit", args=[program.pk]))
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 20])
def test_volunteer_list_query_count_is_constant(
    n, client_for, coordinator, org, django_assert_max_num_queries
):
    _volunteers(org, n)
    c = client_for(coordinator)
    # BASE + 1 count + 1 volunteers with their account and last supervision.
    with django_assert_max_num_queries(BASE + 2):
        response = c.get(reverse("programs:volunteer_list"))
    assert response.status_code == 200
    assert len(response.context["page"]) == n


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 20])
def test_volunteer_detail_query_count_is_constant(
    n, client_for, coordinator, org, django_assert_max_num_queries
):
    program = ProgramFactory(organisation=org, start_date=date(2020, 4, 1))
    volunteer = VolunteerFactory(organisation=org)
    for i in range(n):
        cohort = CohortFactory(program=program, code=f"d{n}-{i}", facilitators=[volunteer])
        SessionFactory(cohort=cohort, date=date(2020, 5, 4)).facilitators.add(volunteer)
        VolunteerTraining.objects.create(
            volunteer=volunteer, course=f"C{i}", hours=1, date=date(2020, 6, 1)
        )
        SupervisionEntry.objects.create(
            volunteer=volunteer, date=date(2020, 7, 1), supervisor="S", hours=1
        )
    c = client_for(coordinator)
    # BASE + 1 volunteer (with account, organisation) + 1 programs + 3 hours (sessions,
    # training, supervision by date) + 1 training list + 1 supervision list + 1 cohorts.
    with django_assert_max_num_queries(BASE + 8):
        response = c.get(reverse("programs:volunteer_detail", args=[volunteer.pk]))
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 20])
def test_closure_list_query_count_is_constant(
    n, client_for, coordinator, org, django_assert_max_num_queries
):
    for i in range(n):
        ClosureDateFactory(organisation=org, date=date(2024, 1, 1 + i))
    c = client_for(coordinator)
    # BASE + 1 count + 1 closure dates.
    with django_assert_max_num_queries(BASE + 2):
        response = c.get(reverse("programs:closure_list"))
    assert response.status_code == 200
    assert len(response.context["page"]) == n
