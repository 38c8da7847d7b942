"""A dead broker makes queueing fail within seconds; nothing the user entered is lost."""

import time

import pytest
from django.urls import reverse

from peersupport.celery import app as celery_app
from peersupport.models import AuditEntry, Invitation


@pytest.fixture
def unreachable_broker():
    """Point Celery at a port where nothing listens, with queueing for real (not eager)."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url="redis://127.0.0.1:1/0", task_always_eager=False)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    celery_app.conf.update(saved)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db
def test_invitation_is_kept_and_link_shown_when_the_broker_is_down(
    unreachable_broker, client_for, coordinator
):
    started = time.monotonic()
    response = client_for(coordinator).post(
        reverse("members"), {"email": "later@example.org", "role": "evaluator"}, follow=True
    )
    elapsed = time.monotonic() - started
    assert elapsed < 10, f"queueing blocked for {elapsed:.1f}s"
    assert Invitation.objects.filter(email="later@example.org").exists()
    page = response.content.decode()
    assert "could not be sent right now" in page
    assert "/invite/" in page
    failure = AuditEntry.objects.get(action="job.queue_failed")
    assert failure.detail["task"] == "peersupport.tasks.send_invitation_email"
