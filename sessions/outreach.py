"""Who has missed their latest sessions in a row, kept up to date as attendance is taken.

The coordinator's dashboard lists the participants whose most recent offered sessions in
a row were not attended (``selectors.outreach_list``). Working that out when the page is
drawn reads every current group's latest sessions and their attendance, so the page
slowed with the number of groups running at once. Instead each enrollment's run of
misses is stored (``MissedRun``, a row only while the run is not zero, only in cohorts
that are not over) and refreshed, cohort by cohort, by whatever changes it:

- attendance recorded (``attendance._apply_once``; a single row saved, as in tests);
- a session saved or deleted (held, cancelled, moved), an enrollment saved or deleted
  (enrolled on, status, moved to another cohort), a cohort saved (its status):
  ``receivers.py``, on the models' signals;
- rows written in bulk: the importer, the demo data, the benchmark data sets.

Definitions (offered as in ``docs/figures.md``): a session counts once it is held and its
attendance was taken (at least one row; a held session with none is on the "attendance
not recorded" list instead). The run of an enrollment currently ``enrolled`` is the
number of such sessions of its cohort dated on or after it enrolled and after the last
day it attended (present or late): absent, excused or no row at all count, and of two
sessions on one day (a make-up session), attending either is attending that day.

Concurrent writers: each refresh first locks the rows of its cohorts (in id order), then
recounts in a new statement, so it sees every change committed by the refresh before it;
the last refresh of a cohort always counts everything. On SQLite writes are serialised.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import DateField, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from participants.models import Enrollment
from peersupport.querying import count_subquery
from programs.models import Cohort

from .models import Attendance, MissedRun, Session

NEVER = date(1, 1, 1)
#: Cohorts recounted per statement (a large import touches thousands).
BATCH = 500


def missed_in_a_row(enrollments, *, session_model, attendance_model):
    """``enrollments`` (a queryset) annotated with ``missed``: its run of missed sessions.
    Takes the models so that a migration can run it on its historical models."""
    held = Session.Status.HELD
    taken = Exists(attendance_model.objects.filter(session=OuterRef("pk")))
    last_attended = Subquery(
        attendance_model.objects.filter(
            enrollment=OuterRef(OuterRef("pk")),
            status__in=Attendance.ATTENDED,
            session__status=held,
        )
        .order_by("-session__date")
        .values("session__date")[:1],
        output_field=DateField(),
    )
    runs = session_model.objects.filter(
        cohort=OuterRef("cohort_id"),
        status=held,
        date__gte=Coalesce(OuterRef("enrolled_on"), Value(NEVER), output_field=DateField()),
        date__gt=Coalesce(last_attended, Value(NEVER), output_field=DateField()),
    ).filter(taken)
    return enrollments.annotate(missed=count_subquery(runs))


def recount(
    cohort_ids: Iterable[int],
    *,
    cohort_model=Cohort,
    enrollment_model=Enrollment,
    session_model=Session,
    attendance_model=Attendance,
    missed_model=MissedRun,
) -> None:
    """Recount the runs of every enrollment of ``cohort_ids`` (see the module docstring)."""
    ids = sorted({pk for pk in cohort_ids if pk is not None})
    for first in range(0, len(ids), BATCH):
        batch = ids[first : first + BATCH]
        with transaction.atomic(savepoint=False):
            statuses = dict(
                cohort_model.objects.select_for_update()
                .filter(pk__in=batch)
                .order_by("pk")
                .values_list("pk", "status")
            )
            missed_model.objects.filter(enrollment__cohort_id__in=batch).delete()
            current = [pk for pk, status in statuses.items() if status in Cohort.CURRENT]
            if not current:
                continue
            enrollments = enrollment_model.objects.filter(
                cohort_id__in=current, status=Enrollment.Status.ENROLLED
            )
            rows = (
                missed_in_a_row(
                    enrollments, session_model=session_model, attendance_model=attendance_model
                )
                .filter(missed__gt=0)
                .order_by()
                .values_list("pk", "missed")
            )
            missed_model.objects.bulk_create(
                [missed_model(enrollment_id=pk, missed=missed) for pk, missed in rows]
            )
