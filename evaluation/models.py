"""Evaluation runs: a request to compute the figures of one program and period."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programs.models import Program


class EvaluationRun(models.Model):
    """A request to compute evaluation figures, run by a Celery job (or in the foreground)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Period(models.TextChoices):
        YEAR = "year", _("Program year")
        ALL = "all", _("All years")
        RANGE = "range", _("Cohort start dates")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="evaluation_runs")
    period = models.CharField(max_length=10, choices=Period.choices)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    #: Identifies "the same request": a second request with the same key while one is
    #: queued or running joins it.
    request_key = models.CharField(max_length=200, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: Exactly the JSON of docs/figures.md (what the command prints).
    result = models.JSONField(null=True, blank=True)
    #: What the pages draw beyond the spec: breakdowns by module and group, confidence
    #: intervals (docs/definitions.md). The breakdown by cohort is stored apart, one
    #: ``RunCohortRow`` per cohort, so a page reads only the cohorts it shows (runs stored
    #: before that kept it here, under ``by_cohort``; migration 0003 moved them).
    details = models.JSONField(null=True, blank=True)
    #: What an audience outside the organisation sees, worked out once when the run is
    #: stored (``evaluation.disclosure.protect``): the period objects (each year then the
    #: total, or the one period) and the details, both with small numbers suppressed.
    #: None: stored without them (``evaluation.stored`` then works them out when read).
    external_objects = models.JSONField(null=True, blank=True)
    external_details = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request_key"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_run_per_request",
            ),
        ]
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")

    def __str__(self):
        return f"{self.program.code} {self.period} {self.year or ''} ({self.status})"

    def audit_organisation(self):
        return self.program.organisation


class RunCohortRow(models.Model):
    """One cohort's figures in a run's breakdown by cohort, as one audience sees them:
    the organisation (``internal``, as computed) or readers outside it (``external``,
    with small numbers suppressed). ``position`` counts from 0 in the breakdown's order,
    so a page of the table is a range of positions."""

    class Audience(models.TextChoices):
        INTERNAL = "internal", _("Inside the organisation")
        EXTERNAL = "external", _("Outside the organisation")

    #: No index of its own: the unique constraint's index starts with the run.
    run = models.ForeignKey(
        EvaluationRun, on_delete=models.CASCADE, related_name="cohort_rows", db_index=False
    )
    audience = models.CharField(max_length=10, choices=Audience.choices)
    position = models.PositiveIntegerField()
    data = models.JSONField()

    class Meta:
        ordering = ["run", "audience", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "audience", "position"], name="one_cohort_row_per_position"
            ),
        ]
        verbose_name = _("cohort row of an evaluation run")
        verbose_name_plural = _("cohort rows of evaluation runs")

    def __str__(self):
        return f"{self.run_id} {self.audience} {self.position}"
