"""Organisations, people and their roles, invitations, and the append-only audit log."""

import hashlib
import ipaddress
import json
import secrets
from datetime import UTC

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import actions, audit_guard


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in: by email, never by a user name."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.name or self.email

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name or self.email


#: Where quick exit goes unless the organisation chooses another neutral site.
DEFAULT_QUICK_EXIT_URL = "https://www.google.com/"


def validate_https_url(value: str) -> None:
    """A quick-exit site must be an https address (no http, no javascript:)."""
    if not str(value).lower().startswith("https://") or len(str(value)) <= len("https://"):
        raise ValidationError(
            _("Enter an address that starts with https://, for example %(example)s")
            % {"example": DEFAULT_QUICK_EXIT_URL}
        )


class FieldUse(models.TextChoices):
    """How an organisation uses an identifying participant field (data minimisation)."""

    REQUIRED = "required", _("Required")
    OPTIONAL = "optional", _("Optional")
    HIDDEN = "hidden", _("Not collected")


class Organisation(models.Model):
    """An agency that runs programs. Nothing of one organisation is visible to another."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    require_mfa = models.BooleanField(
        _("require two-factor authentication for every member"), default=False
    )
    participant_code_prefix = models.CharField(
        _("participant code prefix"), max_length=8, default="P"
    )
    #: Retention schedule: months after a participant's last enrollment ends before her
    #: identifying fields and free-text notes are purged (None: kept). The pseudonymous
    #: records the figures need are kept either way.
    retention_months = models.PositiveSmallIntegerField(
        _("keep identifying details for (months after the last enrollment ends)"),
        null=True,
        blank=True,
        help_text=_("Leave blank to keep them until a participant is erased."),
    )
    #: Erasure policy: keep an erased participant's survey scores as anonymous figures
    #: (item answers are always removed) instead of removing her surveys altogether.
    erasure_keeps_scores = models.BooleanField(
        _("on erasure, keep survey scores as anonymous figures"),
        default=False,
        help_text=_(
            "Item answers are always removed. When off, her surveys are removed altogether."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # --- safety and access (quick exit, discreet mode, contact access, minimisation) ---
    quick_exit_url = models.URLField(
        _("quick-exit site"),
        max_length=300,
        default=DEFAULT_QUICK_EXIT_URL,
        validators=[validate_https_url],
        help_text=_(
            "The neutral site that replaces the page when someone presses Quick exit "
            "(or Esc twice). It must start with https://."
        ),
    )
    discreet_mode = models.BooleanField(
        _("discreet mode"),
        default=False,
        help_text=_(
            "A neutral tab title and icon, and no participant names in page titles or messages."
        ),
    )
    contact_access_grace_days = models.PositiveSmallIntegerField(
        _("days facilitators keep contact access after a cohort ends"),
        default=14,
        validators=[MaxValueValidator(365)],
    )
    legal_name_field = models.CharField(
        _("legal name"), max_length=10, choices=FieldUse.choices, default=FieldUse.OPTIONAL
    )
    birth_year_field = models.CharField(
        _("birth year"), max_length=10, choices=FieldUse.choices, default=FieldUse.OPTIONAL
    )
    phone_field = models.CharField(
        _("phone"), max_length=10, choices=FieldUse.choices, default=FieldUse.OPTIONAL
    )
    email_field = models.CharField(
        _("email"), max_length=10, choices=FieldUse.choices, default=FieldUse.OPTIONAL
    )

    #: What coordinators set on the organisation's settings page.
    SAFETY_SETTINGS = (
        "quick_exit_url",
        "discreet_mode",
        "contact_access_grace_days",
        "legal_name_field",
        "birth_year_field",
        "phone_field",
        "email_field",
    )
    #: The identifying participant fields an organisation may hide or require, with the
    #: Organisation field that says how each is used (data minimisation).
    MINIMISED_FIELDS = {
        "legal_name": "legal_name_field",
        "birth_year": "birth_year_field",
        "phone": "phone_field",
        "email": "email_field",
    }

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name

    def field_use(self, field: str) -> str:
        """How the organisation uses a participant field: required, optional or hidden."""
        setting = self.MINIMISED_FIELDS.get(field)
        return getattr(self, setting) if setting else FieldUse.OPTIONAL

    def hidden_fields(self) -> set[str]:
        """Participant fields this organisation does not collect, show or export."""
        return {f for f in self.MINIMISED_FIELDS if self.field_use(f) == FieldUse.HIDDEN}


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    FACILITATOR = "facilitator", _("Facilitator")
    EVALUATOR = "evaluator", _("Evaluator")


class Membership(models.Model):
    """A user's role in one organisation. A user may belong to several organisations."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_role_per_org"),
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} @ {self.organisation}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A one-time link that lets a person set a password and join with a role."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.email} ({self.get_role_display()})"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")

    _raw_delete = delete

    def bulk_create(self, objs, *args, **kwargs):
        """Entries are chained one after the other (``AuditEntry.save``); an upsert would
        rewrite a row, so conflicts are refused rather than resolved."""
        if kwargs.get("update_conflicts") or kwargs.get("ignore_conflicts"):
            raise PermissionError("The audit log is append-only.")
        objs = list(objs)
        for obj in objs:
            obj.save(using=self.db)
        return objs


#: What each entry's hash covers, in this order (``audit_hash``).
HASHED_FIELDS = (
    "created_at",
    "organisation_id",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "detail",
    "ip_address",
    "user_agent",
    "prev_hash",
)


def _canonical_json(value):
    """``value`` as the database hands it back: JSON types only, and whole floats as
    integers (PostgreSQL's ``jsonb`` writes ``1e20`` back as ``100000000000000000000``)."""
    if isinstance(value, dict):
        return {str(k): _canonical_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_json(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def audit_hash(entry: "AuditEntry") -> str:
    """SHA-256 over a canonical serialisation of the entry's fields and the previous
    entry's hash: changing any field of any entry, or removing one, breaks the chain."""
    values = {}
    for name in HASHED_FIELDS:
        value = getattr(entry, name)
        if name == "created_at":
            # Milliseconds, as Django's serialisers write them: a log copied with
            # dumpdata/loaddata (SQLite to PostgreSQL) keeps an intact chain.
            value = value.astimezone(UTC).isoformat(timespec="milliseconds")
        elif name in ("changes", "detail"):
            value = _canonical_json(json.loads(json.dumps(value or {})))
        elif name == "ip_address" and value:
            value = str(ipaddress.ip_address(value))
        values[name] = value
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class AuditEntry(models.Model):
    """One thing someone did. Rows are never changed or removed (see ``peersupport.audit``)."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: A dotted name registered in ``peersupport.actions``, e.g. ``participant.erase``.
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    #: The hash chain (``audit_hash``): the previous entry's ``hash`` ("" for the first),
    #: and this entry's. ``manage.py verify_audit`` walks it.
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-created_at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        using = kwargs.get("using") or "default"
        # One writer at a time appends to the chain (``audit_guard.chain_head``): the
        # chain stays locked until this transaction ends.
        with transaction.atomic(using=using, savepoint=False):
            self.prev_hash = audit_guard.chain_head(transaction.get_connection(using))
            self.hash = audit_hash(self)
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")

    @property
    def action_label(self) -> str:
        return actions.label(self.action)

    @property
    def change_rows(self) -> list[tuple[str, object, object]]:
        """``(field, old, new)`` for display: a template cannot read a key named ``items``."""
        rows = []
        for name, values in self.changes.items():
            if isinstance(values, list | tuple) and len(values) == 2:
                rows.append((name, values[0], values[1]))
            else:
                rows.append((name, None, values))
        return rows

    @property
    def detail_rows(self) -> list[tuple[str, object]]:
        return list(self.detail.items())


class Job(models.Model):
    """The state of a background job: an export being built, an uploaded bundle being
    checked or imported. A row rather than a file, so a job queued by one web host is
    seen by a worker on another host, and its progress by every web host."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")
        IMPORT = "import", _("Import")

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        REJECTED = "rejected", _("Rejected")
        CONFIRMED = "confirmed", _("Confirmed")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    #: States in which a worker (or the foreground) still has something to do.
    WAITING = (State.UPLOADED, State.CHECKING, State.QUEUED, State.CONFIRMED, State.RUNNING)
    #: States in which a worker (or the foreground) is at work on the job.
    WORKING = (State.CHECKING, State.RUNNING)

    token = models.CharField(max_length=64, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices)
    progress = models.PositiveSmallIntegerField(default=0)
    #: What was asked (export options, upload size …): never an identifying value.
    params = models.JSONField(default=dict, blank=True)
    #: What came out (the import report, the export's file name) and the phase under way.
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "state"])]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")

    def __str__(self):
        return f"{self.kind} {self.token[:6]}… ({self.state})"


class WorkerHeartbeat(models.Model):
    """When a worker last ran the beat's heartbeat job (one row per worker host): a row,
    so every web host's health check sees it."""

    hostname = models.CharField(max_length=200, unique=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self):
        return f"{self.hostname} {self.at:%Y-%m-%d %H:%M:%S}"
