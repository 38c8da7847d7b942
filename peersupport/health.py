"""``/healthz``: is this web process able to serve, and are the broker and a worker alive?

Answered by a middleware placed first, before host checks, the HTTPS redirect, sessions
and sign-in, so a container's health check (``http://127.0.0.1:8000/healthz``) reaches
it; it reads no data and writes nothing. JSON; 200 while the database answers (the body
says which other parts are degraded), 503 when it does not.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.http import JsonResponse
from django.utils import timezone

logger = logging.getLogger(__name__)

PATHS = ("/healthz", "/healthz/")
#: Seconds the broker has to answer PING.
BROKER_TIMEOUT = 1.0


def beat(*, hostname: str) -> None:
    """Record that the worker ``hostname`` is alive (the heartbeat job)."""
    from .models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname[:200], defaults={"at": timezone.now()}
    )


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "cannot serve"
        logger.warning("Health check: database unreachable (%s)", type(exc).__name__)
        return "down"
    return "ok"


def check_broker() -> str:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return "in-process"
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis.from_url(
        url,
        socket_timeout=BROKER_TIMEOUT,
        socket_connect_timeout=BROKER_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        client.ping()
    except (redis.exceptions.RedisError, OSError) as exc:
        logger.warning("Health check: broker unreachable (%s)", type(exc).__name__)
        return "down"
    finally:
        client.close()
    return "ok"


def check_worker() -> dict:
    """The age of the newest heartbeat, in seconds (None: no worker ever wrote one)."""
    from .models import WorkerHeartbeat

    if not getattr(settings, "REDIS_URL", ""):
        return {"status": "in-process", "heartbeat_age_seconds": None}
    newest = WorkerHeartbeat.objects.aggregate(at=Max("at"))["at"]
    if newest is None:
        return {"status": "none", "heartbeat_age_seconds": None}
    age = max(0, round((timezone.now() - newest).total_seconds()))
    limit = getattr(settings, "HEARTBEAT_MAX_AGE_SECONDS", 300)
    return {"status": "ok" if age <= limit else "stale", "heartbeat_age_seconds": age}


def health() -> tuple[int, dict]:
    database = check_database()
    if database != "ok":
        return 503, {"status": "down", "database": database}
    broker = check_broker()
    worker = check_worker()
    degraded = [
        part
        for part, fine in (
            ("broker", broker in ("ok", "in-process")),
            ("worker", worker["status"] in ("ok", "in-process")),
        )
        if not fine
    ]
    body = {
        "status": "degraded" if degraded else "ok",
        "degraded": degraded,
        "database": database,
        "broker": broker,
        "worker": worker,
    }
    return 200, body


class HealthMiddleware:
    """Answers ``/healthz`` before any other middleware runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path not in PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse({"error": "method not allowed"}, status=405)
            response["Allow"] = "GET, HEAD"
        else:
            status, body = health()
            response = JsonResponse(body, status=status)
        response["Cache-Control"] = "no-store"
        return response
