"""Celery jobs of the exports: build one export file, remove expired ones."""

from celery import shared_task

from . import files, services


@shared_task(acks_late=True)
def build_export(token: str) -> str | None:
    job = services.run_job(token)
    return job.state if job else None


@shared_task
def remove_expired_files() -> int:
    """Hourly: delete export files past their link's lifetime; how many were removed."""
    return files.remove_expired()
