"""The Celery job for a large confirmed upload (thin: load the token, run, record)."""

from celery import shared_task

from . import service


@shared_task(name="evaluation.import_bundle", acks_late=False)
def import_uploaded_bundle(token: str, actor_id: int | None = None) -> str:
    return service.run_stored_import(token=token, actor_id=actor_id)
