"""Running an import: check everything, then save everything or nothing."""

from __future__ import annotations

import logging
from pathlib import Path

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from peersupport.audit import log_action
from peersupport.models import Organisation

from . import keys
from .bundle import BundleError, open_bundle
from .check import Progress, check_bundle
from .report import ImportReport
from .save import save_bundle
from .spec import ORDER

logger = logging.getLogger(__name__)


def import_bundle(
    *,
    path: str | Path,
    organisation: Organisation,
    dry_run: bool = False,
    actor=None,
    progress: Progress | None = None,
    label: str | None = None,
    request=None,
    source: str = "command",
    exclusive: bool = False,
) -> ImportReport:
    """Check the bundle at ``path`` and, unless ``dry_run`` or anything is wrong, save it.

    Never raises for bad input: every problem is in ``report.problems``. The counts say
    what was (or, for a dry run, would be) created, updated and left unchanged.
    ``exclusive``: nobody else uses the database; its foreign keys are checked once per
    table instead of once per row (``importer.keys``).
    """
    report = ImportReport(dry_run=dry_run)
    try:
        bundle = open_bundle(path, label)
    except BundleError as exc:
        report.problems.extend(exc.problems)
        return report
    with bundle:
        known = check_bundle(bundle, organisation, report, progress)
        report.sort(ORDER)
        if not report.ok:
            if dry_run:  # say what the files without problems would do
                _count_despite_problems(bundle, known, report, actor)
            return report
        if dry_run:
            save_bundle(bundle, known, report, write=False, actor=actor, progress=progress)
            return report
        for counts in report.files.values():
            counts.created = counts.updated = counts.unchanged = 0
        try:
            with transaction.atomic():
                with keys.checked_once(exclusive):
                    save_bundle(bundle, known, report, write=True, actor=actor, progress=progress)
                log_action(
                    actor=actor,
                    action="import.confirm",
                    organisation=organisation,
                    detail={
                        "source": source,
                        "files": sorted(report.files),
                        "counts": {
                            name: {k: v for k, v in c.as_dict().items() if k != "file"}
                            for name, c in report.files.items()
                        },
                    },
                    request=request,
                )
        except DatabaseError as exc:
            # Only the kind of error is logged: a database message may quote values.
            logger.error("Import into %s failed: %s", organisation.slug, type(exc).__name__)
            report.add(
                bundle.label,
                None,
                _("the database refused the import (%(kind)s); nothing was saved.")
                % {"kind": type(exc).__name__},
            )
            return report
        report.saved = True
    return report


def _count_despite_problems(bundle, known, report: ImportReport, actor) -> None:
    """Count what a rejected bundle's sound files would create, update and leave alone,
    so the page shows that rather than zeros; nothing is written and nothing is added to
    the problems (a file that cannot be counted is marked so)."""
    problems = list(report.problems)
    try:
        save_bundle(bundle, known, report, write=False, actor=actor, tolerant=True)
    except Exception:  # noqa: BLE001 - the problems already say why the bundle is refused
        logger.warning("A rejected bundle could not be counted")
        for counts in report.files.values():
            counts.created = counts.updated = counts.unchanged = 0
            counts.counted = False
    report.problems = problems
