"""Factories, one module per app; import them from here."""

from tests.factories.participants import (
    ConsentFactory,
    EnrollmentFactory,
    ParticipantFactory,
    PartnerFactory,
    ReferralFactory,
)
from tests.factories.peersupport import (
    InvitationFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.factories.programs import (
    ClosureDateFactory,
    CohortFactory,
    CurriculumTopicFactory,
    ModuleFactory,
    ProgramFactory,
    SupervisionEntryFactory,
    VolunteerFactory,
    VolunteerTrainingFactory,
)
from tests.factories.sessions import AttendanceFactory, SessionFactory, SessionFeedbackFactory
from tests.factories.surveys import (
    AdministrationFactory,
    AnswerFactory,
    InstrumentFactory,
    InstrumentItemFactory,
    ProgramInstrumentFactory,
    make_instrument,
    make_survey_setup,
)

__all__ = [
    "AdministrationFactory",
    "AnswerFactory",
    "AttendanceFactory",
    "ClosureDateFactory",
    "CohortFactory",
    "ConsentFactory",
    "CurriculumTopicFactory",
    "EnrollmentFactory",
    "InstrumentFactory",
    "InstrumentItemFactory",
    "InvitationFactory",
    "MembershipFactory",
    "ModuleFactory",
    "OrganisationFactory",
    "ParticipantFactory",
    "PartnerFactory",
    "ProgramFactory",
    "ProgramInstrumentFactory",
    "ReferralFactory",
    "SessionFactory",
    "SessionFeedbackFactory",
    "SupervisionEntryFactory",
    "UserFactory",
    "VolunteerFactory",
    "VolunteerTrainingFactory",
    "make_instrument",
    "make_survey_setup",
]
