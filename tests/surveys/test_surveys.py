"""Administrations through the services and the staff entry page: scores by the spec,
every kind of bad input refused with nothing saved."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from participants.models import Enrollment
from peersupport.models import AuditEntry
from surveys.models import Administration, Answer
from surveys.services import administration_create, administration_update
from tests.factories import EnrollmentFactory, VolunteerFactory, make_survey_setup

pytestmark = pytest.mark.django_db

DAY = date(2020, 5, 4)


def _create(enrollment, instrument, answers, timepoint="pre", by=None):
    return administration_create(
        enrollment=enrollment,
        instrument=instrument,
        timepoint=timepoint,
        date=DAY,
        mode=Administration.Mode.STAFF,
        answers=answers,
        by=by,
    )


@pytest.fixture
def gse(org):
    """10 items 1–4, up to 3 missing pro-rated (the ready-made GSE structure)."""
    return make_survey_setup(organisation=org, code="GSE", n_items=10, max_missing=3)


# --- scoring through the services -----------------------------------------------------


def test_complete_answers_are_summed_and_stored(gse, coordinator):
    instrument, cohort = gse
    enrollment = EnrollmentFactory(cohort=cohort)
    answers = {n: (n % 4) + 1 for n in range(1, 11)}  # 2,3,4,1,2,3,4,1,2,3 = 25
    adm = _create(enrollment, instrument, answers, by=coordinator)
    adm.refresh_from_db()
    assert adm.score == 25.0
    assert (adm.answered_n, adm.missing_n, adm.is_complete) == (10, 0, True)
    assert adm.entered_by == coordinator
    assert Answer.objects.filter(administration=adm).count() == 10


def test_reverse_scored_items_count_as_min_plus_max_minus_answer(org):
    instrument, cohort = make_survey_setup(organisation=org, code="SES", reverse=(2, 4))
    enrollment = EnrollmentFactory(cohort=cohort)
    # 4 + (1+4-4=1) + 3 + (1+4-1=4) = 12
    adm = _create(enrollment, instrument, {1: 4, 2: 4, 3: 3, 4: 1})
    assert adm.score == 12.0


def test_missing_items_at_max_missing_are_pro_rated_unrounded(gse):
    instrument, cohort = gse
    enrollment = EnrollmentFactory(cohort=cohort)
    # 7 answered (3 missing = max_missing): 3,3,3,3,3,3,2 = 20; 20 / 7 * 10 = 28.571428…
    answers = dict.fromkeys(range(1, 7), 3) | {7: 2, 8: None, 9: None, 10: None}
    adm = _create(enrollment, instrument, answers)
    assert adm.score == pytest.approx(200 / 7)
    assert (adm.answered_n, adm.missing_n, adm.is_complete) == (7, 3, True)


def test_more_missing_than_allowed_is_stored_without_a_score(gse):
    instrument, cohort = gse
    enrollment = EnrollmentFactory(cohort=cohort)
    adm = _create(enrollment, instrument, dict.fromkeys(range(1, 7), 4))  # 4 missing
    adm.refresh_from_db()
    assert adm.score is None
    assert (adm.answered_n, adm.missing_n, adm.is_complete) == (6, 4, False)


def test_conversion_table_gives_the_transformed_score(org):
    table = {str(raw): raw * 10 + 0.5 for raw in range(4, 17)}
    instrument, cohort = make_survey_setup(
        organisation=org, code="SWB", conversion_table=table, max_missing=1
    )
    enrollment = EnrollmentFactory(cohort=cohort)
    adm = _create(enrollment, instrument, {1: 1, 2: 2, 3: 3, 4: 4})  # raw 10 -> 100.5
    assert adm.score == 100.5
    # Pro-rated 1,1,2 -> 4/3*4 = 5.33 -> rounds to raw 5 -> 50.5
    other = _create(EnrollmentFactory(cohort=cohort), instrument, {1: 1, 2: 1, 3: 2})
    assert other.score == 50.5


def test_changing_answers_recomputes_the_stored_score_and_is_audited(gse, coordinator):
    instrument, cohort = gse
    adm = _create(EnrollmentFactory(cohort=cohort), instrument, dict.fromkeys(range(1, 11), 2))
    assert adm.score == 20.0
    administration_update(
        administration=adm, answers=dict.fromkeys(range(1, 11), 4), by=coordinator
    )
    adm.refresh_from_db()
    assert adm.score == 40.0
    assert set(adm.answers.values_list("value", flat=True)) == {4}
    entry = AuditEntry.objects.filter(action="administration.update", object_id=str(adm.pk)).get()
    assert entry.changes["score"] == [20.0, 40.0]


# --- bad input through the services -------------------------------------------------


def test_out_of_range_answer_is_refused_and_nothing_is_saved(gse):
    instrument, cohort = gse
    with pytest.raises(ValidationError) as exc:
        _create(EnrollmentFactory(cohort=cohort), instrument, {1: 5, 2: 0, 3: 2})
    assert set(exc.value.message_dict) == {"item_1", "item_2"}
    assert "from 1 to 4" in exc.value.message_dict["item_1"][0]
    assert not Administration.objects.exists()
    assert not Answer.objects.exists()


def test_non_integer_answer_is_refused(gse):
    instrument, cohort = gse
    with pytest.raises(ValidationError) as exc:
        _create(EnrollmentFactory(cohort=cohort), instrument, {1: 2.5, 2: "3"})
    assert set(exc.value.message_dict) == {"item_1", "item_2"}
    assert not Administration.objects.exists()


def test_second_pre_for_the_same_enrollment_and_instrument_is_refused(gse):
    instrument, cohort = gse
    enrollment = EnrollmentFactory(cohort=cohort)
    _create(enrollment, instrument, {1: 1})
    with pytest.raises(ValidationError) as exc:
        _create(enrollment, instrument, {1: 2})
    assert "already recorded" in exc.value.message_dict["timepoint"][0]
    assert Administration.objects.count() == 1
    # A post is fine.
    _create(enrollment, instrument, {1: 2}, timepoint="post")


def test_survey_for_someone_not_enrolled_is_refused(gse):
    instrument, cohort = gse
    waitlisted = EnrollmentFactory(cohort=cohort, status=Enrollment.Status.WAITLISTED)
    with pytest.raises(ValidationError) as exc:
        _create(waitlisted, instrument, {1: 1})
    assert "not enrolled" in exc.value.message_dict["enrollment"][0]
    assert not Administration.objects.exists()


def test_instrument_the_program_does_not_use_is_refused(org, gse):
    instrument, _cohort = gse
    _other_instrument, other_cohort = make_survey_setup(organisation=org, code="SES")
    with pytest.raises(ValidationError) as exc:
        _create(EnrollmentFactory(cohort=other_cohort), instrument, {1: 1})
    assert "does not use" in exc.value.message_dict["__all__"][0]


# --- staff entry page ----------------------------------------------------------------


def _enter_url(cohort, code="GSE", timepoint="pre"):
    return reverse(
        "surveys:administration_enter",
        kwargs={"cohort_pk": cohort.pk, "code": code, "timepoint": timepoint},
    )


def _post(enrollment, **items):
    data = {"enrollment": enrollment.pk, "date": "2020-05-04"}
    data.update({f"item_{n}": "" for n in range(1, 11)})
    data.update(items)
    return data


def test_staff_entry_form_is_keyboard_friendly(client_for, coordinator, gse):
    instrument, cohort = gse
    EnrollmentFactory(cohort=cohort)
    html = client_for(coordinator).get(_enter_url(cohort)).content.decode()
    assert html.count('inputmode="numeric"') == 10
    assert 'min="1"' in html and 'max="4"' in html
    assert 'tabindex="-1"' not in html.split("staff-entry")[1]


def test_staff_entry_saves_and_scores(client_for, coordinator, gse):
    instrument, cohort = gse
    enrollment = EnrollmentFactory(cohort=cohort)
    data = _post(enrollment, **{f"item_{n}": "3" for n in range(1, 11)})
    response = client_for(coordinator).post(_enter_url(cohort), data)
    assert response.status_code == 302
    adm = Administration.objects.get()
    assert (adm.score, adm.mode, adm.instrument_id) == (30.0, "staff", instrument.pk)
    assert AuditEntry.objects.filter(action="administration.create", object_id=str(adm.pk)).exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("5", "Highest allowed is 4"),
        ("0", "Lowest allowed is 1"),
        ("2.5", "whole number"),
        ("abc", "whole number"),
    ],
)
def test_staff_entry_refuses_a_bad_item_beside_the_field(
    client_for, coordinator, gse, value, message
):
    _instrument, cohort = gse
    enrollment = EnrollmentFactory(cohort=cohort)
    data = _post(enrollment, item_1="2", item_3=value)
    response = client_for(coordinator).post(_enter_url(cohort), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'aria-describedby="id_item_3-error"' in html
    assert "Nothing was saved" in html
    assert not Administration.objects.exists()


def test_staff_entry_refuses_a_second_pre_with_a_clear_message(client_for, coordinator, gse):
    instrument, cohort = gse
    enrollment = EnrollmentFactory(cohort=cohort)
    _create(enrollment, instrument, {1: 1})
    response = client_for(coordinator).post(_enter_url(cohort), _post(enrollment, item_1="2"))
    assert response.status_code == 400
    assert "already recorded" in response.content.decode()
    assert Administration.objects.count() == 1


def test_staff_entry_refuses_someone_not_enrolled(client_for, coordinator, gse):
    _instrument, cohort = gse
    waitlisted = EnrollmentFactory(cohort=cohort, status=Enrollment.Status.WAITLISTED)
    response = client_for(coordinator).post(_enter_url(cohort), _post(waitlisted, item_1="2"))
    assert response.status_code == 400
    assert "not enrolled in the program" in response.content.decode()
    assert not Administration.objects.exists()


def test_staff_entry_refuses_an_enrollment_of_another_cohort(client_for, coordinator, org, gse):
    _instrument, cohort = gse
    _other, other_cohort = make_survey_setup(organisation=org, code="SES")
    stranger = EnrollmentFactory(cohort=other_cohort)
    response = client_for(coordinator).post(_enter_url(cohort), _post(stranger, item_1="2"))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Administration.objects.exists()


def test_facilitator_enters_only_for_their_own_cohorts(client_for, facilitator, org, gse):
    _instrument, cohort = gse
    client = client_for(facilitator)
    assert client.get(_enter_url(cohort)).status_code == 403
    cohort.facilitators.add(VolunteerFactory(organisation=org, user=facilitator))
    assert client.get(_enter_url(cohort)).status_code == 200


def test_editing_answers_on_the_page_recomputes_the_score(client_for, coordinator, gse):
    instrument, cohort = gse
    adm = _create(EnrollmentFactory(cohort=cohort), instrument, dict.fromkeys(range(1, 11), 1))
    url = reverse("surveys:administration_edit", args=[adm.pk])
    data = {"date": "2020-05-05"} | {f"item_{n}": "2" for n in range(1, 11)}
    assert client_for(coordinator).post(url, data).status_code == 302
    adm.refresh_from_db()
    assert (adm.score, adm.date) == (20.0, date(2020, 5, 5))
    bad = {"date": "2020-05-05", "item_1": "9"}
    response = client_for(coordinator).post(url, bad)
    assert response.status_code == 400
    adm.refresh_from_db()
    assert adm.score == 20.0


def test_answers_of_a_participant_without_consent_are_kept_and_flagged(
    client_for, coordinator, gse
):
    instrument, cohort = gse
    enrollment = EnrollmentFactory(cohort=cohort, participant__evaluation_consent="no")
    adm = _create(enrollment, instrument, dict.fromkeys(range(1, 11), 2))
    assert adm.score == 20.0
    client = client_for(coordinator)
    detail = client.get(reverse("surveys:administration_detail", args=[adm.pk]))
    assert "Not used in evaluation" in detail.content.decode()
    todo = client.get(reverse("surveys:survey_todo", args=[cohort.pk]))
    assert "not used in evaluation" in todo.content.decode()


def test_save_and_enter_the_next_one_keeps_the_date_and_moves_to_the_next_without_a_survey(
    client_for, coordinator, gse
):
    instrument, cohort = gse
    org = cohort.organisation
    a, b, c, d = (
        EnrollmentFactory(cohort=cohort, participant__organisation=org, participant__code=code)
        for code in ("P-00001", "P-00002", "P-00003", "P-00004")
    )
    _create(c, instrument, dict.fromkeys(range(1, 11), 2))  # P-00003 answered already
    client = client_for(coordinator)
    answers = {f"item_{n}": "3" for n in range(1, 11)}
    response = client.post(_enter_url(cohort), {**_post(b, **answers), "another": "1"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    form = page.context["form"]
    # The date stays 2020-05-04; P-00003 has one, so the next is P-00004.
    assert str(form["date"].value()) == "2020-05-04"
    assert int(form["enrollment"].value()) == d.pk
    # From the last person, it goes back to the first one still without a survey.
    response = client.post(_enter_url(cohort), {**_post(d, **answers), "another": "1"})
    form = client.get(response["Location"]).context["form"]
    assert int(form["enrollment"].value()) == a.pk
    # Once everyone has one, back to the cohort's survey list.
    response = client.post(_enter_url(cohort), {**_post(a, **answers), "another": "1"})
    assert response["Location"] == reverse("surveys:survey_todo", args=[cohort.pk])
