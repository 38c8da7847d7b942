"""The survey kiosk's state and its staff PIN: plain functions over the session dict.

A staff member opens the kiosk for one cohort, instrument and time point, and sets a PIN.
Each time a participant is handed the tablet the kiosk locks; only the PIN unlocks it
(back to the list with names). After ``MAX_PIN_FAILURES`` wrong PINs in a row the kiosk
is closed, the failure is audited, and the view signs the staff member out.

``session`` is ``request.session`` (any dict will do): the state lives under ``KIOSK_KEY``
and is written back whole each time, so a session backend notices the change.
"""

from __future__ import annotations

import enum

from django.contrib.auth.hashers import check_password, make_password

from peersupport.audit import log_action
from peersupport.models import AuditEntry

KIOSK_KEY = "evaluation_kiosk"
MAX_PIN_FAILURES = 5


class Unlock(enum.Enum):
    UNLOCKED = "unlocked"  # the right PIN: back to the list, failures forgotten
    WRONG = "wrong"  # a wrong PIN, counted; the kiosk stays locked
    LOCKED_OUT = "locked_out"  # the last wrong PIN allowed: the kiosk is closed


def kiosk_open(
    session, *, cohort, code: str, timepoint: str, language: str, pin: str, by, request=None
) -> dict:
    """Start a kiosk for ``cohort`` (replacing any other), unlocked, and audit it."""
    state = {
        "cohort": cohort.pk,
        "code": code,
        "timepoint": timepoint,
        "language": language,
        "pin": make_password(pin),
        "current": None,
        "locked": False,
        "failures": 0,
    }
    session[KIOSK_KEY] = state
    log_action(
        actor=by,
        action=AuditEntry.Action.OTHER,
        obj=cohort,
        detail={"kiosk": "start", "instrument": code},
        request=request,
    )
    return state


def kiosk_state(session, *, cohort) -> dict | None:
    """The kiosk open for ``cohort`` in this session, or None."""
    state = session.get(KIOSK_KEY)
    if not state or state.get("cohort") != cohort.pk:
        return None
    return state


def kiosk_close(session) -> None:
    session.pop(KIOSK_KEY, None)


def kiosk_hand_over(session, *, enrollment_id: int) -> None:
    """The tablet goes to the participant of ``enrollment_id``: lock the kiosk."""
    state = session[KIOSK_KEY]
    session[KIOSK_KEY] = {**state, "current": enrollment_id, "locked": True}


def kiosk_answered(session) -> None:
    """The participant is done (or had already answered): nobody is answering now; the
    kiosk stays locked until the PIN is given."""
    state = session[KIOSK_KEY]
    session[KIOSK_KEY] = {**state, "current": None}


def kiosk_unlock(session, *, cohort, pin: str, by, request=None) -> Unlock:
    """Check the staff PIN of the locked kiosk of ``cohort``.

    The right PIN unlocks it and forgets earlier failures; a wrong one is counted; at the
    ``MAX_PIN_FAILURES``-th wrong one in a row the kiosk is closed and the failure audited.
    """
    state = session[KIOSK_KEY]
    if check_password(pin, state["pin"]):
        session[KIOSK_KEY] = {**state, "locked": False, "current": None, "failures": 0}
        return Unlock.UNLOCKED
    failures = state["failures"] + 1
    if failures >= MAX_PIN_FAILURES:
        kiosk_close(session)
        log_action(
            actor=by,
            action=AuditEntry.Action.DENIED,
            obj=cohort,
            detail={"kiosk": "pin_failures"},
            request=request,
        )
        return Unlock.LOCKED_OUT
    session[KIOSK_KEY] = {**state, "failures": failures}
    return Unlock.WRONG
