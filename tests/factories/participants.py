from datetime import date

import factory

from participants.models import Consent, Enrollment, Participant, Partner, Referral
from tests.factories.peersupport import OrganisationFactory
from tests.factories.programs import CohortFactory


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"P-{n:05d}")
    preferred_name = factory.Sequence(lambda n: f"Person {n}")
    birth_year = 1985
    evaluation_consent = Participant.Consent.YES


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    participant = factory.SubFactory(ParticipantFactory)
    kind = Consent.Kind.EVALUATION
    given = True
    date = date(2020, 5, 1)
    text_version = "2020-1"


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    cohort = factory.SubFactory(CohortFactory)
    participant = factory.SubFactory(
        ParticipantFactory, organisation=factory.SelfAttribute("..cohort.organisation")
    )
    status = Enrollment.Status.ENROLLED
    enrolled_on = factory.LazyAttribute(lambda o: o.cohort.start_date)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Partner agency {n}")
    type = Partner.Type.COUNSELLING


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    participant = factory.SubFactory(ParticipantFactory)
    partner = factory.SubFactory(
        PartnerFactory, organisation=factory.SelfAttribute("..participant.organisation")
    )
    date = date(2020, 6, 1)
