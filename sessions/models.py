"""Group sessions of a cohort, attendance at them, and anonymous session feedback."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from participants.models import Enrollment
from peersupport.fields import EncryptedTextField
from programs.models import Cohort, Module, Volunteer


class Session(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="sessions")
    number = models.PositiveSmallIntegerField(_("number"))
    date = models.DateField(_("date"), db_index=True)
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SCHEDULED
    )
    module = models.ForeignKey(
        Module,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("module"),
    )
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    facilitators = models.ManyToManyField(
        Volunteer, blank=True, related_name="sessions", verbose_name=_("facilitators who ran it")
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), null=True, blank=True
    )
    # Free text written after a session may name or describe someone despite the help
    # text: encrypted (the audit log masks encrypted fields), never searched in SQL.
    topics_covered = EncryptedTextField(_("topics covered"), blank=True)
    notes = EncryptedTextField(
        _("notes"),
        blank=True,
        help_text=_("Do not write anything that identifies a participant."),
    )
    incident_flagged = models.BooleanField(_("incident for supervisor follow-up"), default=False)
    incident_notes = EncryptedTextField(_("incident notes"), blank=True)
    # A flagged incident stays open (on the coordinator's dashboard) until someone records
    # what was done about it: who, when and what (the note is free text, so encrypted).
    incident_followed_up_at = models.DateTimeField(
        _("incident followed up on"), null=True, blank=True
    )
    incident_followed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incident followed up by"),
    )
    incident_follow_up = EncryptedTextField(_("incident follow-up"), blank=True)
    cancel_reason = EncryptedTextField(_("reason for cancelling"), max_length=200, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cohort", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "number"], name="session_number_unique"),
            models.CheckConstraint(
                condition=Q(end_time__isnull=True)
                | Q(start_time__isnull=True)
                | Q(end_time__gt=models.F("start_time")),
                name="session_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["cohort", "status", "date"]),
            # The dashboard's open incidents: the few flagged and not followed up yet.
            models.Index(
                fields=["date"],
                condition=Q(incident_flagged=True, incident_followed_up_at__isnull=True),
                name="session_open_incident_idx",
            ),
        ]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self):
        return _("Session %(number)s — %(date)s") % {"number": self.number, "date": self.date}

    def audit_organisation(self):
        return self.cohort.organisation


class Attendance(models.Model):
    """Whether an enrollment came to a session: one row per session and enrollment."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Excused")

    #: Statuses that count as attended (docs/figures.md).
    ATTENDED = (Status.PRESENT, Status.LATE)

    # Two million rows arrive in one national import, and each index costs every row:
    # the session and enrollment columns are searched through the indexes that start
    # with them (one_attendance_per_session, and enrollment with status), and only the
    # rows someone recorded are indexed by who did (imported rows have nobody).
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="attendance", db_index=False
    )
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="attendance", db_index=False
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "enrollment"], name="one_attendance_per_session"
            ),
        ]
        indexes = [
            models.Index(fields=["enrollment", "status"]),
            models.Index(
                fields=["recorded_by"],
                condition=models.Q(recorded_by__isnull=False),
                name="attendance_recorded_by_idx",
            ),
        ]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")

    def __str__(self):
        return f"{self.session_id}/{self.enrollment_id}: {self.status}"

    def audit_organisation(self):
        return self.session.cohort.organisation


class MissedRun(models.Model):
    """How many of its latest offered sessions in a row an enrollment missed, while that is
    not zero and its cohort is not over: kept by ``sessions/outreach.py`` for the
    coordinator's outreach list. Derived from attendance; holds nothing of its own."""

    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.CASCADE, primary_key=True, related_name="missed_run"
    )
    missed = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["missed"], name="missed_run_missed_idx")]
        verbose_name = _("run of missed sessions")
        verbose_name_plural = _("runs of missed sessions")

    def __str__(self):
        return f"{self.enrollment_id}: {self.missed}"


class SessionFeedback(models.Model):
    """An anonymous feedback form: no link to any participant, ever."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="feedback")
    ratings = models.JSONField(_("ratings"), default=dict)
    #: Anonymous, but a comment may name someone: encrypted.
    comment = EncryptedTextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("session feedback")
        verbose_name_plural = _("session feedback")

    def __str__(self):
        return f"feedback #{self.pk}"


class OfflineChange(models.Model):
    """A change made on a facilitator's phone without a connection, and what the server
    did with it when the phone sent it (``sessions/offline.py``).

    ``client_id`` is made by the phone: the same change sent twice is recognised and
    answered again without being applied again. Kept for the facilitator's answer and the
    record; it holds no name and no free text (a session log's text goes to the session).
    """

    class Kind(models.TextChoices):
        TAP = "tap", _("attendance tap")
        LOG = "log", _("session log")

    class Result(models.TextChoices):
        APPLIED = "applied", _("applied")
        OVERRIDDEN = "overridden", _("overridden by a later change")
        REFUSED = "refused", _("refused")

    client_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    #: When the change was made on the phone (corrected for the phone's clock).
    made_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    result = models.CharField(max_length=10, choices=Result.choices)
    reason = models.CharField(max_length=20, blank=True)
    #: The attendance row's ``updated_at`` right after this change was applied: while the
    #: row still has it, the row's last change is this one, made at ``made_at``.
    applied_at = models.DateTimeField(null=True, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)
    overridden_status = models.CharField(max_length=10, blank=True)

    class Meta:
        indexes = [models.Index(fields=["session", "enrollment", "result"])]
        verbose_name = _("change made offline")
        verbose_name_plural = _("changes made offline")

    def __str__(self):
        return f"{self.kind} {self.client_id}: {self.result}"

    def audit_organisation(self):
        return self.session.cohort.organisation
