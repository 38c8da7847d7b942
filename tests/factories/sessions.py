import factory

from sessions.models import Attendance, Session, SessionFeedback
from tests.factories.participants import EnrollmentFactory
from tests.factories.programs import CohortFactory


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    cohort = factory.SubFactory(CohortFactory)
    number = factory.Sequence(lambda n: n + 1)
    date = factory.LazyAttribute(lambda o: o.cohort.start_date)
    status = Session.Status.HELD
    duration_minutes = 180


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    session = factory.SubFactory(SessionFactory)
    enrollment = factory.SubFactory(
        EnrollmentFactory, cohort=factory.SelfAttribute("..session.cohort")
    )
    status = Attendance.Status.PRESENT


class SessionFeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionFeedback

    session = factory.SubFactory(SessionFactory)
    ratings = factory.LazyFunction(lambda: {"1": 5, "2": 4})
