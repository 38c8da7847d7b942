"""Search and filters of the program and volunteer lists."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Program, Volunteer


class ProgramFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Program.Status.choices, empty_label=_("Any status")
    )

    class Meta:
        model = Program
        fields = ["q", "status"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class VolunteerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    stage = django_filters.ChoiceFilter(
        label=_("Stage"), choices=Volunteer.Stage.choices, empty_label=_("Any stage")
    )
    has_account = django_filters.BooleanFilter(
        label=_("Has a sign-in account"),
        field_name="user",
        lookup_expr="isnull",
        exclude=True,
        widget=forms.Select(choices=[("", _("Either")), ("true", _("Yes")), ("false", _("No"))]),
    )

    class Meta:
        model = Volunteer
        fields = ["q", "stage", "has_account"]

    def search(self, queryset, name, value):
        return queryset.filter(name__icontains=value)
