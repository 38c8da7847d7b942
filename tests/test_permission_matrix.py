"""Walk every URL as anonymous, each role, and a user of another organisation."""

import importlib
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.matrix.base import ROLES

#: The apps with pages, in import order; each has ``tests/matrix/<app>.py``.
APPS = [
    "peersupport",
    "programs",
    "participants",
    "sessions",
    "surveys",
    "evaluation",
    "exports",
    "importer",
]
MODULES = [importlib.import_module(f"tests.matrix.{app}") for app in APPS]
ENTRIES = [entry for module in MODULES for entry in module.ENTRIES]
#: Third-party URL trees with their own tests.
SKIP_PREFIXES = ("accounts/", "i18n/", "admin/")


def _names(resolver: URLResolver, prefix="", ns=""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith(SKIP_PREFIXES):
                continue
            space = f"{ns}{pattern.namespace}:" if pattern.namespace else ns
            yield from _names(pattern, route, space)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield ns + pattern.name


def test_every_url_has_an_entry_in_the_matrix():
    names = set(_names(get_resolver()))
    covered = {entry.name for entry in ENTRIES}
    assert names - covered == set(), "add these URLs to tests/matrix/<app>.py"
    assert covered - names == set(), "these matrix entries name no URL"


@pytest.fixture
def world(org, other_org, coordinator, facilitator, evaluator, outsider):
    w = SimpleNamespace(
        org=org,
        other_org=other_org,
        coordinator=coordinator,
        facilitator=facilitator,
        evaluator=evaluator,
        outsider=outsider,
    )
    for module in MODULES:
        module.build(w)
    return w


@pytest.mark.django_db
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{e.method}:{e.name}")
def test_permission_matrix(entry, world, client):
    url = reverse(entry.name, kwargs=entry.kwargs(world))
    failures = []
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(getattr(world, role))
        call = getattr(client, entry.method)
        response = call(url, entry.data(world)) if entry.method == "post" else call(url)
        expected = entry.expect[role]
        if response.status_code != expected:
            failures.append(f"{role}: expected {expected}, got {response.status_code}")
    assert not failures, f"{entry.method.upper()} {url}: " + "; ".join(failures)
