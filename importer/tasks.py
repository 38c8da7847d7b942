"""Celery jobs of the import: a large confirmed upload, and the clean-up of uploads."""

from celery import shared_task

from . import jobs, services


@shared_task(acks_late=False)
def import_uploaded_bundle(token: str, actor_id: int | None = None) -> str:
    return services.run_stored_import(token=token, actor_id=actor_id)


@shared_task(acks_late=True)
def check_uploaded_bundle(token: str) -> str:
    """The dry run of a large upload, out of the web request."""
    return services.check_stored_upload(token=token)


@shared_task
def remove_stale_uploads() -> int:
    """Hourly: delete uploads nobody confirmed (they hold names and birth years)."""
    return jobs.remove_stale()
