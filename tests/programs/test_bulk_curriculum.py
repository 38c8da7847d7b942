"""Many weeks at once (finding 16): a coordinator pastes one line per module, the whole
entry is checked together and saved in one go, or nothing is saved."""

import pytest
from django.urls import reverse

from programs.forms import parse_bulk_curriculum
from programs.models import CurriculumTopic, Module, Program
from tests.factories import ModuleFactory, ProgramFactory
from tests.programs.test_views import program_data

VOICES = "Finding our Voices | " + "; ".join(
    ["Welcome and safety", "Naming what happened", "Feelings", "Boundaries", "Support", "Closing"]
)
CIRCLE = "Growth circle | 14"


def test_lines_become_modules_and_one_topic_per_week():
    modules, topics, errors = parse_bulk_curriculum(f"{VOICES}\n\n{CIRCLE}\n")
    assert errors == []
    assert [(m.name, m.weeks) for m in modules] == [
        ("Finding our Voices", 6),
        ("Growth circle", 14),
    ]
    assert topics[0] == (1, "Welcome and safety") and topics[-1] == (6, "Closing")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Finding our Voices", "Line 2: separate the module's name"),
        (" | Welcome; Safety", "Line 2: the module has no name"),
        ("Growth circle |", "Line 2: after the “|”, list the topics"),
        ("Growth circle | 0", "Line 2: a module lasts 1 to 200 weeks"),
        ("Growth circle | 900", "Line 2: a module lasts 1 to 200 weeks"),
        ("Growth circle | " + "x" * 201, "Line 2: a topic is longer than 200 characters"),
    ],
)
def test_a_wrong_line_is_named_with_what_is_wrong(line, message):
    _modules, _topics, errors = parse_bulk_curriculum(f"{VOICES}\n{line}")
    assert len(errors) == 1 and errors[0].startswith(message)


@pytest.mark.django_db
def test_a_twenty_week_program_is_created_in_one_round_trip(client_for, coordinator, org):
    data = program_data(modules=(), topics=(), **{"bulk-text": f"{VOICES}\n{CIRCLE}"})
    response = client_for(coordinator).post(reverse("programs:program_create"), data)
    assert response.status_code == 302
    program = Program.objects.get(organisation=org, code="bw")
    assert response["Location"] == reverse("programs:program_detail", args=[program.pk])
    assert list(program.modules.order_by("order").values_list("name", "weeks")) == [
        ("Finding our Voices", 6),
        ("Growth circle", 14),
    ]
    assert program.topics.count() == 6
    assert program.topics.get(week=4).title == "Boundaries"


@pytest.mark.django_db
def test_bulk_weeks_come_after_the_existing_modules_and_topics(client_for, coordinator, org):
    program = ProgramFactory(organisation=org, code="bw")
    intake = ModuleFactory(program=program, order=1, name="Intake", weeks=2)
    data = program_data(
        modules=[(intake.pk, "Intake", 2)],
        topics=[(None, 1, "Getting to know each other")],
        **{"bulk-text": "Skills | Calm; Plan; Ask for help"},
    )
    response = client_for(coordinator).post(
        reverse("programs:program_edit", args=[program.pk]), data
    )
    assert response.status_code == 302
    assert list(program.modules.order_by("order").values_list("name", "weeks")) == [
        ("Intake", 2),
        ("Skills", 3),
    ]
    assert dict(program.topics.values_list("week", "title")) == {
        1: "Getting to know each other",
        3: "Calm",
        4: "Plan",
        5: "Ask for help",
    }


@pytest.mark.django_db
def test_one_wrong_line_saves_nothing_and_says_which_line(client_for, coordinator, org):
    data = program_data(modules=(), topics=(), **{"bulk-text": f"{VOICES}\nGrowth circle 14"})
    response = client_for(coordinator).post(reverse("programs:program_create"), data)
    assert response.status_code == 200
    errors = response.context["editor"].bulk.errors["text"]
    assert errors[0].startswith("Line 2: separate the module's name")
    assert not Program.objects.exists()
    assert not Module.objects.exists() and not CurriculumTopic.objects.exists()


@pytest.mark.django_db
def test_bulk_weeks_count_against_the_programs_end_date(client_for, coordinator, org):
    data = program_data(
        modules=(), topics=(), end_date="2024-06-30", **{"bulk-text": f"{VOICES}\n{CIRCLE}"}
    )
    response = client_for(coordinator).post(reverse("programs:program_create"), data)
    assert response.status_code == 200
    assert "could finish its 20 weeks" in response.context["editor"].form.errors["end_date"][0]
    assert not Program.objects.exists()
