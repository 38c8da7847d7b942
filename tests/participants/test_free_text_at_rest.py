"""Free text about people is stored encrypted, never copied into the audit log, and
erasure leaves nothing of the person anywhere in the database.

The checks read the raw rows of every table with SQL, not through the models (which
would decrypt): what a database dump or a backup would show.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from participants import services
from participants.models import Enrollment, Referral
from programs import volunteers
from sessions import services as session_services
from sessions.feedback import feedback_submit
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    ParticipantFactory,
    PartnerFactory,
    ProgramFactory,
    SessionFactory,
    VolunteerFactory,
)

pytestmark = pytest.mark.django_db


def raw_rows_containing(needle: str) -> list[str]:
    """``table.column`` of every stored value, in any table, that contains ``needle``."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode(errors="replace")
                    if value is not None and needle in str(value):
                        found.append(f"{table}.{column}")
    return sorted(set(found))


@pytest.fixture
def world(org, coordinator):
    program = ProgramFactory(organisation=org)
    cohort = CohortFactory(program=program, start_date=date.today() - timedelta(days=21))
    return {
        "program": program,
        "cohort": cohort,
        "held": SessionFactory(cohort=cohort, number=1, date=cohort.start_date, status="scheduled"),
        "future": SessionFactory(
            cohort=cohort, number=2, date=date.today() + timedelta(days=7), status="scheduled"
        ),
    }


def test_free_text_about_people_is_never_stored_in_clear(org, coordinator, world):
    secrets = {
        "referral_source": "Refsrc-Ombrelline",
        "exit_reason": "Exitreason-Tavrosk",
        "exit_notes": "Exitnotes-Pelagrim",
        "referral_reason": "Refreason-Quenvale",
        "partner_contact": "Contact-Drusilvane",
        "partner_phone": "555-0199-4242",
        "partner_email": "drusil.vane@partner.example",
        "partner_notes": "Partnernotes-Hollowmere",
        "topics_covered": "Topics-Kestrawyn",
        "session_notes": "Sessnotes-Brimvale",
        "incident_notes": "Incident-Corvanthe",
        "cancel_reason": "Cancel-Yarrowind",
        "supervisor": "Supervisor-Elmquist",
        "supervision_notes": "Supnotes-Farrowgate",
        "volunteer_notes": "Volnotes-Ashcombe",
        "feedback_comment": "Comment-Wrenfield",
    }
    participant = services.participant_create(
        organisation=org, by=coordinator, referral_source=secrets["referral_source"]
    )
    services.participant_update(participant=participant, by=coordinator, birth_year=1931)
    enrollment = EnrollmentFactory(
        cohort=world["cohort"], participant=participant, enrolled_on=world["cohort"].start_date
    )
    services.enrollment_withdraw(
        enrollment=enrollment,
        on=date.today(),
        reason=secrets["exit_reason"],
        notes=secrets["exit_notes"],
        by=coordinator,
    )
    partner = services.partner_create(
        organisation=org,
        by=coordinator,
        name="Harbour Legal",
        type="legal",
        contact_person=secrets["partner_contact"],
        phone=secrets["partner_phone"],
        email=secrets["partner_email"],
        notes=secrets["partner_notes"],
    )
    services.partner_update(partner=partner, by=coordinator, notes=secrets["partner_notes"] + "!")
    referral = services.referral_create(
        participant=participant,
        partner=partner,
        by=coordinator,
        date=date.today(),
        reason=secrets["referral_reason"],
    )
    services.referral_update(
        referral=referral, by=coordinator, reason=secrets["referral_reason"] + "!"
    )
    session_services.session_log(
        session=world["held"],
        by=coordinator,
        topics_covered=secrets["topics_covered"],
        notes=secrets["session_notes"],
        incident_flagged=True,
        incident_notes=secrets["incident_notes"],
        facilitators=[],
        duration_minutes=120,
    )
    session_services.session_cancel(
        session=world["future"], reason=secrets["cancel_reason"], by=coordinator
    )
    volunteer = VolunteerFactory(organisation=org, stage="applied")
    volunteers.volunteer_update(
        volunteer=volunteer, fields={"notes": secrets["volunteer_notes"]}, by=coordinator
    )
    volunteers.supervision_add(
        volunteer=volunteer,
        on=date.today(),
        supervisor=secrets["supervisor"],
        hours=Decimal("1.5"),
        notes=secrets["supervision_notes"],
        by=coordinator,
    )
    feedback_submit(
        session=world["held"], ratings={}, comment=secrets["feedback_comment"], by=coordinator
    )

    leaks = {key: raw_rows_containing(value) for key, value in secrets.items()}
    assert {key: where for key, where in leaks.items() if where} == {}
    # The birth year reached the log only masked.
    assert raw_rows_containing("1931") == ["participants_participant.birth_year"]
    # Through the models, everything reads back.
    enrollment.refresh_from_db()
    assert (enrollment.exit_reason, enrollment.exit_notes) == (
        secrets["exit_reason"],
        secrets["exit_notes"],
    )
    world["held"].refresh_from_db()
    assert world["held"].incident_notes == secrets["incident_notes"]


def test_after_erasure_nothing_in_the_database_holds_what_was_typed_about_her(
    org, coordinator, world
):
    name, exit_reason = "Zorvatha Quilleme", "Exitmark-Kelvrin moved in with her brother"
    participant = services.participant_create(
        organisation=org, by=coordinator, preferred_name="Zora"
    )
    services.participant_update(
        participant=participant, by=coordinator, preferred_name=name, legal_name=name
    )
    enrollment = EnrollmentFactory(
        cohort=world["cohort"], participant=participant, enrolled_on=world["cohort"].start_date
    )
    partner = PartnerFactory(organisation=org)
    services.referral_create(
        participant=participant,
        partner=partner,
        by=coordinator,
        date=date.today(),
        reason=f"Housing for {name}",
    )
    session_services.session_log(
        session=world["held"],
        by=coordinator,
        topics_covered="Boundaries",
        notes="",
        incident_flagged=True,
        incident_notes=f"{name} was followed to the venue",
        facilitators=[],
        duration_minutes=120,
    )
    services.enrollment_withdraw(
        enrollment=enrollment,
        on=date.today(),
        reason=exit_reason,
        notes=f"{name} asked us not to call",
        by=coordinator,
    )

    services.participant_erase(participant=participant, by=coordinator)

    for needle in ("Zorvatha", "Quilleme", "Exitmark-Kelvrin"):
        assert raw_rows_containing(needle) == [], needle
    enrollment = Enrollment.objects.get(pk=enrollment.pk)
    assert (enrollment.exit_reason, enrollment.exit_notes) == ("", "")
    assert Referral.objects.get(participant=participant).reason == ""


def test_erasure_wipes_exit_reasons_too(org, coordinator):
    participant = ParticipantFactory(organisation=org)
    enrollment = EnrollmentFactory(
        participant=participant, exit_reason="left town", exit_notes="", status="withdrawn"
    )
    services.participant_erase(participant=participant, by=coordinator)
    enrollment.refresh_from_db()
    assert enrollment.exit_reason == ""
