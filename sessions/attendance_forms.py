"""Forms of the attendance pages: one tap and a keyed-in paper sheet (saving the sheet
uses the one session-log form, ``sessions.forms.SessionLogForm``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Attendance


class TapForm(forms.Form):
    """One tap on the sheet. ``status`` is set by the page's script; ``tap`` is the button
    pressed, used when the script did not run."""

    enrollment = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    status = forms.CharField(required=False, max_length=20)
    tap = forms.CharField(required=False, max_length=20)
    version = forms.CharField(required=False, max_length=64)

    def chosen_status(self) -> str:
        return self.cleaned_data.get("status") or self.cleaned_data.get("tap") or ""


STATUS_CHOICES = [("", _("not marked")), *Attendance.Status.choices]


class KeyedSheetForm(forms.Form):
    """A paper sheet keyed in: one choice per person on the roster."""

    def __init__(self, *args, sheet, **kwargs):
        super().__init__(*args, **kwargs)
        self.sheet = sheet
        for row in sheet:
            pk = row.enrollment.pk
            self.fields[f"status_{pk}"] = forms.ChoiceField(
                label=row.participant.code,
                choices=STATUS_CHOICES,
                required=False,
                initial=row.status,
                widget=forms.RadioSelect,
            )
            self.fields[f"version_{pk}"] = forms.CharField(
                required=False, initial=row.version, widget=forms.HiddenInput
            )

    def statuses(self) -> dict[int, str]:
        return {r.enrollment.pk: self.cleaned_data[f"status_{r.enrollment.pk}"] for r in self.sheet}

    def versions(self) -> dict[int, str]:
        return {
            r.enrollment.pk: self.cleaned_data[f"version_{r.enrollment.pk}"] for r in self.sheet
        }

    def rows(self):
        """``(roster row, status field, version field)`` for the template."""
        for row in self.sheet:
            pk = row.enrollment.pk
            yield row, self[f"status_{pk}"], self[f"version_{pk}"]

    def add_row_errors(self, errors: dict[int, str]) -> None:
        for pk, message in errors.items():
            name = f"status_{pk}"
            if name in self.fields:
                self.add_error(name, message)
            else:
                self.add_error(None, message)
