"""Loading an import bundle (shared/spec/import-bundle.md): years of spreadsheet records.

``import_bundle(path=…, organisation=…)`` checks the whole bundle first (every problem
as ``file:line: message``), then, when nothing is wrong and it is not a dry run, saves
everything in one transaction. See ``evaluation.importer.run``.
"""

from .bundle import BundleError, open_bundle
from .report import FileCounts, ImportReport, Problem
from .run import import_bundle

__all__ = [
    "BundleError",
    "FileCounts",
    "ImportReport",
    "Problem",
    "import_bundle",
    "open_bundle",
]
