"""Forms of the attendance pages: one tap, saving the sheet, and a keyed-in paper sheet."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from programs.models import Volunteer

from . import selectors
from .models import Attendance, Session


class TapForm(forms.Form):
    """One tap on the sheet. ``status`` is set by the page's script; ``tap`` is the button
    pressed, used when the script did not run."""

    enrollment = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    status = forms.CharField(required=False, max_length=20)
    tap = forms.CharField(required=False, max_length=20)
    version = forms.CharField(required=False, max_length=64)

    def chosen_status(self) -> str:
        return self.cleaned_data.get("status") or self.cleaned_data.get("tap") or ""


class SessionLogForm(forms.Form):
    """What happened at the session; saving it marks the session held."""

    duration_minutes = forms.IntegerField(
        label=_("How long did the session last (minutes)?"), min_value=1, max_value=24 * 60
    )
    topics_covered = forms.CharField(
        label=_("Topics covered"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    facilitators = forms.ModelMultipleChoiceField(
        label=_("Who facilitated"),
        queryset=Volunteer.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Do not write anything that identifies a participant."),
    )
    incident_flagged = forms.BooleanField(
        label=_("Something happened that a supervisor should follow up"), required=False
    )
    incident_notes = forms.CharField(
        label=_("What happened"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, session: Session, user, **kwargs):
        cohort = session.cohort
        self.session = session
        facilitators = list(session.facilitators.all())
        if not facilitators:
            facilitators = [v for v in cohort.facilitators.all() if v.user_id == user.pk]
        kwargs.setdefault(
            "initial",
            {
                "duration_minutes": session.duration_minutes or cohort.session_minutes,
                "topics_covered": session.topics_covered or session.topic,
                "facilitators": facilitators,
                "notes": session.notes,
                "incident_flagged": session.incident_flagged,
                "incident_notes": session.incident_notes,
            },
        )
        super().__init__(*args, **kwargs)
        # The cohort's facilitators, and anyone already logged as running this session
        # (a stand-in), so saving the sheet never drops them.
        self.fields["facilitators"].queryset = selectors.facilitator_choices(session=session)


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
