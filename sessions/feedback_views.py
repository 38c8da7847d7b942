"""Session feedback: the kiosk form passed round the group, and the summaries."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from peersupport.forms import add_errors
from peersupport.permissions import COORDINATOR, REPORT_ROLES, STAFF_ROLES
from programs.access import get_cohort_for_user

from .access import get_session_for_user
from .feedback import (
    RATING_MAX,
    RATING_MIN,
    cohort_feedback_summary,
    feedback_questions,
    feedback_refusal,
    feedback_submit,
    session_feedback_summary,
)
from .models import Session

SESSIONS = Session.objects.select_related("cohort__program", "cohort__organisation")
RATING_CHOICES = [(str(v), str(v)) for v in range(RATING_MIN, RATING_MAX + 1)]


class FeedbackForm(forms.Form):
    """One rating (optional) per question, and a comment."""

    comment = forms.CharField(
        label=_("Anything else you would like to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
    )

    def __init__(self, *args, questions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for number, text in enumerate(questions, start=1):
            self.fields[f"q{number}"] = forms.TypedChoiceField(
                label=text,
                choices=RATING_CHOICES,
                coerce=int,
                required=False,
                empty_value=None,
                widget=forms.RadioSelect,
            )
        self.order_fields([*(f"q{n}" for n in range(1, len(questions) + 1)), "comment"])

    def ratings(self) -> dict[int, int | None]:
        return {n: self.cleaned_data[f"q{n}"] for n in range(1, len(self.questions) + 1)}

    def rating_fields(self):
        return [self[f"q{n}"] for n in range(1, len(self.questions) + 1)]


@never_cache
@login_required
def feedback_kiosk(request, pk):
    """The anonymous form, on a staff member's device: no menu, no names; after each form
    it thanks the person and shows a blank form for the next one."""
    session, _role = get_session_for_user(request, pk, roles=STAFF_ROLES, queryset=SESSIONS)
    # Messages meant for the staff member must not show on a screen passed round the group.
    list(messages.get_messages(request))
    questions = feedback_questions(session.cohort.program)
    refusal = feedback_refusal(session)
    form = FeedbackForm(request.POST or None, questions=questions)
    status = 200
    if request.method == "POST" and refusal is None:
        if form.is_valid():
            try:
                feedback_submit(
                    session=session,
                    ratings=form.ratings(),
                    comment=form.cleaned_data["comment"],
                    by=request.user,
                    request=request,
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                url = reverse("groupsessions:feedback_kiosk", args=[session.pk])
                return redirect(f"{url}?thanks=1")
        status = 422
    return render(
        request,
        "sessions/feedback/kiosk.html",
        {
            "session": session,
            "form": form,
            "refusal": refusal,
            "thanks": request.method == "GET" and request.GET.get("thanks") == "1",
            "rating_min": RATING_MIN,
            "rating_max": RATING_MAX,
        },
        status=status,
    )


@login_required
def feedback_session_summary(request, pk):
    """Means per question for one session; comments for coordinators only."""
    session, role = get_session_for_user(request, pk, roles=REPORT_ROLES, queryset=SESSIONS)
    summary, comments = session_feedback_summary(session=session)
    return render(
        request,
        "sessions/feedback/session_summary.html",
        {
            "session": session,
            "summary": summary,
            # Free text is never shown to evaluators.
            "comments": comments if role == COORDINATOR else None,
        },
    )


@login_required
def feedback_cohort_summary(request, pk):
    """Means per question for a cohort, overall and session by session."""
    cohort, _role = get_cohort_for_user(request, pk, roles=REPORT_ROLES)
    overall, lines = cohort_feedback_summary(cohort=cohort)
    return render(
        request,
        "sessions/feedback/cohort_summary.html",
        {"cohort": cohort, "summary": overall, "lines": lines},
    )
