"""The embedded SQLite default holds a small agency's facilitators tapping at once."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_sets_wal_immediate_transactions_and_a_busy_timeout_on_sqlite(tmp_path):
    """Read in a fresh process with an SQLite ``DATABASE_URL``, whatever the suite runs on."""
    shown = subprocess.run(  # noqa: S603 - our own interpreter and settings
        [
            sys.executable,
            "-c",
            "import json; from django.conf import settings; "
            "print(json.dumps(settings.DATABASES['default']['OPTIONS']))",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "peersupport.settings_test",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    options = json.loads(shown.stdout)
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 10
    assert "journal_mode=WAL" in options["init_command"]
    assert "synchronous=NORMAL" in options["init_command"]


@pytest.mark.django_db
def test_twenty_threads_tapping_one_sqlite_file_lose_nothing(tmp_path):
    """20 threads, each with its own connection to one SQLite file, tap 15 times each
    through the attendance service: no error, no lost write, one audit entry per change."""
    path = tmp_path / "agency.sqlite3"
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(path)
        # The migrated schema (and the rows migrations add), in a second or so.
        target.executescript("\n".join(connection.connection.iterdump()))
        target.close()
    else:  # the suite runs on PostgreSQL: migrate a new SQLite file instead
        migrated = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": f"sqlite:///{path}",
                "DJANGO_SETTINGS_MODULE": "peersupport.settings_test",
            },
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert migrated.returncode == 0, migrated.stderr[-3000:]
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "tests.sessions.concurrent_taps", str(path), "20", "15"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["errors"] == []
    assert outcome["rows"] == 40 and outcome["lost"] == 0
    assert outcome["changes"] == 300  # every tap sets a status its row did not have
    assert outcome["audited"] == outcome["changes"]
    assert outcome["journal_mode"] == "wal"
