"""Queueing background jobs so that a dead broker never loses what a user entered.

Views save the user's work first (in its own transaction), then call ``enqueue``. If the
broker cannot be reached within the configured socket timeouts the failure is written to
the audit log and ``False`` comes back, so the page can say so and offer another way.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import uuid
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import Future

from celery import Task
from django.conf import settings
from django.db import connections, transaction
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
    """Queue ``task``; the task id, or None when the broker is unreachable (recorded).

    Without a broker (the embedded default) the job runs in a background thread of this
    process (``run_in_background``), after the current transaction commits."""
    if runs_in_process() and background_threads() > 0:
        task_id = str(uuid.uuid4())
        run_in_background(_apply, task, task_id, args, kwargs)
        return task_id
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


# --- the embedded default: jobs in a background thread of the web process ----------------
#
# Without Redis (``CELERY_TASK_ALWAYS_EAGER``) Celery would run a job inside the web request
# that queued it, holding the user (and gunicorn's timeout) for as long as the job takes.
# Instead such jobs, and every "compute now" fallback, are handed to a few daemon threads
# of the process: the request returns at once and the job's own progress page follows it.
# A process that exits normally finishes its jobs first; one that is killed loses them,
# they stay queued until stale, and the page then offers to run them again, as it does
# when a worker dies. ``BACKGROUND_THREADS = 0`` runs them inline instead (the test
# suite's default, so tests stay deterministic).

#: No request waits longer than this for a job it handed to a thread, whatever it asks.
MAX_WAIT_SECONDS = 10.0

_pool_lock = threading.Lock()
_pool: _Pool | None = None


#: Jobs handed to the threads and not finished yet: a process that ends (a management
#: command, a web worker told to stop) finishes them first (``_finish_at_exit``).
_pending: set[Future] = set()


def wait_idle(timeout: float | None = None) -> bool:
    """Wait until every job handed to the threads has ended; False if some still run
    after ``timeout`` seconds."""
    _done, running = futures.wait(list(_pending), timeout=timeout)
    return not running


def _finish_at_exit() -> None:
    wait_idle()


atexit.register(_finish_at_exit)


class _Pool:
    def __init__(self, size: int):
        self.size = size
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.threads = [
            threading.Thread(target=self._work, name=f"peersupport-job-{n}", daemon=True)
            for n in range(size)
        ]
        for thread in self.threads:
            thread.start()

    def _work(self) -> None:
        while True:
            future, fn, args, kwargs = self.queue.get()
            if not future.set_running_or_notify_cancel():  # pragma: no cover - never cancelled
                continue
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # a failed job must not end the thread
                logger.exception("Background job %s failed", getattr(fn, "__name__", fn))
                future.set_exception(exc)
            finally:
                # This thread's own connections: the next job starts with fresh ones.
                connections.close_all()
                _pending.discard(future)


def background_threads() -> int:
    return max(0, int(getattr(settings, "BACKGROUND_THREADS", 2)))


def _pool_of(size: int) -> _Pool:
    global _pool
    with _pool_lock:
        if _pool is None or _pool.size != size:
            _pool = _Pool(size)  # a changed size (tests): old threads idle on their queue
        return _pool


def run_in_background(fn: Callable, *args, wait: float = 0, **kwargs) -> Future:
    """Run ``fn(*args, **kwargs)`` in a background thread of this process, once the
    current transaction (if any) has committed; wait up to ``wait`` seconds (never more
    than ``FOREGROUND_WAIT_SECONDS``) for it to end. The future tells whether it has.
    With ``BACKGROUND_THREADS = 0`` it runs here and now."""
    future: Future = Future()
    size = background_threads()

    if size == 0:
        future.set_running_or_notify_cancel()
        future.set_result(fn(*args, **kwargs))
        return future

    def hand_over() -> None:
        _pending.add(future)
        _pool_of(size).queue.put((future, fn, args, kwargs))

    # A thread sees only committed rows: the job starts once the caller's work is saved
    # (and never if it is rolled back).
    transaction.on_commit(hand_over)
    limit = min(wait, float(getattr(settings, "FOREGROUND_WAIT_SECONDS", 3)), MAX_WAIT_SECONDS)
    if limit > 0 and not future.done():
        futures.wait([future], timeout=limit)
    return future


def runs_in_process() -> bool:
    """True when no broker is configured: queued jobs run in this process's threads."""
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def _apply(task: Task, task_id: str, args: tuple, kwargs: dict) -> None:
    # A failed job records its failure on its own row; the error is logged, not raised.
    task.apply(args=args, kwargs=kwargs, task_id=task_id, throw=False)
