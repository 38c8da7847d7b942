"""Hooks for the apps built on programs: they import programs, programs never imports them.

``closure_added`` is sent inside the transaction that lists a new closure date, with
``closure``, ``by`` and ``request``. A receiver may return a sentence for the coordinator
(or None); ``closure_date_create`` keeps them as ``closure.notes``.

``module_in_use`` is sent before a module is removed from its program, with ``module``.
A receiver answers True when it holds records that point at the module (the sessions
app: sessions of that module); the module is then kept.

``volunteer_sessions_held`` is sent by ``selectors.volunteer_hours_by_year`` with
``volunteer`` and ``program``. A receiver answers the held sessions of the program that
the volunteer ran, per day: rows ``(date, minutes, sessions)`` (the sessions app).

``cohort_last_day`` is sent by ``access.cohort_end_dates`` with ``cohort_ids``. A receiver
answers ``{cohort_id: date}``: the day of each cohort's last scheduled session (the
sessions app). A cohort nobody answers for ends when its program's weeks run out.
"""

from django.dispatch import Signal

closure_added = Signal()
module_in_use = Signal()
volunteer_sessions_held = Signal()
cohort_last_day = Signal()
