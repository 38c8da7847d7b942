"""The Celery app. Without ``REDIS_URL`` tasks run in-process (``task_always_eager``)."""

import logging
import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")

app = Celery("peersupport")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _first_heartbeat(sender=None, **kwargs):
    """A worker that has just started says so at once, not at the beat's next minute."""
    from .health import beat

    try:
        beat(hostname=getattr(sender, "hostname", None) or "worker")
    except Exception:  # the database may not be migrated yet; the beat job retries
        logging.getLogger(__name__).warning("Could not write the first heartbeat", exc_info=True)
