"""Instruments and their versions, the programs that use them, survey administrations
and answers, self-completion links."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from participants.models import Enrollment
from peersupport.models import Organisation
from programs.models import Program


class Instrument(models.Model):
    """A questionnaire (scale) at one version. Editing one that has answers makes a new
    version; administrations keep the version they were answered on."""

    class Display(models.TextChoices):
        ALL = "all", _("All items on one page")
        ONE = "one", _("One item per screen")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="instruments"
    )
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    max_missing = models.PositiveSmallIntegerField(
        _("items that may be missing"),
        default=0,
        help_text=_("Up to this many missing items are pro-rated; more leaves no score."),
    )
    target_score = models.FloatField(_("target score"), null=True, blank=True)
    conversion_table = models.JSONField(
        _("score conversion table"),
        default=dict,
        blank=True,
        help_text=_("Raw total → published transformed score, if the scale requires one."),
    )
    attribution = models.TextField(
        _("notes for staff"),
        blank=True,
        help_text=_("Shown to staff only, never on the participants' pages."),
    )
    #: The ``surveys.library`` entry this instrument was made from ("" for your own).
    library_code = models.CharField(_("library entry"), max_length=32, blank=True)
    citation = models.TextField(_("citation"), blank=True)
    licence = models.TextField(_("licence"), blank=True)
    notice = models.CharField(
        _("notice shown to participants"),
        max_length=300,
        blank=True,
        help_text=_("A copyright line the licence asks to show with the questionnaire."),
    )
    score_label = models.CharField(
        _("what the score is"),
        max_length=60,
        blank=True,
        help_text=_("For example “raw total” or “metric score”; reports print it."),
    )
    higher_is_better = models.BooleanField(
        _("higher scores are better"),
        default=True,
        help_text=_("When off, a score at or below the target score meets the target."),
    )
    has_published_cutoff = models.BooleanField(
        _("the target is the scale's published cut-off"),
        default=False,
        help_text=_("Off: the target score is your organisation's own choice."),
    )
    #: Published score bands: ``[[low, high, "label", "libellé"], …]``, both ends inclusive.
    bands = models.JSONField(_("published score bands"), default=list, blank=True)
    display = models.CharField(
        _("self-completion layout"), max_length=4, choices=Display.choices, default=Display.ALL
    )
    is_current = models.BooleanField(_("current version"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code", "version"], name="instrument_version_unique"
            ),
            models.UniqueConstraint(
                fields=["organisation", "code"],
                condition=Q(is_current=True),
                name="one_current_instrument_version",
            ),
        ]
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")

    def __str__(self):
        return f"{self.name} ({self.code} v{self.version})"

    @property
    def has_wording(self) -> bool:
        """Every item has (English) wording: participants may answer it on their own."""
        return all(item.text.strip() for item in self.items.all())


class InstrumentItem(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveSmallIntegerField(_("item number"))
    text = models.TextField(_("wording"), blank=True)
    text_fr = models.TextField(_("wording (French)"), blank=True)
    min_value = models.SmallIntegerField(_("lowest value"))
    max_value = models.SmallIntegerField(_("highest value"))
    reverse = models.BooleanField(_("reverse-scored"), default=False)
    value_labels = models.JSONField(_("value labels"), default=dict, blank=True)

    class Meta:
        ordering = ["instrument", "number"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="item_number_unique"),
            models.CheckConstraint(
                condition=Q(max_value__gt=models.F("min_value")), name="item_range_valid"
            ),
        ]
        verbose_name = _("item")
        verbose_name_plural = _("items")

    def __str__(self):
        return f"{self.instrument.code} #{self.number}"


class ProgramInstrument(models.Model):
    """An instrument a program uses, with the program's target for % meeting target."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="instruments")
    instrument_code = models.SlugField(_("instrument code"), max_length=32)
    target_pct = models.FloatField(_("target % meeting target at post"), null=True, blank=True)
    at_pre = models.BooleanField(_("asked at pre"), default=True)
    at_post = models.BooleanField(_("asked at post"), default=True)
    at_followup = models.BooleanField(_("asked at follow-up"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "instrument_code"], name="program_instrument_unique"
            ),
            models.CheckConstraint(
                condition=Q(at_pre=True) | Q(at_post=True) | Q(at_followup=True),
                name="program_instrument_asked_at_some_timepoint",
            ),
            models.CheckConstraint(
                condition=Q(target_pct__isnull=True)
                | (Q(target_pct__gte=0) & Q(target_pct__lte=100)),
                name="target_pct_range",
            ),
        ]
        verbose_name = _("program instrument")
        verbose_name_plural = _("program instruments")

    def __str__(self):
        return f"{self.program.code}: {self.instrument_code}"

    @property
    def timepoints(self) -> tuple[str, ...]:
        """The timepoints the program asks this instrument at, in order."""
        asked = (("pre", self.at_pre), ("post", self.at_post), ("followup", self.at_followup))
        return tuple(tp for tp, on in asked if on)


class Administration(models.Model):
    """One completion of an instrument by one enrollment at one timepoint."""

    class Timepoint(models.TextChoices):
        PRE = "pre", _("Pre")
        POST = "post", _("Post")
        FOLLOWUP = "followup", _("Follow-up")

    class Mode(models.TextChoices):
        STAFF = "staff", _("Staff entry")
        SELF = "self", _("Self-completed")

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="administrations"
    )
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="administrations"
    )
    #: Copied from the instrument: "one per enrollment, instrument and timepoint" holds
    #: across versions of the same instrument.
    instrument_code = models.SlugField(max_length=32, editable=False)
    timepoint = models.CharField(_("timepoint"), max_length=10, choices=Timepoint.choices)
    date = models.DateField(_("date"))
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.STAFF)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    score = models.FloatField(_("score"), null=True, blank=True)
    answered_n = models.PositiveSmallIntegerField(default=0)
    missing_n = models.PositiveSmallIntegerField(default=0)
    is_complete = models.BooleanField(
        _("scored"),
        default=False,
        help_text=_("False when more items are missing than the instrument allows."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "instrument_code", "timepoint"],
                name="one_administration_per_timepoint",
            ),
        ]
        indexes = [models.Index(fields=["instrument_code", "timepoint"])]
        verbose_name = _("survey administration")
        verbose_name_plural = _("survey administrations")

    def __str__(self):
        return f"{self.instrument_code} {self.timepoint} #{self.enrollment_id}"

    def save(self, *args, **kwargs):
        self.instrument_code = self.instrument.code
        super().save(*args, **kwargs)

    def audit_organisation(self):
        return self.instrument.organisation


class Answer(models.Model):
    administration = models.ForeignKey(
        Administration, on_delete=models.CASCADE, related_name="answers"
    )
    item = models.ForeignKey(InstrumentItem, on_delete=models.PROTECT, related_name="+")
    value = models.SmallIntegerField(_("value"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["administration", "item"], name="one_answer_per_item"),
        ]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self):
        return f"{self.item_id}={self.value}"


class SurveyLink(models.Model):
    """A one-time link for a participant to complete a survey on their own phone."""

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="survey_links"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="+")
    timepoint = models.CharField(max_length=10, choices=Administration.Timepoint.choices)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("survey link")
        verbose_name_plural = _("survey links")

    def __str__(self):
        return f"{self.instrument_id} {self.timepoint} #{self.enrollment_id}"
