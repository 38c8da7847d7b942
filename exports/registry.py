"""Exports of evaluation data: exporters (rows once) and writers (CSV, XLSX, SPSS, Stata).

``EXPORTERS`` lists the participant- and session-level exports of a program; the report
export of an evaluation run lives in ``exports.report`` and ``.pdf``.
"""

from .dataset import DatasetExporter
from .other import AttendanceCountsExporter, FeedbackSummaryExporter, ItemResponsesExporter

EXPORTERS = {
    cls.identifier: cls
    for cls in (
        DatasetExporter,
        ItemResponsesExporter,
        AttendanceCountsExporter,
        FeedbackSummaryExporter,
    )
}
