"""The session admin is scoped to the organisations a staff user coordinates."""

import pytest
from django.urls import reverse

from tests.factories import AttendanceFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_coordinator(coordinator):
    coordinator.is_staff = True
    coordinator.is_superuser = False
    coordinator.save()
    return coordinator


def test_the_admin_lists_only_sessions_of_coordinated_organisations(
    client_for, staff_coordinator, cohort, other_org
):
    from django.contrib.auth.models import Permission

    staff_coordinator.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="groupsessions")
    )
    mine = SessionFactory(cohort=cohort, number=1)
    theirs = SessionFactory(cohort__program__organisation=other_org)
    AttendanceFactory(session=mine)
    client = client_for(staff_coordinator)
    changelist = client.get(reverse("admin:groupsessions_session_changelist"))
    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [mine]
    page = client.get(reverse("admin:groupsessions_session_change", args=[mine.pk]))
    assert page.status_code == 200
    assert list(page.context["adminform"].form.fields["cohort"].queryset) == [cohort]
    response = client.get(reverse("admin:groupsessions_session_change", args=[theirs.pk]))
    assert response.status_code == 404  # outside the coordinated organisations: not there
