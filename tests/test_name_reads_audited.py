"""Every page that shows a participant's name writes an audit entry for that request.

Each GET page of the permission matrix is rendered as a coordinator while every
participant of the organisation goes by a distinctive preferred name; a page whose
response contains that name must have written at least one audit entry, with no name
in it.
"""

import pytest
from django.urls import reverse

from participants.models import Participant
from peersupport.models import AuditEntry
from tests.factories import EnrollmentFactory
from tests.test_permission_matrix import ENTRIES, MODULES

NAME = "Quillonzia Vrabeck"

GET_PAGES = [entry for entry in ENTRIES if entry.method == "get"]


@pytest.fixture
def named_world(org, other_org, coordinator, facilitator, evaluator, outsider):
    from types import SimpleNamespace

    w = SimpleNamespace(
        org=org,
        other_org=other_org,
        coordinator=coordinator,
        facilitator=facilitator,
        evaluator=evaluator,
        outsider=outsider,
    )
    for module in MODULES:
        module.build(w)
    # Someone on the session pages' roster too.
    EnrollmentFactory(cohort=w.session_cohort, enrolled_on=w.session_cohort.start_date)
    for participant in Participant.objects.filter(organisation=org):
        participant.preferred_name = NAME
        participant.save(update_fields=["preferred_name"])
    return w


@pytest.mark.django_db
def test_every_page_that_shows_a_name_audits_the_read(named_world, client):
    client.force_login(named_world.coordinator)
    # A kiosk started in this browser session, so that its list of people is shown.
    started = client.post(
        reverse("surveys:kiosk_start", kwargs={"cohort_pk": named_world.survey_cohort.pk}),
        {"instrument_code": "GSE", "timepoint": "post", "language": "en", "pin": "2468"},
    )
    assert started.status_code == 302
    shown, unaudited = [], []
    for entry in GET_PAGES:
        url = reverse(entry.name, kwargs=entry.kwargs(named_world))
        last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        response = client.get(url)
        body = response.content.decode(errors="replace") if hasattr(response, "content") else ""
        if NAME not in body:
            continue
        shown.append(entry.name)
        entries = list(AuditEntry.objects.filter(id__gt=last, actor=named_world.coordinator))
        if not entries:
            unaudited.append(entry.name)
        for audit in entries:
            assert NAME not in str(audit.changes) + str(audit.detail) + audit.object_repr
    assert shown, "no page showed the name: the walk proves nothing"
    assert unaudited == [], f"these pages show names without an audit entry: {unaudited}"


@pytest.mark.django_db
def test_the_attendance_sheet_records_the_session_and_how_many_names_it_showed(
    client_for, coordinator, org
):
    from tests.factories import CohortFactory, ProgramFactory, SessionFactory

    cohort = CohortFactory(program=ProgramFactory(organisation=org))
    session = SessionFactory(cohort=cohort, number=1, date=cohort.start_date)
    for name in (NAME, "Another Name", ""):
        EnrollmentFactory(
            cohort=cohort,
            enrolled_on=cohort.start_date,
            participant__preferred_name=name,
            participant__organisation=org,
        )
    response = client_for(coordinator).get(
        reverse("groupsessions:attendance_sheet", args=[session.pk])
    )
    assert NAME in response.content.decode()
    entry = AuditEntry.objects.get(action="attendance.view")
    assert (entry.object_type, entry.object_id) == ("groupsessions.Session", str(session.pk))
    assert entry.detail["names"] == 2 and entry.organisation == org
    assert NAME not in str(entry.detail) + entry.object_repr
