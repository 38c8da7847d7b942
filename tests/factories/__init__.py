"""Factories, one module per app; import them from here."""

from .evaluation import (
    AdministrationFactory,
    AnswerFactory,
    InstrumentFactory,
    InstrumentItemFactory,
    ProgramInstrumentFactory,
    make_instrument,
    make_survey_setup,
)
from .participants import (
    ConsentFactory,
    EnrollmentFactory,
    ParticipantFactory,
    PartnerFactory,
    ReferralFactory,
)
from .peersupport import InvitationFactory, MembershipFactory, OrganisationFactory, UserFactory
from .programs import (
    ClosureDateFactory,
    CohortFactory,
    CurriculumTopicFactory,
    ModuleFactory,
    ProgramFactory,
    SupervisionEntryFactory,
    VolunteerFactory,
    VolunteerTrainingFactory,
)
from .sessions import AttendanceFactory, SessionFactory, SessionFeedbackFactory

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
