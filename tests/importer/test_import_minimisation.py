"""An import keeps no birth year when the organisation does not collect them."""

from importer.run import import_bundle
from participants.models import Participant
from tests.importer.import_bundles import SECRET_NAME, changed, write_folder

PARTICIPANTS = (
    "preferred_name,birth_year,consent_evaluation,participant_code\n"
    f"{SECRET_NAME},1985,yes,P-001\nAnother Person,1990,no,P-002\n"
)


def _run(org, tmp_path):
    files = changed(participants_csv=PARTICIPANTS)
    return import_bundle(path=write_folder(tmp_path / "bundle", files), organisation=org)


def test_birth_years_are_kept_when_collected(org, tmp_path):
    assert _run(org, tmp_path).saved
    assert Participant.objects.get(code="P-001").birth_year == 1985


def test_birth_years_are_dropped_when_the_organisation_does_not_collect_them(org, tmp_path):
    org.birth_year_field = "hidden"
    org.save()
    report = _run(org, tmp_path)
    assert report.saved, report.problem_lines()
    assert Participant.objects.filter(organisation=org).count() == 2
    assert not Participant.objects.filter(birth_year__isnull=False).exists()
    assert Participant.objects.get(code="P-001").preferred_name == SECRET_NAME
