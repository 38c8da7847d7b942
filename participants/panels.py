"""The program page's referrals panel (registered in ``ParticipantsConfig.ready``)."""

from __future__ import annotations

from django.conf import settings

from peersupport.permissions import EVALUATOR
from programs.models import Program
from programs.pages import Panel

from .selectors import referral_counts


def _suppress(count: int, minimum: int) -> str | int:
    return count if count == 0 or count >= minimum else f"< {minimum}"


def referrals_panel(program: Program, role: str) -> Panel:
    """Referrals by partner type and program year; small counts hidden from evaluators."""
    referrals = referral_counts(program=program)
    if role == EVALUATOR:
        # Evaluators see report figures: small cells are suppressed as in every report.
        referrals = [
            {**row, "count": _suppress(row["count"], settings.MIN_CELL)} for row in referrals
        ]
    return Panel("participants/_program_referrals.html", {"referrals": referrals})
