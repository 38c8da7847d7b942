"""The permission matrix: every URL of the project, every role, the expected status.

Each app has a module here (``tests/matrix/<app>.py``) with:
- ``build(world)``: adds the objects its URLs need to ``world`` (a ``World``), all in the
  organisation ``world.org`` (``world.other_org`` belongs to the outsider);
- ``ENTRIES``: one ``Entry`` per URL name.
``test_matrix.py`` fails when a URL of the project has no entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

ROLES = ("anonymous", "coordinator", "facilitator", "evaluator", "outsider")

#: Shorthands for the usual expectations.
LOGIN = 302  # anonymous is sent to the sign-in page


def staff_only(ok: int = 200) -> dict[str, int]:
    """Coordinators and (assigned) facilitators; evaluators 403; outsiders 404."""
    return {
        "anonymous": LOGIN,
        "coordinator": ok,
        "facilitator": ok,
        "evaluator": 403,
        "outsider": 404,
    }


def coordinator_only(ok: int = 200, outsider: int = 404) -> dict[str, int]:
    return {
        "anonymous": LOGIN,
        "coordinator": ok,
        "facilitator": 403,
        "evaluator": 403,
        "outsider": outsider,
    }


def reports(ok: int = 200, outsider: int = 404) -> dict[str, int]:
    """Coordinators and evaluators."""
    return {
        "anonymous": LOGIN,
        "coordinator": ok,
        "facilitator": 403,
        "evaluator": ok,
        "outsider": outsider,
    }


def any_member(ok: int = 200) -> dict[str, int]:
    return {
        "anonymous": LOGIN,
        "coordinator": ok,
        "facilitator": ok,
        "evaluator": ok,
        "outsider": ok,
    }


@dataclass
class Entry:
    name: str
    expect: dict[str, int]
    kwargs: Callable[[SimpleNamespace], dict] = field(default=lambda w: {})
    method: str = "get"
    data: Callable[[SimpleNamespace], dict] = field(default=lambda w: {})
