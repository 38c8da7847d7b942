"""Forms for programs (with module and topic formsets), closure dates and volunteers.

Forms check what a person typed and say where it is wrong; the rules that span several
rows live in ``services`` and are asked here too, so the form shows them next to the input.
"""

from __future__ import annotations

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from .models import (
    ClosureDate,
    CurriculumTopic,
    Module,
    Program,
    SupervisionEntry,
    Volunteer,
    VolunteerTraining,
)
from .selectors import facilitator_accounts
from .services import ModuleSpec, TopicSpec, structure_errors
from .templates_catalog import TEMPLATES, template_choices


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = [
            "code",
            "name",
            "status",
            "start_date",
            "end_date",
            "target_population",
            "description",
        ]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "code": _("Short, unique in your organisation: letters, digits, - and _."),
        }

    def __init__(self, *args, organisation, **kwargs):
        self.organisation = organisation
        super().__init__(*args, **kwargs)

    def clean_code(self):
        code = self.cleaned_data["code"]
        others = Program.objects.filter(organisation=self.organisation, code=code)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(
                _("Another program of your organisation already uses this code.")
            )
        return code

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date must be on or after the start date."))
        return cleaned


class ModuleForm(forms.ModelForm):
    weeks = forms.IntegerField(label=_("weeks"), min_value=1, max_value=200)

    class Meta:
        model = Module
        fields = ["name", "weeks"]


class TopicForm(forms.ModelForm):
    week = forms.IntegerField(label=_("week"), min_value=1, max_value=1000)

    class Meta:
        model = CurriculumTopic
        fields = ["week", "title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 1})}


def _live_forms(formset):
    return [
        f
        for f in formset.forms
        if f.has_changed() or f.instance.pk
        if not (formset.can_delete and formset._should_delete_form(f))
    ]


class ModuleFormSetBase(forms.BaseInlineFormSet):
    """Modules in the order shown; the order is saved from their position."""

    def validate_unique(self):
        """Orders are given by position when saving; nothing to compare here."""

    def specs(self) -> list[ModuleSpec]:
        return [
            ModuleSpec(
                id=f.instance.pk,
                name=f.cleaned_data["name"],
                weeks=f.cleaned_data["weeks"],
            )
            for f in _live_forms(self)
            if f.cleaned_data
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        errors = structure_errors(modules=self.specs(), topics=[])
        if errors.get("modules"):
            raise forms.ValidationError(errors["modules"])


class TopicFormSetBase(forms.BaseInlineFormSet):
    """Weekly topics; checked against the modules' weeks (``module_formset``)."""

    module_formset: ModuleFormSetBase | None = None

    def validate_unique(self):
        """Duplicate weeks are reported by ``clean`` with the week number."""

    def specs(self) -> list[TopicSpec]:
        return [
            TopicSpec(
                id=f.instance.pk,
                week=f.cleaned_data["week"],
                title=f.cleaned_data["title"],
                description=f.cleaned_data.get("description", ""),
            )
            for f in _live_forms(self)
            if f.cleaned_data
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        modules = self.module_formset
        # Without valid modules only duplicate weeks can be checked.
        known = modules is not None and modules.is_valid()
        errors = structure_errors(modules=modules.specs() if known else [], topics=self.specs())
        if errors.get("topics"):
            raise forms.ValidationError(errors["topics"])


ModuleFormSet = forms.inlineformset_factory(
    Program,
    Module,
    form=ModuleForm,
    formset=ModuleFormSetBase,
    extra=1,
    can_delete=True,
)
TopicFormSet = forms.inlineformset_factory(
    Program,
    CurriculumTopic,
    form=TopicForm,
    formset=TopicFormSetBase,
    extra=2,
    can_delete=True,
)


class ProgramEditor:
    """The program form and its two formsets, validated together."""

    def __init__(self, data=None, *, organisation, instance=None):
        instance = instance or Program(organisation=organisation)
        self.form = ProgramForm(data, instance=instance, organisation=organisation)
        self.modules = ModuleFormSet(data, instance=instance, prefix="modules")
        self.topics = TopicFormSet(data, instance=instance, prefix="topics")
        self.topics.module_formset = self.modules

    def is_valid(self) -> bool:
        valid = all([self.form.is_valid(), self.modules.is_valid(), self.topics.is_valid()])
        if valid:
            errors = structure_errors(
                modules=self.modules.specs(),
                topics=self.topics.specs(),
                start_date=self.form.cleaned_data.get("start_date"),
                end_date=self.form.cleaned_data.get("end_date"),
            )
            for message in errors.get("end_date", []):
                self.form.add_error("end_date", message)
            valid = not self.form.errors
        return valid


class ProgramFromTemplateForm(forms.Form):
    template = forms.ChoiceField(label=_("Template"), widget=forms.RadioSelect)
    code = forms.SlugField(
        label=_("code"),
        max_length=32,
        help_text=_("Short, unique in your organisation: letters, digits, - and _."),
    )
    name = forms.CharField(
        label=_("name"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the template's name."),
    )
    start_date = forms.DateField(
        label=_("start date"),
        widget=DateInput(),
        help_text=_("Program years run from this date."),
    )

    def __init__(self, *args, organisation, **kwargs):
        self.organisation = organisation
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = template_choices()

    def clean_code(self):
        code = self.cleaned_data["code"]
        if Program.objects.filter(organisation=self.organisation, code=code).exists():
            raise forms.ValidationError(
                _("Another program of your organisation already uses this code.")
            )
        return code

    @staticmethod
    def catalog():
        return list(TEMPLATES.values())


class ClosureDateForm(forms.ModelForm):
    class Meta:
        model = ClosureDate
        fields = ["date", "reason"]
        widgets = {"date": DateInput()}

    def __init__(self, *args, organisation, **kwargs):
        self.organisation = organisation
        super().__init__(*args, **kwargs)

    def clean_date(self):
        day = self.cleaned_data["date"]
        if ClosureDate.objects.filter(organisation=self.organisation, date=day).exists():
            raise forms.ValidationError(_("This date is already listed as a closure."))
        return day


class VolunteerForm(forms.ModelForm):
    class Meta:
        model = Volunteer
        fields = [
            "name",
            "user",
            "interview_date",
            "references_checked_on",
            "police_check_date",
            "supervision_every_days",
            "notes",
        ]
        widgets = {
            "interview_date": DateInput(),
            "references_checked_on": DateInput(),
            "police_check_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"user": _("Sign-in account (facilitator)")}

    def __init__(self, *args, organisation, **kwargs):
        self.organisation = organisation
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = facilitator_accounts(
            organisation=organisation, volunteer=self.instance
        )
        self.fields["user"].required = False
        self.fields["supervision_every_days"].validators.append(MinValueValidator(1))
        self.fields["supervision_every_days"].widget.attrs["min"] = 1


class VolunteerStageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Move to stage"), choices=Volunteer.Stage.choices)


class TrainingForm(forms.ModelForm):
    hours = forms.DecimalField(label=_("hours"), min_value=0, max_digits=6, decimal_places=2)

    class Meta:
        model = VolunteerTraining
        fields = ["course", "date", "hours"]
        widgets = {"date": DateInput()}


class SupervisionForm(forms.ModelForm):
    hours = forms.DecimalField(label=_("hours"), min_value=0, max_digits=6, decimal_places=2)

    class Meta:
        model = SupervisionEntry
        fields = ["date", "supervisor", "hours", "notes"]
        widgets = {
            "date": DateInput(),
            "supervisor": forms.TextInput(attrs={"autocomplete": "off"}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


class ContactAccessForm(forms.Form):
    """Give or end one facilitator's contact access to a cohort."""

    GRANT = "grant"
    REVOKE = "revoke"

    volunteer = forms.ModelChoiceField(
        label=_("Facilitator"),
        queryset=Volunteer.objects.none(),
        error_messages={"invalid_choice": _("Choose one of this cohort's facilitators.")},
    )
    action = forms.ChoiceField(
        choices=[(GRANT, _("Give contact access")), (REVOKE, _("End contact access"))]
    )

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = cohort.facilitators.all()
