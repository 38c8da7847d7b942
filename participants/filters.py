"""List filters. Names are encrypted and the database cannot (and must not) look inside
them: a search by name goes through the blind index (``participants.name_index``), run by
the view so that it is audited and rate-limited."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from .models import Enrollment, Participant, Partner


class ParticipantFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Code"), field_name="code", lookup_expr="icontains", widget=forms.TextInput
    )
    #: Applied by the view (``name_index.search_by_name``), not by this filter set.
    name = django_filters.CharFilter(
        label=_("Preferred name"),
        method="filter_by_view",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Whole words or their first letters."),
    )
    # A code, not a drop-down: an organisation may run thousands of cohorts.
    cohort = django_filters.CharFilter(
        label=_("Cohort code"), method="filter_enrollment", widget=forms.TextInput
    )
    status = django_filters.ChoiceFilter(
        label=_("Enrollment stage"), choices=Enrollment.Status.choices, method="filter_enrollment"
    )
    evaluation_consent = django_filters.ChoiceFilter(
        label=_("Consent to evaluation use"), choices=Participant.Consent.choices
    )
    erased = django_filters.BooleanFilter(
        label=_("Erased"),
        field_name="erased_at",
        lookup_expr="isnull",
        exclude=True,
        widget=forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))]),
    )

    class Meta:
        model = Participant
        fields: list[str] = []

    def __init__(self, *args, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohorts = cohorts

    def filter_by_view(self, queryset, name, value):
        return queryset

    def filter_enrollment(self, queryset, name, value):
        # Cohort and stage combine into one condition on the same enrollment.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        lookup = {}
        if data.get("cohort"):
            lookup["cohort__in"] = self.cohorts.filter(code__iexact=data["cohort"].strip())
        if data.get("status"):
            lookup["status"] = data["status"]
        if lookup:
            enrollments = Enrollment.objects.filter(participant=OuterRef("pk"), **lookup)
            queryset = queryset.filter(Exists(enrollments))
        return queryset


class PartnerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name"), field_name="name", lookup_expr="icontains")
    type = django_filters.ChoiceFilter(label=_("Type"), choices=Partner.Type.choices)

    class Meta:
        model = Partner
        fields: list[str] = []
