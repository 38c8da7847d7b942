from datetime import date

import factory

from surveys.models import Administration, Answer, Instrument, InstrumentItem, ProgramInstrument
from tests.factories.participants import EnrollmentFactory
from tests.factories.peersupport import OrganisationFactory
from tests.factories.programs import ProgramFactory


class InstrumentFactory(factory.django.DjangoModelFactory):
    """An instrument without items; use ``make_instrument`` for one with items."""

    class Meta:
        model = Instrument

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"INS{n}")
    name = factory.Sequence(lambda n: f"Instrument {n}")
    max_missing = 0


class InstrumentItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InstrumentItem

    instrument = factory.SubFactory(InstrumentFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Item {n}")
    min_value = 1
    max_value = 4


def make_instrument(
    *,
    organisation,
    code="GSE",
    n_items=4,
    min_value=1,
    max_value=4,
    reverse=(),
    max_missing=0,
    target_score=None,
    **extra,
):
    """An instrument with ``n_items`` items numbered 1..n; ``reverse`` lists reversed items."""
    instrument = Instrument.objects.create(
        organisation=organisation,
        code=code,
        name=extra.pop("name", code),
        max_missing=max_missing,
        target_score=target_score,
        **extra,
    )
    InstrumentItem.objects.bulk_create(
        InstrumentItem(
            instrument=instrument,
            number=i,
            text=f"Item {i}",
            min_value=min_value,
            max_value=max_value,
            reverse=i in reverse,
        )
        for i in range(1, n_items + 1)
    )
    return instrument


class ProgramInstrumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramInstrument

    program = factory.SubFactory(ProgramFactory)
    instrument_code = "GSE"
    target_pct = 75.0


class AdministrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Administration

    enrollment = factory.SubFactory(EnrollmentFactory)
    instrument = factory.SubFactory(InstrumentFactory)
    timepoint = Administration.Timepoint.PRE
    date = date(2020, 5, 4)


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    administration = factory.SubFactory(AdministrationFactory)
    item = factory.SubFactory(InstrumentItemFactory)
    value = 3


def make_survey_setup(*, organisation, code="GSE", n_items=4, facilitators=(), **instrument):
    """A program using instrument ``code`` (the current version), a cohort and its
    program link; returns ``(instrument, cohort)``."""
    from tests.factories.programs import CohortFactory

    instrument_obj = make_instrument(
        organisation=organisation, code=code, n_items=n_items, **instrument
    )
    program = ProgramFactory(organisation=organisation)
    ProgramInstrumentFactory(program=program, instrument_code=code)
    cohort = CohortFactory(program=program, facilitators=list(facilitators))
    return instrument_obj, cohort
