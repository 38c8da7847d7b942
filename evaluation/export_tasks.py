"""Celery job of the exports: build one export file (``evaluation.exports.service``)."""

from celery import shared_task

from .exports import service


@shared_task(acks_late=True)
def build_export(token: str) -> str | None:
    status = service.run_job(token)
    return status.get("state") if status else None
