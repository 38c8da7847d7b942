"""Tests that need a service (Redis, Chromium) skip when it is absent, except when
``REQUIRE_SERVICES=1`` (CI), where its absence is a failure."""

import os

import pytest

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def require(available: bool, reason: str) -> None:
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1)")
    pytest.skip(reason)
