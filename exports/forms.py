"""The export form: which export, which format, and how identifying details are handled."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from peersupport.permissions import COORDINATOR

from .base import DATE_CHOICES, DATES_NONE, ExportOptions
from .registry import EXPORTERS
from .services import export_options

FORMAT_CHOICES = (
    ("csv", _("CSV (Excel, R)")),
    ("xlsx", _("Excel workbook (.xlsx)")),
    ("sav", _("SPSS (.sav)")),
    ("dta", _("Stata (.dta)")),
)
PART_CHOICES = (("data", _("Data")), ("codebook", _("Data dictionary (codebook)")))
VALUE_CHOICES = (("coded", _("Coded values (numbers)")), ("labels", _("Labels (words)")))
AUDIENCE_CHOICES = (
    ("external", _("To share outside the organisation (small counts suppressed)")),
    ("internal", _("For use inside the organisation only")),
)
PERIOD_CHOICES = (("all", _("All years")), ("year", _("One program year")))
MIN_SALT = 12


class ExportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Export"), choices=[(k, e.verbose_name) for k, e in EXPORTERS.items()]
    )
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, initial="csv")
    part = forms.ChoiceField(label=_("File"), choices=PART_CHOICES, initial="data")
    values = forms.ChoiceField(
        label=_("Categories as"),
        choices=VALUE_CHOICES,
        initial="coded",
        help_text=_("SPSS and Stata files always hold codes with their labels attached."),
    )
    dates = forms.ChoiceField(label=_("Dates"), choices=DATE_CHOICES, initial=DATES_NONE)
    period = forms.ChoiceField(label=_("Cohorts"), choices=PERIOD_CHOICES, initial="all")
    year = forms.IntegerField(label=_("Program year"), min_value=1, required=False)
    audience = forms.ChoiceField(label=_("Audience"), choices=AUDIENCE_CHOICES, initial="external")
    salt = forms.CharField(
        label=_("Project salt (optional)"),
        required=False,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"}),
        help_text=_(
            "Give the same secret phrase each time to keep the same pseudonyms across "
            "exports of this project. Leave empty for pseudonyms used in this export only."
        ),
    )

    def __init__(self, *args, program, role, **kwargs):
        kwargs.setdefault("auto_id", f"id_p{program.pk}_%s")
        super().__init__(*args, **kwargs)
        self.program = program
        self.role = role
        if role != COORDINATOR:
            # Evaluators are outside the organisation: small counts are always suppressed.
            self.fields["audience"].choices = AUDIENCE_CHOICES[:1]

    def clean_salt(self):
        salt = self.cleaned_data.get("salt", "")
        if salt and len(salt) < MIN_SALT:
            raise forms.ValidationError(
                _("A project salt needs at least %(n)s characters.") % {"n": MIN_SALT}
            )
        return salt

    def clean(self):
        data = super().clean()
        if data.get("period") == "year":
            year = data.get("year")
            if not year:
                self.add_error("year", _("Choose a program year (1 is the first)."))
        return data

    def options(self) -> ExportOptions:
        data = self.cleaned_data
        return export_options(
            program=self.program,
            labels=data["values"] == "labels",
            dates=data["dates"],
            external=data["audience"] != "internal" or self.role != COORDINATOR,
            salt=data["salt"],
            year=data["year"] if data["period"] == "year" else None,
        )
