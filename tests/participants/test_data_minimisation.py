"""Data minimisation: an organisation hides or requires identifying fields, and the
participant form, the participant page and the exports follow."""

import pytest
from django.urls import reverse

from exports import privacy, services
from exports.base import ExportOptions
from participants.models import Participant
from tests.exports.test_export_data import build
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db


def _minimise(org, **uses):
    for field, use in uses.items():
        setattr(org, f"{field}_field", use)
    org.save()


def test_hidden_fields_leave_the_form_and_the_page(org, coordinator, client_for):
    _minimise(org, legal_name="hidden", birth_year="hidden")
    client = client_for(coordinator)
    form = client.get(reverse("participants:create")).content.decode()
    assert 'name="legal_name"' not in form and 'name="birth_year"' not in form
    assert 'name="phone"' in form and 'name="email"' in form
    # Posting a hidden field anyway stores nothing in it.
    response = client.post(
        reverse("participants:create"),
        {"preferred_name": "Ines", "legal_name": "Ines Strong", "birth_year": "1980"},
    )
    assert response.status_code == 302
    p = Participant.objects.get()
    assert p.legal_name == "" and p.birth_year is None
    old = ParticipantFactory(organisation=org, legal_name="Recorded Before", birth_year=1971)
    page = client.get(reverse("participants:detail", args=[old.pk])).content.decode()
    assert "Recorded Before" not in page and "1971" not in page
    assert "Legal name" not in page and "Birth year" not in page
    # Editing keeps what was recorded before: hiding is not erasing.
    client.post(reverse("participants:edit", args=[old.pk]), {"preferred_name": "Renamed"})
    old.refresh_from_db()
    assert old.legal_name == "Recorded Before" and old.preferred_name == "Renamed"


def test_required_fields_must_be_filled_in(org, coordinator, client_for):
    _minimise(org, phone="required", email="required")
    client = client_for(coordinator)
    page = client.get(reverse("participants:create")).content.decode()
    assert "Your organisation also requires: Phone, Email." in page
    response = client.post(reverse("participants:create"), {"preferred_name": "Ines"})
    assert response.status_code == 200
    assert response.content.decode().count("This field is required.") == 2
    assert not Participant.objects.exists()
    response = client.post(
        reverse("participants:create"),
        {"preferred_name": "Ines", "phone": "555-0123", "email": "ines@example.org"},
    )
    assert response.status_code == 302 and Participant.objects.count() == 1


def test_optional_is_the_default_and_everything_shows(org, coordinator, client_for):
    page = client_for(coordinator).get(reverse("participants:create")).content.decode()
    for name in ("legal_name", "birth_year", "phone", "email"):
        assert f'name="{name}"' in page
    assert "Only the preferred name is needed" in page


def test_the_dataset_has_no_age_band_when_birth_years_are_not_collected(org, coordinator):
    w = build(org, coordinator)
    opts = ExportOptions(min_cell=5, pseudonym_key=privacy.pseudonym_key("salt"))
    exporter = services.make_exporter(w.program, "dataset", opts)
    with_age = [v.name for v in exporter.variables()]
    rows_with_age = list(exporter.rows())
    assert "age_band" in with_age
    _minimise(org, birth_year="hidden")
    w.program.refresh_from_db()
    w.program.organisation.refresh_from_db()
    exporter = services.make_exporter(w.program, "dataset", opts)
    names = [v.name for v in exporter.variables()]
    assert names == [n for n in with_age if n != "age_band"]
    rows = list(exporter.rows())
    assert len(rows) == len(rows_with_age)
    assert all(len(row) == len(names) for row in rows)
    assert rows[0][:3] == rows_with_age[0][:3] and rows[0][3:] != rows_with_age[0][3:]
    assert any("does not collect birth years" in note for note in exporter.codebook_notes())
