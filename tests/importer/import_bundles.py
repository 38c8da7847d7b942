"""Building import bundles for the tests: a valid one, changed copies, and zips."""

from __future__ import annotations

import zipfile
from pathlib import Path

SECRET_NAME = "Zelda Quietwater"

VALID = {
    "programs.csv": (
        "code,name,start_date,organisation\nBIY,Believe In You,2020-04-01,safe-harbour\n"
    ),
    "modules.csv": "program_code,order,name,weeks\nBIY,1,Self-esteem,6\nBIY,2,Circle,14\n",
    "instruments.csv": "code,name,max_missing,target_score\nGSE,Self-efficacy,1,12\n",
    "instrument_items.csv": (
        "instrument_code,item_number,min_value,max_value,reverse,text\n"
        "GSE,1,1,4,0,I can solve problems\n"
        "GSE,2,1,4,0,I stay calm\n"
        "GSE,3,1,4,0,I find a way\n"
        "GSE,4,1,4,1,I give up easily\n"
    ),
    "program_targets.csv": "program_code,instrument_code,target_pct\nBIY,GSE,75\n",
    "cohorts.csv": "program_code,cohort_code,start_date,name\nBIY,C1,2020-05-04,Spring circle\n",
    "sessions.csv": (
        "cohort_code,session_number,date,status,duration_minutes,module_order,topic\n"
        "C1,1,2020-05-04,held,180,1,Welcome\n"
        "C1,2,2020-05-11,held,180,1,Strengths\n"
        "C1,3,2020-05-18,cancelled,,,\n"
    ),
    "participants.csv": (
        "participant_code,consent_evaluation,preferred_name,birth_year\n"
        f"P-001,yes,{SECRET_NAME},1985\n"
        "P-002,no,Another Person,\n"
    ),
    "enrollments.csv": (
        "participant_code,cohort_code,enrolled_on,status,exit_date\n"
        "P-001,C1,2020-05-04,completed,\n"
        "P-002,C1,2020-05-04,withdrawn,2020-06-01\n"
    ),
    "attendance.csv": (
        "participant_code,cohort_code,session_number,status\n"
        "P-001,C1,1,present\n"
        "P-001,C1,2,late\n"
        "P-002,C1,1,absent\n"
    ),
    "survey_responses.csv": (
        "participant_code,cohort_code,instrument_code,timepoint,date,item_number,value\n"
        "P-001,C1,GSE,pre,2020-05-04,1,2\n"
        "P-001,C1,GSE,pre,2020-05-04,2,3\n"
        "P-001,C1,GSE,pre,2020-05-04,3,4\n"
        "P-001,C1,GSE,pre,2020-05-04,4,1\n"
        "P-001,C1,GSE,post,2020-08-01,1,4\n"
        "P-001,C1,GSE,post,2020-08-01,2,4\n"
        "P-001,C1,GSE,post,2020-08-01,3,3\n"
        "P-001,C1,GSE,post,2020-08-01,4,\n"
        "P-002,C1,GSE,pre,2020-05-04,1,2\n"
        "P-002,C1,GSE,pre,2020-05-04,2,2\n"
    ),
}


def write_folder(root: Path, files: dict[str, str | bytes], sub: str = "") -> Path:
    folder = root / sub if sub else root
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return root


def write_zip(path: Path, files: dict[str, str | bytes], sub: str = "") -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(f"{sub}/{name}" if sub else name, content)
    return path


def changed(**replacements: str) -> dict[str, str]:
    """The valid bundle with some files replaced (keys use _ for the dot: ``attendance_csv``)."""
    files = dict(VALID)
    for key, content in replacements.items():
        files[key.replace("_csv", ".csv")] = content
    return files
