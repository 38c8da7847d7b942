"""Hooks for the apps built on participants: they import participants, participants never
imports them.

``participant_records_asked`` is sent by ``services.participant_has_records`` with
``participant``. A receiver answers True when it holds records of the participant that
the evaluation figures need (the sessions app: attendance; the surveys app: survey
administrations); such a participant is erased, never deleted.
"""

from django.dispatch import Signal

participant_records_asked = Signal()
