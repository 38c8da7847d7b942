"""``peersupport.forms.add_errors``: a service's refusal shown on the form."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from peersupport.forms import add_errors


class DateForm(forms.Form):
    date = forms.DateField()
    note = forms.CharField(required=False)


def _form():
    form = DateForm({"date": "2025-01-01"})
    assert form.is_valid()
    return form


def test_a_message_naming_a_field_goes_beside_that_field():
    form = _form()
    add_errors(form, ValidationError({"date": ["Too late.", "A holiday."]}))
    assert form.errors["date"] == ["Too late.", "A holiday."]
    assert "date" not in form.cleaned_data


def test_a_message_naming_a_field_the_form_lacks_goes_on_top():
    form = _form()
    add_errors(form, ValidationError({"cohort": "Full.", "date": "Too late."}))
    assert form.non_field_errors() == ["Full."]
    assert form.errors["date"] == ["Too late."]


def test_a_message_naming_no_field_goes_on_top_with_its_code():
    form = _form()
    add_errors(form, ValidationError(["Closed.", ValidationError("Locked.", code="locked")]))
    assert form.non_field_errors() == ["Closed.", "Locked."]
    assert form.has_error(NON_FIELD_ERRORS, code="locked")
