"""The French catalogue is complete, its compiled form is current, and French-speaking
people see the app in French with French number and date formats.

See docs/translation.md for how the catalogue is updated.
"""

import ast
import gettext
import io
import shutil
import struct
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from tests.availability import require
from tests.factories import ProgramFactory, SupervisionEntryFactory, VolunteerFactory

BASE_DIR = Path(settings.BASE_DIR)
LOCALE_DIR = BASE_DIR / "locale"
PO_FILE = LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po"
MO_FILE = LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.mo"
#: Folders makemessages leaves out, as in docs/translation.md.
IGNORED = [".venv", "staticfiles", "node_modules", "bench", "tests"]
#: What makemessages reads for the "django" domain, plus the catalogue itself.
SOURCE_SUFFIXES = (".py", ".html", ".txt", ".po", ".mo")
GETTEXT_TOOLS = ("xgettext", "msgmerge", "msguniq", "msgattrib")


# --- A small .po reader (the standard library has none) -----------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    line: int = 0

    @property
    def key(self) -> str:
        """The key gettext stores the entry under in a .mo file."""
        key = self.msgid if self.msgid_plural is None else f"{self.msgid}\0{self.msgid_plural}"
        return key if self.msgctxt is None else f"{self.msgctxt}\x04{key}"

    @property
    def where(self) -> str:
        """Where the string is first used (file:line), else where it is in the catalogue."""
        return self.references[0] if self.references else f"{PO_FILE.name}:{self.line}"

    @property
    def is_translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values()) and "fuzzy" not in self.flags


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header excluded, obsolete (``#~``) entries skipped."""
    entries: list[Entry] = []
    entry, target = Entry(), None

    def finish():
        nonlocal entry, target
        if target is not None:
            entries.append(entry)
        entry, target = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~") or line.startswith("#|"):
            continue
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#:"):
            entry.references.extend(line[2:].split())
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            text = ast.literal_eval(line)
            if isinstance(target, int):
                entry.msgstr[target] += text
            else:
                setattr(entry, target, getattr(entry, target) + text)
        else:
            keyword, _, value = line.partition(" ")
            text = ast.literal_eval(value)
            if keyword.startswith("msgstr"):
                target = int(keyword[7:-1]) if "[" in keyword else 0
                entry.msgstr[target] = text
            else:
                if target is not None and keyword in ("msgctxt", "msgid") and entry.msgstr:
                    finish()
                target = keyword
                setattr(entry, keyword, text)
                entry.line = entry.line or number
    finish()
    return [e for e in entries if e.msgid or e.msgctxt is not None]


def read_mo(path: Path) -> dict[str, str]:
    """Every (key, translation) pair stored in a .mo file."""
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _, count, originals, translations = struct.unpack(order + "4I", data[4:20])
    pairs = {}
    for i in range(count):
        o_len, o_off = struct.unpack(order + "2I", data[originals + 8 * i : originals + 8 * i + 8])
        t_len, t_off = struct.unpack(
            order + "2I", data[translations + 8 * i : translations + 8 * i + 8]
        )
        key = data[o_off : o_off + o_len].decode("utf-8")
        pairs[key] = data[t_off : t_off + t_len].decode("utf-8")
    return pairs


def problems(entries: list[Entry]) -> list[str]:
    lines = []
    for e in entries:
        if "fuzzy" in e.flags:
            lines.append(f"{e.where}: fuzzy (check and remove the flag): {e.msgid!r}")
        elif not e.is_translated:
            lines.append(f"{e.where}: not translated: {e.msgid!r}")
    return lines


# --- (a) The catalogue covers every wrapped string ----------------------------------


def _copy_sources(destination: Path) -> None:
    """The translatable sources and the catalogue, without what makemessages ignores;
    makemessages writes temporary files beside templates, so it runs on this copy."""

    def ignore(directory, names):
        skipped = {n for n in names if n in IGNORED or n.startswith(".") or n == "__pycache__"}
        for name in names:
            path = Path(directory) / name
            if path.is_file() and not name.endswith(SOURCE_SUFFIXES):
                skipped.add(name)
        return skipped

    shutil.copytree(BASE_DIR, destination, ignore=ignore)


def test_regenerated_catalogue_has_every_string_translated(tmp_path, settings, monkeypatch):
    missing_tools = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    require(not missing_tools, f"gettext tools missing: {', '.join(missing_tools)}")
    project = tmp_path / "project"
    _copy_sources(project)
    settings.LOCALE_PATHS = [project / "locale"]
    monkeypatch.chdir(project)

    call_command(
        "makemessages",
        locale=["fr"],
        ignore_patterns=list(IGNORED),
        no_obsolete=True,
        verbosity=0,
        stdout=io.StringIO(),
    )

    entries = read_po(project / "locale" / "fr" / "LC_MESSAGES" / "django.po")
    assert entries, "makemessages found no strings"
    found = problems(entries)
    assert not found, (
        f"{len(found)} French entr{'y' if len(found) == 1 else 'ies'} to translate in "
        "locale/fr/LC_MESSAGES/django.po (run makemessages, see docs/translation.md):\n"
        + "\n".join(found)
    )


# --- (b) The committed .mo is the compiled .po --------------------------------------


def test_committed_catalogue_is_complete():
    found = problems(read_po(PO_FILE))
    assert not found, "\n".join(found)


def test_committed_mo_matches_the_po():
    entries = [e for e in read_po(PO_FILE) if e.is_translated]
    compiled = read_mo(MO_FILE)
    compiled.pop("", None)  # the header
    in_po = {e.key for e in entries}
    stale = sorted(in_po - set(compiled))
    extra = sorted(set(compiled) - in_po)
    changed = [
        e.where
        for e in entries
        if e.key in compiled and compiled[e.key] != "\0".join(e.msgstr[i] for i in sorted(e.msgstr))
    ]
    assert not (stale or extra or changed), (
        "locale/fr/LC_MESSAGES/django.mo is out of date: run "
        "`DEBUG=1 .venv/bin/python manage.py compilemessages --ignore=.venv`.\n"
        f"missing from the .mo: {stale[:20]}\nonly in the .mo: {extra[:20]}\n"
        f"translated differently: {changed[:20]}"
    )


def test_mo_loads_and_uses_french_plural_forms():
    with MO_FILE.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    assert catalogue.info()["language"] == "fr"
    plural = next(e for e in read_po(PO_FILE) if e.msgid_plural and e.is_translated)
    # French: 0 and 1 take the singular, 2 and more the plural.
    assert catalogue.ngettext(plural.msgid, plural.msgid_plural, 0) == plural.msgstr[0]
    assert catalogue.ngettext(plural.msgid, plural.msgid_plural, 1) == plural.msgstr[0]
    assert catalogue.ngettext(plural.msgid, plural.msgid_plural, 2) == plural.msgstr[1]


# --- (c) French-speaking people see French ------------------------------------------


@pytest.fixture
def french(coordinator):
    coordinator.language = "fr"
    coordinator.save(update_fields=["language"])
    return coordinator


def test_sign_in_page_and_wrong_password_error_are_in_french(client, coordinator):
    cache.clear()  # failed sign-ins are rate-limited per address
    response = client.post(
        reverse("account_login"),
        {"login": coordinator.email, "password": "not-the-password"},
        HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9,en;q=0.5",
    )
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Se connecter" in html
    assert escape("Les comptes sont créés sur invitation") in html
    english = "The email address and/or password you specified are not correct."
    with translation.override("fr"):
        error = translation.gettext(english)
    assert error != english, "django-allauth has no French for its sign-in error"
    assert escape(error) in html


def test_french_user_sees_the_dashboard_in_french_with_french_dates(client_for, french):
    # A February week: "Feb" in English, "fév." in French (month abbreviations are
    # lower case in French).
    with time_machine.travel(datetime(2026, 2, 11, 15, 0, tzinfo=UTC), tick=False):
        response = client_for(french).get(reverse("groupsessions:coordinator_dashboard"))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert '<h1 class="h3">Tableau de bord</h1>' in html
    assert "Présences non consignées" in html
    assert "Se déconnecter" in html
    assert "Cette semaine (9 fév. – 15 fév. 2026)" in html
    assert "Fév" not in html


def test_language_cookie_shows_a_form_error_in_french(client_for, evaluator, org):
    program = ProgramFactory(organisation=org)
    client = client_for(evaluator)  # prefers English; the switcher's cookie wins
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    response = client.get(
        reverse("evaluation:report", args=[program.pk]),
        {"period": "range", "date_to": "2026-06-30"},
    )

    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Cohortes commençant du" in html
    assert "Indiquez la date de début de la première cohorte." in html
    assert "Give the first cohort start date." not in html


def test_numbers_use_a_decimal_comma_in_french(client_for, french, org):
    volunteer = VolunteerFactory(organisation=org)
    SupervisionEntryFactory(volunteer=volunteer, hours=Decimal("1.5"), date=date(2026, 3, 2))

    response = client_for(french).get(reverse("programs:volunteer_detail", args=[volunteer.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Registre de supervision" in html
    assert "1,50 h" in html
    assert "1.50 h" not in html
