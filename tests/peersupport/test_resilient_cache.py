"""A dead or hanging Redis does not stop people signing in: the cache (allauth's rate
limits) carries on in memory after one short timeout."""

from __future__ import annotations

import logging
import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from peersupport.cache import ResilientRedisCache
from tests.netfixtures import dead_url, hanging_server

pytestmark = pytest.mark.django_db


def _redis_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "peersupport.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "retry_after": 30},
        }
    }


def _sign_in(client, user, password):
    started = time.monotonic()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": password}, follow=True
    )
    return response, time.monotonic() - started


def test_signing_in_works_when_redis_is_down(client, coordinator, password, settings):
    settings.CACHES = _redis_cache(dead_url())

    response, elapsed = _sign_in(client, coordinator, password)

    assert response.status_code == 200
    assert response.wsgi_request.user == coordinator
    assert elapsed < 5, f"signing in took {elapsed:.1f}s"


def test_signing_in_works_within_seconds_when_redis_hangs(client, coordinator, password, settings):
    with hanging_server() as url:
        settings.CACHES = _redis_cache(url)
        response, elapsed = _sign_in(client, coordinator, password)

    assert response.status_code == 200
    assert response.wsgi_request.user == coordinator
    assert elapsed < 5, f"signing in took {elapsed:.1f}s"


def test_failed_sign_ins_are_still_limited_while_redis_is_down(client, coordinator, settings):
    settings.CACHES = _redis_cache(dead_url())
    url = reverse("account_login")
    pages = [
        client.post(url, {"login": coordinator.email, "password": "wrong-wrong-wrong"})
        for _ in range(7)
    ]
    assert all(page.status_code == 200 for page in pages)
    limited = [b"Too many failed login attempts" in page.content for page in pages]
    # The limit (5 a minute) still counts, in memory.
    assert limited == [False] * 5 + [True] * 2


def test_an_outage_is_logged_once_and_redis_is_not_asked_again_at_once(settings, caplog):
    settings.CACHES = _redis_cache(dead_url())
    with caplog.at_level(logging.WARNING, logger="peersupport.cache"):
        cache.set("k", 1)
        assert cache.get("k") == 1  # from memory
        assert cache.add("lock", True) is True
        assert cache.add("lock", True) is False
        cache.delete("lock")
        assert cache.get_many(["k"]) == {"k": 1}
        assert cache.has_key("k")
        assert cache.incr("k") == 2
        cache.set_many({"a": 1})
        cache.delete_many(["a"])
        assert cache.touch("k")
        cache.clear()
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1
    assert cache.is_down


def test_redis_is_tried_again_after_the_pause_and_recovery_is_logged(monkeypatch, caplog):
    from django.core.cache.backends.redis import RedisCache
    from redis.exceptions import ConnectionError as RedisConnectionError

    answers = iter([RedisConnectionError("down"), "from redis"])

    def get(self, key, default=None, version=None):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(RedisCache, "get", get)
    backend = ResilientRedisCache(dead_url(), {"OPTIONS": {"retry_after": 0}})
    with caplog.at_level(logging.WARNING, logger="peersupport.cache"):
        assert backend.get("k", "missing") == "missing"  # down: the memory cache answers
        assert backend.get("k") == "from redis"  # asked again after the pause
    assert not backend.is_down
    messages = [r.getMessage() for r in caplog.records]
    assert any("unreachable" in m for m in messages)
    assert any("reachable again" in m for m in messages)


@pytest.mark.services
def test_with_redis_up_the_cache_is_redis(settings):
    import os

    import redis

    from tests.availability import require

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        up = bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        up = False
    require(up, f"Redis is not reachable at {url}")
    settings.CACHES = _redis_cache(url)
    cache.set("resilient-test", "yes", 30)
    assert cache.get("resilient-test") == "yes"
    assert not cache.is_down
    assert redis.Redis.from_url(url).exists(cache.make_and_validate_key("resilient-test"))
    cache.delete("resilient-test")
