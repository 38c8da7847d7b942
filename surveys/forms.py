"""Forms for instruments, program instruments, staff data entry and self-completion."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.models import CONTACT_IN_PERSON, Enrollment
from peersupport.forms import plain_code_errors

from .instruments import ItemData, item_text, labels_for
from .models import Administration, Instrument
from .services import SURVEY_STATUSES, item_field

# --- instruments --------------------------------------------------------------------

_LABEL_LINE = re.compile(r"^\s*(-?\d+)\s*[=:]\s*(.*?)\s*$")


def parse_pairs(text: str, *, what: str, value_type=str) -> dict[str, object]:
    """``"1 = Never; 2 = Sometimes"`` (semicolons or new lines) → ``{"1": "Never", …}``."""
    out: dict[str, object] = {}
    for part in re.split(r"[;\n]", text or ""):
        if not part.strip():
            continue
        match = _LABEL_LINE.match(part)
        if not match:
            raise forms.ValidationError(
                _('Write each %(what)s as "number = value", e.g. "1 = Never".') % {"what": what}
            )
        key, value = match.groups()
        try:
            out[str(int(key))] = value_type(value)
        except ValueError as exc:
            raise forms.ValidationError(
                _("%(value)s is not a number (for %(key)s).") % {"value": value, "key": key}
            ) from exc
    return out


def format_pairs(mapping: dict) -> str:
    pairs = [(k, v) for k, v in (mapping or {}).items() if str(k).lstrip("-").isdigit()]
    return "; ".join(f"{k} = {v}" for k, v in sorted(pairs, key=lambda kv: int(kv[0])))


class InstrumentForm(forms.ModelForm):
    conversion_table = forms.CharField(
        label=_("Score conversion table"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            'Only if the scale requires it: "raw total = published score", one per line or '
            "separated by semicolons, for every possible raw total."
        ),
    )

    class Meta:
        model = Instrument
        fields = [
            "code",
            "name",
            "max_missing",
            "target_score",
            "conversion_table",
            "attribution",
            "display",
        ]
        widgets = {"attribution": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        plain_code_errors(self)
        if self.instance.pk:
            self.initial["conversion_table"] = format_pairs(self.instance.conversion_table)
        if editing:
            # The code ties versions (and administrations) together; it never changes.
            self.fields["code"].disabled = True

    def clean_conversion_table(self):
        return parse_pairs(
            self.cleaned_data.get("conversion_table", ""), what=_("row"), value_type=float
        )


class ItemForm(forms.Form):
    number = forms.IntegerField(label=_("No."), min_value=1, max_value=999)
    text = forms.CharField(label=_("Wording"), required=False, widget=forms.Textarea({"rows": 2}))
    text_fr = forms.CharField(
        label=_("Wording (French)"), required=False, widget=forms.Textarea({"rows": 2})
    )
    min_value = forms.IntegerField(label=_("Lowest"), min_value=-100, max_value=100)
    max_value = forms.IntegerField(label=_("Highest"), min_value=-100, max_value=100)
    reverse = forms.BooleanField(label=_("Reverse-scored"), required=False)
    value_labels = forms.CharField(
        label=_("Value labels"),
        required=False,
        help_text=_('e.g. "1 = Not at all; 2 = Hardly; 3 = Moderately; 4 = Exactly"'),
    )
    value_labels_fr = forms.CharField(label=_("Value labels (French)"), required=False)

    def clean(self):
        data = super().clean()
        low, high = data.get("min_value"), data.get("max_value")
        if low is not None and high is not None and high <= low:
            self.add_error("max_value", _("The highest value must be above the lowest."))
        for name in ("value_labels", "value_labels_fr"):
            try:
                data[name] = parse_pairs(data.get(name, ""), what=_("label"))
            except forms.ValidationError as exc:
                self.add_error(name, exc)
                continue
            if low is not None and high is not None:
                outside = [k for k in data[name] if not low <= int(k) <= (high or low)]
                if outside:
                    self.add_error(
                        name,
                        _("Labels for values outside the range: %(v)s.")
                        % {"v": ", ".join(outside)},
                    )
        return data

    def item_data(self) -> ItemData:
        d = self.cleaned_data
        labels = dict(d["value_labels"])
        if d["value_labels_fr"]:
            labels["fr"] = dict(d["value_labels_fr"])
        return ItemData(
            number=d["number"],
            min_value=d["min_value"],
            max_value=d["max_value"],
            text=d["text"],
            text_fr=d["text_fr"],
            reverse=d["reverse"],
            value_labels=labels,
        )


class BaseItemFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        numbers = [
            f.cleaned_data["number"]
            for f in self.forms
            if f.cleaned_data and not self._should_delete_form(f)
        ]
        if not numbers:
            raise forms.ValidationError(_("An instrument needs at least one item."))
        if len(set(numbers)) != len(numbers):
            raise forms.ValidationError(_("Two items have the same number."))

    def items(self) -> list[ItemData]:
        return [
            f.item_data() for f in self.forms if f.cleaned_data and not self._should_delete_form(f)
        ]


ItemFormSet = forms.formset_factory(ItemForm, formset=BaseItemFormSet, extra=1, can_delete=True)


def item_initial(instrument: Instrument | None) -> list[dict]:
    if instrument is None:
        return []
    return [
        {
            "number": i.number,
            "text": i.text,
            "text_fr": i.text_fr,
            "min_value": i.min_value,
            "max_value": i.max_value,
            "reverse": i.reverse,
            "value_labels": format_pairs(i.value_labels),
            "value_labels_fr": format_pairs((i.value_labels or {}).get("fr", {})),
        }
        for i in instrument.items.all()
    ]


class ProgramInstrumentForm(forms.Form):
    instrument_code = forms.ChoiceField(label=_("Instrument"))
    target_pct = forms.FloatField(
        label=_("Target % meeting the target score at post"),
        required=False,
        min_value=0,
        max_value=100,
    )
    timepoints = forms.MultipleChoiceField(
        label=_("Asked at"),
        choices=Administration.Timepoint.choices,
        initial=["pre", "post"],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one of pre, post and follow-up.")},
    )

    def __init__(self, *args, instruments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument_code"].choices = [(i.code, str(i)) for i in instruments]


class CatalogAddForm(forms.Form):
    target_pct = forms.FloatField(label=_("Target %"), required=False, min_value=0, max_value=100)


# --- answers ------------------------------------------------------------------------


class AnswersMixin:
    """Adds one field per item (``item_<n>``) and collects them as ``{number: value}``."""

    def add_item_fields(self, instrument: Instrument, *, choices: bool, language: str = "en"):
        self.instrument = instrument
        self.item_names = []
        for item in instrument.items.all():
            name = item_field(item.number)
            text = item_text(item, language).strip()
            label = (
                f"{item.number}. {text}"
                if text
                else _("Question %(n)s") % {"n": item.number}  # wording not pasted in yet
            )
            if choices:
                labels = labels_for(item, language)
                field = forms.TypedChoiceField(
                    label=label,
                    required=False,
                    coerce=int,
                    empty_value=None,
                    choices=[
                        (v, labels.get(v, str(v)))
                        for v in range(item.min_value, item.max_value + 1)
                    ],
                    widget=forms.RadioSelect,
                    error_messages={
                        "invalid_choice": _("Choose one of the answers, or skip this question.")
                    },
                )
            else:
                field = forms.IntegerField(
                    label=label,
                    required=False,
                    min_value=item.min_value,
                    max_value=item.max_value,
                    error_messages={
                        "invalid": _("Enter a whole number from %(min)s to %(max)s.")
                        % {"min": item.min_value, "max": item.max_value},
                        "min_value": _("Lowest allowed is %(limit_value)s."),
                        "max_value": _("Highest allowed is %(limit_value)s."),
                    },
                    widget=forms.NumberInput(
                        attrs={
                            "inputmode": "numeric",
                            "step": 1,
                            "autocomplete": "off",
                            "class": "form-control item-input",
                        }
                    ),
                )
            field.item = item
            self.fields[name] = field
            self.item_names.append(name)

    def answers(self) -> dict[int, int | None]:
        return {self.fields[n].item.number: self.cleaned_data.get(n) for n in self.item_names}

    def item_fields(self):
        return [self[n] for n in self.item_names]


class StaffEntryForm(AnswersMixin, forms.Form):
    enrollment = forms.ModelChoiceField(label=_("Participant"), queryset=Enrollment.objects.none())
    date = forms.DateField(
        label=_("Date completed"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, cohort, instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enrollment"].queryset = (
            Enrollment.objects.filter(cohort=cohort)
            .select_related("participant")
            .order_by("participant__code")
        )
        self.fields["enrollment"].label_from_instance = self._enrollment_label
        if not self.initial.get("date"):
            self.fields["date"].initial = timezone.localdate()
        self.add_item_fields(instrument, choices=False)

    @staticmethod
    def _enrollment_label(enrollment) -> str:
        name = enrollment.participant.preferred_name
        label = f"{enrollment.participant.code} — {name}" if name else enrollment.participant.code
        if enrollment.status not in SURVEY_STATUSES:
            label += f" ({enrollment.get_status_display()})"
        return label

    def clean_date(self):
        value = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return value


class AdministrationEditForm(AnswersMixin, forms.Form):
    date = forms.DateField(
        label=_("Date completed"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, administration: Administration, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_item_fields(administration.instrument, choices=False)
        self.fields["date"].initial = administration.date
        for answer in administration.answers.all():
            name = item_field(answer.item.number)
            if name in self.fields:
                self.fields[name].initial = answer.value


class SelfCompletionForm(AnswersMixin, forms.Form):
    """Only the questions: nothing about the person who answers."""

    def __init__(self, *args, instrument: Instrument, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_item_fields(instrument, choices=True, language=language)


# --- links and kiosk ----------------------------------------------------------------

#: Ways a self-completion link reaches her; text and email must be allowed by her
#: safe-contact rules (``Participant.contact_refusal``).
LINK_CHANNELS = [
    (CONTACT_IN_PERSON, _("In person: she scans the QR code")),
    ("text", _("By text message")),
    ("email", _("By email")),
]


def _timepoint_field():
    return forms.ChoiceField(label=_("Timepoint"), choices=Administration.Timepoint.choices)


class SurveyLinkForm(forms.Form):
    instrument_code = forms.ChoiceField(label=_("Instrument"))
    timepoint = _timepoint_field()
    language = forms.ChoiceField(label=_("Language of the survey"), choices=settings.LANGUAGES)
    channel = forms.ChoiceField(
        label=_("How she gets the link"),
        choices=LINK_CHANNELS,
        initial=CONTACT_IN_PERSON,
        required=False,
        help_text=_("Her safe-contact rules decide which ways are allowed."),
    )

    def __init__(self, *args, codes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument_code"].choices = [(c, c) for c in codes]

    def clean_channel(self):
        return self.cleaned_data.get("channel") or CONTACT_IN_PERSON


class KioskStartForm(forms.Form):
    instrument_code = forms.ChoiceField(label=_("Instrument"))
    timepoint = _timepoint_field()
    language = forms.ChoiceField(label=_("Language of the survey"), choices=settings.LANGUAGES)
    pin = forms.RegexField(
        label=_("Staff PIN for this kiosk"),
        regex=r"^\d{4,8}$",
        help_text=_("4 to 8 digits. You enter it to get back to the list after each person."),
        error_messages={"invalid": _("Use 4 to 8 digits.")},
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, codes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument_code"].choices = [(c, c) for c in codes]


class KioskPinForm(forms.Form):
    pin = forms.CharField(
        label=_("Staff PIN"),
        max_length=8,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
