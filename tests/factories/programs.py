from datetime import date

import factory

from programs.models import (
    ClosureDate,
    Cohort,
    CurriculumTopic,
    Module,
    Program,
    SupervisionEntry,
    Volunteer,
    VolunteerTraining,
)
from tests.factories.peersupport import OrganisationFactory


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"prog{n}")
    name = factory.Sequence(lambda n: f"Program {n}")
    start_date = date(2020, 4, 1)
    status = Program.Status.ACTIVE


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    program = factory.SubFactory(ProgramFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Module {n}")
    weeks = 6


class CurriculumTopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CurriculumTopic

    program = factory.SubFactory(ProgramFactory)
    week = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Topic {n}")


class ClosureDateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClosureDate

    organisation = factory.SubFactory(OrganisationFactory)
    date = date(2020, 12, 25)
    reason = "Holiday"


class VolunteerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Volunteer

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Volunteer {n}")
    stage = Volunteer.Stage.ACTIVE


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort
        skip_postgeneration_save = True

    program = factory.SubFactory(ProgramFactory)
    code = factory.Sequence(lambda n: f"c{n}")
    name = factory.Sequence(lambda n: f"Cohort {n}")
    start_date = date(2020, 5, 4)
    weekday = factory.LazyAttribute(lambda o: o.start_date.weekday())
    capacity = 20
    status = Cohort.Status.RUNNING

    @factory.post_generation
    def facilitators(self, create, extracted, **kwargs):
        if create and extracted:
            self.facilitators.add(*extracted)


class VolunteerTrainingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolunteerTraining

    volunteer = factory.SubFactory(VolunteerFactory)
    course = factory.Sequence(lambda n: f"Course {n}")
    hours = 3
    date = date(2020, 4, 15)


class SupervisionEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionEntry

    volunteer = factory.SubFactory(VolunteerFactory)
    date = date(2020, 6, 1)
    supervisor = "Supervisor"
    hours = 1
