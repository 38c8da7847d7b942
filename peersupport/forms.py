from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from . import actions
from .models import Invitation, Organisation, Role, User, validate_https_url

#: What a wrong code is, in words (Django's default speaks of a "slug").
CODE_INVALID = _(
    "A code may hold only letters without accents, digits, hyphens (-) and underscores (_), "
    "with no spaces: for example spring-2026."
)


def plain_code_errors(form) -> None:
    """Give every code (slug) field of ``form`` the message ``CODE_INVALID``."""
    for field in form.fields.values():
        if isinstance(field, forms.SlugField):
            field.error_messages["invalid"] = CODE_INVALID


def add_errors(form, error: ValidationError) -> None:
    """Put a service's ``ValidationError`` on ``form``: each message beside the field it
    names, or at the top of the form when it names none (or a field the form lacks)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["email", "role"]

    def __init__(self, *args, organisation, **kwargs):
        self.organisation = organisation
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = Role.choices

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email=email, memberships__organisation=self.organisation).exists():
            raise forms.ValidationError(_("This person is already a member."))
        return email


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput)

    def __init__(self, *args, email, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                validate_password(p1, User(email=self.email))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


def record_kinds(organisation) -> list[tuple[str, str]]:
    """``(object type, plural label)`` of the kinds of record in the organisation's log."""
    from django.apps import apps
    from django.utils.text import capfirst

    from .models import AuditEntry

    kinds = []
    types = (
        AuditEntry.objects.filter(organisation=organisation)
        .exclude(object_type="")
        .values_list("object_type", flat=True)
        .distinct()
    )
    for object_type in types:
        try:
            model = apps.get_model(object_type)
        except (LookupError, ValueError):
            continue
        kinds.append((object_type, capfirst(str(model._meta.verbose_name_plural))))
    return sorted(kinds, key=lambda kind: kind[1])


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("User"))
    action = forms.ChoiceField(required=False, label=_("What happened"))
    object_type = forms.ChoiceField(required=False, label=_("Kind of record"))
    record = forms.CharField(
        required=False,
        max_length=200,
        label=_("Record"),
        help_text=_("A participant's code, a cohort's code…"),
    )
    date_from = forms.DateField(
        required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(
            memberships__organisation=organisation
        ).order_by("email")
        self.fields["action"].choices = [("", _("Any action")), *actions.choices()]
        self.fields["object_type"].choices = [("", _("Any record")), *record_kinds(organisation)]


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "language"]


class OrganisationSettingsForm(forms.ModelForm):
    """What a coordinator sets for the safety of the people the organisation serves."""

    quick_exit_url = forms.URLField(
        label=capfirst(Organisation._meta.get_field("quick_exit_url").verbose_name),
        help_text=Organisation._meta.get_field("quick_exit_url").help_text,
        max_length=300,
        assume_scheme="https",
        validators=[validate_https_url],
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )

    class Meta:
        model = Organisation
        fields = list(Organisation.SAFETY_SETTINGS)
