"""Hooks for the apps built on participants: they import participants, participants never
imports them.

``participant_records_asked`` is sent by ``services.participant_has_records`` with
``participant``. A receiver answers True when it holds records of the participant that
the evaluation figures need (the sessions app: attendance; the surveys app: survey
administrations); such a participant is erased, never deleted.

``participant_erased`` is sent by ``services.participant_erase`` (inside its transaction)
with ``participant`` and ``keep_scores`` (the organisation's erasure policy). A receiver
removes what it holds about her beyond the records the participation figures need (the
surveys app: her item answers, and her surveys too unless ``keep_scores``) and answers
the counts removed, e.g. ``{"survey_answers_removed": 30}``; never values.
"""

from django.dispatch import Signal

participant_records_asked = Signal()
participant_erased = Signal()
