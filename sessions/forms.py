"""Forms for cohorts and session management. Rules that span records live in services."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from peersupport.forms import plain_code_errors
from peersupport.widgets import LongSelect
from programs.models import Cohort, Program, Volunteer

from .models import Session

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def facilitator_choices(organisation, keep=()):
    """Volunteers who may facilitate: trained or active, plus any already assigned."""
    trained = Q(stage__in=[Volunteer.Stage.TRAINED, Volunteer.Stage.ACTIVE])
    return Volunteer.objects.filter(organisation=organisation).filter(
        trained | Q(pk__in=[v.pk for v in keep])
    )


class CohortForm(forms.ModelForm):
    """Create (with program and facilitators) or edit a cohort."""

    class Meta:
        model = Cohort
        fields = [
            "program",
            "code",
            "name",
            "start_date",
            "weekday",
            "start_time",
            "session_minutes",
            "location",
            "capacity",
            "status",
            "facilitators",
        ]
        widgets = {
            "start_date": DATE,
            "start_time": TIME,
            "facilitators": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "start_date": _(
                "The first session is on the first chosen weekday on or after this date."
            ),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        plain_code_errors(self)
        self.organisation = organisation
        if self.instance.pk:
            # The program cannot change (the sessions come from it) and facilitators
            # have their own page; a new start moves the sessions still to come.
            del self.fields["program"]
            del self.fields["facilitators"]
            self.fields["start_date"].help_text = _(
                "Changing the start date, weekday, start time or session length moves the "
                "sessions still to come. Sessions already held, cancelled or with "
                "attendance keep their dates."
            )
        else:
            self.fields["program"].queryset = Program.objects.filter(
                organisation=organisation
            ).exclude(status__in=[Program.Status.COMPLETED, Program.Status.CANCELLED])
            self.fields["facilitators"].queryset = facilitator_choices(organisation)
            self.fields["facilitators"].required = False

    def validate_unique(self):
        # The organisation comes from the program, so the per-organisation code rule is
        # checked here (the model form cannot, the organisation being no form field).
        super().validate_unique()
        code = self.cleaned_data.get("code")
        if code:
            clash = Cohort.objects.filter(organisation=self.organisation, code=code)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("code", _("Another cohort of this organisation has this code."))

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("program", None)
        data.pop("facilitators", None)
        return data


class CohortFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    program = forms.ModelChoiceField(
        label=_("Program"), queryset=Program.objects.none(), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *Cohort.Status.choices], required=False
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.filter(organisation=organisation)


class FacilitatorsForm(forms.Form):
    facilitators = forms.ModelMultipleChoiceField(
        label=_("Facilitators"),
        queryset=Volunteer.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        current = list(cohort.facilitators.all())
        self.fields["facilitators"].queryset = facilitator_choices(
            cohort.organisation_id, keep=current
        )
        self.fields["facilitators"].initial = current


def _check_end_after_start(form):
    start, end = form.cleaned_data.get("start_time"), form.cleaned_data.get("end_time")
    if start is not None and end is not None and end <= start:
        form.add_error("end_time", _("The end time must be after the start time."))


class SessionAddForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = ["date", "start_time", "end_time", "module", "topic"]
        widgets = {"date": DATE, "start_time": TIME, "end_time": TIME}
        help_texts = {
            "end_time": _("Leave empty to use the cohort's session length."),
        }

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = cohort.program.modules.all()
        if cohort.start_time and not self.is_bound:
            self.fields["start_time"].initial = cohort.start_time

    def clean(self):
        data = super().clean()
        _check_end_after_start(self)
        return data


class RescheduleForm(forms.Form):
    date = forms.DateField(label=_("New date"), widget=DATE)
    start_time = forms.TimeField(label=_("Start time"), required=False, widget=TIME)
    end_time = forms.TimeField(label=_("End time"), required=False, widget=TIME)

    def clean(self):
        data = super().clean()
        _check_end_after_start(self)
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=200,
        help_text=_("For example: facilitator ill, weather, venue unavailable."),
    )


class SessionLogForm(forms.Form):
    """What happened at a session; saving it marks the session held. The one form for
    logging a session, on the attendance sheet and on the coordinator's log page, with one
    rule: a duration, at least one facilitator, and notes when an incident is flagged."""

    duration_minutes = forms.IntegerField(
        label=_("How long did the session last (minutes)?"), min_value=1, max_value=24 * 60
    )
    topics_covered = forms.CharField(
        label=_("Topics covered"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    facilitators = forms.ModelMultipleChoiceField(
        label=_("Who facilitated"),
        queryset=Volunteer.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,  # a stand-in alone will do: checked in clean()
    )
    stand_in = forms.ModelChoiceField(
        label=_("Someone else facilitated"),
        queryset=Volunteer.objects.none(),
        required=False,
        empty_label=_("Nobody else"),
        widget=LongSelect,
        help_text=_("Another trained volunteer who ran the session or helped."),
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
        label=_("What happened"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "What happened and what follow-up is needed. Refer to participants by "
            "code, never by name."
        ),
    )

    def __init__(self, *args, session: Session, user, **kwargs):
        cohort = session.cohort
        self.session = session
        assigned = list(cohort.facilitators.all())
        ran = list(session.facilitators.all())
        # Already logged: who ran it; else the user's own place among the cohort's
        # facilitators (a facilitator on the sheet); else everyone assigned (a coordinator).
        chosen = ran or [v for v in assigned if v.user_id == user.pk] or assigned
        kwargs.setdefault(
            "initial",
            {
                "duration_minutes": session.duration_minutes or cohort.session_minutes,
                "topics_covered": session.topics_covered or session.topic,
                "facilitators": chosen,
                "notes": session.notes,
                "incident_flagged": session.incident_flagged,
                "incident_notes": session.incident_notes,
            },
        )
        super().__init__(*args, **kwargs)
        # Ticked: the people assigned to the group or already logged, so saving never
        # drops them (everyone who may facilitate when nobody is assigned). Picked from a
        # list: any other trained volunteer of the organisation who stood in; a national
        # organisation has hundreds, too many to tick through on a phone.
        usual = {v.pk for v in assigned + ran}
        choices = facilitator_choices(cohort.organisation_id, keep=assigned + ran)
        if usual:
            self.fields["facilitators"].queryset = choices.filter(pk__in=usual).order_by("name")
            # Hundreds of rows on a phone's page: only what the drop-down shows.
            self.fields["stand_in"].queryset = (
                choices.exclude(pk__in=usual).order_by("name").only("pk", "name")
            )
        else:
            self.fields["facilitators"].queryset = choices.order_by("name")
            del self.fields["stand_in"]

    def clean(self):
        data = super().clean()
        chosen = list(data.get("facilitators") or [])
        stand_in = data.get("stand_in")
        if stand_in is not None and stand_in not in chosen:
            chosen.append(stand_in)
        if not chosen and "facilitators" not in self.errors:
            self.add_error(
                "facilitators", _("Tick who facilitated the session: at least one person.")
            )
        data["facilitators"] = chosen
        if data.get("incident_flagged") and not (data.get("incident_notes") or "").strip():
            self.add_error("incident_notes", _("Describe the incident for the supervisor."))
        return data


class IncidentFollowUpForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For example: called the participant, referred to the partner agency, safety "
            "plan reviewed. Refer to participants by code, never by name."
        ),
    )
