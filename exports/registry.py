"""Exports of evaluation data: exporters (rows once) and writers (CSV, XLSX, SPSS, Stata).

``EXPORTERS`` lists the participant- and session-level exports of a program; the report
export of an evaluation run lives in ``exports.report`` and ``.pdf``.
"""

from .attendance_counts import AttendanceCountsExporter
from .dataset import DatasetExporter
from .feedback_summary import FeedbackSummaryExporter
from .item_responses import ItemResponsesExporter

EXPORTERS = {
    cls.identifier: cls
    for cls in (
        DatasetExporter,
        ItemResponsesExporter,
        AttendanceCountsExporter,
        FeedbackSummaryExporter,
    )
}
