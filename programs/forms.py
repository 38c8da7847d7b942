"""Forms for programs (with module and topic formsets), closure dates and volunteers.

Forms check what a person typed and say where it is wrong; the rules that span several
rows live in ``services`` and are asked here too, so the form shows them next to the input.
"""

from __future__ import annotations

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from peersupport.forms import plain_code_errors

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
        plain_code_errors(self)

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


#: Longest curriculum a bulk entry may add (a guard against a pasted document).
BULK_MAX_WEEKS = 200
TOPIC_MAX_LENGTH = CurriculumTopic._meta.get_field("title").max_length


def parse_bulk_curriculum(text: str) -> tuple[list[ModuleSpec], list[tuple[int, str]], list[str]]:
    """Modules and weekly topics from lines like ``Module name | topic; topic; topic``
    (one week per topic) or ``Module name | 6`` (six weeks, topics to come).

    Answers the modules, the topics as ``(week counted from the first bulk week, title)``
    and the errors, each naming its line; any error means nothing is taken.
    """
    modules: list[ModuleSpec] = []
    topics: list[tuple[int, str]] = []
    errors: list[str] = []
    week = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        name, bar, rest = line.partition("|")
        name, rest = name.strip(), rest.strip()
        where = {"line": number}
        if not bar:
            errors.append(
                _(
                    "Line %(line)s: separate the module's name from its weeks with “|”, e.g. "
                    "“Finding our Voices | Welcome; Safety” or “Growth circle | 14”."
                )
                % where
            )
            continue
        if not name:
            errors.append(_("Line %(line)s: the module has no name before the “|”.") % where)
            continue
        if len(name) > Module._meta.get_field("name").max_length:
            errors.append(_("Line %(line)s: the module's name is too long.") % where)
            continue
        if not rest:
            errors.append(
                _(
                    "Line %(line)s: after the “|”, list the topics of its weeks separated by "
                    "“;”, or give its number of weeks."
                )
                % where
            )
            continue
        if rest.isdigit():
            weeks, titles = int(rest), []
            if not 1 <= weeks <= BULK_MAX_WEEKS:
                errors.append(
                    _("Line %(line)s: a module lasts 1 to %(max)s weeks.")
                    % {**where, "max": BULK_MAX_WEEKS}
                )
                continue
        else:
            titles = [title.strip() for title in rest.split(";")]
            if titles and not titles[-1]:
                titles.pop()  # a trailing ";"
            weeks = len(titles)
            too_long = [t for t in titles if len(t) > TOPIC_MAX_LENGTH]
            if too_long:
                errors.append(
                    _("Line %(line)s: a topic is longer than %(max)s characters.")
                    % {**where, "max": TOPIC_MAX_LENGTH}
                )
                continue
        modules.append(ModuleSpec(name=name, weeks=weeks))
        topics.extend((week + i, title) for i, title in enumerate(titles, start=1) if title)
        week += weeks
    if week > BULK_MAX_WEEKS:
        errors.append(
            _("These lines add %(weeks)s weeks; at most %(max)s can be added at once.")
            % {"weeks": week, "max": BULK_MAX_WEEKS}
        )
    return modules, topics, errors


class BulkCurriculumForm(forms.Form):
    """Many weeks at once: one line per module, appended after the modules above."""

    text = forms.CharField(
        label=_("Add modules and weeks in bulk"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_(
            "One line per module, added after the modules above: its name, “|”, then the "
            "topic of each week separated by “;” (one topic, one week), or the number of "
            "weeks. For example: “Finding our Voices | Welcome; Safety; Boundaries” or "
            "“Growth circle | 14”."
        ),
    )

    def clean_text(self):
        text = self.cleaned_data["text"]
        modules, topics, errors = parse_bulk_curriculum(text)
        if errors:
            raise forms.ValidationError(errors)
        self.cleaned_data["modules"], self.cleaned_data["topics"] = modules, topics
        return text

    def module_specs(self) -> list[ModuleSpec]:
        return self.cleaned_data.get("modules", []) if self.is_valid() else []

    def topic_specs(self, *, after_week: int) -> list[TopicSpec]:
        topics = self.cleaned_data.get("topics", []) if self.is_valid() else []
        return [TopicSpec(week=after_week + week, title=title) for week, title in topics]


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

    #: The bulk entry of the same page, whose modules come after these.
    bulk: BulkCurriculumForm | None = None

    def all_specs(self) -> list[ModuleSpec]:
        return self.specs() + (self.bulk.module_specs() if self.bulk is not None else [])

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        errors = structure_errors(modules=self.all_specs(), topics=[])
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
        errors = structure_errors(modules=modules.all_specs() if known else [], topics=self.specs())
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
        self.bulk = BulkCurriculumForm(data, prefix="bulk")
        self.modules.bulk = self.bulk

    def module_specs(self) -> list[ModuleSpec]:
        """The modules of the rows, then those of the bulk entry."""
        return self.modules.all_specs()

    def topic_specs(self) -> list[TopicSpec]:
        """The topics of the rows, then the bulk entry's, numbered after the rows' weeks."""
        after = sum(spec.weeks for spec in self.modules.specs())
        return self.topics.specs() + self.bulk.topic_specs(after_week=after)

    def is_valid(self) -> bool:
        valid = all(
            [
                self.form.is_valid(),
                self.bulk.is_valid(),
                self.modules.is_valid(),
                self.topics.is_valid(),
            ]
        )
        if valid:
            errors = structure_errors(
                modules=self.module_specs(),
                topics=self.topic_specs(),
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
        plain_code_errors(self)
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
