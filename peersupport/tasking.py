"""Queueing background jobs so that a dead broker never loses what a user entered.

Views save the user's work first (in its own transaction), then call ``enqueue``. If the
broker cannot be reached within the configured socket timeouts the failure is written to
the audit log and ``False`` comes back, so the page can say so and offer another way.
"""

from __future__ import annotations

import logging

from celery import Task
from kombu.exceptions import OperationalError

from .audit import log_action

logger = logging.getLogger(__name__)

QUEUE_ERRORS: tuple[type[BaseException], ...] = (OperationalError, ConnectionError, TimeoutError)
try:  # redis-py's errors are not subclasses of the builtin ones
    import redis.exceptions

    QUEUE_ERRORS += (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
except ImportError:  # pragma: no cover - redis is a locked dependency
    pass


def enqueue(task: Task, *args, actor=None, organisation=None, **kwargs) -> str | None:
    """Queue ``task``; the task id, or None when the broker is unreachable (recorded)."""
    try:
        result = task.apply_async(args=args, kwargs=kwargs, retry=False)
    except QUEUE_ERRORS as exc:
        logger.warning("Could not queue %s: %s", task.name, exc)
        log_action(
            actor=actor,
            action="job.queue_failed",
            organisation=organisation,
            detail={"task": task.name, "error": type(exc).__name__},
        )
        return None
    return result.id
