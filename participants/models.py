"""Participants (pseudonymous code, encrypted identifiers), consent, enrollment, referrals."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peersupport.fields import EncryptedTextField
from peersupport.models import Organisation
from programs.models import Cohort, Program

PREFER_NOT = "prefer_not", _("Prefer not to say")


class Participant(models.Model):
    """A person in a program, known everywhere by ``code``; identifying fields are encrypted.

    ``str()`` is the code, never the name: anything that prints a participant (logs,
    reports, exports) shows the pseudonym unless a view deliberately shows the name.
    """

    class Gender(models.TextChoices):
        WOMAN = "woman", _("Woman")
        MAN = "man", _("Man")
        NON_BINARY = "non_binary", _("Non-binary / two-spirit / gender diverse")
        SELF_DESCRIBED = "self_described", _("Another identity")
        PREFER_NOT = PREFER_NOT

    class YesNo(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        PREFER_NOT = PREFER_NOT

    class Consent(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        UNKNOWN = "unknown", _("Not asked yet")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="participants"
    )
    code = models.CharField(_("participant code"), max_length=32)
    preferred_name = EncryptedTextField(_("preferred name"), blank=True)
    legal_name = EncryptedTextField(_("legal name"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    email = EncryptedTextField(_("email"), blank=True)
    safe_contact = EncryptedTextField(
        _("safe-contact instructions"),
        blank=True,
        help_text=_('For example "text only", "no voicemail".'),
    )
    # Safe-contact rules: how she may be contacted. Pages that show a contact detail show
    # them beside it (participants/_contact_rules.html); messages the app prepares for her
    # obey them (``contact_refusal``).
    contact_never = models.BooleanField(
        _("do not contact at all"),
        default=False,
        help_text=_("Nobody contacts her outside the group, by any means."),
    )
    allow_phone = models.BooleanField(_("phone calls allowed"), default=True)
    allow_text = models.BooleanField(_("text messages allowed"), default=True)
    allow_voicemail = models.BooleanField(_("voicemail allowed"), default=True)
    allow_email = models.BooleanField(_("email allowed"), default=True)
    no_messages = models.BooleanField(
        _("do not leave messages"),
        default=False,
        help_text=_("No voicemail, no message with someone else who answers."),
    )
    safe_times = EncryptedTextField(
        _("safe times to contact"),
        max_length=200,
        blank=True,
        help_text=_('For example "weekdays 10:00 to 14:00".'),
    )
    code_word = EncryptedTextField(
        _("code word"),
        max_length=100,
        blank=True,
        help_text=_("A word she and the agency use to confirm it is safe to talk."),
    )
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    gender_identity = models.CharField(
        _("gender identity"), max_length=20, blank=True, choices=Gender.choices
    )
    indigenous_identity = models.CharField(
        _("Indigenous identity"), max_length=20, blank=True, choices=YesNo.choices
    )
    racialised = models.CharField(
        _("racialised / visible minority"), max_length=20, blank=True, choices=YesNo.choices
    )
    #: Free text ("her sister", "the shelter on Main St."): encrypted like the identifiers.
    referral_source = EncryptedTextField(_("referral source"), max_length=200, blank=True)
    #: Current consent to evaluation use, kept in step with the Consent records by
    #: ``participants.services``; evaluation figures filter on it.
    evaluation_consent = models.CharField(
        _("consent to evaluation use"),
        max_length=10,
        choices=Consent.choices,
        default=Consent.UNKNOWN,
    )
    #: The expiry date of the current evaluation consent (None: it does not expire), kept
    #: in step with the Consent records like ``evaluation_consent``.
    evaluation_consent_expires_on = models.DateField(
        _("consent to evaluation use expires on"), null=True, blank=True
    )
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    #: When the retention schedule cleared the identifying fields and free text (the
    #: pseudonymous record stays, and still counts in every figure).
    identifiers_purged_at = models.DateTimeField(
        _("identifying details purged at"), null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    #: The encrypted identifiers, never shown to evaluators, wiped by erasure.
    IDENTIFYING_FIELDS = (
        "preferred_name",
        "legal_name",
        "phone",
        "email",
        "safe_contact",
        "safe_times",
        "code_word",
    )
    #: What a facilitator sees only with contact access to a current cohort of hers
    #: (``programs.access``): everything identifying but the preferred name.
    CONTACT_FIELDS = ("legal_name", "phone", "email", "safe_contact", "safe_times", "code_word")
    #: The contact rules' switches, in the order pages show them.
    CONTACT_RULE_FIELDS = (
        "contact_never",
        "allow_phone",
        "allow_text",
        "allow_voicemail",
        "allow_email",
        "no_messages",
    )
    #: What erasure wipes: the identifiers and the free text about where she came from.
    ERASED_FIELDS = (*IDENTIFYING_FIELDS, "referral_source")
    #: What the audit log records as changed but never copies: with the birth year, a
    #: code in a copied log row would point to one person.
    AUDIT_MASKED_FIELDS = (*ERASED_FIELDS, "birth_year")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code"], name="participant_code_per_org"
            ),
        ]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self):
        return self.code

    def contact_refusal(self, channel: str) -> str | None:
        """Why she must not be contacted by ``channel`` (``phone``, ``text``,
        ``voicemail``, ``email``, ``in_person``), or None when her rules allow it."""
        if channel == CONTACT_IN_PERSON:
            return None
        if self.contact_never:
            return str(_("She asked not to be contacted at all."))
        allowed = {
            "phone": self.allow_phone,
            "text": self.allow_text,
            "voicemail": self.allow_voicemail and not self.no_messages,
            "email": self.allow_email,
        }
        if channel not in allowed:
            raise ValueError(f"unknown contact channel {channel!r}")
        if not allowed[channel]:
            return str(CONTACT_REFUSALS[channel])
        return None

    @property
    def do_not_contact(self) -> bool:
        return self.contact_never


#: Ways to reach a participant outside the group, as contact rules name them.
CONTACT_IN_PERSON = "in_person"
CONTACT_REFUSALS = {
    "phone": _("She does not allow phone calls."),
    "text": _("She does not allow text messages."),
    "voicemail": _("She does not allow voicemail or messages left for her."),
    "email": _("She does not allow email."),
}


def evaluation_consented(prefix: str = "", *, on: date | None = None) -> Q:
    """The consent rule of the figures and exports, seen from a model ``prefix`` away from
    the participant (``"enrollment__participant__"`` from a survey administration):
    her consent to evaluation use is "yes" and has not expired on ``on`` (today by
    default). A withdrawn consent makes it "no" from the withdrawal date (``consent_sync``);
    an expired one stops counting on its expiry date."""
    day = on or timezone.localdate()
    return Q(**{f"{prefix}evaluation_consent": Participant.Consent.YES}) & (
        Q(**{f"{prefix}evaluation_consent_expires_on__isnull": True})
        | Q(**{f"{prefix}evaluation_consent_expires_on__gt": day})
    )


def is_evaluation_consented(participant: Participant, *, on: date | None = None) -> bool:
    """``evaluation_consented`` for one participant in memory."""
    day = on or timezone.localdate()
    expires = participant.evaluation_consent_expires_on
    return participant.evaluation_consent == Participant.Consent.YES and (
        expires is None or expires > day
    )


class Consent(models.Model):
    """A consent given or refused for one purpose, with the version of the text the person
    agreed to; it may expire (``expires_on``: from that day it no longer applies)."""

    class Kind(models.TextChoices):
        PARTICIPATION = "participation", _("Consent to take part")
        EVALUATION = "evaluation", _("Consent to evaluation use")
        REFERRAL = "referral", _("Consent to share details with a partner agency")

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("purpose"), max_length=20, choices=Kind.choices)
    #: The partner agency a referral-sharing consent names (only for that purpose).
    partner = models.ForeignKey(
        "Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents",
        verbose_name=_("partner agency"),
    )
    given = models.BooleanField(_("given"))
    date = models.DateField(_("date"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    text_version = models.CharField(_("version of the consent text"), max_length=40)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=models.F("date")),
                name="consent_withdrawn_after_given",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=models.F("date")),
                name="consent_expires_after_given",
            ),
            models.CheckConstraint(
                condition=Q(kind="referral", partner__isnull=False)
                | (~Q(kind="referral") & Q(partner__isnull=True)),
                name="consent_partner_only_for_referral",
            ),
        ]
        # The dashboard's "consents expiring soon": the few live consents with an end
        # date, by that date (not a scan of every consent ever recorded).
        indexes = [
            models.Index(
                fields=["expires_on"],
                condition=Q(given=True, withdrawn_on__isnull=True, expires_on__isnull=False),
                name="consent_live_expiry_idx",
            )
        ]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.given}"

    def audit_organisation(self):
        return self.participant.organisation

    @property
    def is_current_yes(self) -> bool:
        return self.given and self.withdrawn_on is None

    def is_current_on(self, day) -> bool:
        """Given, and neither withdrawn nor expired on ``day``."""
        return (
            self.given
            and (self.withdrawn_on is None or self.withdrawn_on > day)
            and (self.expires_on is None or self.expires_on > day)
        )


class Enrollment(models.Model):
    """A participant in a cohort. ``enrolled_on`` may be after the cohort started."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        WAITLISTED = "waitlisted", _("Waitlisted")
        ENROLLED = "enrolled", _("Enrolled")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    #: Stages that count in rosters and evaluation figures (a withdrawn person is on rosters
    #: up to their exit date). Only enrolled and completed take a place (capacity).
    ACTIVE_STATUSES = (Status.ENROLLED, Status.COMPLETED, Status.WITHDRAWN)

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="enrollments"
    )
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="enrollments")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ENROLLED
    )
    applied_on = models.DateField(_("applied on"), null=True, blank=True)
    enrolled_on = models.DateField(_("enrolled on"), null=True, blank=True)
    exit_date = models.DateField(_("exit date"), null=True, blank=True)
    #: Free text about a person (why she left): encrypted, wiped by erasure, never in the log.
    exit_reason = EncryptedTextField(_("exit reason"), max_length=200, blank=True)
    exit_notes = EncryptedTextField(_("exit notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cohort", "participant__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "cohort"], name="one_enrollment_per_cohort"
            ),
            models.CheckConstraint(
                condition=Q(exit_date__isnull=True)
                | Q(enrolled_on__isnull=True)
                | Q(exit_date__gte=models.F("enrolled_on")),
                name="exit_after_enrollment",
            ),
        ]
        indexes = [models.Index(fields=["cohort", "status"])]
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")

    def __str__(self):
        return f"{self.participant.code} @ {self.cohort.code}"

    def audit_organisation(self):
        return self.cohort.organisation


class Partner(models.Model):
    """A partner agency participants are referred to."""

    class Type(models.TextChoices):
        FAMILY = "family_services", _("Family services")
        COUNSELLING = "counselling", _("Counselling")
        ADDICTION = "addiction", _("Addiction")
        MENTAL_HEALTH = "mental_health", _("Mental health")
        HEALTH_CARE = "health_care", _("Health care")
        LEGAL = "legal", _("Legal")
        HOUSING = "housing", _("Housing")
        LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement")
        OTHER = "other", _("Other")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="partners"
    )
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    #: A partner's contact and notes name people (and notes may name participants):
    #: encrypted, and the audit log records that they changed, not what they say.
    contact_person = EncryptedTextField(_("contact person"), max_length=150, blank=True)
    phone = EncryptedTextField(_("phone"), max_length=40, blank=True)
    email = EncryptedTextField(_("email"), max_length=254, blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="partner_name_per_org"),
        ]
        verbose_name = _("partner agency")
        verbose_name_plural = _("partner agencies")

    def __str__(self):
        return self.name


class Referral(models.Model):
    class Status(models.TextChoices):
        MADE = "made", _("Made")
        ACCEPTED = "accepted", _("Accepted")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined")

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="referrals")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="referrals")
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    date = models.DateField(_("date"))
    #: Free text about a person: encrypted, wiped by erasure, never in the log.
    reason = EncryptedTextField(_("reason"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.MADE
    )
    #: The participant's details go to the partner: needs her current referral consent
    #: for that partner (``services.referral_create``).
    shares_details = models.BooleanField(
        _("shares her details with the partner"),
        default=False,
        help_text=_("Needs her current consent to share details with this partner agency."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self):
        return f"{self.participant.code} → {self.partner}"

    def audit_organisation(self):
        return self.participant.organisation


class ErasureRequest(models.Model):
    """A coordinator's request to erase one participant, decided by a second coordinator.

    Nothing is erased until another coordinator approves; the reason is encrypted (it may
    say something about the person) and the record stays after the erasure, saying who
    asked and who approved, never what was erased.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second coordinator")
        APPROVED = "approved", _("Approved: erased")
        REJECTED = "rejected", _("Rejected")

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="erasure_requests"
    )
    reason = EncryptedTextField(_("reason"), max_length=500)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(status="pending"),
                name="one_pending_erasure_request",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="erasure_decided_by_another",
            ),
        ]
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")

    def __str__(self):
        return f"{self.participant.code}: {self.status}"

    def audit_organisation(self):
        return self.participant.organisation


class ParticipantNameTerm(models.Model):
    """One entry of the blind index of preferred names (``participants.name_index``): a
    keyed hash (HMAC-SHA256 under ``NAME_INDEX_KEY``) of a prefix of one word of the name.
    The name itself is never stored here; without the key the hashes say nothing."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="name_terms"
    )
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["digest", "participant"], name="name_term_unique"),
        ]
        verbose_name = _("name index entry")
        verbose_name_plural = _("name index entries")

    def __str__(self):
        return f"{self.participant_id}:{self.digest[:8]}"
