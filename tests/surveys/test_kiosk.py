"""The kiosk's PIN rules (``surveys.kiosk``), over a plain session dict."""

import pytest

from peersupport.models import AuditEntry
from surveys.kiosk import (
    KIOSK_KEY,
    MAX_PIN_FAILURES,
    Unlock,
    kiosk_answered,
    kiosk_close,
    kiosk_hand_over,
    kiosk_open,
    kiosk_state,
    kiosk_unlock,
)
from tests.factories import CohortFactory

pytestmark = pytest.mark.django_db
PIN = "2468"


@pytest.fixture
def cohort(org):
    return CohortFactory(program__organisation=org)


@pytest.fixture
def session(cohort, coordinator):
    """A session whose kiosk is handed to a participant (locked)."""
    session = {}
    kiosk_open(
        session,
        cohort=cohort,
        code="K10",
        timepoint="pre",
        language="fr",
        pin=PIN,
        by=coordinator,
    )
    kiosk_hand_over(session, enrollment_id=7)
    return session


def _unlock(session, cohort, user, pin):
    return kiosk_unlock(session, cohort=cohort, pin=pin, by=user)


def test_opening_stores_a_hash_of_the_pin_and_audits_the_start(cohort, coordinator):
    session = {}
    state = kiosk_open(
        session, cohort=cohort, code="K10", timepoint="pre", language="en", pin=PIN, by=coordinator
    )
    assert kiosk_state(session, cohort=cohort) == state
    assert state["locked"] is False and state["failures"] == 0
    assert PIN not in str(session)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.OTHER)
    assert entry.detail == {"kiosk": "start", "instrument": "K10"}


def test_the_kiosk_of_another_cohort_is_not_this_ones(session, org):
    assert kiosk_state(session, cohort=CohortFactory(program__organisation=org)) is None


def test_handing_over_locks_the_kiosk_for_that_participant(session, cohort):
    assert kiosk_state(session, cohort=cohort)["locked"] is True
    assert kiosk_state(session, cohort=cohort)["current"] == 7
    kiosk_answered(session)
    state = kiosk_state(session, cohort=cohort)
    assert state["current"] is None and state["locked"] is True


def test_the_right_pin_unlocks(session, cohort, coordinator):
    assert _unlock(session, cohort, coordinator, PIN) is Unlock.UNLOCKED
    state = kiosk_state(session, cohort=cohort)
    assert state["locked"] is False and state["current"] is None


def test_a_wrong_pin_is_counted_and_the_kiosk_stays_locked(session, cohort, coordinator):
    assert _unlock(session, cohort, coordinator, "0000") is Unlock.WRONG
    assert _unlock(session, cohort, coordinator, "1357") is Unlock.WRONG
    state = kiosk_state(session, cohort=cohort)
    assert state["failures"] == 2 and state["locked"] is True


def test_the_right_pin_resets_the_count_of_wrong_ones(session, cohort, coordinator):
    for _attempt in range(MAX_PIN_FAILURES - 1):
        _unlock(session, cohort, coordinator, "0000")
    assert _unlock(session, cohort, coordinator, PIN) is Unlock.UNLOCKED
    assert kiosk_state(session, cohort=cohort)["failures"] == 0
    kiosk_hand_over(session, enrollment_id=8)
    assert _unlock(session, cohort, coordinator, "0000") is Unlock.WRONG


def test_the_last_wrong_pin_allowed_closes_the_kiosk_and_is_audited(session, cohort, coordinator):
    outcomes = [_unlock(session, cohort, coordinator, "0000") for _ in range(MAX_PIN_FAILURES)]
    assert outcomes == [Unlock.WRONG] * (MAX_PIN_FAILURES - 1) + [Unlock.LOCKED_OUT]
    assert KIOSK_KEY not in session
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DENIED)
    assert entry.actor == coordinator and entry.detail == {"kiosk": "pin_failures"}


def test_closing_forgets_the_kiosk(session, cohort):
    kiosk_close(session)
    assert kiosk_state(session, cohort=cohort) is None
    kiosk_close(session)  # closing twice is harmless
