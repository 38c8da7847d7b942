"""A Redis cache that a dead or hanging Redis cannot take down.

The cache holds nothing that cannot be lost (sign-in rate limits, used one-time codes),
so when Redis does not answer within its short socket timeouts the cache carries on in
this process's memory: the failure is logged once, and Redis is left alone for
``retry_after`` seconds (so a hanging server costs one timeout, not one per call) before
it is tried again. Signing in and every page that does not need the worker keep working.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

try:
    import redis.exceptions

    CACHE_ERRORS: tuple[type[BaseException], ...] = (
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        redis.exceptions.BusyLoadingError,
        redis.exceptions.ReadOnlyError,
        OSError,
    )
except ImportError:  # pragma: no cover - redis is a locked dependency
    CACHE_ERRORS = (OSError,)


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, falling back to a per-process memory cache while Redis is
    unreachable. ``OPTIONS["retry_after"]``: seconds before Redis is tried again (30)."""

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("retry_after", 30))
        params["OPTIONS"] = options
        super().__init__(server, params)
        self.fallback = LocMemCache(
            f"resilient-fallback-{id(self)}", {"TIMEOUT": self.default_timeout}
        )
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            first = self._down_until == 0.0
            self._down_until = time.monotonic() + self.retry_after
        if first:  # logged once per outage, not once per call
            logger.warning(
                "Redis cache unreachable (%s: %s); using this process's memory for %ss",
                type(exc).__name__,
                exc,
                self.retry_after,
            )

    def _recovered(self) -> None:
        if self._down_until:
            with self._lock:
                self._down_until = 0.0
            logger.warning("Redis cache reachable again")

    def _call(self, name: str, *args, **kwargs):
        if not self.is_down:
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except CACHE_ERRORS as exc:
                self._failed(exc)
            else:
                self._recovered()
                return result
        return getattr(self.fallback, name)(*args, **kwargs)

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def clear(self):
        self.fallback.clear()
        return self._call("clear")
