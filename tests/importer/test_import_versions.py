"""An import never changes the scoring of answers already given: a bundle that changes how
an answered instrument scores makes its next version."""

from __future__ import annotations

import pytest

from importer.run import import_bundle
from peersupport.models import AuditEntry
from surveys.models import Administration, Instrument
from tests.importer.import_bundles import VALID, changed, write_folder

pytestmark = pytest.mark.django_db

#: P-002 answers three of four items at post: scored when one item may be missing.
P002_POST = "".join(f"P-002,C1,GSE,post,2020-08-01,{n},3\n" for n in (1, 2, 3))


def run(org, tmp_path, files, **kwargs):
    return import_bundle(path=write_folder(tmp_path / "bundle", files), organisation=org, **kwargs)


def scores():
    return dict(
        Administration.objects.values_list("pk", "score").order_by("pk"),
    )


def versions():
    return list(
        Instrument.objects.filter(code="GSE")
        .order_by("version")
        .values_list("version", "is_current", "max_missing")
    )


def test_reimport_with_a_changed_max_missing_makes_version_2_and_keeps_old_scores(org, tmp_path):
    run(org, tmp_path, VALID)
    before = scores()
    v1 = Instrument.objects.get(code="GSE")
    files = changed(
        instruments_csv="code,name,max_missing,target_score\nGSE,Self-efficacy,0,12\n",
        survey_responses_csv=VALID["survey_responses.csv"] + P002_POST,
    )

    dry = run(org, tmp_path, files, dry_run=True)
    assert dry.ok and not dry.saved
    assert versions() == [(1, True, 1)]
    assert any("version 2 is created" in note for note in dry.notes)
    assert dry.as_dict()["notes"] == dry.notes

    report = run(org, tmp_path, files)

    assert report.saved
    assert versions() == [(1, False, 1), (2, True, 0)]
    # The surveys already stored keep version 1 and their scores (P-001's post has one
    # item missing: still pro-rated as version 1 allows).
    assert {pk: s for pk, s in scores().items() if pk in before} == before
    assert set(
        Administration.objects.filter(pk__in=before).values_list("instrument_id", flat=True)
    ) == {v1.pk}
    assert report.files["survey_responses.csv"].unchanged == 3
    # The bundle's new survey is scored on version 2: one item missing is too many.
    new = Administration.objects.get(enrollment__participant__code="P-002", timepoint="post")
    assert new.instrument.version == 2
    assert (new.score, new.is_complete) == (None, False)
    assert AuditEntry.objects.filter(action="instrument.new_version").count() == 1


def test_reimport_of_an_unchanged_bundle_makes_no_new_version(org, tmp_path):
    run(org, tmp_path, VALID)

    report = run(org, tmp_path, VALID)

    assert report.saved and report.notes == []
    assert versions() == [(1, True, 1)]


def test_a_changed_reverse_flag_alone_makes_a_new_version_with_the_same_items(org, tmp_path):
    run(org, tmp_path, VALID)
    items = VALID["instrument_items.csv"].replace("GSE,1,1,4,0,", "GSE,1,1,4,1,")

    report = run(org, tmp_path, {"instrument_items.csv": items})

    assert report.saved
    assert versions() == [(1, False, 1), (2, True, 1)]
    current = Instrument.objects.get(code="GSE", is_current=True)
    assert list(current.items.values_list("number", "reverse", "text")) == [
        (1, True, "I can solve problems"),
        (2, False, "I stay calm"),
        (3, False, "I find a way"),
        (4, True, "I give up easily"),
    ]
    old = Instrument.objects.get(code="GSE", version=1)
    assert old.items.get(number=1).reverse is False


def test_a_name_or_target_change_alone_updates_the_answered_instrument_in_place(org, tmp_path):
    run(org, tmp_path, VALID)
    files = {"instruments.csv": "code,name,max_missing,target_score\nGSE,Confidence,1,14\n"}
    files["instrument_items.csv"] = VALID["instrument_items.csv"]

    report = run(org, tmp_path, files)

    assert report.saved and report.notes == []
    assert versions() == [(1, True, 1)]
    instrument = Instrument.objects.get(code="GSE")
    assert (instrument.name, instrument.target_score) == ("Confidence", 14)


def test_an_unanswered_instrument_is_still_changed_in_place(org, tmp_path):
    files = {k: v for k, v in VALID.items() if k != "survey_responses.csv"}
    run(org, tmp_path, files)
    files["instruments.csv"] = "code,name,max_missing,target_score\nGSE,Self-efficacy,0,12\n"

    report = run(org, tmp_path, files)

    assert report.saved and report.notes == []
    assert versions() == [(1, True, 0)]
