from celery import shared_task

from . import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation_email(invitation_id: int, link: str) -> None:
    services.invitation_email_send(invitation_id=invitation_id, link=link)


@shared_task(bind=True, ignore_result=True)
def heartbeat(self) -> None:
    """Every minute (beat): the worker that runs it writes the time; /healthz reads it."""
    from .health import beat

    beat(hostname=self.request.hostname or "worker")
