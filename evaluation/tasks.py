"""Celery jobs of the evaluation app: thin wrappers around ``evaluation.runs``."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import runs

#: Database trouble a retry may cure (a restarted server, a dropped connection).
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
MAX_RETRIES = 3


@shared_task(
    bind=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
    acks_late=True,
)
def compute_evaluation_run(self, run_id: int) -> str | None:
    """Compute one run. Redelivery (acks_late) and retries are safe: a finished run is
    left alone and a result is simply written again."""
    run = runs.execute(run_id=run_id, final_attempt=self.request.retries >= MAX_RETRIES)
    return run.status if run else None


@shared_task
def recompute_current_years() -> int:
    """Nightly: queue the current program year of every active program."""
    return len(runs.recompute_current_years())
