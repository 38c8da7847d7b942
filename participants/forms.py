"""Forms for participants, consent, enrollment, partners and referrals.

Forms check what the user typed; the rules that span records (capacity, duplicates,
dates against the enrollment) live in ``participants.services`` and come back as form
errors through ``ValidationError``.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peersupport.models import FieldUse, Organisation
from programs.models import Cohort, Program

from .models import Consent, Participant, Partner, Referral

FIRST_BIRTH_YEAR = 1900


class DateInput(forms.DateInput):
    input_type = "date"


def _today():
    return timezone.localdate()


class ParticipantForm(forms.ModelForm):
    """A participant's details. The organisation's data-minimisation settings decide which
    identifying fields are asked for (``Organisation.field_use``): a field it does not
    collect is left out, a required one must be filled in."""

    email = forms.EmailField(label=_("Email"), required=False)

    class Meta:
        model = Participant
        fields = [
            "preferred_name",
            "legal_name",
            "phone",
            "email",
            *Participant.CONTACT_RULE_FIELDS,
            "safe_times",
            "code_word",
            "safe_contact",
            "birth_year",
            "gender_identity",
            "indigenous_identity",
            "racialised",
            "referral_source",
        ]
        widgets = {
            "preferred_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "legal_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
            "safe_times": forms.TextInput(attrs={"autocomplete": "off"}),
            "code_word": forms.TextInput(attrs={"autocomplete": "off"}),
            "safe_contact": forms.Textarea(attrs={"rows": 2}),
            "referral_source": forms.TextInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("gender_identity", "indigenous_identity", "racialised"):
            self.fields[name].help_text = _("Optional; self-identified.")
        # The one thing a record needs: how to call the person (the code comes on save).
        self.fields["preferred_name"].required = True
        self.fields["preferred_name"].error_messages["required"] = _(
            "Enter a preferred name: the name the person wants to be called. "
            "A participant cannot be saved without one."
        )
        if organisation is not None:
            for name in organisation.MINIMISED_FIELDS:
                use = organisation.field_use(name)
                if use == FieldUse.HIDDEN:
                    del self.fields[name]
                elif use == FieldUse.REQUIRED:
                    self.fields[name].required = True

    def clean_birth_year(self):
        year = self.cleaned_data.get("birth_year")
        if year is None:
            return year
        if year > _today().year:
            raise forms.ValidationError(_("The birth year cannot be in the future."))
        if year < FIRST_BIRTH_YEAR:
            raise forms.ValidationError(
                _("The birth year cannot be before %(year)s.") % {"year": FIRST_BIRTH_YEAR}
            )
        return year


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Purpose"), choices=Consent.Kind.choices)
    partner = forms.ModelChoiceField(
        label=_("Partner agency"),
        queryset=Partner.objects.none(),
        required=False,
        help_text=_("Only for a consent to share details: the one partner she agrees to."),
    )
    given = forms.TypedChoiceField(
        label=_("Answer"),
        choices=[("yes", _("Given")), ("no", _("Refused"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    date = forms.DateField(label=_("Date"), widget=DateInput, initial=_today)
    text_version = forms.CharField(
        label=_("Version of the consent text"),
        max_length=40,
        help_text=_("As printed on the consent form, e.g. 2024-1."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        widget=DateInput,
        required=False,
        help_text=_("Optional. From this day the consent no longer applies."),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(organisation=organisation)

    def clean_date(self):
        value = self.cleaned_data["date"]
        if value > _today():
            raise forms.ValidationError(_("The consent date cannot be in the future."))
        return value


class ConsentWithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(label=_("Withdrawn on"), widget=DateInput, initial=_today)


class EnrollForm(forms.Form):
    """Enrol one participant in a cohort of the organisation (from the participant page)."""

    cohort = forms.ModelChoiceField(label=_("Cohort"), queryset=Cohort.objects.none())
    on = forms.DateField(
        label=_("Enrolled from"),
        widget=DateInput,
        required=False,
        help_text=_("Leave empty to enrol from the cohort's start date."),
    )
    applied_only = forms.BooleanField(
        label=_("Record as an application only (no place taken yet)"), required=False
    )

    def __init__(self, *args, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts.exclude(
            status__in=[Cohort.Status.COMPLETED, Cohort.Status.CANCELLED]
        ).select_related("program")


class CohortEnrollForm(forms.Form):
    """Enrol a participant, named by code, in this cohort (from the cohort's list). The
    date starts at the cohort's start: people are mostly enrolled for the whole cohort."""

    code = forms.CharField(
        label=_("Participant code"),
        max_length=32,
        help_text=_("Or find the person by name above and choose them."),
    )
    on = forms.DateField(label=_("Enrolled from"), widget=DateInput)
    applied_only = forms.BooleanField(
        label=_("Record as an application only (no place taken yet)"), required=False
    )

    def __init__(self, *args, participants, cohort, **kwargs):
        self.participants = participants
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = cohort.start_date
        self.fields["on"].help_text = _(
            "The cohort's start date unless they join later: they are on the attendance "
            "sheets from this date."
        )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        participant = self.participants.filter(code__iexact=code).first()
        if participant is None:
            # What was typed is not echoed: it may be a name typed by mistake.
            raise forms.ValidationError(_("No participant of this organisation has this code."))
        self.cleaned_data["participant"] = participant
        return participant.code


class EnrollmentRedateForm(forms.Form):
    """The date a person joined a cohort, to correct it."""

    on = forms.DateField(
        label=_("Enrolled from"),
        widget=DateInput,
        help_text=_("They are on the attendance sheets of the sessions from this date."),
    )


class EnrollmentDateForm(forms.Form):
    """A date for completing an enrollment or giving a waitlisted person a place."""

    on = forms.DateField(label=_("Date"), widget=DateInput, initial=_today)


class WithdrawForm(forms.Form):
    exit_date = forms.DateField(label=_("Withdrawal date"), widget=DateInput, initial=_today)
    exit_reason = forms.CharField(label=_("Reason"), max_length=200)
    exit_notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Do not write anything that identifies the participant."),
    )


class PartnerForm(forms.ModelForm):
    email = forms.EmailField(label=_("email"), required=False)

    class Meta:
        model = Partner
        fields = ["name", "type", "contact_person", "phone", "email", "notes"]
        widgets = {
            "contact_person": forms.TextInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


class ReferralForm(forms.ModelForm):
    class Meta:
        model = Referral
        fields = ["partner", "program", "date", "reason", "status", "shares_details"]
        widgets = {"date": DateInput, "reason": forms.TextInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(organisation=organisation)
        self.fields["program"].queryset = Program.objects.filter(organisation=organisation)
        if not self.instance.pk:
            self.fields["date"].initial = _today


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("I understand this cannot be undone."))


class ErasureRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for erasure"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For example: her request of this date. Stored encrypted; the second "
            "coordinator reads it before deciding."
        ),
    )
    confirm = forms.BooleanField(
        label=_("I understand that, once another coordinator approves, this cannot be undone.")
    )


class ErasureDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve and erase")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )


class RetentionPolicyForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["retention_months", "erasure_keeps_scores"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["retention_months"].min_value = 1
        self.fields["retention_months"].max_value = 1200
        self.fields["retention_months"].widget.attrs.update({"min": 1, "max": 1200})

    def clean_retention_months(self):
        months = self.cleaned_data.get("retention_months")
        if months is not None and not 1 <= months <= 1200:
            raise forms.ValidationError(
                _("Give a number of months from 1 to 1200, or leave it blank to keep them.")
            )
        return months
