"""Instruments: creating, editing, versioning once answered, and their pages."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from surveys.instruments import ItemData, instrument_create, instrument_update
from surveys.models import Administration, Instrument
from surveys.services import administration_create, administration_update
from tests.factories import EnrollmentFactory, make_survey_setup

pytestmark = pytest.mark.django_db

FIELDS = {
    "name": "Scale",
    "max_missing": 1,
    "target_score": 10,
    "conversion_table": {},
    "attribution": "Our wording",
    "display": "all",
}


def _items(n=4, low=1, high=4, **kw):
    return [
        ItemData(number=i, min_value=low, max_value=high, text=f"Q{i}", **kw)
        for i in range(1, n + 1)
    ]


def test_editing_an_unanswered_instrument_changes_it_in_place(org, coordinator):
    instrument = instrument_create(
        organisation=org, code="ABC", fields=FIELDS, items=_items(), by=coordinator
    )
    result = instrument_update(
        instrument=instrument, fields=FIELDS | {"name": "Renamed"}, items=_items(5), by=coordinator
    )
    assert result.pk == instrument.pk
    assert (result.version, result.name, result.items.count()) == (1, "Renamed", 5)


def test_renaming_an_answered_instrument_changes_it_in_place(org, coordinator):
    instrument, cohort = make_survey_setup(organisation=org, code="GSE")
    administration_create(
        enrollment=EnrollmentFactory(cohort=cohort),
        instrument=instrument,
        timepoint="pre",
        date=date(2020, 5, 4),
        mode="staff",
        answers={1: 1, 2: 1, 3: 1, 4: 1},
        by=coordinator,
    )
    items = [ItemData.of(i) for i in instrument.items.order_by("number")]
    fields = {"name": "Renamed", "target_score": 3, "max_missing": instrument.max_missing}

    result = instrument_update(instrument=instrument, fields=fields, items=items, by=coordinator)

    assert (result.pk, result.version, result.name) == (instrument.pk, 1, "Renamed")
    changed = [ItemData.of(i) for i in instrument.items.order_by("number")]
    changed[0] = ItemData(**{**changed[0].__dict__, "text": "New wording"})
    again = instrument_update(instrument=result, fields=fields, items=changed, by=coordinator)
    assert again.version == 2


def test_editing_an_answered_instrument_creates_a_new_current_version(org, coordinator):
    instrument, cohort = make_survey_setup(organisation=org, code="GSE", reverse=(1,))
    adm = administration_create(
        enrollment=EnrollmentFactory(cohort=cohort),
        instrument=instrument,
        timepoint="pre",
        date=date(2020, 5, 4),
        mode="staff",
        answers={1: 1, 2: 1, 3: 1, 4: 1},  # 4 + 1 + 1 + 1 = 7
        by=coordinator,
    )
    new = instrument_update(instrument=instrument, fields=FIELDS, items=_items(4), by=coordinator)
    instrument.refresh_from_db()
    assert new.pk != instrument.pk
    assert (new.version, new.is_current, instrument.is_current) == (2, True, False)
    adm.refresh_from_db()
    assert adm.instrument_id == instrument.pk
    # Correcting the old answers still scores them on their own version (item 1 reversed).
    administration_update(administration=adm, answers={1: 2, 2: 1, 3: 1, 4: 1}, by=coordinator)
    adm.refresh_from_db()
    assert adm.score == 6.0
    # Only the current version may be edited.
    with pytest.raises(ValidationError):
        instrument_update(instrument=instrument, fields=FIELDS, items=_items(), by=coordinator)
    # New surveys use the new version.
    second = administration_create(
        enrollment=EnrollmentFactory(cohort=cohort),
        instrument=new,
        timepoint="pre",
        date=date(2020, 5, 4),
        mode="staff",
        answers={1: 1, 2: 1, 3: 1, 4: 1},
        by=coordinator,
    )
    assert second.score == 4.0 and second.instrument_code == "GSE"


@pytest.mark.parametrize(
    ("fields", "items", "key"),
    [
        (FIELDS | {"max_missing": 4}, _items(4), "max_missing"),
        (FIELDS | {"conversion_table": {"4": 1.0}}, _items(4), "conversion_table"),
        (FIELDS | {"max_missing": 1}, _items(2) + [ItemData(3, 0, 1)], "max_missing"),
        (FIELDS, [], "__all__"),
    ],
)
def test_definitions_that_cannot_be_scored_are_refused(org, coordinator, fields, items, key):
    with pytest.raises(ValidationError) as exc:
        instrument_create(organisation=org, code="BAD", fields=fields, items=items, by=coordinator)
    assert key in exc.value.message_dict
    assert not Instrument.objects.filter(code="BAD").exists()


def _form_data(code="NEW", n=3, **extra):
    data = {
        "code": code,
        "name": "New scale",
        "max_missing": "0",
        "target_score": "",
        "conversion_table": "",
        "attribution": "Licensed wording, used with permission",
        "display": "one",
        "items-TOTAL_FORMS": str(n),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for i in range(n):
        data |= {
            f"items-{i}-number": str(i + 1),
            f"items-{i}-text": f"Question {i + 1}",
            f"items-{i}-text_fr": f"Question FR {i + 1}",
            f"items-{i}-min_value": "0",
            f"items-{i}-max_value": "3",
            f"items-{i}-value_labels": "0 = Never; 3 = Always",
            f"items-{i}-value_labels_fr": "0 = Jamais",
        }
    data |= extra
    return data


def test_coordinators_create_instruments_in_the_browser(client_for, coordinator):
    response = client_for(coordinator).post(
        reverse("surveys:instrument_create"), _form_data(**{"items-1-reverse": "on"})
    )
    assert response.status_code == 302
    instrument = Instrument.objects.get(code="NEW")
    items = list(instrument.items.all())
    assert [i.reverse for i in items] == [False, True, False]
    assert items[0].value_labels == {"0": "Never", "3": "Always", "fr": {"0": "Jamais"}}
    assert instrument.display == "one"


def test_evaluators_can_neither_create_nor_edit_instruments(client_for, evaluator, org):
    client = client_for(evaluator)
    response = client.post(
        reverse("surveys:instrument_create"), _form_data(**{"items-1-reverse": "on"})
    )
    assert response.status_code == 403
    assert not Instrument.objects.filter(code="NEW").exists()
    instrument, _cohort = make_survey_setup(organisation=org, code="GSE", n_items=3)
    edit = reverse("surveys:instrument_edit", args=[instrument.pk])
    assert client.post(edit, _form_data(code="GSE", name="Changed")).status_code == 403
    instrument.refresh_from_db()
    assert instrument.name != "Changed"
    # They still read it, without an Edit button.
    page = client.get(reverse("surveys:instrument_detail", args=[instrument.pk]))
    assert page.status_code == 200 and edit not in page.content.decode()


def test_instrument_form_shows_errors_and_saves_nothing(client_for, coordinator):
    data = _form_data(
        **{"items-1-max_value": "0", "items-2-value_labels": "seven", "conversion_table": "x"}
    )
    response = client_for(coordinator).post(reverse("surveys:instrument_create"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The highest value must be above the lowest." in html
    assert "number = value" in html
    assert not Instrument.objects.exists()


def test_editing_on_the_page_with_answers_makes_version_two(client_for, coordinator, org):
    instrument, cohort = make_survey_setup(
        organisation=org, code="NEW", n_items=3, min_value=0, max_value=3
    )
    Administration.objects.create(
        enrollment=EnrollmentFactory(cohort=cohort),
        instrument=instrument,
        timepoint="pre",
        date=date(2020, 5, 4),
    )
    data = _form_data()
    response = client_for(coordinator).post(
        reverse("surveys:instrument_edit", args=[instrument.pk]), data
    )
    assert response.status_code == 302
    current = Instrument.objects.get(code="NEW", is_current=True)
    assert current.version == 2
    page = client_for(coordinator).get(reverse("surveys:instrument_detail", args=[current.pk]))
    assert "Licensed wording" in page.content.decode()
