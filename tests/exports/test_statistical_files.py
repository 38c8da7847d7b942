"""SPSS and Stata files an analyst can trust: measurement levels, formats without
decimals for codes and counts, documented missing codes that tell "not administered"
from "too incomplete to score", labels, and Stata's format 118. Read back with GNU PSPP
and with pandas."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date

import pytest

from exports import services
from surveys.services import administration_create
from tests.availability import require
from tests.exports.test_export_data import build
from tests.exports.test_exports import OWN, options

pytestmark = pytest.mark.django_db


@pytest.fixture
def exporter(org, coordinator, settings):
    settings.MIN_CELL = 5
    w = build(org, coordinator)
    # B answers three of GSE's four items before: too incomplete to score (none may miss).
    administration_create(
        enrollment=w.enrollments["B"],
        instrument=w.instrument,
        timepoint="pre",
        date=date(2020, 5, 11),
        mode="staff",
        answers={1: 2, 2: 2, 3: 2},
        by=coordinator,
    )
    return services.make_exporter(w.program, "dataset", options(**OWN))


def pspp_tables(syntax: str, tmp_path) -> dict[str, list[list[str]]]:
    """Run a PSPP syntax file; its output tables as CSV rows, by table title."""
    pspp = shutil.which("pspp")
    require(pspp is not None, "GNU PSPP is not installed")
    script, output = tmp_path / "read.sps", tmp_path / "out.csv"
    script.write_text(syntax)
    subprocess.run([str(pspp), str(script), "-o", str(output)], check=True, timeout=120)  # noqa: S603
    tables: dict[str, list[list[str]]] = {}
    title = ""
    for row in csv.reader(io.StringIO(output.read_text())):
        if row and row[0].startswith("Table: "):
            title = row[0][len("Table: ") :]
            tables[title] = []
        elif row and title:
            tables[title].append(row)
    return tables


def test_pspp_reads_levels_formats_missing_codes_and_labels(exporter, tmp_path):
    path = tmp_path / "data.sav"
    services.build_file(exporter, "sav", "data", path)
    tables = pspp_tables(
        f"GET FILE='{path}'.\nDISPLAY DICTIONARY.\nDESCRIPTIVES gse_pre.\n", tmp_path
    )
    header, *rows = tables["Variables"]
    variables = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    level = {name: v["Measurement Level"] for name, v in variables.items()}
    fmt = {name: v["Print Format"] for name, v in variables.items()}
    assert level["gse_pre"] == level["sessions_attended"] == level["attended_m1"] == "Scale"
    assert level["gender"] == level["status"] == level["qi_suppressed"] == "Nominal"
    assert level["age_band"] == level["program_year"] == "Ordinal"
    assert fmt["gender"] == fmt["sessions_offered"] == fmt["program_year"] == "F8.0"
    assert fmt["gse_pre"] == "F8.2"  # scores may be pro-rated
    assert variables["gse_pre"]["Missing Values"] == "-9; -8"
    assert variables["gse_pre"]["Label"] == "GSE score, Pre"
    labels = [row for row in tables["Value Labels"] if "user-missing" not in row[0].lower()]
    assert ["", "-8.00[a]", "too incomplete to score"] in labels
    assert ["Gender identity", "1", "Woman"] in labels
    # The missing codes are left out of the statistics: A's 8 and D's 7 only.
    header, first = tables["Descriptive Statistics"][:2]
    stats = dict(zip(header, first, strict=True))
    assert (stats["N"], stats["Mean"]) == ("2", "7.50")


def test_the_same_codes_in_csv_and_xlsx(exporter, tmp_path):
    text = b"".join(services.csv_stream(exporter, "data")).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["gse_pre"], r["gse_post"]) for r in rows[:4]] == [
        ("8.0", "15.0"), ("-8", "-9"), ("-9", "-9"), ("7.0", "-9"),
    ]  # fmt: skip
    notes = " ".join(exporter.codebook_notes())
    assert "-9 = not administered, -8 = administered but too incomplete to score" in notes


def test_stata_file_is_format_118_and_pandas_reads_labels_and_codes(exporter, tmp_path):
    import pandas as pd

    path = tmp_path / "data.dta"
    services.build_file(exporter, "dta", "data", path)
    assert path.read_bytes().startswith(b"<stata_dta><header><release>118</release>")
    frame = pd.read_stata(path, convert_categoricals=False)
    assert frame["gse_pre"].tolist()[:4] == [8.0, -8.0, -9.0, 7.0]
    with pd.io.stata.StataReader(path) as reader:
        reader.read()
        value_labels = reader.value_labels()
        variable_labels = reader.variable_labels()
    pre = next(v for k, v in value_labels.items() if k.startswith("gse_pre"))
    assert pre == {-9: "not administered", -8: "too incomplete to score"}
    assert variable_labels["gender"] == "Gender identity"
    assert all(
        len(label) <= 80 and not label.endswith("smalles") for label in variable_labels.values()
    )
    labelled = pd.read_stata(path)
    assert labelled["gender"].iloc[0] == "Woman"


def test_a_background_job_writes_labels_in_the_language_of_whoever_asked(
    org, coordinator, settings
):
    import pyreadstat
    from django.utils import translation

    from exports import files
    from peersupport import storage

    settings.MIN_CELL = 5
    w = build(org, coordinator)
    with translation.override("fr"):  # the request of a French-speaking evaluator
        job = services.start_job(
            program=w.program, kind="dataset", fmt="sav", part="data",
            options=options(**OWN), user=coordinator, what={},
        )  # fmt: skip
    # The worker runs in no particular language.
    with translation.override("en"):
        assert services.run_job(job.token).state == "done"
    with storage.local_copy(files.file_name(job)) as path:
        _frame, meta = pyreadstat.read_sav(str(path))
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["gender"] == "Identité de genre"
    assert meta.variable_value_labels["gse_pre"][-9] == "non administré"
