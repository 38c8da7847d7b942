"""Hooks for the apps built on programs: they import programs, programs never imports them.

``closure_added`` is sent inside the transaction that lists a new closure date, with
``closure``, ``by`` and ``request``. A receiver may return a sentence for the coordinator
(or None); ``closure_date_create`` keeps them as ``closure.notes``.
"""

from django.dispatch import Signal

closure_added = Signal()
