"""Programs, their modules and curriculum, cohorts, closure dates, and peer volunteers."""

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from peersupport.fields import EncryptedTextField
from peersupport.models import Organisation


class Program(models.Model):
    class Status(models.TextChoices):
        # "program status": the words agree with "programme" in French.
        PLANNED = "planned", pgettext_lazy("program status", "Planned")
        ACTIVE = "active", pgettext_lazy("program status", "Active")
        COMPLETED = "completed", pgettext_lazy("program status", "Completed")
        CANCELLED = "cancelled", pgettext_lazy("program status", "Cancelled")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="programs"
    )
    code = models.SlugField(_("code"), max_length=32, allow_unicode=False)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    target_population = models.CharField(_("target population"), max_length=300, blank=True)
    start_date = models.DateField(_("start date"), help_text=_("Program years run from this date."))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    session_feedback_questions = models.JSONField(
        _("session feedback questions"),
        default=list,
        blank=True,
        help_text=_("The 1–5 rating questions participants answer after a session."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="program_code_per_org"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="program_ends_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]
        verbose_name = _("program")
        verbose_name_plural = _("programs")

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def total_weeks(self) -> int:
        return sum(m.weeks for m in self.modules.all())

    def year_bounds(self, n: int) -> tuple[date, date]:
        """First and last day of program year ``n`` (Year 1 is the first).

        Year ``n`` starts on the ``n - 1``-th anniversary of ``start_date`` and ends the day
        before the next one; an anniversary of 29 February falls on 1 March in years
        without a 29 February. ``year_of`` counts by the same rule.
        """
        return self._anniversary(n - 1), self._anniversary(n) - timedelta(days=1)

    def year_of(self, day: date) -> int:
        """The program year (1-based) that contains ``day``; 0 or less before the start.

        ``day`` is in ``year_bounds(year_of(day))``: a day before 29 February belongs to
        the earlier year, so 28 February ends a year that started on 29 February.
        """
        years = day.year - self.start_date.year
        if (day.month, day.day) < (self.start_date.month, self.start_date.day):
            years -= 1
        return years + 1

    def _anniversary(self, years: int) -> date:
        start = self.start_date
        try:
            return start.replace(year=start.year + years)
        except ValueError:  # 29 February in a year without one
            return date(start.year + years, 3, 1)


class Module(models.Model):
    """A phase of the program, e.g. a 6-week self-esteem module then a 14-week circle."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="modules")
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=200)
    weeks = models.PositiveSmallIntegerField(_("weeks"))

    class Meta:
        ordering = ["program", "order"]
        constraints = [
            models.UniqueConstraint(fields=["program", "order"], name="module_order_unique"),
            models.CheckConstraint(
                condition=Q(weeks__gte=1),
                name="module_has_weeks",
                violation_error_message=_("A module lasts at least one week."),
            ),
        ]
        verbose_name = _("module")
        verbose_name_plural = _("modules")

    def __str__(self):
        return self.name

    def audit_organisation(self):
        return self.program.organisation


class CurriculumTopic(models.Model):
    """The topic planned for one week of the program (week 1 is the first session)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="topics")
    week = models.PositiveSmallIntegerField(_("week"))
    title = models.CharField(_("topic"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["program", "week"]
        constraints = [
            models.UniqueConstraint(fields=["program", "week"], name="topic_week_unique"),
        ]
        verbose_name = _("curriculum topic")
        verbose_name_plural = _("curriculum topics")

    def __str__(self):
        return f"{self.week}. {self.title}"

    def audit_organisation(self):
        return self.program.organisation


class ClosureDate(models.Model):
    """A day the organisation is closed (a holiday): no session is scheduled on it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="closure_dates"
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "date"], name="closure_date_unique"),
        ]
        verbose_name = _("closure date")
        verbose_name_plural = _("closure dates")

    def __str__(self):
        return f"{self.date} {self.reason}".strip()


class Volunteer(models.Model):
    """A peer volunteer who facilitates groups, from application to active service."""

    class Stage(models.TextChoices):
        APPLIED = "applied", _("Applied")
        SCREENED = "screened", _("Screened")
        TRAINED = "trained", _("Trained")
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="volunteers"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteer",
        help_text=_("The account this volunteer signs in with, if any (facilitator role)."),
    )
    name = models.CharField(_("name"), max_length=150)
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.APPLIED
    )
    interview_date = models.DateField(_("interview date"), null=True, blank=True)
    references_checked_on = models.DateField(_("references checked on"), null=True, blank=True)
    police_check_date = models.DateField(_("police check date"), null=True, blank=True)
    supervision_every_days = models.PositiveSmallIntegerField(
        _("supervision due every (days)"), default=30
    )
    #: Free text may mention people: encrypted; the audit log records that it changed,
    #: not what it says.
    notes = EncryptedTextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")

    def __str__(self):
        return self.name


class VolunteerTraining(models.Model):
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="trainings")
    course = models.CharField(_("course"), max_length=200)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    date = models.DateField(_("date"))

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gte=0),
                name="training_hours",
                violation_error_message=_("The hours cannot be negative."),
            )
        ]
        verbose_name = _("training record")
        verbose_name_plural = _("training records")

    def __str__(self):
        return f"{self.course} ({self.date})"

    def audit_organisation(self):
        return self.volunteer.organisation


class SupervisionEntry(models.Model):
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="supervisions")
    date = models.DateField(_("date"))
    #: A person's name and what was discussed about people: encrypted, masked in the log.
    supervisor = EncryptedTextField(_("supervisor"), max_length=150)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    notes = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gte=0),
                name="supervision_hours",
                violation_error_message=_("The hours cannot be negative."),
            )
        ]
        verbose_name = _("supervision entry")
        verbose_name_plural = _("supervision log")

    def __str__(self):
        return f"{self.date} {self.supervisor}"

    def audit_label(self) -> str:
        """The log's label: the date, not the supervisor's name."""
        return f"{self.date} #{self.pk}"

    def audit_organisation(self):
        return self.volunteer.organisation


class Cohort(models.Model):
    """One group going through a program together, meeting weekly."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        OPEN = "open", _("Open for enrollment")
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    #: Groups not over yet (nor cancelled): the coordinator's dashboard works on these.
    CURRENT = (Status.PLANNED, Status.OPEN, Status.RUNNING)

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    #: Copied from the program on save: cohort codes are unique within an organisation
    #: (import files refer to a cohort by its code alone) and access checks stay cheap.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="cohorts", editable=False
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="cohorts")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200, blank=True)
    start_date = models.DateField(_("start date"), db_index=True)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    session_minutes = models.PositiveSmallIntegerField(_("session length (minutes)"), default=180)
    location = models.CharField(_("location"), max_length=200, blank=True)
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=20)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    facilitators = models.ManyToManyField(
        Volunteer, blank=True, related_name="cohorts", verbose_name=_("facilitators")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="cohort_code_per_org"),
            models.CheckConstraint(
                condition=Q(capacity__gte=1),
                name="cohort_capacity",
                violation_error_message=_("A cohort needs at least one place: enter 1 or more."),
            ),
        ]
        # The coordinator's dashboard lists the groups not yet over (Cohort.CURRENT) by
        # start date: read from these alone, not by walking every cohort ever run.
        indexes = [
            models.Index(
                fields=["organisation", "start_date", "code"],
                condition=Q(status__in=["planned", "open", "running"]),
                name="cohort_current_start_idx",
            )
        ]
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")

    def __str__(self):
        return self.name or self.code

    def save(self, *args, **kwargs):
        self.organisation_id = self.program.organisation_id
        super().save(*args, **kwargs)


class ContactAccessGrant(models.Model):
    """A coordinator lets one facilitator of a cohort see its participants' legal names,
    contact details and safe-contact notes (``programs.access.sees_contact_details``).

    Only while the grant is not revoked, and never after the cohort ended plus the
    organisation's grace period. A grant revoked and given again is a new row: the rows
    are the history of who could see what, and when.
    """

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="contact_grants")
    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.CASCADE, related_name="contact_grants"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "volunteer"],
                condition=Q(revoked_at__isnull=True),
                name="one_open_contact_grant",
            ),
        ]
        verbose_name = _("contact access")
        verbose_name_plural = _("contact access")

    def __str__(self):
        return f"{self.volunteer} @ {self.cohort.code}"

    def audit_organisation(self):
        return self.cohort.organisation
